"""Plain text as a raw byte stream: no BOS, no roles, loss on every byte.

Files (or folders, searched recursively for .txt/.md) are concatenated in sorted order; the first
``1 - val_fraction`` of the bytes is train and the rest val, nanoGPT-style, so the tinyshakespeare
benchmark is comparable with published byte-level numbers. Training draws random windows from a
seeded rng; validation walks consecutive windows that overlap by one byte, so every val byte after
the first is predicted exactly once.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import AetherError
from .base import Example
from .phrasing import norm_split

TEXT_SUFFIXES = (".txt", ".md")


class TextDataError(AetherError, ValueError):
    """A text path that is missing, unreadable or holds no text."""


def text_files(paths: Sequence[str | Path]) -> list[Path]:
    """Files named directly (any suffix) plus .txt/.md files under folders, sorted per folder."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES
            )
            if not found:
                raise TextDataError(f"{p}: no .txt or .md files in this folder")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise TextDataError(f"{p}: no such file or folder")
    return out


def read_text_bytes(paths: Sequence[str | Path]) -> bytes:
    """All files' bytes, joined by a newline between files (one file: its bytes unchanged)."""
    parts = []
    for f in text_files(paths):
        try:
            parts.append(f.read_bytes())
        except OSError as e:
            raise TextDataError(f"{f}: cannot read ({e.strerror or e})") from None
    return b"\n".join(parts)


def split_bytes(data: bytes, split: str, val_fraction: float = 0.1) -> bytes:
    """The train (first ``1 - val_fraction``) or val (the rest) part of ``data``."""
    if not 0.0 < val_fraction < 1.0:
        raise TextDataError(f"val_fraction must be between 0 and 1, not {val_fraction}")
    cut = int(len(data) * (1.0 - val_fraction))
    return data[:cut] if norm_split(split) == "train" else data[cut:]


def read_text_split(path: str | Path | Sequence[str | Path], split: str,
                    val_fraction: float = 0.1) -> bytes:  # fmt: skip
    """The bytes of one split of a file, a folder or a list of them."""
    paths = [path] if isinstance(path, str | Path) else list(path)
    return split_bytes(read_text_bytes(paths), split, val_fraction)


def _window(chunk: bytes) -> Example:
    """Mask all True except the first byte: nothing in the window predicts it, and when the packer
    puts the window after another example it must not learn to guess it from that one."""
    return Example(list(chunk), [False] + [True] * (len(chunk) - 1))


class TextSource:
    """Windows of ``seq_len + 1`` raw bytes (one packed row each); loss on every predicted byte."""

    def __init__(self, paths: Sequence[str | Path] | str | Path, seq_len: int = 1024,
                 split: str | None = None, val_fraction: float = 0.1,
                 name: str = "text") -> None:  # fmt: skip
        if seq_len < 1:
            raise TextDataError(f"seq_len must be >= 1, not {seq_len}")
        self.paths = [paths] if isinstance(paths, str | Path) else list(paths)
        self.seq_len, self.val_fraction, self.name = seq_len, val_fraction, name
        self.split = norm_split(split) if split else None
        data = read_text_bytes(self.paths)
        self._parts = {s: split_bytes(data, s, val_fraction) for s in ("train", "eval")}
        if len(self._parts["train"]) < 2:
            raise TextDataError(f"{self.paths[0]}: too little text for a training split")

    def split_bytes(self, split: str) -> bytes:
        return self._parts[norm_split(split)]

    def examples(self, rng: random.Random, split: str | None = None) -> Iterator[Example]:
        """Train: endless random windows. Val: each consecutive window once, then stop."""
        split = norm_split(split or self.split or "train")
        data, n = self._parts[split], self.seq_len + 1
        if split == "train":
            if len(data) <= n:
                while True:
                    yield _window(data)
            last = len(data) - n
            while True:
                i = rng.randint(0, last)
                yield _window(data[i : i + n])
        else:
            for i in range(0, max(len(data) - 1, 0), self.seq_len):
                yield _window(data[i : i + n])
