"""The binary arithmetic coder (32-bit state, integer frequencies summing to ``FREQ_TOTAL``)."""

from __future__ import annotations

import numpy as np

from ..errors import AetherError

STATE_BITS = 32
FULL = (1 << STATE_BITS) - 1
HALF = 1 << (STATE_BITS - 1)
QUARTER = 1 << (STATE_BITS - 2)
FREQ_TOTAL = 1 << 16  # < QUARTER, as the coder requires


class CorruptStream(AetherError):
    """The decoder met a value no symbol can produce."""


class Encoder:
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


class Decoder:
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
            raise CorruptStream("checksum mismatch: the stream is corrupt (nothing was written)")
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
