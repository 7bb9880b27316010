"""Reading a user's file as a ``File`` segment, within a size limit and with one clear error."""

from __future__ import annotations

import os
from pathlib import Path

from ..humanize import human_size
from ..segments import File
from .errors import FileError
from .kinds import detect_kind

MB = 1 << 20
MAX_FILE_BYTES = 1 * MB


def read_capped(path: Path, max_bytes: int, error: type[FileError]) -> bytes:
    """Bytes of a regular file no bigger than ``max_bytes``, or ``error`` with a clear line."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise error(f"no such file: {path}") from None
    except OSError as e:
        raise error(f"cannot read {path}: {e.strerror or e}") from None
    if path.is_dir():
        raise error(f"{path} is a directory, not a file")
    if not path.is_file():
        raise error(f"{path} is not a regular file")
    if st.st_size > max_bytes:
        raise error(f"{path} is too large: {human_size(st.st_size)} (max {human_size(max_bytes)})")
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)  # the file may have grown since stat()
    except PermissionError:
        raise error(f"cannot read {path}: permission denied") from None
    except OSError as e:
        raise error(f"cannot read {path}: {e.strerror or e}") from None
    if len(data) > max_bytes:
        raise error(f"{path} is too large: over {human_size(max_bytes)}")
    return data


def load_file(path: str | os.PathLike, max_bytes: int = MAX_FILE_BYTES) -> File:
    """A file as a ``File`` segment (name, detected kind, bytes), at most ``max_bytes`` long."""
    p = Path(path).expanduser()
    data = read_capped(p, max_bytes, FileError)
    return File(p.name, detect_kind(data, p.name), data)
