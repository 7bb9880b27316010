"""Adaptation to the file being coded: order-k statistics and a match model, mixed with the network.

The network knows languages and formats in general; a long log, table or source file repeats its
own strings, which count statistics learn within a few occurrences (what context-mixing
compressors do). Everything here is integer arithmetic on numpy arrays, fed the same columns in
the same order by the encoder and the decoder, so both sides hold the same tables at every step.

Experts, each a distribution over the 256 byte values in fixed point (``ONE`` = probability 1):
- the network;
- for each order k in ``ORDERS``: the counts seen after the last k bytes (hashed), smoothed by
  the network's distribution as a prior: (4 c(x) + 2 p(x)) / (4 n + 2);
- a match model: the byte that followed the last occurrence of the current ``MATCH_MIN`` bytes
  (in any chunk), with the hit rate measured for matches of that length.
They are mixed linearly with weights 2^(-loss / 64 bits), from each expert's recent log loss in
one of a few contexts (match length, how often the order-4 context was seen), decayed so the
mixture can switch.
"""

from __future__ import annotations

import functools

import numpy as np

ONE = 1 << 16
ORDERS = (1, 2, 3, 4, 6)
ROWS = 1 << 15  # hashed contexts per order
LIMIT = 60000  # a count row is halved before any count passes 2^16
MATCH_MIN = 6
MATCH_SLOTS = 1 << 18
LEN_BUCKETS = (0, 1, 8, 16, 32)  # a match of length >= each starts a bucket
SEEN_BUCKETS = (0, 1, 4)
N_EXPERTS = 2 + len(ORDERS)
LOSS_BITS = 64  # losses in 1/64 bit
DECAY = 5  # each column, every accumulated loss loses 1/32 of itself
_MULT = np.uint64(0x9E3779B97F4A7C15)


@functools.lru_cache(maxsize=1)
def _nlog() -> np.ndarray:
    """round(64 * log2(ONE / p)) for p = 0..ONE (p = 0 costs as much as p = 1)."""
    p = np.arange(ONE + 1, dtype=np.float64)
    p[0] = 1
    return np.round(LOSS_BITS * np.log2(ONE / p)).astype(np.int64)


@functools.lru_cache(maxsize=1)
def _exp2() -> np.ndarray:
    """round(ONE * 2^(-k / 64)) for k = 0..64*17: the weight of an expert k/64 bits worse."""
    k = np.arange(LOSS_BITS * 17, dtype=np.float64)
    return np.round(ONE * np.exp2(-k / LOSS_BITS)).astype(np.int64)


VERSION = 2  # bumped when the mixing arithmetic changes (2: float64 mixing, folded factors)


def table_bytes() -> bytes:
    """The version and lookup tables, for the stream's fingerprint of what a decoder must
    reproduce."""
    return b"adapt %d" % VERSION + _nlog().tobytes() + _exp2().tobytes()


class Adapter:
    """Mixes the network's column of distributions with what this file taught so far."""

    def __init__(self, rows: int, length: int) -> None:
        self.hist = np.zeros((rows, length + 1), dtype=np.uint8)
        self.t = 0  # bytes of every row coded so far
        self.counts = np.zeros((len(ORDERS), ROWS, 256), dtype=np.uint16)
        self.totals = np.zeros((len(ORDERS), ROWS), dtype=np.int64)
        self.slots = np.full((MATCH_SLOTS, 2), -1, dtype=np.int64)  # (row, position) per hash
        self.src = np.full((rows, 2), -1, dtype=np.int64)
        self.match_len = np.zeros(rows, dtype=np.int64)
        self.hits = np.zeros((len(LEN_BUCKETS), 2), dtype=np.int64)  # (hits, tries)
        n_ctx = len(LEN_BUCKETS) * len(SEEN_BUCKETS)
        self.loss = np.zeros((n_ctx, N_EXPERTS), dtype=np.int64)
        self._rows = np.arange(rows)
        self._last: tuple | None = None

    def _context_hashes(self) -> np.ndarray:
        """[len(ORDERS), B] row index of each order's context (the last k coded bytes)."""
        out = np.empty((len(ORDERS), len(self._rows)), dtype=np.int64)
        h = np.zeros(len(self._rows), dtype=np.uint64)
        k = 0
        for i, order in enumerate(ORDERS):
            while k < order:
                byte = self.hist[:, self.t - 1 - k] if self.t > k else 0
                h = (h + np.uint64(k + 1)) * _MULT + np.asarray(byte, dtype=np.uint64)
                k += 1
            out[i] = (h >> np.uint64(40)).astype(np.int64) % ROWS
        return out

    def mix(self, net: np.ndarray) -> np.ndarray:
        """``net`` [B, 256] non-negative weights -> mixed weights [B, 256] (integer-valued float64,
        each row summing to about ONE). Remembers what ``observe`` needs to score each expert.

        Float64 throughout, each element a fixed sequence of single IEEE operations (the mixture
        is summed expert by expert, in one order), so it is the same on every machine; it folds
        each expert's mixing weight into the per-row factors, so an expert costs one gather and
        two passes over [B, 256]."""
        net = net.astype(np.float64)
        p_net = net * (ONE / net.sum(1, keepdims=True))
        ctx = self._context_hashes()
        n = np.stack([self.totals[i, ctx[i]] for i in range(len(ORDERS))])  # [orders, B]
        length = self.match_len
        bucket = np.searchsorted(LEN_BUCKETS, length, side="right") - 1
        hit = np.where(
            length > 0, (self.hits[bucket, 0] + 1) * ONE // (self.hits[bucket, 1] + 2), 0
        )
        predicted = self.hist[np.maximum(self.src[:, 0], 0), np.maximum(self.src[:, 1], 0)]
        seen = np.searchsorted(SEEN_BUCKETS, n[3], side="right") - 1
        wctx = bucket * len(SEEN_BUCKETS) + seen
        loss = self.loss[wctx]
        w = _exp2()[np.minimum(loss - loss.min(1, keepdims=True), len(_exp2()) - 1)]
        share = w / w.sum(1, keepdims=True)  # [B, experts]: network, orders..., match
        per_order = share[:, 1:-1].T / (4 * n + 2)  # [orders, B]
        # p_net's coefficient gathers every expert's share of it (the orders smooth by it and the
        # match model's miss mass is it): one pass instead of one per expert
        coeff = share[:, 0] + share[:, -1] * (ONE - hit) / ONE
        for i in range(len(ORDERS)):  # sums in a fixed order (no reduction kernels)
            coeff += 2 * per_order[i]
        mixed = p_net * coeff[:, None]
        for i in range(len(ORDERS)):
            mixed += self.counts[i, ctx[i]] * (4 * ONE * per_order[i])[:, None]
        mixed[self._rows, predicted] += share[:, -1] * hit
        self._last = (p_net, ctx, n, hit, wctx, bucket, predicted)
        return np.floor(mixed, out=mixed)

    def _expert_probs(self, xs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """[rows, experts] each expert's probability (fixed point) of the bytes ``xs`` coded."""
        p_net, ctx, n, hit, _, _, predicted = self._last
        p = p_net[rows, xs]
        out = [p]
        for i in range(len(ORDERS)):
            c = self.counts[i, ctx[i, rows], xs].astype(np.float64)
            out.append((4 * ONE * c + 2 * p) / (4 * n[i, rows] + 2))
        h = hit[rows]
        out.append(p * (ONE - h) / ONE + np.where(predicted[rows] == xs, h, 0))
        return np.stack(out, axis=1)

    def observe(self, column: np.ndarray, active: np.ndarray) -> None:
        """The bytes just coded (one per row; ``active`` rows only are learned from)."""
        x = column.astype(np.int64)
        rows = self._rows[active]
        xs = x[active]
        if self._last is None:  # the first column: no prediction to score
            ctx, bucket, predicted = self._context_hashes(), np.zeros_like(x), np.zeros_like(x)
        else:  # the experts' losses, in the weight context each row used
            _, ctx, _, _, wctx, bucket, predicted = self._last
            p = np.clip(self._expert_probs(xs, rows), 0, ONE).astype(np.int64)
            self.loss -= self.loss >> DECAY
            np.add.at(self.loss, wctx[active], _nlog()[p])
        for i in range(len(ORDERS)):
            np.add.at(self.counts[i], (ctx[i, active], xs), 1)
            np.add.at(self.totals[i], ctx[i, active], 1)
            full = np.unique(ctx[i, active][self.counts[i, ctx[i, active], xs] >= LIMIT])
            if len(full):
                self.counts[i, full] >>= 1
                self.totals[i, full] = self.counts[i, full].sum(1, dtype=np.int64)
        # the match model: score the prediction, extend or drop each match
        matched = (self.match_len > 0) & active
        good = matched & (predicted == x)
        np.add.at(self.hits, (bucket[matched], 0), good[matched].astype(np.int64))
        np.add.at(self.hits, (bucket[matched], 1), 1)
        if self.hits[:, 1].max() > 4096:
            self.hits >>= 1
        self.hist[:, self.t] = column
        self.t += 1
        self.match_len = np.where(good, self.match_len + 1, 0)
        self.src[:, 1] = np.where(good, self.src[:, 1] + 1, -1)
        self.src[:, 1] = np.where(self.src[:, 1] >= self.t, -1, self.src[:, 1])
        self.match_len = np.where(self.src[:, 1] < 0, 0, self.match_len)
        if self.t < MATCH_MIN + 1:
            return
        # remember where each row's previous MATCH_MIN bytes led, then look up the current ones
        before = self._match_hash(self.t - 1)
        self.slots[before[active]] = np.stack([rows, np.full(len(rows), self.t - 1)], 1)
        now = self._match_hash(self.t)
        cand = self.slots[now]
        fresh = (self.match_len == 0) & (cand[:, 0] >= 0) & active
        self.src[fresh] = cand[fresh]
        self.match_len = np.where(fresh, 1, self.match_len)

    def _match_hash(self, end: int) -> np.ndarray:
        """Slot of the MATCH_MIN bytes before position ``end`` of each row."""
        h = np.zeros(len(self._rows), dtype=np.uint64)
        for j in range(end - MATCH_MIN, end):
            h = (h + np.uint64(1)) * _MULT + self.hist[:, j].astype(np.uint64)
        return (h >> np.uint64(40)).astype(np.int64) % MATCH_SLOTS
