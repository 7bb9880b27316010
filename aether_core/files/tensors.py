"""Images to and from the model's input: a centred square of ``size`` pixels, as a float tensor.

torch is imported inside the functions, so loading files does not import it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps

from .errors import ImageError
from .images import to_rgb

if TYPE_CHECKING:
    import torch


def to_model_image(img: Image.Image, size: int = 64) -> Image.Image:
    """Center-crop to a square and resize to ``size`` x ``size`` RGB (LANCZOS)."""
    if img.mode != "RGB":
        img = to_rgb(img)
    return ImageOps.fit(img, (size, size), method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def image_to_tensor(img: Image.Image, size: int = 64) -> torch.Tensor:
    """Float tensor ``[3, size, size]`` in [0, 1]; resized with :func:`to_model_image` if needed."""
    import torch

    if img.mode != "RGB" or img.size != (size, size):
        img = to_model_image(img, size)
    arr = np.asarray(img, dtype=np.uint8)
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div_(255.0).contiguous()


def tensor_to_image(t: torch.Tensor) -> Image.Image:
    """Inverse of :func:`image_to_tensor`: ``[3, H, W]`` (or ``[1, 3, H, W]``) in [0, 1] -> RGB."""
    import torch

    t = t.detach().cpu().float()
    if t.dim() == 4 and t.shape[0] == 1:
        t = t[0]
    if t.dim() != 3 or t.shape[0] not in (1, 3):
        raise ImageError(f"expected an image tensor [3, H, W], got {list(t.shape)}")
    if t.shape[0] == 1:
        t = t.expand(3, -1, -1)
    arr = (t.clamp(0, 1) * 255.0).round().to(dtype=torch.uint8)
    return Image.fromarray(arr.permute(1, 2, 0).contiguous().numpy(), "RGB")
