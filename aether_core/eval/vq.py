"""VQ codec quality: reconstruction PSNR and codebook usage (a collapsed codebook wastes bytes)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image

from ..model.vq import TinyVQVAE, image_to_tensor


def _as_tensor(x: torch.Tensor | Image.Image) -> torch.Tensor:
    if isinstance(x, Image.Image):
        return torch.from_numpy(np.asarray(x.convert("RGB"), dtype=np.float32) / 255.0)
    return x


def psnr(a: torch.Tensor | Image.Image, b: torch.Tensor | Image.Image) -> float:
    """Peak signal-to-noise ratio in dB for images in [0, 1] (tensors) or PIL images."""
    ta, tb = _as_tensor(a), _as_tensor(b)
    if ta.shape != tb.shape:
        raise ValueError(f"psnr needs equal shapes, got {list(ta.shape)} and {list(tb.shape)}")
    mse = float(torch.mean((ta.float() - tb.float()) ** 2))
    return 100.0 if mse <= 1e-10 else 10.0 * math.log10(1.0 / mse)


def per_stage_usage(codes: torch.Tensor, codebook_size: int = 256, stages: int = 2) -> list[float]:
    """Fraction of each stage's codebook used at least once; codes are [B, G*G*stages]."""
    flat = codes.reshape(-1, stages)  # documented order: per cell, [stage1, stage2, ...]
    return [torch.unique(flat[:, s]).numel() / codebook_size for s in range(stages)]


def codebook_usage(codes: torch.Tensor, codebook_size: int = 256, stages: int = 2) -> float:
    """Fraction of all ``stages * codebook_size`` entries used at least once."""
    return sum(per_stage_usage(codes, codebook_size, stages)) / stages


@torch.no_grad()
def evaluate_vq(
    model: TinyVQVAE, images: Sequence[Image.Image], batch_size: int = 64
) -> dict[str, float | int | list[float]]:
    """Round-trip ``images`` through the codes; PSNR is pooled over all pixels of all images."""
    if not images:
        raise ValueError("evaluate_vq needs at least one image")
    model.eval()
    cfg = model.cfg
    sq_err, n_vals, all_codes = 0.0, 0, []
    for i in range(0, len(images), batch_size):
        x = torch.stack([image_to_tensor(im, cfg.image_size) for im in images[i : i + batch_size]])
        codes = model.encode_tensor(x)
        recon = model.decode_tensor(codes)
        sq_err += float(((recon - x) ** 2).sum())
        n_vals += x.numel()
        all_codes.append(codes)
    codes = torch.cat(all_codes)
    mse = sq_err / n_vals
    stage_usage = per_stage_usage(codes, cfg.codebook_size, cfg.stages)
    return {
        "psnr": 100.0 if mse <= 1e-10 else 10.0 * math.log10(1.0 / mse),
        "mse": mse,
        "usage": sum(stage_usage) / cfg.stages,
        "stage_usage": stage_usage,
        "n": len(images),
    }
