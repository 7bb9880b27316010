"""Lossless compression with the model: arithmetic coding driven by next-byte probabilities.

A good byte model is a good compressor: the coded size is the model's cross-entropy on the data.

Layout: the file is cut into independent chunks (``chunk`` bytes) and up to ``batch`` chunks, a
block, run through a predictor together, one byte column per step (``codec.predict``), so both
directions move at batch throughput; each chunk's first byte costs 8 bits. Each block has its own
arithmetic coder over its coded bytes in (step, chunk) order (no per-chunk flush) and its own
adaptation, so blocks are independent: with the exact coder they are coded and decoded on
several processes at once (``--threads``), with the same bits. A chunk the model would expand
(random or already-compressed bytes) is stored raw. The container is ``codec.container``.

Determinism: encoder and decoder run the very same predictor steps (same batch, same inputs,
same positions) and quantize each distribution to integer frequencies (every byte >= 1). The
exact coder (``codec.exact``, with or without ``codec.adapt``) computes them in integer
arithmetic, the same on every machine; the header fingerprints its lookup tables and a decoder
whose tables differ refuses. The float coder (any checkpoint) is bit-identical only on the same
device type, weight dtype and thread count (the decoder uses the recorded count); another device
type, dtype or torch major version is refused at once. For both, the decoder finds out before it
decodes a wrong byte: the header holds a fingerprint of the first probabilities the model gives
(computed from each chunk's first byte, which is coded without the model), checked before
anything else is decoded, and a CRC per block (one batch of chunks), checked as each block is
finished; either says so in one line and nothing is written.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import torch

from .codec import CODERS
from .codec import adapt as adaptation
from .codec.arith import FREQ_TOTAL, CorruptStream, Decoder, Encoder
from .codec.container import CompressError, read_header, stream
from .codec.exact import MAX_WINDOW, ExactError, ExactLM
from .codec.predict import Adapted, ExactLockstep, FloatLockstep, Predictor, columns

__all__ = ["CompressError", "Settings", "byte_costs", "compress", "decompress", "read_header"]

FLOAT_CHUNK, FLOAT_BATCH = 2048, 64
# rows per block: enough for the exact path's matmuls to run near full speed on one core, few
# enough that a 1 MiB file makes two blocks for two processes
EXACT_BATCH = 128
EXACT_MIN_BATCH = 32  # a file of at most this many chunks stays one block
EXACT_ROWS = 2 * EXACT_BATCH  # the file is spread over this many chunks: two blocks
EXACT_CHUNK = (4096, 1 << 16)  # ... of a size within these
EXACT_WINDOW = 64  # vs 128: faster attention for a little ratio (README, Benchmarks)
UNIFORM = np.arange(257, dtype=np.int64) * (FREQ_TOTAL // 256)  # a chunk's first byte: 8 bits


def model_fingerprint(model: torch.nn.Module) -> str:
    """A hash of the weights, so a stream is only ever decoded by the model that made it."""
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.detach().float().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Settings:
    """How a stream is coded; decoding reproduces all of it. Zero/None fields are chosen from
    the model and the file (``resolve``)."""

    chunk: int = 0  # bytes per independent chunk
    batch: int = 0  # chunks run through the model at once
    window: int = 0  # the model's context length
    coder: str = "auto"  # "exact" where the model allows it, else "float"
    adapt: bool | None = None  # mix in the file's own statistics (default: with the exact coder)

    def resolve(self, model: torch.nn.Module, n: int) -> Settings:
        coder = self.coder
        if coder == "auto":
            coder = "exact" if exact_capable(model) else "float"
        if coder not in CODERS:
            raise CompressError(f"unknown coder {coder!r} (choose from {', '.join(CODERS)})")
        if coder == "exact":
            try:
                ExactLM.check(model.cfg)
            except ExactError as e:
                raise CompressError(f"the exact coder cannot run this model: {e}") from None
        chunk = self.chunk
        if chunk <= 0 and coder == "exact":
            chunk = min(EXACT_CHUNK[1], max(EXACT_CHUNK[0], -(-n // EXACT_ROWS)))
        elif chunk <= 0:
            chunk = FLOAT_CHUNK
        if getattr(model.cfg, "arch", "flat") == "hierarchical":
            batch = 1  # the hierarchical model's cache decodes one row at a time
        elif self.batch:
            batch = self.batch
        elif coder == "exact":  # blocks of half the chunks, within EXACT_MIN_BATCH..EXACT_BATCH
            batch = min(EXACT_BATCH, max(EXACT_MIN_BATCH, -(-n // chunk // 2)))
        else:
            batch = FLOAT_BATCH
        limit = int(model.cfg.max_seq_len)
        if coder == "exact":
            limit = min(limit, MAX_WINDOW)
        default = EXACT_WINDOW if coder == "exact" else limit
        window = min(self.window if self.window > 0 else default, limit)
        adapt = (coder == "exact") if self.adapt is None else self.adapt
        return Settings(chunk, batch, window, coder, adapt)


def exact_capable(model: torch.nn.Module) -> bool:
    try:
        ExactLM.check(model.cfg)
    except ExactError:
        return False
    return True


class _Coding:
    """The predictors one stream's chunks run through, built once per stream."""

    def __init__(self, model: torch.nn.Module, s: Settings, n: int) -> None:
        self.model, self.s = model, s
        longest = min(s.chunk, max(n, 1))  # RoPE rows for the longest chunk, not a header's claim
        self.lm = ExactLM(model, s.window, longest + 1) if s.coder == "exact" else None

    def predictor(self, lengths: list[int]) -> Predictor:
        if self.lm is not None:
            inner: FloatLockstep | ExactLockstep = ExactLockstep(self.lm, len(lengths))
        else:
            inner = FloatLockstep(self.model, len(lengths), self.s.window)
        return Adapted(inner, lengths) if self.s.adapt else inner

    def kernel(self) -> str:
        """Fingerprint of the fixed tables the decoder must reproduce."""
        h = hashlib.sha256(self.lm.fingerprint().encode() if self.lm else b"")
        h.update(adaptation.table_bytes() if self.s.adapt else b"")
        return h.hexdigest()[:16]

    def columns(self, rows: list[np.ndarray],
                next_column: Callable[[int, np.ndarray | None], np.ndarray]) -> None:  # fmt: skip
        lengths = [len(r) for r in rows]
        columns(self.predictor(lengths), max(lengths), next_column)


def _split(data: bytes, chunk: int) -> list[np.ndarray]:
    return [np.frombuffer(data[i : i + chunk], dtype=np.uint8) for i in range(0, len(data), chunk)]


def _batches(n: int, batch: int) -> Iterator[range]:
    for start in range(0, n, batch):
        yield range(start, min(n, start + batch))


def _probe(cum: np.ndarray | None) -> str:
    """Fingerprint of the model's first frequency table of a stream (None: no such step)."""
    data = b"" if cum is None else np.ascontiguousarray(cum, dtype="<i8").tobytes()
    return hashlib.sha256(data).hexdigest()[:16]


def _symbol_ranges(
    coding: _Coding, rows: list[np.ndarray], first: list | None = None
) -> np.ndarray:
    """[steps, B, 2] cumulative-frequency range of each actual byte (zeros past a row's end);
    ``first`` receives the first model-made frequency table."""
    steps = max(len(r) for r in rows)
    padded = np.zeros((len(rows), steps), dtype=np.uint8)
    for i, r in enumerate(rows):
        padded[i, : len(r)] = r
    out = np.zeros((steps, len(rows), 2), dtype=np.int64)
    idx = np.arange(len(rows))

    def next_column(t: int, cum: np.ndarray | None) -> np.ndarray:
        sym = padded[:, t].astype(np.int64)
        table = np.broadcast_to(UNIFORM, (len(rows), 257)) if cum is None else cum
        if t == 1 and first is not None:
            first.append(cum.copy())
        out[t, :, 0], out[t, :, 1] = table[idx, sym], table[idx, sym + 1]
        return padded[:, t]

    coding.columns(rows, next_column)
    return out


@torch.inference_mode()
def byte_costs(
    model: torch.nn.Module,
    data: bytes,
    settings: Settings = Settings(),
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Bits the coder spends on each byte (its surprisal under the quantized model), [len(data)]."""
    settings = settings.resolve(model, len(data))
    coding = _Coding(model, settings, len(data))
    rows = _split(data, settings.chunk)
    out = np.zeros(len(data), dtype=np.float64)
    done = 0
    for group in _batches(len(rows), settings.batch):
        sub = [rows[i] for i in group]
        ranges = _symbol_ranges(coding, sub)
        for j, i in enumerate(group):
            n = len(rows[i])
            width = ranges[:n, j, 1] - ranges[:n, j, 0]
            out[i * settings.chunk : i * settings.chunk + n] = np.log2(FREQ_TOTAL / width)
            done += n
        if progress:
            progress(done)
    return out


def _environment(model: torch.nn.Module) -> dict[str, object]:
    p = next(model.parameters())
    return {
        "device": p.device.type,
        "dtype": str(p.dtype).removeprefix("torch."),
        "torch": torch.__version__.split("+")[0],
        "threads": torch.get_num_threads(),
    }


@dataclass
class _Job:
    """One stream's blocks, as the processes that code or decode them see it."""

    coding: _Coding
    rows: list[np.ndarray]  # the chunks (decoding: views of the output, for their lengths)
    groups: list[range]  # the chunks of each block
    header: dict = field(default_factory=dict)  # decoding: the stream's header
    payloads: list[bytes] = field(default_factory=list)  # decoding: each block's coded bytes
    raw: dict[int, np.ndarray] = field(default_factory=dict)  # decoding: chunks stored raw
    shared: Decoder | None = None  # decoding a version <= 5 stream: one coder for every block


@dataclass
class _Coded:
    """A block, coded."""

    payload: bytes
    raw: list[int]  # the chunks (stream-wide indices) stored raw
    crc: int
    probe: str | None  # the fingerprint of the block's first model-made table


T = TypeVar("T")
_FORKED: tuple[Callable[[_Job, int], object], _Job] | None = None  # what forked workers run


def _run_forked(b: int) -> object:
    assert _FORKED is not None
    work, job = _FORKED
    return work(job, b)


def _one_thread() -> None:
    torch.set_num_threads(1)  # a process per block: its own matmuls on its own core


def _each_block(work: Callable[[_Job, int], T], job: _Job, workers: int) -> Iterator[T]:
    """``work(job, b)`` for every block b, in order: on ``workers`` forked processes where there
    are several blocks and the platform forks, else here. The workers inherit the job (the
    model included) instead of receiving it pickled."""
    global _FORKED
    n = len(job.groups)
    if workers < 2 or n < 2 or "fork" not in multiprocessing.get_all_start_methods():
        for b in range(n):
            yield work(job, b)
        return
    _FORKED = (work, job)
    try:
        with multiprocessing.get_context("fork").Pool(min(workers, n), _one_thread) as pool:
            yield from pool.imap(_run_forked, range(n))
    finally:
        _FORKED = None


def _workers(coding: _Coding) -> int:
    """Processes for the blocks: the torch thread count asked for, with the exact coder (its
    result is the same on any; the float coder's depends on the thread count, so it stays
    here)."""
    return torch.get_num_threads() if coding.lm is not None else 1


def _encode_block(job: _Job, b: int) -> _Coded:
    sub = [job.rows[i] for i in job.groups[b]]
    first: list[np.ndarray] = []
    ranges = _symbol_ranges(job.coding, sub, first if b == 0 else None)
    raw, coded = [], []
    for j, i in enumerate(job.groups[b]):
        n = len(sub[j])
        bits = float(np.log2(FREQ_TOTAL / (ranges[:n, j, 1] - ranges[:n, j, 0])).sum())
        if bits + 32 >= 8 * n:  # the model would not save anything: store it as it is
            raw.append(i)
        else:
            coded.append(j)
    lengths = np.array([len(r) for r in sub])
    live = np.arange(ranges.shape[0])[:, None] < lengths[coded]  # [steps, coded]: in (t, j)
    enc = Encoder()
    enc.encode_all(ranges[:, coded, 0][live].tolist(), ranges[:, coded, 1][live].tolist())
    crc = zlib.crc32(b"".join(r.tobytes() for r in sub))
    return _Coded(enc.finish(), raw, crc, _probe(first[0] if first else None) if b == 0 else None)


@torch.inference_mode()
def compress(
    model: torch.nn.Module,
    data: bytes,
    settings: Settings = Settings(),
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """The whole container: magic, version, header (binary, CRC-checked), coded bytes, raw chunks."""
    if settings.chunk < 0 or settings.batch < 0:
        raise CompressError("chunk and batch must be >= 1")
    settings = settings.resolve(model, len(data))
    coding = _Coding(model, settings, len(data))
    rows = _split(data, settings.chunk)
    job = _Job(coding, rows, list(_batches(len(rows), settings.batch)))
    blocks: list[_Coded] = []
    done = 0
    for b, block in enumerate(_each_block(_encode_block, job, _workers(coding))):
        blocks.append(block)
        done += sum(len(rows[i]) for i in job.groups[b])
        if progress:
            progress(done)
    raw = [i for block in blocks for i in block.raw]
    header = {
        "n": len(data),
        "crc32": zlib.crc32(data),
        "chunk": settings.chunk,
        "batch": settings.batch,
        "window": settings.window,
        "coder": CODERS.index(settings.coder),
        "adapt": int(settings.adapt),
        "kernel": coding.kernel(),
        "model": model_fingerprint(model),
        "probe": blocks[0].probe if blocks else _probe(None),
        "blocks": [block.crc for block in blocks],
        "sizes": [len(block.payload) for block in blocks],
        **_environment(model),
        "raw": raw,
        "payload": sum(len(block.payload) for block in blocks),
    }
    payload = b"".join(block.payload for block in blocks)
    return stream(header) + payload + b"".join(rows[i].tobytes() for i in raw)


def stream_settings(header: dict) -> Settings:
    """The settings a stream was coded with (versions before 5: float coder, no adaptation)."""
    return Settings(int(header["chunk"]), int(header["batch"]), int(header["window"]),
                    CODERS[header.get("coder", 0)], bool(header.get("adapt", 0)))  # fmt: skip


def check_environment(model: torch.nn.Module, header: dict, coding: _Coding) -> None:
    """Refuse where bit-identical probabilities cannot be promised (see the module docstring)."""
    if header["model"] != model_fingerprint(model):
        raise CompressError("stream was compressed with a different model (fingerprint mismatch)")
    if "kernel" in header and header["kernel"] != coding.kernel():
        raise CompressError(
            "this machine's lookup tables differ from the ones the stream was coded with (its "
            "libm rounds differently, or another Aether version's kernel coded it); nothing "
            "was written"
        )
    if coding.s.coder == "exact":
        return  # integer arithmetic: any device count, thread count, CPU or torch build
    here = _environment(model)
    for key in ("device", "dtype", "torch"):
        theirs, ours = str(header.get(key, here[key])), str(here[key])
        if key == "torch" and "probe" in header:
            # version 4's probe and block CRCs check a minor update instead of refusing it
            theirs, ours = theirs.split(".")[0], ours.split(".")[0]
        if theirs != ours:
            raise CompressError(
                f"stream was coded with {key} {header[key]}, this run uses {here[key]}: decoding "
                f"needs the same device type, dtype and torch version (major version, for "
                f"streams with block checks) for identical probabilities"
            )


def _decode_block(job: _Job, b: int) -> list[np.ndarray]:
    """Block b's chunks, decoded and checked against the block's CRC."""
    group, header = job.groups[b], job.header
    dec = job.shared or Decoder(job.payloads[b])
    size = [len(job.rows[i]) for i in group]
    grid = np.zeros((len(group), max(size)), dtype=np.uint8)  # the block's chunks, padded
    for j, i in enumerate(group):
        if i in job.raw:
            grid[j, : size[j]] = job.raw[i]
    coded = [j for j, i in enumerate(group) if i not in job.raw]
    short = min(size)  # only the file's last chunk can be shorter than the others

    def next_column(t: int, cum: np.ndarray | None) -> np.ndarray:
        if t == 1 and b == 0 and "probe" in header and _probe(cum) != header["probe"]:
            raise CompressError(_differs(header, "its first probabilities"))
        column = grid[:, t]
        try:
            for j in coded if t < short else [j for j in coded if t < size[j]]:
                column[j] = dec.decode(UNIFORM if cum is None else cum[j])
        except CorruptStream as e:
            raise CompressError(str(e)) from None
        return column.copy()

    rows = [grid[j, :n] for j, n in enumerate(size)]
    job.coding.columns(rows, next_column)
    blocks = header.get("blocks")
    if blocks and zlib.crc32(b"".join(r.tobytes() for r in rows)) != blocks[b]:
        raise CompressError(_differs(header, f"block {b + 1} of {len(blocks)}"))
    return rows


@torch.inference_mode()
def decompress(
    model: torch.nn.Module, blob: bytes, progress: Callable[[int], None] | None = None
) -> bytes:
    header, payload, raw_bytes = read_header(blob)
    try:
        coding = _Coding(model, stream_settings(header), int(header["n"]))
    except ExactError as e:
        raise CompressError(f"this model cannot decode the stream: {e}") from None
    check_environment(model, header, coding)
    n, chunk, batch = int(header["n"]), int(header["chunk"]), int(header["batch"])
    out = np.zeros(n, dtype=np.uint8)
    rows = [out[i : i + chunk] for i in range(0, n, chunk)]  # each block's chunks land here
    job = _Job(coding, rows, list(_batches(len(rows), batch)), header)
    off = 0
    for i in header["raw"]:
        job.raw[i] = np.frombuffer(raw_bytes[off : off + len(rows[i])], dtype=np.uint8)
        off += len(rows[i])
    if "sizes" in header:  # version 6: a coder per block
        ends = np.cumsum([0, *header["sizes"]])
        job.payloads = [payload[ends[b] : ends[b + 1]] for b in range(len(job.groups))]
    else:  # one coder runs through every block, in order
        job.shared = Decoder(payload)
    threads = torch.get_num_threads()
    if coding.s.coder == "float":  # the same reduction order as coding
        torch.set_num_threads(int(header.get("threads", threads)))
    try:
        workers = _workers(coding) if job.shared is None else 1
        done = 0
        for b, decoded in enumerate(_each_block(_decode_block, job, workers)):
            for i, row in zip(job.groups[b], decoded, strict=True):
                rows[i][:] = row
                done += len(row)
            if progress:
                progress(done)
    finally:
        torch.set_num_threads(threads)
    result = out.tobytes()
    if zlib.crc32(result) != header["crc32"]:
        raise CompressError("checksum mismatch: the stream is corrupt (nothing was written)")
    return result


def _differs(header: dict, where: str) -> str:
    return (
        f"decoding went wrong at {where}: the stream is corrupt, or this machine's arithmetic "
        f"differs from the one that coded it ({header['device']}, torch {header['torch']}, "
        f"{header['threads']} threads); nothing was written"
    )
