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

from ..config import ModelConfig


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


@dataclass(frozen=True)
class AttentionInput:
    """What every self-attention layer of one forward pass shares: where the tokens sit and which
    keys they may see. ``input_pos`` is [T] (every row at the same positions) or [B, T] (each row
    at its own, as when several conversations decode together); ``cos``/``sin`` are its RoPE rows."""

    cos: Tensor
    sin: Tensor
    input_pos: Tensor
    end: int  # keys 0..end-1 are in play (a cache's filled prefix)
    mask: Tensor | None = None  # None: causal without a cache, everything up to end with one
    window: int | None = None  # local attention: only the last ``window`` keys
    vision_mask: Tensor | None = None  # [B, Nv] for cross-attention to vision tokens

    @classmethod
    def at(
        cls, cos: Tensor, sin: Tensor, input_pos: Tensor, end: int, **rest: object
    ) -> AttentionInput:
        """Pick the RoPE rows of ``input_pos`` from the tables ``cos``/``sin`` [max_len, hd]."""
        c, s = cos[input_pos], sin[input_pos]
        if input_pos.dim() == 2:  # per row: [B, T, hd] -> [B, 1, T, hd], broadcast over heads
            c, s = c[:, None], s[:, None]
        return cls(c, s, input_pos, end, **rest)  # type: ignore[arg-type]


@dataclass
class LayerCache:
    k: Tensor  # [B, Hkv, L, hd]
    v: Tensor
    cross_k: Tensor | None = None  # [B, Hkv, Nv, hd], computed once per image set
    cross_v: Tensor | None = None

    def write(
        self, input_pos: Tensor, k: Tensor, v: Tensor, lo: int, end: int
    ) -> tuple[Tensor, Tensor]:
        """Store k/v [B, H, T, hd] at ``input_pos`` ([T], or [B, T] per row); return the cached
        keys and values of positions lo..end-1."""
        if input_pos.dim() == 1:
            self.k.index_copy_(2, input_pos, k)
            self.v.index_copy_(2, input_pos, v)
        else:
            rows = torch.arange(k.shape[0], device=k.device)[:, None]
            self.k[rows, :, input_pos] = k.transpose(1, 2)  # advanced indices first: [B, T, H, hd]
            self.v[rows, :, input_pos] = v.transpose(1, 2)
        return self.k[:, :, lo:end], self.v[:, :, lo:end]


class KVCache:
    """Preallocated per-layer keys/values, which key slots are real (not padding), the tokens
    written (n-gram embeddings look back at them) and the vision keys/values of cross-attention.

    The cache owns this bookkeeping; a backbone's forward asks it. ``vision_len`` > 0
    preallocates the vision keys too, so that :meth:`rows` views (one conversation each of a
    batch) can hold different images and still step together."""

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
        vision_len: int = 0,
    ) -> None:
        shape = (batch, kv_heads * kv_factor, max_len, head_dim)
        vshape = (batch, kv_heads, vision_len, head_dim)

        def zeros(s: tuple[int, ...]) -> Tensor | None:
            return torch.zeros(s, device=device, dtype=dtype) if s[2] else None

        self.layers = [
            LayerCache(zeros(shape), zeros(shape), zeros(vshape), zeros(vshape))
            for _ in range(n_layers)
        ]
        self.valid = torch.ones(batch, max_len, dtype=torch.bool, device=device)
        self.tokens = torch.zeros(batch, max_len, dtype=torch.long, device=device)
        self.has_padding = False
        self.max_len = max_len
        self.vision_len = vision_len
        # [B, Nv] once cross K/V are cached; preallocated: all False until a row gets images
        self.vision_mask: Tensor | None = (
            torch.zeros(batch, vision_len, dtype=torch.bool, device=device) if vision_len else None
        )
        self.is_view = False

    @classmethod
    def for_config(
        cls,
        cfg: ModelConfig,
        batch: int,
        max_len: int | None,
        device: torch.device | str,
        dtype: torch.dtype,
        vision_len: int = 0,
    ) -> KVCache:
        """The cache of a backbone's main transformer (``cfg.n_layers`` blocks)."""
        return cls(
            cfg.n_layers,
            batch,
            min(max_len or cfg.max_seq_len, cfg.max_seq_len),
            cfg.kv_heads,
            cfg.head_dim,
            device,
            dtype,
            kv_factor=2 if cfg.attention == "diff" else 1,
            vision_len=vision_len,
        )

    @property
    def batch(self) -> int:
        return self.valid.shape[0]

    def rows(self, lo: int, hi: int) -> KVCache:
        """A view of rows lo..hi-1: it shares this cache's tensors (writes go through)."""
        view = object.__new__(KVCache)
        view.layers = [
            LayerCache(
                *(t[lo:hi] if t is not None else None for t in (c.k, c.v, c.cross_k, c.cross_v))
            )
            for c in self.layers
        ]
        view.valid, view.tokens = self.valid[lo:hi], self.tokens[lo:hi]
        view.has_padding, view.max_len, view.vision_len = (
            self.has_padding,
            self.max_len,
            self.vision_len,
        )
        view.vision_mask = self.vision_mask[lo:hi] if self.vision_len else self.vision_mask
        view.is_view = True
        return view

    def check(self, end: int) -> None:
        if end > self.max_len:
            raise ValueError(f"sequence of {end} tokens exceeds the KV cache ({self.max_len})")

    def mark_valid(self, input_pos: Tensor, key_valid: Tensor | None) -> Tensor | None:
        """Record which written slots are real tokens; return the key mask to attend with
        (None while nothing in the cache is padding)."""
        if key_valid is not None:
            if input_pos.dim() == 2:
                raise ValueError("key_valid needs shared positions (input_pos [T])")
            self.valid[:, input_pos] = key_valid
            self.has_padding = self.has_padding or not bool(key_valid.all())
        elif self.has_padding:
            self.valid[_row_index(input_pos), input_pos] = True
        return self.valid if self.has_padding else None

    def history(self, input_pos: Tensor, n: int, pad: int) -> Tensor:
        """The (up to) ``n`` tokens written just before each row's chunk; ``pad`` before the
        stream's start."""
        if input_pos.dim() == 1:
            start = int(input_pos[0])
            return self.tokens[:, max(0, start - n) : start]
        idx = input_pos[:, :1] - n + torch.arange(n, device=input_pos.device)  # [B, n]
        got = self.tokens.gather(1, idx.clamp(min=0))
        return got.masked_fill(idx < 0, pad)

    def record(self, tokens: Tensor, input_pos: Tensor) -> None:
        """Remember the tokens written at ``input_pos`` (for :meth:`history`)."""
        self.tokens[_row_index(input_pos), input_pos] = tokens

    def store_vision(self, kvs: list[tuple[Tensor, Tensor] | None], mask: Tensor) -> None:
        """Keep each layer's vision keys/values (``None`` for layers without cross-attention)."""
        if not self.vision_len:
            if self.is_view:  # the keys would live on the view only, unseen by the whole batch
                raise ValueError("images in a row of a batch need a cache built with vision_len")
            for layer, kv in zip(self.layers, kvs, strict=True):
                if kv is not None:
                    layer.cross_k, layer.cross_v = kv
            self.vision_mask = mask
            return
        n = mask.shape[1]
        if n > self.vision_len:
            raise ValueError(f"{n} vision tokens exceed the cache's {self.vision_len}")
        for layer, kv in zip(self.layers, kvs, strict=True):
            if kv is not None:
                layer.cross_k[:, :, :n], layer.cross_v[:, :, :n] = kv
        self.vision_mask[:, :n] = mask
        self.vision_mask[:, n:] = False

    def vision(self) -> tuple[list[tuple[Tensor, Tensor] | None], Tensor | None]:
        """The cached vision keys/values per layer and their mask (Nones when no row has any)."""
        if self.vision_mask is None or (self.vision_len and not bool(self.vision_mask.any())):
            return [None] * len(self.layers), None
        kvs = [(c.cross_k, c.cross_v) if c.cross_k is not None else None for c in self.layers]
        return kvs, self.vision_mask

    def reset_vision(self) -> None:
        if self.vision_len:
            self.vision_mask.fill_(False)
            return
        for layer in self.layers:
            layer.cross_k = layer.cross_v = None
        self.vision_mask = None


def _row_index(input_pos: Tensor) -> Tensor | slice:
    """The row index that pairs with ``input_pos`` in ``t[rows, input_pos]``."""
    if input_pos.dim() == 1:
        return slice(None)
    return torch.arange(input_pos.shape[0], device=input_pos.device)[:, None]


def attention_mask(input_pos: Tensor, end: int, valid: Tensor | None) -> Tensor | None:
    """Boolean mask [B|1, 1, T, end]: causal by position, minus padded keys.

    ``input_pos`` is [T], or [B, T] when each row sits at its own positions. Every query may
    always see itself, so a padding query never gets an all-masked row (NaN). Returns None for a
    single decode step with no padding: every cached key is visible.
    """
    if valid is None and input_pos.dim() == 1 and input_pos.numel() == 1:
        return None
    keys = torch.arange(end, device=input_pos.device)
    pos = input_pos if input_pos.dim() == 2 else input_pos[None]  # [B|1, T]
    mask = keys <= pos[..., None]  # [B|1, T, end]
    if valid is not None:
        mask = (mask & valid[:, None, :end]) | (keys == pos[..., None])
    return mask[:, None]


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

    def forward(self, x: Tensor, a: AttentionInput, cache: LayerCache | None) -> Tensor:
        B, T, _ = x.shape
        q, k, v = self.project(x, a.cos, a.sin)
        if cache is not None:
            k, v = cache.write(a.input_pos, k, v, 0, a.end)
        y = self.attend(q, k, v, a.mask, causal=cache is None)
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
