"""Hashed n-gram embeddings (BLT, Pagnoni et al. 2024).

Each byte's embedding is enriched with embeddings of the n-grams ending at it (n = 3..8 by
default), looked up in per-size hash tables. This gives the small local encoder the context of
the preceding word cheaply: a table lookup instead of extra attention layers. The hash is a
rolling polynomial mod a prime, computed with integer tensor ops: deterministic across runs,
machines and Python processes (unlike ``hash()``), so a checkpoint's tables stay meaningful.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

HASH_BASE = 1_000_003
HASH_MOD = 2_147_483_647  # 2^31 - 1: products of two residues stay below 2^62, no int64 overflow
PAD_ID = 512  # stands for "before the stream" in n-grams that reach past the first token


def ngram_hash(ngram: Sequence[int], table: int) -> int:
    """Reference (pure Python) bucket of one n-gram; ``ngram_ids`` computes the same in bulk."""
    h = 0
    for tok in ngram:
        h = (h * HASH_BASE + int(tok)) % HASH_MOD
    return h % table


def ngram_ids(tokens: Tensor, n: int, table: int, history: Tensor | None = None) -> Tensor:
    """Bucket of the n-gram ending at each position: tokens [B, T] -> [B, T] in [0, table).

    ``history`` [B, H] holds the tokens just before ``tokens`` (in cached decoding), so a chunk's
    n-grams equal those of the full sequence; missing context is PAD_ID.
    """
    B, T = tokens.shape
    ctx = tokens if history is None else torch.cat([history.to(tokens.dtype), tokens], dim=1)
    missing = n - 1 - (ctx.shape[1] - T)
    if missing > 0:
        ctx = torch.cat([ctx.new_full((B, missing), PAD_ID), ctx], dim=1)
    ctx = ctx[:, ctx.shape[1] - T - (n - 1):].long()
    h = torch.zeros(B, T, dtype=torch.long, device=tokens.device)
    for j in range(n):
        h = (h * HASH_BASE + ctx[:, j : j + T]) % HASH_MOD
    return h % table


class HashNgramEmbedding(nn.Module):
    """Sum of hashed n-gram embeddings, one table of ``table`` rows per n-gram size."""

    def __init__(self, dim: int, sizes: Sequence[int] = (3, 4, 5, 6, 7, 8), table: int = 16384) -> None:
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
        cols = [ngram_ids(tokens, n, self.table_size, history) + i * self.table_size
                for i, n in enumerate(self.sizes)]
        return torch.stack(cols, dim=-1)

    def forward(self, tokens: Tensor, history: Tensor | None = None) -> Tensor:
        return self.table(self.ids(tokens, history)).sum(dim=-2)
