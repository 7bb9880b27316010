"""TinyPatchViT: a 64x64 RGB image -> a fixed set of vision tokens the byte model cross-attends to.

Patch embedding + a few encoder layers, then learned queries attend over the patches, so every
image costs the same number of tokens (48 by default) whatever its content.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..config import ViTConfig


class _EncoderLayer(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: Tensor) -> Tensor:
        B, N, D = x.shape
        q, k, v = (
            self.qkv(self.norm1(x))
            .view(B, N, 3, self.heads, D // self.heads)
            .permute(2, 0, 3, 1, 4)
        )
        y = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, N, D)
        x = x + self.proj(y)
        return x + self.mlp(self.norm2(x))


class TinyPatchViT(nn.Module):
    def __init__(self, cfg: ViTConfig, out_dim: int) -> None:
        super().__init__()
        self.cfg = cfg
        n_patches = (cfg.image_size // cfg.patch_size) ** 2
        self.patch = nn.Conv2d(3, cfg.dim, cfg.patch_size, stride=cfg.patch_size)
        self.pos = nn.Parameter(torch.randn(1, n_patches, cfg.dim) * 0.02)
        self.layers = nn.ModuleList(
            _EncoderLayer(cfg.dim, cfg.n_heads) for _ in range(cfg.n_layers)
        )
        self.queries = nn.Parameter(torch.randn(1, cfg.n_queries, cfg.dim) * 0.02)
        self.pool = nn.MultiheadAttention(cfg.dim, cfg.n_heads, batch_first=True)
        self.norm_q, self.norm_kv = nn.LayerNorm(cfg.dim), nn.LayerNorm(cfg.dim)
        self.out = nn.Sequential(nn.LayerNorm(cfg.dim), nn.Linear(cfg.dim, out_dim))

    def forward(self, images: Tensor) -> Tensor:
        """images: [N, 3, 64, 64] in [0, 1] -> tokens [N, n_queries, out_dim]."""
        x = self.patch(images * 2.0 - 1.0).flatten(2).transpose(1, 2) + self.pos
        for layer in self.layers:
            x = layer(x)
        kv = self.norm_kv(x)
        q = self.norm_q(self.queries.expand(x.shape[0], -1, -1))
        pooled, _ = self.pool(q, kv, kv, need_weights=False)
        return self.out(pooled + self.queries)
