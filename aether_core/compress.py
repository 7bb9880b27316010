"""Lossless compression with the model: arithmetic coding driven by next-byte probabilities.

A good byte model is a good compressor: the coded size is the model's cross-entropy on the data.
Encoder and decoder run the very same cached decode steps, so both see bit-identical
probabilities (quantized to integer frequencies, every byte at least 1). The file records a hash
of the model, so decoding with another model is a clear error, not garbage.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .errors import AetherError
from .sampling import DecodeSession
from .vocab import Tok

MAGIC = b"AETHERZ\x01"
STATE_BITS = 32
FULL = (1 << STATE_BITS) - 1
HALF = 1 << (STATE_BITS - 1)
QUARTER = 1 << (STATE_BITS - 2)
FREQ_TOTAL = 1 << 16  # < QUARTER, as the coder requires


class CompressError(AetherError):
    """A file that is not an Aether stream, is corrupt, or was made with another model."""


def model_fingerprint(model: torch.nn.Module) -> str:
    """A short hash of the weights, so a stream is only ever decoded by the model that made it."""
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().float().cpu().numpy().tobytes()[:4096])
        h.update(str(tuple(t.shape)).encode())
    return h.hexdigest()[:16]


def _freqs(logits: torch.Tensor) -> np.ndarray:
    """Cumulative integer frequencies [257] over the 256 byte values."""
    p = torch.softmax(logits[:256].double(), -1).cpu().numpy()
    f = np.floor(p * (FREQ_TOTAL - 256)).astype(np.int64) + 1
    return np.concatenate([[0], np.cumsum(f)])


class _Encoder:
    def __init__(self) -> None:
        self.low, self.high, self.pending = 0, FULL, 0
        self.bits: list[int] = []

    def _emit(self, bit: int) -> None:
        self.bits.append(bit)
        self.bits.extend([bit ^ 1] * self.pending)
        self.pending = 0

    def encode(self, cum: np.ndarray, sym: int) -> None:
        rng = self.high - self.low + 1
        total = int(cum[-1])
        self.high = self.low + rng * int(cum[sym + 1]) // total - 1
        self.low = self.low + rng * int(cum[sym]) // total
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
        total = int(cum[-1])
        value = ((self.code - self.low + 1) * total - 1) // rng
        sym = int(np.searchsorted(cum, value, side="right")) - 1
        self.high = self.low + rng * int(cum[sym + 1]) // total - 1
        self.low = self.low + rng * int(cum[sym]) // total
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


@dataclass
class CompressStats:
    original: int
    compressed: int

    @property
    def bits_per_byte(self) -> float:
        return 8 * self.compressed / max(1, self.original)


@torch.inference_mode()
def compress(
    model: torch.nn.Module,
    data: bytes,
    chunk: int = 1024,
    progress: Callable[[int], None] | None = None,
) -> bytes:
    chunk = max(1, min(chunk, model.cfg.max_seq_len - 2))
    session = DecodeSession(model, chunk + 2)
    enc = _Encoder()
    for start in range(0, len(data), chunk):
        session.reset()
        logits = session.feed([int(Tok.BOS)])
        for b in data[start : start + chunk]:
            enc.encode(_freqs(logits), b)
            logits = session.step(b)
        if progress:
            progress(min(len(data), start + chunk))
    header = json.dumps(
        {
            "n": len(data),
            "crc32": zlib.crc32(data),
            "chunk": chunk,
            "model": model_fingerprint(model),
        }
    ).encode()
    return MAGIC + struct.pack(">I", len(header)) + header + enc.finish()


def read_header(blob: bytes) -> tuple[dict, bytes]:
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 4:
        raise CompressError("not an Aether compressed stream (bad magic)")
    (n,) = struct.unpack(">I", blob[len(MAGIC) : len(MAGIC) + 4])
    start = len(MAGIC) + 4
    try:
        header = json.loads(blob[start : start + n])
        int(header["n"]), int(header["chunk"]), str(header["model"])
    except (ValueError, KeyError, TypeError):
        raise CompressError("corrupt header") from None
    return header, blob[start + n :]


@torch.inference_mode()
def decompress(
    model: torch.nn.Module, blob: bytes, progress: Callable[[int], None] | None = None
) -> bytes:
    header, payload = read_header(blob)
    if header["model"] != model_fingerprint(model):
        raise CompressError("stream was compressed with a different model (fingerprint mismatch)")
    n, chunk = int(header["n"]), int(header["chunk"])
    session = DecodeSession(model, chunk + 2)
    dec = _Decoder(payload)
    out = bytearray()
    while len(out) < n:
        session.reset()
        logits = session.feed([int(Tok.BOS)])
        for _ in range(min(chunk, n - len(out))):
            b = dec.decode(_freqs(logits))
            out.append(b)
            logits = session.step(b)
        if progress:
            progress(len(out))
    if zlib.crc32(bytes(out)) != header["crc32"]:
        raise CompressError("checksum mismatch: the stream is corrupt")
    return bytes(out)
