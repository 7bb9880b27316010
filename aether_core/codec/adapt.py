"""Adaptation to the file being coded: order-k statistics and a match model, mixed with the network,
then one learned refinement of the likeliest byte.

The network knows languages and formats in general; a long log, table or source file repeats its
own strings, which count statistics learn within a few occurrences (what context-mixing
compressors do). The encoder and the decoder feed the same columns in the same order, so both sides
hold the same tables at every step; every number is an integer or a float (64 or 32 bits) made by
single IEEE operations in a fixed order (sums only of integers), so every machine gets the same
result.

Experts, each a distribution over the 256 byte values in fixed point (``ONE`` = probability 1):
- the network;
- for each order k in ``ORDERS``: the counts seen after the last k bytes (orders above ``DIRECT``
  hashed; a table row belongs to the context whose 16-bit check it holds, and a context that
  finds another's row takes it over and counts afresh, instead of mixing the two), smoothed by
  the network's distribution as a prior: (4 c(x) + k p(x)) / (4 n + k);
- a match model: the byte that followed the last occurrence of the current ``MATCH_MIN`` bytes
  (in any chunk), with the hit rate measured for matches of that length.
They are mixed linearly with weights 2^(-loss / 64 bits), from each expert's recent log loss in
one of a few contexts (match length, how many orders have seen their context, how sure the network
is), decayed so the mixture can switch. How much each order leans on the network is chosen the same
way: of a few prior weights, the one whose probabilities have lately cost least.

A linear mixture cannot be surer than its surest expert, and on a long repeated string every
expert hedges. So the mixture's probability of one candidate byte (the match's, else the likeliest)
then goes through an adaptive probability map (SSE, as in lpaq): a curve over its logit, learned
per match length, whose output replaces it; the other bytes share the rest in proportion.
"""

from __future__ import annotations

import functools
import mmap

import numpy as np

ONE = 1 << 16
ORDERS = (1, 2, 3, 4, 6, 8, 12, 16)
DIRECT = 2  # orders up to this one index their context directly: 256^k rows, no collisions
# rows of each higher order's hashed table: the block's size rounded up to a power of two, within
# these (a table smaller than the contexts it holds mixes their counts up)
ROWS = (1 << 12, 1 << 16)
# each order smooths its counts by the network with the weight (of 4 per count) that has lately
# cost least: repetitive files want sharp counts, prose wants them to lean on the network
PRIORS = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])
PRIOR_ROWS = 32  # the rows each column that score the candidate priors
PRIOR_DECAY = 6  # each column, every prior's accumulated loss loses 1/64 of itself
LIMIT = 60000  # a count row is halved before any count passes 2^16
MATCH_MIN = 6  # one of ORDERS: the match model looks up that order's hash
MATCH_SLOTS = 1 << 18
LEN_BUCKETS = (0, 1, 8, 16, 32)  # a match of length >= each starts a bucket
N_EXPERTS = 2 + len(ORDERS)
LOSS_BITS = 64  # losses in 1/64 bit
CONF = np.array([0, 0.25, 0.5, 0.75, 0.95]) * ONE  # the network's top probability, bucketed
DECAY = 5  # each column, every accumulated loss loses 1/32 of itself
SSE_LENGTHS = 12  # the map's contexts: match lengths 0..11+, times "the mixture agrees"
SSE_NODES = 33  # points of each curve, over logits -8..8
SSE_RATE = 5  # each update moves a point 1/32 of the way to the outcome
_MULT = np.uint64(0x9E3779B97F4A7C15)
# zero bytes before each row of the history, so every order's context exists from the start
_PAD = max(ORDERS)
_POWERS = np.cumprod(np.full(_PAD, _MULT, dtype=np.uint64))  # wraps mod 2^64, as meant
_STEPS = np.arange(1, _PAD + 1, dtype=np.uint64)


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


@functools.lru_cache(maxsize=1)
def _stretch() -> np.ndarray:
    """The logit of p = (i + 0.5) / 4096 in 1/256 units, clipped to +-2047, for i = 0..4095."""
    p = (np.arange(4096) + 0.5) / 4096
    return np.clip(np.round(np.log(p / (1 - p)) * 256), -2047, 2047).astype(np.int64)


@functools.lru_cache(maxsize=1)
def _sse_start() -> np.ndarray:
    """Each curve starts as the identity: node i holds squash(logit (i - 16) / 2), fixed point."""
    logit = (np.arange(SSE_NODES) - SSE_NODES // 2) / 2
    return np.round(ONE / (1 + np.exp(-logit))).astype(np.int64)


VERSION = 3  # bumped when the arithmetic changes (3: SSE, chosen priors, owned rows, 8 orders)


def table_bytes() -> bytes:
    """The version and lookup tables, for the stream's fingerprint of what a decoder must
    reproduce."""
    tables = (_nlog(), _exp2(), _stretch(), _sse_start())
    return b"adapt %d" % VERSION + b"".join(t.tobytes() for t in tables)


def _zeros(shape: tuple[int, int], dtype: type) -> np.ndarray:
    """A zeroed table in private memory that asks for huge pages where the OS has them: the count
    tables are hundreds of MB read and written at random, and 4 KiB pages make every access a TLB
    miss."""
    size = shape[0] * shape[1] * np.dtype(dtype).itemsize
    flags = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)
    if not flags or not hasattr(mmap, "MADV_HUGEPAGE"):
        return np.zeros(shape, dtype=dtype)
    memory = mmap.mmap(-1, size, flags=flags)
    memory.madvise(mmap.MADV_HUGEPAGE)
    return np.frombuffer(memory, dtype=dtype).reshape(shape)


def order_rows(coded: int) -> list[int]:
    """Rows of each order's count table for a block coding ``coded`` bytes."""
    hashed = min(ROWS[1], max(ROWS[0], 1 << max(coded - 1, 1).bit_length()))
    return [256**order if order <= DIRECT else hashed for order in ORDERS]


class Adapter:
    """Mixes the network's column of distributions with what this file taught so far."""

    def __init__(self, rows: int, length: int) -> None:
        self.hist = np.zeros((rows, _PAD + length + 1), dtype=np.uint8)
        self.t = 0  # bytes of every row coded so far
        self._sizes = np.asarray(order_rows(rows * length))
        self.counts = _zeros((int(self._sizes.sum()), 256), np.uint16)
        self.totals = np.zeros(self._sizes.sum(), dtype=np.int64)
        self.owner = np.zeros(self._sizes.sum(), dtype=np.uint16)  # check of each row's context
        self.slots = np.full((MATCH_SLOTS, 2), -1, dtype=np.int64)  # (row, position) per hash
        self.src = np.full((rows, 2), -1, dtype=np.int64)
        self.match_len = np.zeros(rows, dtype=np.int64)
        self.hits = np.zeros((len(LEN_BUCKETS), 2), dtype=np.int64)  # (hits, tries)
        self.loss = np.zeros(
            (len(LEN_BUCKETS) * (len(ORDERS) + 1) * len(CONF), N_EXPERTS), dtype=np.int64
        )
        self.prior_loss = np.zeros((len(ORDERS), len(PRIORS)), dtype=np.int64)  # per order
        self.sse = np.tile(_sse_start(), (SSE_LENGTHS * 2, 1))
        self._rows = np.arange(rows)
        self._offsets = (np.cumsum(self._sizes) - self._sizes)[:, None]
        self._rehash()
        self._last: tuple | None = None
        self._sse: tuple | None = None

    def _rehash(self) -> None:
        """Each order's row of ``counts`` and the match model's slot, for the bytes coded so far.
        All orders' hashes in one pass: h_k = sum over j <= k of (byte_j + j) * MULT^j mod 2^64,
        mixed and cut to 24 bits."""
        recent = self.hist[:, self.t : _PAD + self.t][:, ::-1].astype(np.uint64)  # newest first
        h = np.cumsum((recent + _STEPS) * _POWERS, axis=1, dtype=np.uint64)
        mixed64 = h[:, np.asarray(ORDERS) - 1].T * _MULT
        self._check = ((mixed64 >> np.uint64(8)) & np.uint64(0xFFFF)).astype(np.uint16)
        self._check[: ORDERS.index(DIRECT) + 1] = 0
        h = (mixed64 >> np.uint64(40)).astype(np.int64)
        self._match_slot = h[ORDERS.index(MATCH_MIN)] % MATCH_SLOTS
        h %= self._sizes[:, None]
        for i, order in enumerate(ORDERS[: ORDERS.index(DIRECT) + 1]):
            h[i] = (recent[:, :order].astype(np.int64) << (8 * np.arange(order))).sum(1)
        self._hashes = h + self._offsets

    def mix(self, net: np.ndarray) -> np.ndarray:
        """``net`` [B, 256] non-negative weights -> mixed weights [B, 256] (integer-valued float64,
        each row summing to about ONE). Remembers what ``observe`` needs to score each expert.

        Each expert's mixing weight is folded into per-row factors, so an order costs one gather
        and two passes over [B, 256], summed order by order."""
        net = net.astype(np.float64)
        p_net = net * (ONE / net.sum(1, keepdims=True))
        ctx = self._hashes
        stale = self.owner[ctx] != self._check  # another context's counts (if any)
        n = np.where(stale, 0, self.totals[ctx])  # [orders, B]
        length = self.match_len
        bucket = np.searchsorted(LEN_BUCKETS, length, side="right") - 1
        hit = np.where(
            length > 0, (self.hits[bucket, 0] + 1) * ONE // (self.hits[bucket, 1] + 2), 0
        )
        source = (np.maximum(self.src[:, 0], 0), _PAD + np.maximum(self.src[:, 1], 0))
        predicted = self.hist[source]
        conf = np.searchsorted(CONF, p_net.max(1), side="right") - 1
        # the weights' context: match length, how many orders have seen their context, how sure
        # the network is
        wctx = (bucket * (len(ORDERS) + 1) + (n > 0).sum(0)) * len(CONF) + conf
        loss = self.loss[wctx]
        w = _exp2()[np.minimum(loss - loss.min(1, keepdims=True), len(_exp2()) - 1)]
        share = w / w.sum(1, keepdims=True)  # [B, experts]: network, orders..., match
        prior = PRIORS[self.prior_loss.argmin(1)][:, None]  # [orders, 1]
        per_order = share[:, 1:-1].T / (4 * n + prior)  # [orders, B]
        # p_net's coefficient gathers every expert's share of it (the orders smooth by it and the
        # match model's miss mass is it): one pass instead of one per expert
        coeff = share[:, 0] + share[:, -1] * (ONE - hit) / ONE
        for i in range(len(ORDERS)):  # sums in a fixed order (no reduction kernels)
            coeff += prior[i] * per_order[i]
        mixed = p_net * coeff[:, None]
        # the counts' terms summed in float32 (half the memory traffic; still single IEEE
        # operations in a fixed order)
        seen = self.counts[ctx]  # [orders, B, 256]
        scale = np.where(stale, 0, 4 * ONE * per_order).astype(np.float32)
        term = np.empty(mixed.shape, dtype=np.float32)
        acc = np.zeros(mixed.shape, dtype=np.float32)
        for i in range(len(ORDERS)):
            np.multiply(seen[i], scale[i][:, None], out=term)
            acc += term
        mixed += acc
        mixed[self._rows, predicted] += share[:, -1] * hit
        self._last = (p_net, ctx, n, hit, wctx, bucket, predicted, prior, stale)
        return self._refine(np.floor(mixed, out=mixed), predicted, length)

    def _refine(self, mixed: np.ndarray, predicted: np.ndarray, length: np.ndarray) -> np.ndarray:
        """The SSE stage: the candidate byte's probability through the learned curve of its
        context, the other bytes scaled to share the rest."""
        total = mixed.sum(1)  # of integers: exact in any order
        top = mixed.argmax(1)
        cand = np.where(length > 0, predicted, top)
        pc = mixed[self._rows, cand]
        logit = _stretch()[np.clip((pc * 4096 / total).astype(np.int64), 0, 4095)] + 2048
        node, frac = logit >> 7, logit & 127
        sctx = np.minimum(length, SSE_LENGTHS - 1) * 2 + (cand == top)
        p = (self.sse[sctx, node] * (128 - frac) + self.sse[sctx, node + 1] * frac) >> 7
        p = np.clip(p, 32, ONE - 32)
        out = mixed * ((ONE - p) / np.maximum(total - pc, 1))[:, None]
        out[self._rows, cand] = p
        self._sse = (sctx, node, frac, cand)
        return np.floor(out, out=out)

    def _learn_sse(self, sctx: np.ndarray, node: np.ndarray, frac: np.ndarray,
                   outcome: np.ndarray) -> None:  # fmt: skip
        """Move each curve point used toward the outcomes, 1/2^SSE_RATE of the way per row, but
        never past their mean: many rows of one column can share a point, and their steps were
        all measured from its old value."""
        cells = np.concatenate([sctx * SSE_NODES + node, sctx * SSE_NODES + node + 1])
        share = np.concatenate([128 - frac, frac])
        flat = self.sse.reshape(-1)  # a view: the curves are one contiguous table
        pull = share * (np.concatenate([outcome, outcome]) - flat[cells])
        cells, where = np.unique(cells, return_inverse=True)
        num, den = np.zeros((2, len(cells)), dtype=np.int64)
        np.add.at(num, where, pull)
        np.add.at(den, where, share)
        flat[cells] += num // np.maximum(den, 128 << SSE_RATE)

    def _expert_probs(self, xs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """[rows, experts] each expert's probability (fixed point) of the bytes ``xs`` coded."""
        p_net, ctx, n, hit, _, _, predicted, prior, stale = self._last
        p = p_net[rows, xs]
        c = np.where(stale[:, rows], 0, self.counts[ctx[:, rows], xs]).astype(np.float64)
        orders = (4 * ONE * c + prior * p) / (4 * n[:, rows] + prior)
        # every candidate prior's probability, to pick each order's prior for the next column
        # (scored on the first PRIOR_ROWS rows: enough to rank a few candidates, at a quarter of
        # the cost)
        some = slice(0, PRIOR_ROWS)
        c_, p_, n_ = c[:, some, None], p[None, some, None], n[:, rows[some], None]
        pc = (4 * ONE * c_ + PRIORS * p_) / (4 * n_ + PRIORS)  # [orders, rows, priors]
        self.prior_loss -= self.prior_loss >> PRIOR_DECAY
        self.prior_loss += _nlog()[np.clip(pc, 0, ONE).astype(np.int64)].sum(1)
        h = hit[rows]
        match = p * (ONE - h) / ONE + np.where(predicted[rows] == xs, h, 0)
        return np.concatenate([p[None], orders, match[None]]).T

    def observe(self, column: np.ndarray, active: np.ndarray) -> None:
        """The bytes just coded (one per row; ``active`` rows only are learned from)."""
        x = column.astype(np.int64)
        rows = self._rows[active]
        xs = x[active]
        ctx = self._hashes
        if self._last is None:  # the first column: no prediction to score
            bucket, predicted = np.zeros_like(x), np.zeros_like(x)
        else:  # the experts' losses, in the weight context each row used
            _, _, _, _, wctx, bucket, predicted, _, _ = self._last
            p = np.clip(self._expert_probs(xs, rows), 0, ONE).astype(np.int64)
            self.loss -= self.loss >> DECAY
            np.add.at(self.loss, wctx[active], _nlog()[p])
            sctx, node, frac, cand = (a[active] for a in self._sse)
            self._learn_sse(sctx, node, frac, (cand == xs) * (ONE - 1))
        # a row held by another context is given to this one: its counts start again (an empty
        # row is already zero)
        owned, check = ctx[:, active].ravel(), self._check[:, active].ravel()
        lost = np.unique(owned[(self.owner[owned] != check) & (self.totals[owned] > 0)])
        self.counts[lost], self.totals[lost] = 0, 0
        last = len(owned) - 1 - np.unique(owned[::-1], return_index=True)[1]
        self.owner[owned[last]] = check[last]
        cells = (ctx[:, active] * 256 + xs).ravel()  # every order's (context, byte) at once
        cells, times = np.unique(cells, return_counts=True)  # rows may share a cell
        counts = self.counts.reshape(-1)
        counts[cells] += times.astype(np.uint16)
        np.add.at(self.totals, cells >> 8, times)
        full = np.unique(cells[counts[cells] >= LIMIT] >> 8)
        if len(full):
            self.counts[full] >>= 1
            self.totals[full] = self.counts[full].sum(1, dtype=np.int64)
        # the match model: score the prediction, extend or drop each match
        matched = (self.match_len > 0) & active
        good = matched & (predicted == x)
        np.add.at(self.hits, (bucket[matched], 0), good[matched].astype(np.int64))
        np.add.at(self.hits, (bucket[matched], 1), 1)
        if self.hits[:, 1].max() > 4096:
            self.hits >>= 1
        self.hist[:, _PAD + self.t] = column
        self.t += 1
        self.match_len = np.where(good, self.match_len + 1, 0)
        self.src[:, 1] = np.where(good, self.src[:, 1] + 1, -1)
        self.src[:, 1] = np.where(self.src[:, 1] >= self.t, -1, self.src[:, 1])
        self.match_len = np.where(self.src[:, 1] < 0, 0, self.match_len)
        # remember where each row's previous MATCH_MIN bytes led, then look up the current ones
        before = self._match_slot
        self._rehash()
        if self.t < MATCH_MIN + 1:
            return
        self.slots[before[active]] = np.stack([rows, np.full(len(rows), self.t - 1)], 1)
        cand = self.slots[self._match_slot]
        fresh = (self.match_len == 0) & (cand[:, 0] >= 0) & active
        self.src[fresh] = cand[fresh]
        self.match_len = np.where(fresh, 1, self.match_len)
