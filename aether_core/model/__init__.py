"""Backbones. ``build_model`` picks one from ``ModelConfig.arch``; both share one interface:
``forward(tokens, input_pos=, cache=, key_valid=, vision=, vision_mask=, last_only=)``,
``new_cache(batch, max_len)``, ``encode_images(images, mask)`` and ``num_params()``."""

from __future__ import annotations

from torch import nn

from ..config import ModelConfig


def build_model(cfg: ModelConfig) -> nn.Module:
    if cfg.arch == "hierarchical":
        from .hierarchical import HierarchicalByteModel

        return HierarchicalByteModel(cfg)
    from .transformer import ByteTransformer

    return ByteTransformer(cfg)
