"""Lossless compression with the model: arithmetic coding driven by next-byte probabilities.

A good byte model is a good compressor: the coded size is the model's cross-entropy on the data.

Layout: the file is cut into independent chunks (``chunk`` bytes) and up to ``batch`` chunks run
through a predictor together, one byte column per step (``codec.predict``), so both directions
move at batch throughput; each chunk's first byte costs 8 bits. One arithmetic coder runs over all
coded bytes in (step, chunk) order, so there is no per-chunk flush. A chunk the model would expand
(random or already-compressed bytes) is stored raw.

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
import math
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from .codec import CODERS
from .codec import adapt as adaptation
from .codec.arith import FREQ_TOTAL, CorruptStream, Decoder, Encoder
from .codec.exact import MAX_WINDOW, ExactError, ExactLM
from .codec.predict import Adapted, ExactLockstep, FloatLockstep, Predictor, columns
from .errors import AetherError
from .segments import leb128

MAGIC = b"AETHERZ"
VERSION = 5  # 5: + coder, adaptation, kernel fingerprint; 4: + probe and block CRCs; 3: binary
READABLE = (3, 4, 5)
FLOAT_CHUNK, FLOAT_BATCH = 2048, 64
EXACT_BATCH = 256  # rows per lockstep step: the exact path's matmuls want many rows
EXACT_CHUNK = (4096, 1 << 16)  # the chunk is the file split over EXACT_BATCH rows, within these
EXACT_WINDOW = 128  # vs 256: 1.6x faster decoding at batch 256, +0.009 bits per byte (README)
BYTES_PER_PAYLOAD_BYTE = math.ceil(8 / -math.log2((FREQ_TOTAL - 255) / FREQ_TOTAL))
UNIFORM = np.arange(257, dtype=np.int64) * (FREQ_TOTAL // 256)  # a chunk's first byte: 8 bits
_HEAD = struct.Struct(">BHI")  # version, header length, header crc32
# header fields in order: unsigned LEB128 varints, then the weight fingerprint (8 raw bytes), the
# environment as one "device|dtype|torch" string, and the raw-chunk indices
_INT_FIELDS = ("n", "crc32", "chunk", "batch", "window", "threads", "payload")
_V5_FIELDS = ("coder", "adapt")  # then the kernel fingerprint (8 raw bytes)


class CompressError(AetherError):
    """A file that is not an Aether stream, is corrupt, or was made with another model."""


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
        if getattr(model.cfg, "arch", "flat") == "hierarchical":
            batch = 1  # the hierarchical model's cache decodes one row at a time
        else:
            batch = self.batch or (EXACT_BATCH if coder == "exact" else FLOAT_BATCH)
        chunk = self.chunk
        if chunk <= 0:
            lo, hi = EXACT_CHUNK if coder == "exact" else (FLOAT_CHUNK, FLOAT_CHUNK)
            chunk = min(hi, max(lo, -(-n // batch)))
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
            inner: FloatLockstep | ExactLockstep = ExactLockstep(
                self.lm, len(lengths), torch.get_num_threads()
            )
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
    enc = Encoder()
    raw: list[int] = []
    first: list[np.ndarray] = []
    blocks: list[int] = []
    done = 0
    for group in _batches(len(rows), settings.batch):
        sub = [rows[i] for i in group]
        ranges = _symbol_ranges(coding, sub, None if blocks else first)
        blocks.append(zlib.crc32(b"".join(r.tobytes() for r in sub)))
        coded = []
        for j, i in enumerate(group):
            n = len(rows[i])
            bits = float(np.log2(FREQ_TOTAL / (ranges[:n, j, 1] - ranges[:n, j, 0])).sum())
            if bits + 32 >= 8 * n:  # the model would not save anything: store it as it is
                raw.append(i)
            else:
                coded.append(j)
        lengths = np.array([len(r) for r in sub])
        live = np.arange(ranges.shape[0])[:, None] < lengths[coded]  # [steps, coded]: in (t, j)
        enc.encode_all(ranges[:, coded, 0][live].tolist(), ranges[:, coded, 1][live].tolist())
        done += int(lengths.sum())
        if progress:
            progress(done)
    payload = enc.finish()
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
        "probe": _probe(first[0] if first else None),
        "blocks": blocks,
        **_environment(model),
        "raw": raw,
        "payload": len(payload),
    }
    head = pack_header(header)
    raw_bytes = b"".join(rows[i].tobytes() for i in raw)
    return MAGIC + _HEAD.pack(VERSION, len(head), zlib.crc32(head)) + head + payload + raw_bytes


def pack_header(h: dict) -> bytes:
    """The header dict as compact bytes (see ``_INT_FIELDS``); ``unpack_header`` inverts it.
    Version 4 adds the probe fingerprint (8 bytes) and the block CRCs (a count, 4 bytes each);
    version 5 the coder, the adaptation flag and the kernel fingerprint (8 bytes)."""
    env = f"{h['device']}|{h['dtype']}|{h['torch']}".encode()
    return (b"".join(leb128(int(h[k])) for k in _INT_FIELDS) + bytes.fromhex(h["model"])
            + leb128(len(env)) + env + leb128(len(h["raw"]))
            + b"".join(leb128(i) for i in h["raw"])
            + bytes.fromhex(h["probe"]) + leb128(len(h["blocks"]))
            + b"".join(struct.pack(">I", c) for c in h["blocks"])
            + b"".join(leb128(int(h[k])) for k in _V5_FIELDS) + bytes.fromhex(h["kernel"]))  # fmt: skip


def unpack_header(head: bytes, version: int = VERSION) -> dict:
    """Inverse of ``pack_header``; ValueError on anything malformed (the caller words it)."""
    pos = 0

    def varint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            if pos >= len(head) or shift > 63:
                raise ValueError("bad varint")
            byte = head[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    def take(n: int) -> bytes:
        nonlocal pos
        if pos + n > len(head):
            raise ValueError("short field")
        pos += n
        return head[pos - n : pos]

    h: dict = {k: varint() for k in _INT_FIELDS}
    h["model"] = take(8).hex()
    parts = take(varint()).decode("ascii").split("|")
    if len(parts) != 3:
        raise ValueError("bad environment")
    h["device"], h["dtype"], h["torch"] = parts
    h["raw"] = [varint() for _ in range(varint())]
    if version >= 4:
        h["probe"] = take(8).hex()
        count = varint()
        if count > len(head):
            raise ValueError("bad block count")
        h["blocks"] = [struct.unpack(">I", take(4))[0] for _ in range(count)]
    if version >= 5:
        h.update({k: varint() for k in _V5_FIELDS})
        h["kernel"] = take(8).hex()
        if h["coder"] >= len(CODERS) or h["adapt"] > 1:
            raise ValueError("unknown coder")
    if pos != len(head):
        raise ValueError("trailing header bytes")
    return h


def read_header(blob: bytes) -> tuple[dict, bytes, bytes]:
    """(header, coded payload, raw chunk bytes); a one-line CompressError for anything off."""
    if not blob.startswith(MAGIC):
        raise CompressError("not an Aether compressed stream (bad magic)")
    start = len(MAGIC) + _HEAD.size
    if len(blob) < start:
        raise CompressError("truncated stream (header cut short)")
    version, size, crc = _HEAD.unpack(blob[len(MAGIC) : start])
    if version not in READABLE:
        raise CompressError(f"stream format version {version} is not supported (this is {VERSION})")
    head = blob[start : start + size]
    if len(head) < size:
        raise CompressError("truncated stream (header cut short)")
    if zlib.crc32(head) != crc:
        raise CompressError("corrupt header (checksum mismatch)")
    try:
        header = unpack_header(head, version)
    except (ValueError, UnicodeDecodeError, struct.error):
        raise CompressError("corrupt header") from None
    n, chunk, payload, raw = header["n"], header["chunk"], header["payload"], header["raw"]
    n_chunks = -(-n // chunk) if chunk > 0 else -1
    if chunk < 1 or n < 0 or any(not 0 <= i < n_chunks for i in raw):
        raise CompressError("corrupt header")
    if "blocks" in header and len(header["blocks"]) != -(
        -max(n_chunks, 0) // max(1, header["batch"])
    ):
        raise CompressError("corrupt header (block count)")
    raw_len = sum(min(chunk, n - i * chunk) for i in raw)
    # what the payload can hold: each model-coded chunk's first byte costs 8 bits, every other
    # byte at least -log2((FREQ_TOTAL - 255) / FREQ_TOTAL) bits (the likeliest byte's share)
    if n_chunks - len(set(raw)) > payload + 1 or n - raw_len > BYTES_PER_PAYLOAD_BYTE * (
        payload + 1
    ):
        raise CompressError("corrupt header (it claims more data than the stream holds)")
    body = blob[start + size :]
    if len(body) < payload + raw_len:
        raise CompressError(
            f"truncated stream: {len(body)} of {payload + raw_len} data bytes are present"
        )
    if len(body) > payload + raw_len:
        raise CompressError("corrupt stream: unexpected bytes after the data")
    return header, body[:payload], body[payload:]


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
            "this machine's lookup tables differ from the ones the stream was coded with "
            "(its libm rounds differently); nothing was written"
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
    lengths = [min(chunk, n - i) for i in range(0, n, chunk)]
    raw, off = {}, 0
    for i in header["raw"]:
        raw[i] = np.frombuffer(raw_bytes[off : off + lengths[i]], dtype=np.uint8)
        off += lengths[i]
    dec = Decoder(payload)
    out = np.zeros(n, dtype=np.uint8)
    threads = torch.get_num_threads()
    if coding.s.coder == "float":  # the same reduction order as coding
        torch.set_num_threads(int(header.get("threads", threads)))
    try:
        done = 0
        for b, group in enumerate(_batches(len(lengths), batch)):
            size = [lengths[i] for i in group]
            grid = np.zeros((len(group), max(size)), dtype=np.uint8)  # the group's rows, padded
            for j, i in enumerate(group):
                if i in raw:
                    grid[j, : size[j]] = raw[i]
            coded = [j for j, i in enumerate(group) if i not in raw]
            short = min(size)  # only the file's last chunk can be shorter than the others

            def next_column(t: int, cum: np.ndarray | None, grid: np.ndarray = grid,
                            coded: list[int] = coded, short: int = short,
                            size: list[int] = size, b: int = b) -> np.ndarray:  # fmt: skip
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
            coding.columns(rows, next_column)
            blocks = header.get("blocks")
            if blocks and zlib.crc32(b"".join(r.tobytes() for r in rows)) != blocks[b]:
                raise CompressError(_differs(header, f"block {b + 1} of {len(blocks)}"))
            for j, i in enumerate(group):
                out[i * chunk : i * chunk + lengths[i]] = rows[j]
            done += sum(lengths[i] for i in group)
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
