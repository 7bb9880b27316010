"""Saving what the model produced: named for its detected kind, never overwriting, atomically."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from .errors import FileError
from .kinds import EXTENSIONS, detect_kind


def _safe_stem(stem: str) -> str:
    stem = re.sub(r"[^\w.-]+", "_", os.path.basename(str(stem))).strip("._")
    return stem[:80] or "output"


def save_output(data: bytes, out_dir: str | os.PathLike, stem: str) -> tuple[Path, str]:
    """Save ``data`` as ``out_dir/stem.<ext for its kind>``, never overwriting: ``stem-1``, ...

    Written atomically: the bytes go to a temp file that is then hard-linked to a free name
    (a link fails instead of replacing), so readers never see a partial file.
    """
    kind = detect_kind(data)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base, ext = _safe_stem(stem), EXTENSIONS[kind]
    fd, tmp_name = tempfile.mkstemp(prefix=".save-", suffix=".tmp", dir=out)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        for n in range(10_000):
            path = out / (f"{base}{ext}" if n == 0 else f"{base}-{n}{ext}")
            try:
                os.link(tmp, path)
                return path, kind
            except FileExistsError:
                continue
            except OSError:  # no hard links here (some filesystems): reserve, then replace
                try:
                    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                except FileExistsError:
                    continue
                os.replace(tmp, path)
                return path, kind
        raise FileError(f"no free file name for {base}{ext} in {out}")
    finally:
        tmp.unlink(missing_ok=True)
