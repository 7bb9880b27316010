"""Compression benchmark: the model's coder against gzip, bzip2, xz and zstd, per kind of file.

Every file is compressed on its own (as a user compresses files) by every tool, timed both ways
and checked byte-exact after the round trip; a kind's figure is its total compressed bits over
its total original bytes. The classical tools run as subprocesses on the same bytes (stdin to
stdout), so their times include starting the process, a few milliseconds that dominate on tiny
files. The model compresses and decompresses in-process (model loading not timed), and each of
its streams is decoded once more by ``aether decompress`` in a fresh process with another torch
thread count: the property users rely on when a file made on one machine is opened on another.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import torch

from .errors import AetherError

# name -> (compress argv, decompress argv), each reading stdin and writing stdout
CLASSICAL: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "gzip": (("gzip", "-9", "-c"), ("gzip", "-d", "-c")),
    "bzip2": (("bzip2", "-9", "-c"), ("bzip2", "-d", "-c")),
    "xz": (("xz", "-9e", "-c"), ("xz", "-d", "-c")),
    "zstd": (("zstd", "-19", "--long", "-q", "-c"), ("zstd", "-d", "--long", "-q", "-c")),
}
MODEL = "aether"
REFERENCE = "xz"  # the model's size is also given as a ratio to this tool's
ALL = "all"  # the row that sums every kind
MISSING = "missing"  # what the report holds for a tool whose binary is not on PATH


class BenchError(AetherError):
    """Bad benchmark input: a path that does not exist, no files, an unreadable file."""


def _timeout(n: int) -> float:
    """Seconds a subprocess may take for n bytes: far beyond a working tool (the slowest here,
    the model at a few KB/s, gets 500 B/s plus start-up), so only a hang is cut off."""
    return 120.0 + n / 500


@dataclass(frozen=True)
class Measure:
    """One tool on one file, or (summed with +) on many."""

    original_bytes: int = 0
    compressed_bytes: int = 0
    compress_s: float = 0.0
    decompress_s: float = 0.0
    exact: bool = True
    # the model only: its stream decoded by `aether decompress` in a fresh process, other threads
    fresh_exact: bool | None = None
    fresh_s: float | None = None
    error: str | None = None  # the first thing that went wrong, in one line

    def __add__(self, other: Measure) -> Measure:
        def both(a, b, join):
            return a if b is None else b if a is None else join(a, b)

        return Measure(
            self.original_bytes + other.original_bytes,
            self.compressed_bytes + other.compressed_bytes,
            self.compress_s + other.compress_s,
            self.decompress_s + other.decompress_s,
            self.exact and other.exact,
            both(self.fresh_exact, other.fresh_exact, lambda a, b: a and b),
            both(self.fresh_s, other.fresh_s, lambda a, b: a + b),
            self.error or other.error,
        )

    @property
    def bpb(self) -> float | None:
        """Bits of output per byte of input (None for no input)."""
        return 8 * self.compressed_bytes / self.original_bytes if self.original_bytes else None

    @property
    def compress_kb_s(self) -> float | None:
        return _kb_s(self.original_bytes, self.compress_s)

    @property
    def decompress_kb_s(self) -> float | None:
        return _kb_s(self.original_bytes, self.decompress_s)

    def to_dict(self) -> dict[str, Any]:
        speeds = {"compress_kb_s": self.compress_kb_s, "decompress_kb_s": self.decompress_kb_s}
        return {**asdict(self), "bpb": self.bpb, **speeds}


def _kb_s(n: int, seconds: float) -> float | None:
    return n / 1000 / seconds if n and seconds > 0 else None


class Codec(Protocol):
    name: str

    def available(self) -> bool: ...

    def measure(self, data: bytes) -> Measure: ...


def _run(
    argv: list[str],
    data: bytes,
    env: dict[str, str] | None = None,
    budget: int | None = None,
    label: str | None = None,
) -> tuple[bytes, float, str | None]:
    """(stdout, seconds, None or a one-line error naming ``label``, default argv[0]) of argv fed
    data on stdin; ``budget``: the byte count its time limit is sized for (default: len(data))."""
    label = label or argv[0]
    t0 = time.perf_counter()
    limit = _timeout(len(data) if budget is None else budget)
    try:
        out = subprocess.run(argv, input=data, capture_output=True, env=env, timeout=limit)
    except subprocess.TimeoutExpired:
        return b"", time.perf_counter() - t0, f"{label} timed out"
    except OSError as e:
        return b"", time.perf_counter() - t0, f"{label}: {e.strerror or e}"
    dt = time.perf_counter() - t0
    if out.returncode != 0:
        last = (out.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        return out.stdout, dt, f"{label} exited {out.returncode}: {last}"
    return out.stdout, dt, None


@dataclass(frozen=True)
class ToolCodec:
    """A classical compressor on PATH (see ``CLASSICAL``)."""

    name: str
    compress_argv: tuple[str, ...]
    decompress_argv: tuple[str, ...]

    def available(self) -> bool:
        return shutil.which(self.compress_argv[0]) is not None

    def measure(self, data: bytes) -> Measure:
        blob, tc, err = _run(list(self.compress_argv), data)
        back, td, err2 = (b"", 0.0, None) if err else _run(list(self.decompress_argv), blob)
        error = err or err2 or (None if back == data else "round trip differs")
        return Measure(len(data), len(blob), tc, td, error is None, error=error)


def classical_codecs(names: list[str] | None = None) -> list[ToolCodec]:
    """The classical tools by name (all of ``CLASSICAL`` for None); BenchError for an unknown one."""
    names = list(CLASSICAL) if names is None else names
    unknown = [n for n in names if n not in CLASSICAL]
    if unknown:
        raise BenchError(f"unknown tool {unknown[0]!r} (choose from {', '.join(CLASSICAL)})")
    return [ToolCodec(n, *CLASSICAL[n]) for n in names]


@dataclass
class ModelCodec:
    """The model's coder: in-process both ways with ``threads`` torch threads, then the stream
    decoded by ``aether decompress --threads fresh_threads`` in a fresh process (0: skipped)."""

    model: torch.nn.Module
    checkpoint: Path
    threads: int = 1
    fresh_threads: int = 2
    device: str = "cpu"
    options: dict[str, Any] | None = None  # keyword options passed to compress()
    decode_options: dict[str, Any] | None = None  # and to decompress()
    name: str = MODEL

    def available(self) -> bool:
        return True

    def measure(self, data: bytes) -> Measure:
        from .compress import compress, decompress

        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            t0 = time.perf_counter()
            blob = compress(self.model, data, **(self.options or {}))
            t1 = time.perf_counter()
            try:
                back, error = decompress(self.model, blob, **(self.decode_options or {})), None
            except AetherError as e:
                back, error = b"", str(e)
            t2 = time.perf_counter()
        finally:
            torch.set_num_threads(previous)
        error = error or (None if back == data else "round trip differs")
        m = Measure(len(data), len(blob), t1 - t0, t2 - t1, error is None, error=error)
        if self.fresh_threads <= 0:
            return m
        same, seconds, err = self._fresh(blob, data)
        return replace(m, fresh_exact=same, fresh_s=seconds, error=m.error or err)

    def _fresh(self, blob: bytes, data: bytes) -> tuple[bool, float, str | None]:
        """`aether decompress` in a new interpreter running this very package (its tree first on
        PYTHONPATH, whatever is installed), stream on stdin: (bytes match, wall seconds with the
        start-up and model load, error)."""
        root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (root, os.environ.get("PYTHONPATH")) if p)}  # fmt: skip
        argv = [sys.executable, "-m", "aether_core.cli", "decompress", "-", "--checkpoint",
                str(self.checkpoint), "--threads", str(self.fresh_threads), "--device",
                self.device, "-q"]  # fmt: skip
        back, seconds, err = _run(argv, blob, env, len(data), "fresh aether decompress")
        if err is None and back != data:
            err = "fresh-process decompress differs"
        return err is None, seconds, err


def collect_kinds(paths: list[str | os.PathLike]) -> dict[str, list[Path]]:
    """Files by kind. A directory's subdirectories are one kind each (every file below them, in
    sorted order); any other file's kind is the name of the directory that holds it."""
    kinds: dict[str, list[Path]] = {}
    seen: set[Path] = set()

    def add(kind: str, f: Path) -> None:
        if f.resolve() not in seen:
            seen.add(f.resolve())
            kinds.setdefault(kind, []).append(f)

    for raw in paths:
        p = Path(raw)
        if p.is_file():
            add(p.resolve().parent.name or str(p.parent), p)
        elif p.is_dir():
            for child in sorted(p.iterdir()):
                if child.is_dir():
                    for f in sorted(x for x in child.rglob("*") if x.is_file()):
                        add(child.name, f)
                elif child.is_file():
                    add(p.resolve().name, child)
        else:
            raise BenchError(f"{raw}: no such file or directory")
    if ALL in kinds:
        raise BenchError(f"a kind may not be called {ALL!r}: that is the row of the total")
    if not kinds:
        raise BenchError("no files to compress in " + ", ".join(map(str, paths)))
    return kinds


def read_input(path: Path, max_bytes: int | None) -> bytes:
    """The file's bytes, only the first ``max_bytes`` of it when that is set."""
    try:
        with path.open("rb") as f:
            return f.read(-1 if max_bytes is None else max_bytes)
    except OSError as e:
        raise BenchError(f"{path}: {e.strerror or e}") from None


@dataclass
class Report:
    """Per kind (and ``ALL``), per tool: the summed Measure, or None for a missing tool."""

    kinds: dict[str, dict[str, Measure | None]]
    files: dict[str, list[dict[str, Any]]]  # per kind: each file's name and per-tool Measure
    settings: dict[str, Any]

    def ratio_to_reference(self, kind: str) -> float | None:
        """The model's bits per byte over ``REFERENCE``'s on a kind (None where either is absent)."""
        row = self.kinds[kind]
        ours, ref = row.get(MODEL), row.get(REFERENCE)
        if ours is None or ref is None or not ours.bpb or not ref.bpb:
            return None
        return ours.bpb / ref.bpb

    def n_files(self, kind: str) -> int:
        return sum(len(fs) for k, fs in self.files.items() if kind in (k, ALL))

    @property
    def ok(self) -> bool:
        """Every round trip exact, the fresh-process decodes included."""
        row = self.kinds[ALL]
        return all(m.exact and m.fresh_exact is not False for m in row.values() if m is not None)

    def to_dict(self) -> dict[str, Any]:
        def cell(m: Measure | None) -> Any:
            return MISSING if m is None else m.to_dict()

        kinds = {
            kind: {
                "n_files": self.n_files(kind),
                "tools": {t: cell(m) for t, m in row.items()},
                f"{MODEL}_to_{REFERENCE}": self.ratio_to_reference(kind),
                "files": [
                    {"name": f["name"], **{t: cell(m) for t, m in f["tools"].items()}}
                    for f in self.files.get(kind, [])
                ],
            }
            for kind, row in self.kinds.items()
        }
        return {**self.settings, "ok": self.ok, "kinds": kinds}


def bench_compress(
    kinds: dict[str, list[Path]],
    codecs: list[Codec],
    max_bytes: int | None = None,
    progress: Callable[[str, Path, str, Measure], None] | None = None,
    settings: dict[str, Any] | None = None,
) -> Report:
    """Every codec on every file (each on its own); per-kind and overall sums."""
    present = {c.name: c.available() for c in codecs}
    rows: dict[str, dict[str, Measure | None]] = {}
    files: dict[str, list[dict[str, Any]]] = {}
    for kind, paths in kinds.items():
        row: dict[str, Measure | None] = {
            c.name: Measure() if present[c.name] else None for c in codecs
        }
        for path in paths:
            data = read_input(path, max_bytes)
            per_file: dict[str, Measure | None] = {}
            for c in codecs:
                m = c.measure(data) if present[c.name] else None
                per_file[c.name] = m
                if m is not None:
                    row[c.name] = row[c.name] + m
                    if progress:
                        progress(kind, path, c.name, m)
            files.setdefault(kind, []).append({"name": str(path), "tools": per_file})
        rows[kind] = row
    total: dict[str, Measure | None] = {}
    for c in codecs:
        sums = [r[c.name] for r in rows.values()]
        total[c.name] = None if not present[c.name] else sum(sums, Measure())  # type: ignore[arg-type]
    rows[ALL] = total
    meta = {
        "tools": [c.name for c in codecs],
        "missing": [n for n, ok in present.items() if not ok],
    }
    return Report(rows, files, {**(settings or {}), **meta, "max_bytes": max_bytes})
