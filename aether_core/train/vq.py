"""Training for the TinyVQVAE: one reusable step plus a thin seeded loop on synthetic shapes.

``vq_train_step`` is what a generic trainer (run folders, checkpoints, resume) calls; ``train_vq``
is the minimal loop around it used by tests and for training the shipped codec.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

import torch
from PIL import Image

from ..data.shapes import random_spec, render
from ..model.vq import TinyVQVAE, image_to_tensor


def shapes_batch(rng: random.Random, batch_size: int) -> torch.Tensor:
    """A fresh batch of synthetic shapes images as [B, 3, 64, 64] floats in [0, 1]."""
    return torch.stack([image_to_tensor(render(random_spec(rng))) for _ in range(batch_size)])


def images_batch(
    images: Sequence[Image.Image | torch.Tensor], rng: random.Random, batch_size: int
) -> torch.Tensor:
    """A random batch (with replacement) from a fixed image list."""
    picks = [images[rng.randrange(len(images))] for _ in range(batch_size)]
    return torch.stack([p if isinstance(p, torch.Tensor) else image_to_tensor(p) for p in picks])


def make_optimizer(
    model: TinyVQVAE, lr: float = 2e-3, weight_decay: float = 1e-4
) -> torch.optim.AdamW:
    """AdamW over trainable weights (codebooks are EMA buffers, not parameters)."""
    return torch.optim.AdamW(
        model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=weight_decay
    )


def lr_at(step: int, total: int, peak: float, warmup: int = 50, final: float = 0.05) -> float:
    """Linear warmup then cosine decay to ``final * peak``."""
    if step < warmup:
        return peak * (step + 1) / warmup
    t = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (final + (1 - final) * 0.5 * (1 + math.cos(math.pi * t)))


def vq_train_step(
    model: TinyVQVAE, optimizer: torch.optim.Optimizer, batch: torch.Tensor
) -> dict[str, float]:
    """One optimisation step on ``batch`` [B, 3, 64, 64] in [0, 1]; returns float metrics."""
    model.train()
    _, losses = model(batch)
    optimizer.zero_grad(set_to_none=True)
    losses["loss"].backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    mse = float(losses["recon"])
    return {
        "loss": float(losses["loss"].detach()),
        "recon": mse,
        "commit": float(losses["commit"]),
        "psnr": 10 * math.log10(1 / max(mse, 1e-10)),
    }


def train_vq(
    model: TinyVQVAE,
    *,
    steps: int,
    batch_size: int = 32,
    lr: float = 2e-3,
    seed: int = 0,
    images: Sequence[Image.Image | torch.Tensor] | None = None,
    log: Callable[[int, dict], None] | None = None,
    warmup: int = 50,
) -> dict[str, float]:
    """Train ``model`` in place for ``steps`` steps; returns the last step's metrics.

    Images default to fresh synthetic shapes every step (no overfitting to a fixed set).
    Seeded: same seed, same thread count -> same result. Recipe for the default model: batch 32,
    lr 2e-3; ~2000 steps give ~29.5 dB, ~3000 steps ~32.5 dB on fresh shapes images.
    """
    torch.manual_seed(seed)
    rng = random.Random(seed)
    optimizer = make_optimizer(model, lr)
    metrics: dict[str, float] = {}
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, steps, lr, warmup=min(warmup, max(1, steps // 10)))
        if images is None:
            batch = shapes_batch(rng, batch_size)
        else:
            batch = images_batch(images, rng, batch_size)
        metrics = vq_train_step(model, optimizer, batch)
        metrics["lr"] = optimizer.param_groups[0]["lr"]
        if log is not None:
            log(step, metrics)
    model.eval()
    return metrics
