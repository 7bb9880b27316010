"""Backbones. ``build_model`` picks one from ``ModelConfig.arch``; both implement ``Backbone``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from torch import Tensor, nn

from ..config import ModelConfig

if TYPE_CHECKING:
    import torch


class DecodeCache(Protocol):
    """What a backbone's ``new_cache`` gives: preallocated state for ``max_len`` positions."""

    max_len: int

    def reset_vision(self) -> None:
        """Forget the cached image set (the next chunk with ``vision`` brings a new one)."""


@runtime_checkable
class Backbone(Protocol):
    """The interface every model face (sampling, training, evaluation, the server) relies on.

    ``forward(tokens [B, T]) -> logits [B, T, V]``: without a cache the training pass over
    positions 0..T-1; with one, ``input_pos`` says where the tokens go ([T], or [B, T] per row
    when ``batched_decode``) and the same path serves prefill and single-token decode. Cached
    logits equal a full pass.
    """

    cfg: ModelConfig
    batched_decode: bool  # rows at different positions can step in one pass (input_pos [B, T])

    def forward(
        self,
        tokens: Tensor,
        *,
        input_pos: Tensor | None = None,
        cache: DecodeCache | None = None,
        key_valid: Tensor | None = None,
        vision: Tensor | None = None,
        vision_mask: Tensor | None = None,
        last_only: bool = False,
    ) -> Tensor: ...

    def new_cache(
        self,
        batch: int,
        max_len: int | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        vision_len: int = 0,
    ) -> DecodeCache:
        """A cache for ``batch`` rows; ``vision_len`` > 0 preallocates room for that many vision
        tokens per row (rows of one batch holding different images)."""
        ...

    def encode_images(
        self, images: Tensor, image_mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """images [B, N, 3, 64, 64] -> vision tokens [B, N*Q, D] and their mask [B, N*Q]."""
        ...

    def num_params(self, include_vision: bool = True) -> int: ...

    def reset_buffers(self) -> None:
        """Recompute non-persistent buffers (RoPE tables) on the weights' device."""
        ...


def build_model(cfg: ModelConfig) -> Backbone | nn.Module:
    if cfg.arch == "hierarchical":
        from .hierarchical import HierarchicalByteModel

        return HierarchicalByteModel(cfg)
    from .transformer import ByteTransformer

    return ByteTransformer(cfg)
