"""Atomic file writes and the user's Aether folders (platformdirs, overridable for tests)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
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
