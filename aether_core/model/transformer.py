"""ByteTransformer: the flat backbone. Pre-norm blocks of RoPE self-attention, optional cross-
attention to vision tokens (skipped when no image is present) and a SwiGLU feed-forward."""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..config import ModelConfig
from .attention import (
    AttentionInput,
    CrossAttention,
    KVCache,
    LayerCache,
    RMSNorm,
    SelfAttention,
    attention_mask,
    init_linear,
    rope_tables,
)
from .ngram import PAD_ID, HashNgramEmbedding
from .vision import TinyPatchViT


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int) -> None:
        super().__init__()
        self.norm1 = RMSNorm(cfg.dim, cfg.norm_eps)
        self.attn = make_self_attention(cfg, layer)
        if cfg.has_cross(layer):
            self.norm_c = RMSNorm(cfg.dim, cfg.norm_eps)
            self.cross = CrossAttention(cfg.dim, cfg.n_heads, cfg.kv_heads, cfg.norm_eps)
        else:
            self.cross = None
        self.norm2 = RMSNorm(cfg.dim, cfg.norm_eps)
        self.w13 = nn.Linear(cfg.dim, 2 * cfg.ffn_dim, bias=False)  # gate and up, fused
        self.w2 = nn.Linear(cfg.ffn_dim, cfg.dim, bias=False)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self,
        x: Tensor,
        a: AttentionInput,
        cache: LayerCache | None,
        cross_kv: tuple[Tensor, Tensor] | None,
    ) -> Tensor:
        x = x + self.drop(self.attn(self.norm1(x), a, cache))
        if self.cross is not None and cross_kv is not None:
            x = x + self.drop(self.cross(self.norm_c(x), *cross_kv, a.vision_mask))
        gate, up = self.w13(self.norm2(x)).chunk(2, dim=-1)
        return x + self.drop(self.w2(F.silu(gate) * up))


def vision_keys_values(
    blocks: nn.ModuleList, vision: Tensor | None, vision_mask: Tensor | None, cache: KVCache | None
) -> tuple[list[tuple[Tensor, Tensor] | None], Tensor | None]:
    """Each block's cross-attention keys/values for ``vision`` (kept in the cache), or the
    cached ones when no new images come with this chunk."""
    if vision is None:
        return cache.vision() if cache is not None else ([None] * len(blocks), None)
    if vision_mask is None:
        vision_mask = torch.ones(vision.shape[:2], dtype=torch.bool, device=vision.device)
    kvs = [b.cross.keys_values(vision) if b.cross is not None else None for b in blocks]
    if cache is not None:
        cache.store_vision(kvs, vision_mask)
    return kvs, vision_mask


def make_self_attention(cfg: ModelConfig, layer: int) -> nn.Module:
    if cfg.attention == "diff":
        from .diff_attention import DiffSelfAttention

        return DiffSelfAttention(cfg, layer)
    return SelfAttention(cfg.dim, cfg.n_heads, cfg.kv_heads, cfg.qk_norm, cfg.dropout, cfg.norm_eps)


class ByteTransformer(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.ngram = (
            HashNgramEmbedding(cfg.dim, cfg.ngram_sizes, cfg.ngram_table)
            if cfg.ngram_sizes
            else None
        )
        self.blocks = nn.ModuleList(Block(cfg, i) for i in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.head = None if cfg.tie_embeddings else nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        self.vit = TinyPatchViT(cfg.vision, cfg.dim) if cfg.cross_attn else None
        self.register_buffer("rope_cos", torch.empty(0), persistent=False)
        self.register_buffer("rope_sin", torch.empty(0), persistent=False)
        self.reset_buffers()
        init_linear(self, cfg.n_layers)
        nn.init.normal_(self.embed.weight, std=0.02)

    def reset_buffers(self) -> None:
        """Compute the non-persistent RoPE tables on the weights' device."""
        device = self.embed.weight.device
        cos, sin = rope_tables(self.cfg.head_dim, self.cfg.max_seq_len, self.cfg.rope_theta)
        self.rope_cos, self.rope_sin = cos.to(device), sin.to(device)

    # ------------------------------------------------------------------ vision
    def encode_images(
        self, images: Tensor, image_mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """images [B, N, 3, 64, 64] -> vision tokens [B, N*Q, D] and their mask [B, N*Q]."""
        if self.vit is None:
            raise ValueError("this model has no vision encoder (cross_attn is off)")
        B, N = images.shape[:2]
        tokens = self.vit(images.flatten(0, 1).to(self.embed.weight.dtype))
        Q = tokens.shape[1]
        if image_mask is None:
            image_mask = torch.ones(B, N, dtype=torch.bool, device=images.device)
        return tokens.view(B, N * Q, -1), image_mask.repeat_interleave(Q, dim=1)

    # ------------------------------------------------------------------ cache
    batched_decode = True  # rows at different positions can step together (input_pos [B, T])

    def new_cache(
        self,
        batch: int,
        max_len: int | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        vision_len: int = 0,
    ) -> KVCache:
        p = self.embed.weight
        return KVCache.for_config(
            self.cfg, batch, max_len, device or p.device, dtype or p.dtype, vision_len
        )

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        tokens: Tensor,
        *,
        input_pos: Tensor | None = None,
        cache: KVCache | None = None,
        key_valid: Tensor | None = None,
        vision: Tensor | None = None,
        vision_mask: Tensor | None = None,
        last_only: bool = False,
    ) -> Tensor:
        """tokens [B, T] -> logits [B, T, V] (or [B, 1, V] with last_only).

        Without a cache this is the training pass (positions 0..T-1). With a cache, ``input_pos``
        says where the tokens go ([T], or [B, T] with each row at its own positions); the same
        path serves prefill and single-token decode. ``key_valid`` [B, T] marks real (True) vs
        padding (False) tokens.
        """
        a = self._positions(tokens, input_pos, cache, key_valid)
        x = self.embed(tokens)
        if self.ngram is not None:
            history = (
                cache.history(a.input_pos, self.ngram.context, PAD_ID)
                if cache is not None
                else None
            )
            x = x + self.ngram(tokens, history)
            if cache is not None:
                cache.record(tokens, a.input_pos)
        vision_kv, vision_mask = vision_keys_values(self.blocks, vision, vision_mask, cache)
        a = replace(a, vision_mask=vision_mask)
        layers = cache.layers if cache is not None else [None] * len(self.blocks)
        for block, layer, kv in zip(self.blocks, layers, vision_kv, strict=True):
            x = block(x, a, layer, kv)
        if last_only:
            x = x[:, -1:]
        x = self.norm(x)
        return F.linear(x, self.embed.weight) if self.head is None else self.head(x)

    def _positions(
        self,
        tokens: Tensor,
        input_pos: Tensor | None,
        cache: KVCache | None,
        key_valid: Tensor | None,
    ) -> AttentionInput:
        """Where the tokens sit, the keys they see and their RoPE rows."""
        if input_pos is None:  # training: no .item() here, so torch.compile sees one graph
            input_pos, end = torch.arange(tokens.shape[1], device=tokens.device), tokens.shape[1]
        else:
            end = int(input_pos.max() if input_pos.dim() == 2 else input_pos[-1]) + 1
        if end > self.cfg.max_seq_len:
            raise ValueError(f"sequence of {end} tokens exceeds max_seq_len {self.cfg.max_seq_len}")
        valid = key_valid
        if cache is not None:
            cache.check(end)
            valid = cache.mark_valid(input_pos, key_valid)
        mask = (
            attention_mask(input_pos, end, valid)
            if cache is not None or valid is not None
            else None
        )
        return AttentionInput.at(self.rope_cos, self.rope_sin, input_pos, end, mask=mask)

    def num_params(self, include_vision: bool = True) -> int:
        return sum(
            p.numel()
            for n, p in self.named_parameters()
            if include_vision or not n.startswith("vit.")
        )
