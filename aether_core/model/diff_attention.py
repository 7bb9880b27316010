"""Differential attention (Ye et al. 2024, "Differential Transformer").

Each head computes two softmax maps from two halves of its query/key and subtracts them,
``(softmax(Q1 K1^T) - lambda * softmax(Q2 K2^T)) V``, which cancels the attention "noise" both maps
share. lambda is learned per layer as ``exp(lq1 . lk1) - exp(lq2 . lk2) + lambda_init``; the value
is twice a head wide and each head's output is RMS-normalised and scaled by ``1 - lambda_init``.

Layout: cfg.n_heads heads, each with query/key halves of ``head_dim`` and a value of
``2 * head_dim``, so the preallocated cache (built with ``kv_factor=2``: 2 * kv_heads heads of
head_dim) stores the two key halves as separate heads (K1 in heads [0, kv), K2 in [kv, 2kv)) and the
two value halves likewise. Positions keep their meaning, so rewinding works as for SelfAttention.
Unlike the paper, the head count is not halved, so this layer has twice the parameters of a
standard one of the same config.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..config import ModelConfig
from .attention import AttentionInput, LayerCache, RMSNorm, apply_rope


def lambda_init_for(layer: int) -> float:
    """The paper's depth schedule (layer counted from 0): 0.2 at the bottom, towards 0.8."""
    return 0.8 - 0.6 * math.exp(-0.3 * layer)


class DiffSelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int) -> None:
        super().__init__()
        self.n_heads, self.kv_heads, self.head_dim = cfg.n_heads, cfg.kv_heads, cfg.head_dim
        hd = self.head_dim
        # q: 2 halves x n_heads; k: 2 halves x kv_heads; v: kv_heads x 2*hd
        self.qkv = nn.Linear(cfg.dim, (2 * cfg.n_heads + 4 * cfg.kv_heads) * hd, bias=False)
        self.proj = nn.Linear(2 * cfg.n_heads * hd, cfg.dim, bias=False)
        self.q_norm = RMSNorm(hd, cfg.norm_eps) if cfg.qk_norm else None
        self.k_norm = RMSNorm(hd, cfg.norm_eps) if cfg.qk_norm else None
        self.sub_norm = RMSNorm(2 * hd, cfg.norm_eps)  # per head, weights shared across heads
        self.lambda_init = lambda_init_for(layer)
        self.lambda_q1 = nn.Parameter(torch.randn(hd) * 0.1)
        self.lambda_k1 = nn.Parameter(torch.randn(hd) * 0.1)
        self.lambda_q2 = nn.Parameter(torch.randn(hd) * 0.1)
        self.lambda_k2 = nn.Parameter(torch.randn(hd) * 0.1)
        self.dropout = cfg.dropout
        # Set to a number to pin lambda (0 turns this into ordinary attention with map 1).
        self.lambda_override: float | None = None

    def lambda_full(self) -> Tensor | float:
        if self.lambda_override is not None:
            return self.lambda_override
        l1 = torch.exp(torch.dot(self.lambda_q1.float(), self.lambda_k1.float()))
        l2 = torch.exp(torch.dot(self.lambda_q2.float(), self.lambda_k2.float()))
        return l1 - l2 + self.lambda_init

    def project(self, x: Tensor, cos: Tensor, sin: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """x -> q [B, 2H, T, hd] (Q1 heads then Q2), k [B, 2Hkv, T, hd] (K1 then K2),
        v [B, Hkv, T, 2hd]."""
        B, T, _ = x.shape
        hd, H, Hkv = self.head_dim, self.n_heads, self.kv_heads
        q, k, v = self.qkv(x).split([2 * H * hd, 2 * Hkv * hd, 2 * Hkv * hd], -1)
        q = q.view(B, T, 2 * H, hd).transpose(1, 2)
        k = k.view(B, T, 2 * Hkv, hd).transpose(1, 2)
        v = v.view(B, T, Hkv, 2 * hd).transpose(1, 2)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v

    def differential(
        self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, causal: bool
    ) -> Tensor:
        """The two maps applied to v and subtracted: [B, H, T, 2hd], before the head norm."""
        H, Hkv = self.n_heads, self.kv_heads
        kw = dict(
            attn_mask=mask,
            is_causal=causal and mask is None,
            dropout_p=self.dropout if self.training else 0.0,
            enable_gqa=Hkv != H,
        )
        a1 = F.scaled_dot_product_attention(q[:, :H], k[:, :Hkv], v, **kw)
        a2 = F.scaled_dot_product_attention(q[:, H:], k[:, Hkv:], v, **kw)
        lam = self.lambda_full()
        if isinstance(lam, Tensor):
            lam = lam.to(a2.dtype)
        return a1 - lam * a2

    def forward(self, x: Tensor, a: AttentionInput, cache: LayerCache | None) -> Tensor:
        B, T, _ = x.shape
        q, k, v = self.project(x, a.cos, a.sin)
        if cache is not None:  # the value halves are stored as heads (see the module docstring)
            hd, Hkv = self.head_dim, self.kv_heads
            v_heads = torch.cat([v[..., :hd], v[..., hd:]], dim=1)
            k, v_heads = cache.write(a.input_pos, k, v_heads, 0, a.end)
            v = torch.cat([v_heads[:, :Hkv], v_heads[:, Hkv:]], dim=-1)
        y = self.differential(q, k, v, a.mask, causal=cache is None)
        y = self.sub_norm(y) * (1.0 - self.lambda_init)
        return self.proj(y.transpose(1, 2).reshape(B, T, -1))
