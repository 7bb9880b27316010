"""Attention building blocks: RMSNorm, RoPE, the preallocated KV cache, self- and cross-attention.

The KV cache follows gpt-fast: tensors preallocated once, written at explicit positions, and the
same forward path serves prefill (many tokens) and decode (one token). Rewinding is just writing
at an earlier position, which the agent uses to reuse a shared prompt prefix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: Tensor) -> Tensor:
        return F.rms_norm(x, (x.shape[-1],), self.weight, self.eps)


def rope_tables(head_dim: int, max_len: int, theta: float) -> tuple[Tensor, Tensor]:
    """cos/sin tables [max_len, head_dim] for the rotate-half form of RoPE."""
    inv = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    freqs = torch.outer(torch.arange(max_len, dtype=torch.float32), inv)
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos(), emb.sin()


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """x: [B, H, T, hd]; cos/sin: [T, hd]."""
    half = x.shape[-1] // 2
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    rot = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rot * sin


@dataclass
class LayerCache:
    k: Tensor  # [B, Hkv, L, hd]
    v: Tensor
    cross_k: Tensor | None = None  # [B, Hkv, Nv, hd], computed once per image set
    cross_v: Tensor | None = None


class KVCache:
    """Preallocated per-layer keys/values plus which key slots are real (not padding)."""

    def __init__(
        self,
        n_layers: int,
        batch: int,
        max_len: int,
        kv_heads: int,
        head_dim: int,
        device: torch.device | str,
        dtype: torch.dtype,
        kv_factor: int = 1,
    ) -> None:
        shape = (batch, kv_heads * kv_factor, max_len, head_dim)
        self.layers = [
            LayerCache(
                torch.zeros(shape, device=device, dtype=dtype),
                torch.zeros(shape, device=device, dtype=dtype),
            )
            for _ in range(n_layers)
        ]
        self.valid = torch.ones(batch, max_len, dtype=torch.bool, device=device)
        # the tokens written so far: n-gram embeddings look back at the bytes before a chunk
        self.tokens = torch.zeros(batch, max_len, dtype=torch.long, device=device)
        self.has_padding = False
        self.max_len = max_len
        self.vision_mask: Tensor | None = None  # [B, Nv] once cross K/V are cached

    def reset_vision(self) -> None:
        for layer in self.layers:
            layer.cross_k = layer.cross_v = None
        self.vision_mask = None


def attention_mask(input_pos: Tensor, end: int, valid: Tensor | None) -> Tensor | None:
    """Boolean mask [B|1, 1, T, end]: causal by position, minus padded keys.

    Every query may always see itself, so a padding query never gets an all-masked row (NaN).
    Returns None for a single decode step with no padding: every cached key is visible.
    """
    if valid is None and input_pos.numel() == 1:
        return None
    keys = torch.arange(end, device=input_pos.device)
    mask = keys[None, :] <= input_pos[:, None]  # [T, end]
    if valid is not None:
        self_slot = keys[None, :] == input_pos[:, None]
        mask = (mask[None] & valid[:, None, :end]) | self_slot[None]  # [B, T, end]
        return mask[:, None]
    return mask[None, None]


class SelfAttention(nn.Module):
    def __init__(
        self, dim: int, n_heads: int, kv_heads: int, qk_norm: bool, dropout: float, eps: float
    ) -> None:
        super().__init__()
        self.n_heads, self.kv_heads, self.head_dim = n_heads, kv_heads, dim // n_heads
        self.qkv = nn.Linear(dim, (n_heads + 2 * kv_heads) * self.head_dim, bias=False)
        self.proj = nn.Linear(n_heads * self.head_dim, dim, bias=False)
        self.q_norm = RMSNorm(self.head_dim, eps) if qk_norm else None
        self.k_norm = RMSNorm(self.head_dim, eps) if qk_norm else None
        self.dropout = dropout

    def project(self, x: Tensor, cos: Tensor, sin: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        B, T, _ = x.shape
        hd = self.head_dim
        q, k, v = self.qkv(x).split([self.n_heads * hd, self.kv_heads * hd, self.kv_heads * hd], -1)
        q = q.view(B, T, self.n_heads, hd).transpose(1, 2)
        k = k.view(B, T, self.kv_heads, hd).transpose(1, 2)
        v = v.view(B, T, self.kv_heads, hd).transpose(1, 2)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v

    def attend(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, causal: bool) -> Tensor:
        return F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=mask,
            is_causal=causal and mask is None,
            dropout_p=self.dropout if self.training else 0.0,
            enable_gqa=self.kv_heads != self.n_heads,
        )

    def forward(
        self,
        x: Tensor,
        cos: Tensor,
        sin: Tensor,
        mask: Tensor | None,
        cache: LayerCache | None,
        input_pos: Tensor | None,
        end: int,
    ) -> Tensor:
        B, T, _ = x.shape
        q, k, v = self.project(x, cos, sin)
        if cache is not None:
            cache.k.index_copy_(2, input_pos, k)
            cache.v.index_copy_(2, input_pos, v)
            k, v = cache.k[:, :, :end], cache.v[:, :, :end]
            y = self.attend(q, k, v, mask, causal=False)
        else:
            y = self.attend(q, k, v, mask, causal=True)
        return self.proj(y.transpose(1, 2).reshape(B, T, -1))


class CrossAttention(nn.Module):
    """Queries from the byte stream, keys/values from vision tokens (no positions, no mask of
    time). Rows with no image get exactly zero, so mixing batches with and without images works."""

    def __init__(self, dim: int, n_heads: int, kv_heads: int, eps: float) -> None:
        super().__init__()
        self.n_heads, self.kv_heads, self.head_dim = n_heads, kv_heads, dim // n_heads
        self.q = nn.Linear(dim, dim, bias=False)
        self.kv = nn.Linear(dim, 2 * kv_heads * self.head_dim, bias=False)
        self.proj = nn.Linear(dim, dim, bias=False)

    def keys_values(self, vision: Tensor) -> tuple[Tensor, Tensor]:
        B, N, _ = vision.shape
        k, v = self.kv(vision).view(B, N, 2, self.kv_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        return k, v

    def forward(self, x: Tensor, k: Tensor, v: Tensor, vision_mask: Tensor) -> Tensor:
        B, T, _ = x.shape
        q = self.q(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        has_any = vision_mask.any(-1)  # [B]
        mask = (vision_mask | ~has_any[:, None])[:, None, None, :]
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, enable_gqa=self.kv_heads != self.n_heads
        )
        y = self.proj(y.transpose(1, 2).reshape(B, T, -1))
        return y * has_any[:, None, None].to(y.dtype)


def init_linear(module: nn.Module, n_layers: int) -> None:
    """GPT-2 style init: small normal weights, output projections scaled by depth."""
    for name, p in module.named_parameters():
        if p.dim() == 2:
            std = (
                0.02 / math.sqrt(2 * n_layers)
                if name.endswith(("proj.weight", "w2.weight"))
                else 0.02
            )
            nn.init.normal_(p, mean=0.0, std=std)
