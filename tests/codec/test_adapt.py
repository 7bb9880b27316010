"""The adaptation stage on its own: it learns repeats, its learned map never overshoots however
many rows share a point, a hashed row holds one context's counts, and it is deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from aether_core.codec import adapt
from aether_core.codec.adapt import ONE, Adapter
from aether_core.codec.arith import FREQ_TOTAL
from aether_core.codec.predict import cum_weights


def run(rows: np.ndarray, seed: int = 0) -> tuple[Adapter, np.ndarray]:
    """Feed ``rows`` [B, T] through an Adapter with a fixed random 'network'; returns the adapter
    and the bits the coder spends on each byte [B, T - 1]."""
    rng = np.random.default_rng(seed)
    B, T = rows.shape
    a = Adapter(B, T)
    bits = np.zeros((B, T - 1))
    active = np.ones(B, dtype=bool)
    for t in range(1, T):
        a.observe(rows[:, t - 1], active)
        cum = cum_weights(a.mix(rng.integers(1, 1000, (B, 256))))
        x = rows[:, t].astype(np.int64)
        width = cum[np.arange(B), x + 1] - cum[np.arange(B), x]
        bits[:, t - 1] = np.log2(FREQ_TOTAL / width)
    return a, bits


def test_repeats_become_nearly_free() -> None:
    line = np.frombuffer(b"GET /index.html 200 OK 512 bytes\n", dtype=np.uint8)
    rows = np.tile(line, (4, 30))  # each row repeats the line 30 times
    _, bits = run(rows)
    first, last = bits[:, : len(line)].mean(), bits[:, -5 * len(line) :].mean()
    assert first > 6  # the random network knows nothing
    assert last < 0.2, last  # counts, match model and SSE together


def test_mixed_weights_are_a_distribution() -> None:
    rows = np.frombuffer(b"abcabcabd" * 20, dtype=np.uint8).reshape(4, 45)
    a = Adapter(4, 45)
    for t in range(20):
        a.observe(rows[:, t], np.ones(4, dtype=bool))
        mixed = a.mix(np.full((4, 256), 7))
        assert (mixed >= 0).all() and np.array_equal(mixed, np.floor(mixed))
        assert np.all(np.abs(mixed.sum(1) - ONE) <= 256), mixed.sum(1)


def test_the_map_moves_toward_outcomes_but_never_past_their_mean() -> None:
    """256 rows on one point, all hits: one update may close the gap, not overshoot it."""
    a = Adapter(256, 8)
    start = a.sse.copy()
    cell = np.zeros(256, dtype=np.int64)
    node = np.full(256, 20)
    frac = np.zeros(256, dtype=np.int64)
    a._learn_sse(cell, node, frac, np.full(256, ONE - 1))
    assert start[0, 20] < a.sse[0, 20] <= ONE - 1
    # half hits, half misses: the point settles between, near their mean
    for _ in range(50):
        a._learn_sse(cell, node, frac, np.where(np.arange(256) % 2 == 0, ONE - 1, 0))
    assert abs(a.sse[0, 20] - ONE // 2) < ONE // 50
    # a single row moves it 1/2^SSE_RATE of the way
    before = a.sse[1, 5]
    a._learn_sse(np.array([1]), np.array([5]), np.array([0]), np.array([ONE - 1]))
    assert a.sse[1, 5] - before == (ONE - 1 - before) >> adapt.SSE_RATE


def test_a_hashed_row_belongs_to_one_context(monkeypatch) -> None:
    """With one row per hashed order, every long context shares it: each new context takes it
    over and counts from zero instead of adding to another's counts."""
    monkeypatch.setattr(adapt, "ROWS", (1, 1))
    rows = np.frombuffer(b"xyzwvutsrqponmlk" * 2, dtype=np.uint8)[None, :]
    a = Adapter(1, rows.shape[1])
    assert a._sizes.tolist() == [256, 65536, 1, 1, 1, 1, 1, 1]
    for t in range(rows.shape[1]):
        a.observe(rows[:, t], np.ones(1, dtype=bool))
        a.mix(np.ones((1, 256)))
    hashed = a._sizes[: adapt.ORDERS.index(adapt.DIRECT) + 1].sum()
    assert (a.totals[hashed:] == 1).all()  # the last context only, seen once


def test_many_rows_learn_as_well_as_few() -> None:
    """Each row repeats a line of its own: 4 rows or 256 rows in lockstep learn their repeats
    alike (a learning rule whose steps add up over the rows of a column would overshoot)."""

    def rows(n: int) -> np.ndarray:
        lines = [b"status installed lib%04d:amd64 1.%d-3\n" % (i, i % 7) for i in range(n)]
        return np.stack([np.frombuffer(line * 12, dtype=np.uint8) for line in lines])

    _, few = run(rows(4))
    _, many = run(rows(256))
    assert few.mean() < 1.5, few.mean()
    assert many.mean() < 1.2 * few.mean(), (few.mean(), many.mean())


@pytest.mark.parametrize("seed", [0, 1])
def test_the_same_input_gives_the_same_bits(seed: int) -> None:
    rows = np.random.default_rng(seed).integers(0, 4, (8, 64)).astype(np.uint8)
    assert np.array_equal(run(rows, seed)[1], run(rows, seed)[1])
