"""What drives the coder: B rows of bytes through a model in lockstep, one column per step, giving
each row's next-byte frequencies. The encoder, the decoder and ``byte_costs`` share these classes,
so both directions compute the very same numbers.

- ``FloatLockstep``: any checkpoint, float arithmetic (identical on the same device type, dtype
  and thread count only).
- ``ExactLockstep``: ``ExactLM``'s integer arithmetic, identical on every machine.
- ``Adapted`` wraps either with ``Adapter``: the file's own statistics mixed in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import torch

from .adapt import ONE, Adapter
from .arith import FREQ_TOTAL
from .exact import ExactLM


class Predictor(Protocol):
    def feed(self, column: np.ndarray) -> np.ndarray:
        """Append one byte per row; return next-byte frequencies, cumulative [B, 257]."""
        ...


def cumulative(freqs: np.ndarray) -> np.ndarray:
    cum = np.zeros((len(freqs), 257), dtype=np.int64)
    np.cumsum(freqs, axis=1, out=cum[:, 1:])
    return cum


def cum_freqs(logits: torch.Tensor) -> np.ndarray:
    """Logits [B, V] -> cumulative integer frequencies [B, 257] over the 256 byte values."""
    p = torch.softmax(logits[:, :256].double(), -1).cpu().numpy()
    return cumulative(np.floor(p * (FREQ_TOTAL - 256)).astype(np.int64) + 1)


def cum_weights(weights: np.ndarray) -> np.ndarray:
    """Non-negative integer weights [B, 256] (any dtype) -> cumulative frequencies, every byte
    >= 1. The sums are of integers (exact in any order) and the rest is single IEEE operations
    per element, so every machine gets the same table."""
    w = np.asarray(weights, dtype=np.float64)
    scale = (FREQ_TOTAL - 256) / np.maximum(w.sum(1, keepdims=True), 1)
    return cumulative(np.floor(w * scale).astype(np.int64) + 1)


class FloatLockstep:
    """The model's own float forward with its KV cache. When the context is full it slides: the
    last ``window // 2`` bytes are prefilled again at positions 0.., as ``aether eval bpb`` slides
    its windows, so every byte after the first ``window`` keeps at least half a window of
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

    def logits(self, column: np.ndarray) -> torch.Tensor:
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
        return logits[:, -1]

    def weights(self, column: np.ndarray) -> np.ndarray:
        p = torch.softmax(self.logits(column)[:, :256].double(), -1).cpu().numpy()
        return np.floor(p * ONE).astype(np.int64)

    def feed(self, column: np.ndarray) -> np.ndarray:
        return cum_freqs(self.logits(column))


class ExactLockstep:
    def __init__(self, lm: ExactLM, batch: int) -> None:
        self.lm, self.state = lm, lm.new_state(batch)

    def weights(self, column: np.ndarray) -> np.ndarray:
        return self.lm.step(self.state, column)

    def feed(self, column: np.ndarray) -> np.ndarray:
        return cum_weights(self.weights(column))


class Adapted:
    """A lockstep predictor's weights mixed with what the file taught so far."""

    def __init__(self, inner: FloatLockstep | ExactLockstep, lengths: list[int]) -> None:
        self.inner = inner
        self.lengths = np.asarray(lengths)
        self.adapter = Adapter(len(lengths), int(self.lengths.max()))
        self.t = 0

    def feed(self, column: np.ndarray) -> np.ndarray:
        self.adapter.observe(column, self.t < self.lengths)
        self.t += 1
        return cum_weights(self.adapter.mix(self.inner.weights(column)))


def columns(predictor: Predictor, steps: int,
            next_column: Callable[[int, np.ndarray | None], np.ndarray]) -> None:  # fmt: skip
    """Drive ``predictor`` over ``steps`` columns: ``next_column(t, cum)`` returns the bytes at
    step t (rows that have ended give 0) given the frequencies predicting them (None at t = 0)."""
    column = next_column(0, None)
    for t in range(1, steps):
        column = next_column(t, predictor.feed(column))
