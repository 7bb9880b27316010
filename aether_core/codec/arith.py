"""The binary arithmetic coder (32-bit state, integer frequencies summing to ``FREQ_TOTAL``)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..errors import AetherError

STATE_BITS = 32
FULL = (1 << STATE_BITS) - 1
HALF = 1 << (STATE_BITS - 1)
QUARTER = 1 << (STATE_BITS - 2)
FREQ_BITS = 16
FREQ_TOTAL = 1 << FREQ_BITS  # < QUARTER, as the coder requires


class CorruptStream(AetherError):
    """The decoder met a value no symbol can produce."""


class Encoder:
    def __init__(self) -> None:
        self.low, self.high, self.pending = 0, FULL, 0
        self.bits = bytearray()  # one byte (0 or 1) per output bit

    def encode_all(self, los: Iterable[int], his: Iterable[int]) -> None:
        """Narrow to each symbol in turn, whose cumulative frequencies are [lo, hi) of
        FREQ_TOTAL (one call per block: the state stays in local variables)."""
        low, high, pending, bits = self.low, self.high, self.pending, self.bits
        for lo, hi in zip(los, his, strict=True):
            rng = high - low + 1
            high = low + ((rng * hi) >> FREQ_BITS) - 1
            low = low + ((rng * lo) >> FREQ_BITS)
            while True:
                if high < HALF:
                    bits.append(0)
                    if pending:
                        bits.extend(b"\x01" * pending)
                        pending = 0
                elif low >= HALF:
                    bits.append(1)
                    if pending:
                        bits.extend(bytes(pending))
                        pending = 0
                    low -= HALF
                    high -= HALF
                elif low >= QUARTER and high < HALF + QUARTER:
                    pending += 1
                    low -= QUARTER
                    high -= QUARTER
                else:
                    break
                low, high = low << 1, (high << 1) | 1
        self.low, self.high, self.pending = low, high, pending

    def finish(self) -> bytes:
        if not self.bits and self.low == 0 and self.high == FULL:
            return b""  # nothing was coded
        self.bits.append(0 if self.low < QUARTER else 1)
        self.bits.extend((b"\x01" if self.low < QUARTER else b"\x00") * (self.pending + 1))
        return np.packbits(np.frombuffer(bytes(self.bits), dtype=np.uint8)).tobytes()


class Decoder:
    def __init__(self, data: bytes) -> None:
        self.bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8)).tobytes()
        self.pos = 0
        self.low, self.high, self.code = 0, FULL, 0
        for _ in range(STATE_BITS):
            self.code = self.code * 2 + self._bit()

    def _bit(self) -> int:
        b = self.bits[self.pos] if self.pos < len(self.bits) else 0
        self.pos += 1
        return b

    def decode(self, cum: np.ndarray) -> int:
        """The next symbol, given the cumulative frequencies [257] it was coded with."""
        low, high, code = self.low, self.high, self.code
        rng = high - low + 1
        value = (((code - low + 1) << FREQ_BITS) - 1) // rng
        sym = int(cum.searchsorted(value, side="right")) - 1
        if not 0 <= sym < 256:
            raise CorruptStream("checksum mismatch: the stream is corrupt (nothing was written)")
        lo, hi = cum[sym : sym + 2].tolist()
        high = low + ((rng * hi) >> FREQ_BITS) - 1
        low = low + ((rng * lo) >> FREQ_BITS)
        bits, pos, end = self.bits, self.pos, len(self.bits)
        while True:
            if high < HALF:
                pass
            elif low >= HALF:
                low -= HALF
                high -= HALF
                code -= HALF
            elif low >= QUARTER and high < HALF + QUARTER:
                low -= QUARTER
                high -= QUARTER
                code -= QUARTER
            else:
                break
            low, high = low << 1, (high << 1) | 1
            code = (code << 1) | (bits[pos] if pos < end else 0)
            pos += 1
        self.low, self.high, self.code, self.pos = low, high, code, pos
        return sym
