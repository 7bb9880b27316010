"""Lossless compression with the model: arithmetic coding driven by next-byte probabilities.

A good byte model is a good compressor: the coded size is the model's cross-entropy on the data.

Layout: the file is cut into independent chunks (``chunk`` bytes) and up to ``batch`` chunks run
through the model together, one byte column per step (``_Lockstep``), so both directions move at
batch throughput. Inside a chunk the context restarts every ``window`` bytes (the model's context)
primed with the previous byte, exactly as ``aether eval bpb`` walks text; each chunk's first byte
costs 8 bits. One arithmetic coder runs over all coded bytes in (step, chunk) order, so there is
no per-chunk flush. A chunk the model would expand (random or already-compressed bytes) is stored
raw.

Determinism: encoder and decoder run the very same ``_Lockstep`` steps (same batch, same inputs,
same positions) and quantize each distribution to integer frequencies (every byte >= 1), so they
see bit-identical probabilities. That holds on the same device type, weight dtype and thread count
(the decoder uses the recorded count); another device type, dtype or torch major version is
refused at once. Where the arithmetic could still differ (another CPU, BLAS or torch minor
version) the decoder finds out before it decodes a wrong byte: the header holds a fingerprint of
the first probabilities the model gives (computed from each chunk's first byte, which is coded
without the model), checked before anything else is decoded, and a CRC per block (one batch of
chunks), checked as each block is finished; either says so in one line and nothing is written.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from .errors import AetherError
from .segments import leb128

MAGIC = b"AETHERZ"
VERSION = 4  # 4: + probability fingerprint and block CRCs; 3: compact binary header
READABLE = (3, 4)
STATE_BITS = 32
FULL = (1 << STATE_BITS) - 1
HALF = 1 << (STATE_BITS - 1)
QUARTER = 1 << (STATE_BITS - 2)
FREQ_TOTAL = 1 << 16  # < QUARTER, as the coder requires
UNIFORM = np.arange(257, dtype=np.int64) * (FREQ_TOTAL // 256)  # a chunk's first byte: 8 bits
_HEAD = struct.Struct(">BHI")  # version, header length, header crc32
# header fields in order: unsigned LEB128 varints, then the weight fingerprint (8 raw bytes), the
# environment as one "device|dtype|torch" string, and the raw-chunk indices
_INT_FIELDS = ("n", "crc32", "chunk", "batch", "window", "threads", "payload")


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


def cum_freqs(logits: torch.Tensor) -> np.ndarray:
    """Logits [B, V] -> cumulative integer frequencies [B, 257] over the 256 byte values."""
    p = torch.softmax(logits[:, :256].double(), -1).cpu().numpy()
    f = np.floor(p * (FREQ_TOTAL - 256)).astype(np.int64) + 1
    cum = np.zeros((len(f), 257), dtype=np.int64)
    np.cumsum(f, axis=1, out=cum[:, 1:])
    return cum


class _Lockstep:
    """B rows of bytes through the model in lockstep, one column per step: the single code path
    that the encoder, the decoder and ``byte_costs`` share. When the context is full it slides:
    the last ``window // 2`` bytes are prefilled again at positions 0.., as ``aether eval bpb``
    slides its windows, so every byte after the first ``window`` keeps at least half a window of
    context."""

    def __init__(self, model: torch.nn.Module, batch: int, window: int) -> None:
        self.model = model
        device = next(model.parameters()).device
        self.cache = model.new_cache(batch, window)
        self.window = self.cache.max_len
        self.keep = max(1, self.window // 2)
        self.pos = 0
        self._positions = torch.arange(self.window, device=device)
        self._history = torch.zeros(batch, self.window, dtype=torch.long, device=device)

    def feed(self, column: np.ndarray) -> np.ndarray:
        """Append one byte per row; return the next-byte frequencies [B, 257]."""
        start = self.pos
        if self.pos == self.window:  # slide: keep the newest half of the context
            self._history[:, : self.keep - 1] = self._history[
                :, self.window - self.keep + 1 :
            ].clone()
            start, self.pos = 0, self.keep - 1
        self._history[:, self.pos] = torch.from_numpy(column.astype(np.int64))
        logits = self.model(
            self._history[:, start : self.pos + 1],
            input_pos=self._positions[start : self.pos + 1],
            cache=self.cache,
            last_only=True,
        )
        self.pos += 1
        return cum_freqs(logits[:, -1])


def _columns(model: torch.nn.Module, rows: list[np.ndarray], window: int,
             next_column: Callable[[int, np.ndarray | None], np.ndarray]) -> None:  # fmt: skip
    """Drive ``_Lockstep`` over ragged rows: ``next_column(t, cum)`` returns the bytes at step t
    (rows that have ended give 0) given the frequencies predicting them (None at t = 0)."""
    steps = max(len(r) for r in rows)
    lock = _Lockstep(model, len(rows), window)
    column = next_column(0, None)
    for t in range(1, steps):
        column = next_column(t, lock.feed(column))


class _Encoder:
    def __init__(self) -> None:
        self.low, self.high, self.pending = 0, FULL, 0
        self.bits: list[int] = []

    def _emit(self, bit: int) -> None:
        self.bits.append(bit)
        self.bits.extend([bit ^ 1] * self.pending)
        self.pending = 0

    def encode(self, lo: int, hi: int) -> None:
        """Narrow to the symbol whose cumulative frequencies are [lo, hi) of FREQ_TOTAL."""
        rng = self.high - self.low + 1
        self.high = self.low + rng * hi // FREQ_TOTAL - 1
        self.low = self.low + rng * lo // FREQ_TOTAL
        while True:
            if self.high < HALF:
                self._emit(0)
            elif self.low >= HALF:
                self._emit(1)
                self.low -= HALF
                self.high -= HALF
            elif self.low >= QUARTER and self.high < HALF + QUARTER:
                self.pending += 1
                self.low -= QUARTER
                self.high -= QUARTER
            else:
                break
            self.low, self.high = self.low * 2, self.high * 2 + 1

    def finish(self) -> bytes:
        if not self.bits and self.low == 0 and self.high == FULL:
            return b""  # nothing was coded
        self.pending += 1
        self._emit(0 if self.low < QUARTER else 1)
        return np.packbits(np.array(self.bits, dtype=np.uint8)).tobytes()


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
        self.pos = 0
        self.low, self.high, self.code = 0, FULL, 0
        for _ in range(STATE_BITS):
            self.code = self.code * 2 + self._bit()

    def _bit(self) -> int:
        b = int(self.bits[self.pos]) if self.pos < len(self.bits) else 0
        self.pos += 1
        return b

    def decode(self, cum: np.ndarray) -> int:
        rng = self.high - self.low + 1
        value = ((self.code - self.low + 1) * FREQ_TOTAL - 1) // rng
        sym = int(np.searchsorted(cum, value, side="right")) - 1
        if not 0 <= sym < 256:
            raise CompressError("checksum mismatch: the stream is corrupt (nothing was written)")
        self.high = self.low + rng * int(cum[sym + 1]) // FREQ_TOTAL - 1
        self.low = self.low + rng * int(cum[sym]) // FREQ_TOTAL
        while True:
            if self.high < HALF:
                pass
            elif self.low >= HALF:
                self.low -= HALF
                self.high -= HALF
                self.code -= HALF
            elif self.low >= QUARTER and self.high < HALF + QUARTER:
                self.low -= QUARTER
                self.high -= QUARTER
                self.code -= QUARTER
            else:
                break
            self.low, self.high = self.low * 2, self.high * 2 + 1
            self.code = self.code * 2 + self._bit()
        return sym


@dataclass(frozen=True)
class Settings:
    """How a stream was coded; decoding must reproduce all of it."""

    chunk: int = 2048
    batch: int = 64
    window: int = 0  # 0: the model's context length


def _split(data: bytes, chunk: int) -> list[np.ndarray]:
    return [np.frombuffer(data[i : i + chunk], dtype=np.uint8) for i in range(0, len(data), chunk)]


def _batches(n: int, batch: int) -> Iterator[range]:
    for start in range(0, n, batch):
        yield range(start, min(n, start + batch))


def _fit(model: torch.nn.Module, settings: Settings) -> Settings:
    """The hierarchical model's cache decodes one row at a time: batch 1 there."""
    if getattr(model.cfg, "arch", "flat") == "hierarchical":
        return Settings(settings.chunk, 1, settings.window)
    return settings


def _window(model: torch.nn.Module, window: int) -> int:
    limit = int(model.cfg.max_seq_len)
    return limit if window <= 0 else min(window, limit)


def _probe(cum: np.ndarray | None) -> str:
    """Fingerprint of the model's first frequency table of a stream (None: no such step)."""
    data = b"" if cum is None else np.ascontiguousarray(cum, dtype="<i8").tobytes()
    return hashlib.sha256(data).hexdigest()[:16]


def _symbol_ranges(
    model: torch.nn.Module, rows: list[np.ndarray], window: int, first: list | None = None
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

    _columns(model, rows, window, next_column)
    return out


@torch.inference_mode()
def byte_costs(
    model: torch.nn.Module,
    data: bytes,
    settings: Settings = Settings(),
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Bits the coder spends on each byte (its surprisal under the quantized model), [len(data)]."""
    settings = _fit(model, settings)
    rows = _split(data, settings.chunk)
    out = np.zeros(len(data), dtype=np.float64)
    done = 0
    for group in _batches(len(rows), settings.batch):
        sub = [rows[i] for i in group]
        ranges = _symbol_ranges(model, sub, _window(model, settings.window))
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
    if settings.chunk < 1 or settings.batch < 1:
        raise CompressError("chunk and batch must be >= 1")
    settings = _fit(model, settings)
    window = _window(model, settings.window)
    rows = _split(data, settings.chunk)
    enc = _Encoder()
    raw: list[int] = []
    first: list[np.ndarray] = []
    blocks: list[int] = []
    done = 0
    for group in _batches(len(rows), settings.batch):
        sub = [rows[i] for i in group]
        ranges = _symbol_ranges(model, sub, window, None if blocks else first)
        blocks.append(zlib.crc32(b"".join(r.tobytes() for r in sub)))
        coded = []
        for j, i in enumerate(group):
            n = len(rows[i])
            bits = float(np.log2(FREQ_TOTAL / (ranges[:n, j, 1] - ranges[:n, j, 0])).sum())
            if bits + 32 >= 8 * n:  # the model would not save anything: store it as it is
                raw.append(i)
            else:
                coded.append(j)
        lengths = [len(r) for r in sub]
        for t in range(ranges.shape[0]):
            for j in coded:
                if t < lengths[j]:
                    enc.encode(int(ranges[t, j, 0]), int(ranges[t, j, 1]))
        done += sum(lengths)
        if progress:
            progress(done)
    payload = enc.finish()
    header = {
        "n": len(data),
        "crc32": zlib.crc32(data),
        "chunk": settings.chunk,
        "batch": settings.batch,
        "window": window,
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
    Version 4 adds the probe fingerprint (8 bytes) and the block CRCs (a count, 4 bytes each)."""
    env = f"{h['device']}|{h['dtype']}|{h['torch']}".encode()
    return (b"".join(leb128(int(h[k])) for k in _INT_FIELDS) + bytes.fromhex(h["model"])
            + leb128(len(env)) + env + leb128(len(h["raw"]))
            + b"".join(leb128(i) for i in h["raw"])
            + bytes.fromhex(h["probe"]) + leb128(len(h["blocks"]))
            + b"".join(struct.pack(">I", c) for c in h["blocks"]))  # fmt: skip


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
    body = blob[start + size :]
    if len(body) < payload + raw_len:
        raise CompressError(
            f"truncated stream: {len(body)} of {payload + raw_len} data bytes are present"
        )
    if len(body) > payload + raw_len:
        raise CompressError("corrupt stream: unexpected bytes after the data")
    return header, body[:payload], body[payload:]


def check_environment(model: torch.nn.Module, header: dict) -> None:
    """Refuse where bit-identical probabilities cannot be promised (see the module docstring)."""
    if header["model"] != model_fingerprint(model):
        raise CompressError("stream was compressed with a different model (fingerprint mismatch)")
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
    check_environment(model, header)
    n, chunk, batch = int(header["n"]), int(header["chunk"]), int(header["batch"])
    lengths = [min(chunk, n - i) for i in range(0, n, chunk)]
    raw, off = {}, 0
    for i in header["raw"]:
        raw[i] = np.frombuffer(raw_bytes[off : off + lengths[i]], dtype=np.uint8)
        off += lengths[i]
    dec = _Decoder(payload)
    out = np.zeros(n, dtype=np.uint8)
    threads = torch.get_num_threads()
    torch.set_num_threads(int(header.get("threads", threads)))  # same reduction order as coding
    try:
        done = 0
        for b, group in enumerate(_batches(len(lengths), batch)):
            rows = [np.zeros(lengths[i], dtype=np.uint8) for i in group]

            def next_column(t: int, cum: np.ndarray | None, group: range = group,
                            rows: list[np.ndarray] = rows, b: int = b) -> np.ndarray:  # fmt: skip
                if t == 1 and b == 0 and "probe" in header and _probe(cum) != header["probe"]:
                    raise CompressError(_differs(header, "its first probabilities"))
                column = np.zeros(len(group), dtype=np.uint8)
                for j, i in enumerate(group):
                    if t >= lengths[i]:
                        continue
                    if i in raw:
                        rows[j][t] = raw[i][t]
                    else:
                        rows[j][t] = dec.decode(UNIFORM if cum is None else cum[j])
                    column[j] = rows[j][t]
                return column

            _columns(model, rows, int(header["window"]), next_column)
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
