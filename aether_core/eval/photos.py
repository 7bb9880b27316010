"""Photograph-like pictures for the ``photo`` written prompts: nothing like the drawn shapes the
model was trained on (smooth light, texture, many overlapping things), so an honest answer is
the only right one. Seeded, so a prompt gets the same picture on every run."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = 128


def photograph(seed: int) -> Image.Image:
    """A seeded scene: a sky-to-ground gradient, blurred blobs of many colours, grain."""
    rng = np.random.default_rng(seed)
    top, bottom = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = np.linspace(0.0, 1.0, SIZE)[:, None, None]
    base = (1 - t) * top + t * bottom
    img = Image.fromarray(np.broadcast_to(base, (SIZE, SIZE, 3)).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(12, 24))):
        x, y = rng.integers(-20, SIZE, 2)
        w, h = rng.integers(8, 60, 2)
        fill = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse((int(x), int(y), int(x + w), int(y + h)), fill=fill)
    img = img.filter(ImageFilter.GaussianBlur(2.5))
    grain = rng.normal(0, 12, (SIZE, SIZE, 3))
    return Image.fromarray(
        np.clip(np.asarray(img, dtype=np.float64) + grain, 0, 255).astype(np.uint8)
    )
