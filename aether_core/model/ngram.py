"""Hashed n-gram embeddings (BLT, Pagnoni et al. 2024).

Each byte's embedding is enriched with embeddings of the n-grams ending at it (n = 3..8 by
default), looked up in per-size hash tables. This gives the small local encoder the context of
the preceding word cheaply: a table lookup instead of extra attention layers. The hash is a
rolling polynomial mod a prime plus an integer finalizer, computed with int64 tensor ops:
deterministic across runs, machines and processes (unlike ``hash()``), so a checkpoint's tables
keep their meaning.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

HASH_BASE = 1_000_003
HASH_MOD = 2_147_483_647  # 2^31 - 1: every intermediate product stays far below 2^63
PAD_ID = 512  # stands for "before the stream" in n-grams that reach past the first token
_MIX = 0x45D9F3B  # finalizer multiplier (< 2^27: products of 31-bit values stay below 2^58)
_MASK = (1 << 31) - 1


def _mix(h: int | Tensor) -> int | Tensor:
    """Xor-shift-multiply finalizer: spreads the polynomial hash over the low bits the bucket
    index keeps (short text n-grams otherwise alias more than random). Works on ints and tensors."""
    h = h ^ (h >> 16)
    h = (h * _MIX) & _MASK
    h = h ^ (h >> 16)
    h = (h * _MIX) & _MASK
    return h ^ (h >> 16)


def ngram_hash(ngram: Sequence[int], table: int) -> int:
    """Reference (pure Python) bucket of one n-gram; ``ngram_ids`` computes the same in bulk."""
    h = 0
    for tok in ngram:
        h = (h * HASH_BASE + int(tok)) % HASH_MOD
    return _mix(h) % table


def ngram_ids(
    tokens: Tensor, sizes: Sequence[int], table: int, history: Tensor | None = None
) -> Tensor:
    """Bucket of the n-gram ending at each position, per size: tokens [B, T] -> [B, T, len(sizes)].

    ``history`` [B, H] holds the tokens just before ``tokens`` (in cached decoding), so a chunk's
    n-grams equal those of the full sequence; missing context is PAD_ID. The polynomial
    sum_j x[t-j] * BASE^j is built outwards from x[t], so every size comes out of one pass.
    """
    B, T = tokens.shape
    n_max = max(sizes)
    ctx = tokens if history is None else torch.cat([history.to(tokens.dtype), tokens], dim=1)
    missing = n_max - 1 - (ctx.shape[1] - T)
    if missing > 0:
        ctx = torch.cat([ctx.new_full((B, missing), PAD_ID), ctx], dim=1)
    ctx = ctx[:, ctx.shape[1] - T - (n_max - 1) :].long()
    h = torch.zeros(B, T, dtype=torch.long, device=tokens.device)
    out, power = {}, 1
    for j in range(n_max):  # add x[t - j] * BASE^j
        h = (h + ctx[:, n_max - 1 - j : n_max - 1 - j + T] * power) % HASH_MOD
        power = power * HASH_BASE % HASH_MOD
        out[j + 1] = h
    return _mix(torch.stack([out[n] for n in sizes], dim=-1)) % table


class HashNgramEmbedding(nn.Module):
    """Sum of hashed n-gram embeddings, one table of ``table`` rows per n-gram size."""

    def __init__(
        self, dim: int, sizes: Sequence[int] = (3, 4, 5, 6, 7, 8), table: int = 16384
    ) -> None:
        super().__init__()
        if not sizes or min(sizes) < 2:
            raise ValueError("n-gram sizes must be >= 2 (size 1 is the byte embedding itself)")
        self.sizes, self.table_size = tuple(int(n) for n in sizes), int(table)
        self.table = nn.Embedding(len(self.sizes) * self.table_size, dim)  # all sizes, stacked
        self.reset_parameters()

    @property
    def context(self) -> int:
        """How many earlier tokens the largest n-gram reaches back."""
        return max(self.sizes) - 1

    def reset_parameters(self) -> None:
        nn.init.normal_(self.table.weight, std=0.02 / len(self.sizes) ** 0.5)

    def ids(self, tokens: Tensor, history: Tensor | None = None) -> Tensor:
        """[B, T] -> row ids [B, T, n_sizes] into the stacked table."""
        offsets = torch.arange(len(self.sizes), device=tokens.device) * self.table_size
        return ngram_ids(tokens, self.sizes, self.table_size, history) + offsets

    def forward(self, tokens: Tensor, history: Tensor | None = None) -> Tensor:
        return self.table(self.ids(tokens, history)).sum(dim=-2)
