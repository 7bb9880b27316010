"""Helpers shared by the core tests (importable, unlike conftest)."""

from __future__ import annotations

import torch

from aether_core.config import ModelConfig, ViTConfig
from aether_core.model import build_model

TINY_VIT = {"dim": 32, "n_layers": 1, "n_heads": 2, "n_queries": 8}


def tiny_config(**overrides) -> ModelConfig:
    """dim 64, 2 layers, 4 heads (2 KV heads), 128 positions, a one-layer 32-wide ViT."""
    kw = {
        "dim": 64,
        "n_layers": 2,
        "n_heads": 4,
        "n_kv_heads": 2,
        "max_seq_len": 128,
        "vision": ViTConfig(**TINY_VIT),
    }
    kw.update(overrides)
    return ModelConfig(**kw)


def tiny_model(seed: int = 0, **overrides) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model(tiny_config(**overrides)).eval()
