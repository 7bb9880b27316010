"""Start a hierarchical model's frozen entropy patcher from a trained flat checkpoint.

It lives here, not in ``model.entropy``, because it reads checkpoints: ``checkpoint`` builds
models, so the model package must not import ``checkpoint`` back.
"""

from __future__ import annotations

import os

from torch import nn

from ..checkpoint import CheckpointError, load_checkpoint


def load_entropy_weights(model: nn.Module, directory: str | os.PathLike) -> None:
    """Copy a trained flat entropy checkpoint into ``model.entropy_model`` (shapes must match
    ``entropy_model_config``)."""
    target = getattr(model, "entropy_model", None)
    if target is None:
        raise CheckpointError("this model has no entropy model (its patcher is not entropy-based)")
    src, src_cfg, _ = load_checkpoint(directory)
    want = target.cfg
    if (src_cfg.arch, src_cfg.dim, src_cfg.n_layers, src_cfg.n_heads) != (
        "flat",
        want.dim,
        want.n_layers,
        want.n_heads,
    ):
        raise CheckpointError(
            f"{directory}: entropy model is {src_cfg.arch} dim={src_cfg.dim} layers="
            f"{src_cfg.n_layers} heads={src_cfg.n_heads}; the config expects flat dim={want.dim} "
            f"layers={want.n_layers} heads={want.n_heads} (hier.entropy_*)"
        )
    state = {k: v for k, v in src.state_dict().items() if k in target.state_dict()}
    try:
        target.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise CheckpointError(f"{directory}: entropy weights do not fit ({e})") from None
