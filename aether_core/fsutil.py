"""Atomic file writes, safe reads of files a user hands over, and setting bad files aside; the
user's Aether folders (platformdirs, overridable for tests)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

APP = "aether"


def data_dir() -> Path:
    """Where memory, chats and outputs live; ``AETHER_DATA_DIR`` overrides (tests, portable use)."""
    return Path(os.environ.get("AETHER_DATA_DIR") or user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    """Where settings live; ``AETHER_CONFIG_DIR`` overrides."""
    return Path(os.environ.get("AETHER_CONFIG_DIR") or user_config_dir(APP, appauthor=False))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success it is fsynced and renamed over ``path``.

    Readers never see a half-written file, and a crash leaves the old file intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp_path, 0o644)  # mkstemp makes 0600; the final file gets ordinary permissions
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


class NotRegularFileError(OSError):
    """A path that is a FIFO, device, socket or directory where a plain file was expected (reading
    a FIFO blocks forever), or a file bigger than the reader allows."""


def read_regular(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of ``path`` if it is a plain file of at most ``max_bytes``; FileNotFoundError
    when missing, NotRegularFileError otherwise. Opened non-blocking, so a FIFO cannot hang it."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        check_regular(path, st, max_bytes)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise NotRegularFileError(f"{path}: bigger than {max_bytes} bytes")
    return data


def check_regular(path: str | os.PathLike, st: os.stat_result, max_bytes: int | None) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFileError(f"{path}: not a regular file")
    if max_bytes is not None and st.st_size > max_bytes:
        raise NotRegularFileError(f"{path}: {st.st_size} bytes, more than {max_bytes}")


def set_aside(path: str | os.PathLike, label: str = "corrupt") -> Path | None:
    """Rename ``path`` to ``<name>.<label>-<YYYYmmdd-HHMMSS>[-n]`` beside it (never over another
    file) and return the new path; None when there was nothing to move. The user's bytes are kept
    for inspection instead of being emptied or overwritten."""
    path = Path(path)
    if not os.path.lexists(path):
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = path.with_name(f"{path.name}.{label}-{stamp}")
    n = 1
    while os.path.lexists(dest):
        dest = path.with_name(f"{path.name}.{label}-{stamp}-{n}")
        n += 1
    os.rename(path, dest)
    return dest


# ------------------------------------------------------------------ several files, one commit
JOURNAL = ".commit.json"
STAGING = ".staging"  # new files are written here; so is any temp file a writer library makes


def _staged(directory: Path, name: str) -> Path:
    return directory / STAGING / name


@contextlib.contextmanager
def atomic_group(directory: str | os.PathLike) -> Iterator[Callable[[str], Path]]:
    """Replace several files of ``directory`` so a reader sees all the old ones or all the new.

    Yields ``stage(name)``, the path to write ``name``'s new content to (inside ``.staging/``).
    On success each staged file is fsynced, a journal naming them is written atomically (the
    commit point), they are renamed into place and the journal removed. A crash before the
    journal leaves the old files; after it, :func:`recover_group` (run by readers) finishes the
    renames. Whatever a killed save left in ``.staging/`` is cleared by the next save.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    recover_group(directory)
    for stale in directory.glob(f".{JOURNAL}.*.tmp"):  # a journal write a kill cut short
        stale.unlink(missing_ok=True)
    staging = directory / STAGING
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    names: list[str] = []

    def stage(name: str) -> Path:
        if not _plain_name(name):
            raise ValueError(f"not a plain file name: {name!r}")
        names.append(name)
        return _staged(directory, name)

    try:
        yield stage
        for name in names:
            with open(_staged(directory, name), "rb+") as f:
                os.fsync(f.fileno())
            os.chmod(_staged(directory, name), 0o644)
        atomic_write_text(directory / JOURNAL, json.dumps({"files": names}))
        fsync_dir(directory)
        recover_group(directory)
    finally:
        if not (directory / JOURNAL).exists():
            shutil.rmtree(staging, ignore_errors=True)


def _plain_name(name: object) -> bool:
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and os.sep not in name
        and "/" not in name
    )


def recover_group(directory: str | os.PathLike) -> None:
    """Finish an :func:`atomic_group` commit that a crash interrupted after its journal."""
    directory = Path(directory)
    journal = directory / JOURNAL
    try:
        names = json.loads(read_regular(journal, 1 << 16))["files"]
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError, TypeError):
        set_aside(journal)  # never reached its commit point: the old files stand
        return
    for name in names:
        if _plain_name(name):
            with contextlib.suppress(FileNotFoundError):  # another reader got there first
                os.replace(_staged(directory, name), directory / name)
    fsync_dir(directory)
    journal.unlink(missing_ok=True)


def fsync_dir(directory: Path) -> None:
    """Make renames in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
