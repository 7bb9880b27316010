"""Pictures unlike the shapes world (photo-like gradients, landscapes, textures, crowds of small
shapes), and the honest answer about them: their main colours, and that only simple shapes are
recognized.

Why: the model's eyes were trained on one coloured shape on a plain background. Shown a
photograph it used to caption it from that world with full confidence ("a magenta square on a
black background"). Trained on these, it learns to say what it can tell instead.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .shapes import COLOURS, IMAGE_SIZE, nearest_colour

STYLES = ("gradient", "landscape", "blobs", "stripes", "texture", "crowd")
SCENE_POOL = 6000  # distinct scene seeds; each split draws its own (by value_split of the seed)
MIN_SHARE = 0.2  # a colour covering less of the picture is not one of its main colours
NAMES = tuple(COLOURS)


@dataclass(frozen=True)
class SceneSpec:
    """A seeded picture of ``style`` painted mostly in ``colours`` (palette names)."""

    style: str
    colours: tuple[str, ...]
    seed: int

    def render(self) -> Image.Image:
        return render_scene(self)


def random_scene(rng: random.Random, seed: int) -> SceneSpec:
    k = rng.choice((2, 2, 3))
    return SceneSpec(rng.choice(STYLES), tuple(rng.sample(NAMES, k)), seed)


def _smooth_field(g: np.random.Generator, cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a coarse random grid, bilinearly upsampled."""
    coarse = g.random((cells + 1, cells + 1)).astype(np.float32)
    img = Image.fromarray((coarse * 255).astype(np.uint8)).resize(
        (IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BICUBIC
    )
    return np.asarray(img, dtype=np.float32) / 255.0


def render_scene(spec: SceneSpec) -> Image.Image:
    g = np.random.default_rng(spec.seed)
    pal = np.array([COLOURS[c] for c in spec.colours], dtype=np.float32)
    yy, xx = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE].astype(np.float32) / (IMAGE_SIZE - 1)
    if spec.style == "gradient":
        angle = g.uniform(0, np.pi)
        t = np.clip((np.cos(angle) * xx + np.sin(angle) * yy) / 1.2 + 0.1, 0, 1)[..., None]
        img = pal[0] * (1 - t) + pal[1] * t
    elif spec.style == "landscape":
        horizon = 0.35 + 0.3 * g.random() + 0.08 * np.sin(xx * g.uniform(3, 9) + g.uniform(0, 6))
        ground = (yy > horizon)[..., None]
        img = np.where(ground, pal[1], pal[0]) * (0.85 + 0.3 * _smooth_field(g, 6))[..., None]
        if len(pal) > 2:  # a sun, a tree, a house: something in the third colour
            cx, cy, r = g.uniform(0.2, 0.8), g.uniform(0.15, 0.4), g.uniform(0.08, 0.16)
            blob = ((xx - cx) ** 2 + (yy - cy) ** 2 < r * r)[..., None]
            img = np.where(blob, pal[2], img)
    elif spec.style == "blobs":
        field = _smooth_field(g, int(g.integers(3, 7)))
        edges = np.quantile(field, np.linspace(0, 1, len(pal) + 1)[1:-1])
        img = pal[np.digitize(field, edges)]
    elif spec.style == "stripes":
        angle, freq = g.uniform(0, np.pi), g.uniform(4, 12)
        phase = (np.cos(angle) * xx + np.sin(angle) * yy) * freq
        img = pal[(np.floor(phase).astype(int) % len(pal))]
    elif spec.style == "texture":
        field = _smooth_field(g, 12) * 0.6 + g.random((IMAGE_SIZE, IMAGE_SIZE)) * 0.4
        edges = np.quantile(field, np.linspace(0, 1, len(pal) + 1)[1:-1])
        img = pal[np.digitize(field, edges)]
    else:  # crowd: many small shapes on the first colour
        img = np.broadcast_to(pal[0], (IMAGE_SIZE, IMAGE_SIZE, 3)).copy()
        for _ in range(int(g.integers(8, 20))):
            cx, cy, r = g.uniform(0, 1), g.uniform(0, 1), g.uniform(0.04, 0.1)
            col = pal[1 + int(g.integers(0, len(pal) - 1))]
            if g.random() < 0.5:
                mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
            else:
                mask = (abs(xx - cx) < r) & (abs(yy - cy) < r)
            img[mask] = col
    noise = g.normal(0, 10, (IMAGE_SIZE, IMAGE_SIZE, 3))  # a camera's grain
    return Image.fromarray(np.clip(img + noise, 0, 255).astype(np.uint8), "RGB")


def main_colours(image: Image.Image, most: int = 3) -> list[str]:
    """The palette colours covering at least ``MIN_SHARE`` of the picture, most first."""
    arr = np.asarray(image.convert("RGB"), dtype=np.float32).reshape(-1, 3)
    pal = np.array(list(COLOURS.values()), dtype=np.float32)
    nearest = ((arr[:, None, :] - pal[None]) ** 2).sum(-1).argmin(1)
    counts = np.bincount(nearest, minlength=len(pal)) / len(arr)
    order = [int(i) for i in np.argsort(-counts) if counts[i] >= MIN_SHARE][:most]
    names = [NAMES[i] for i in order]
    return names or [nearest_colour(arr.mean(0))]


def say_colours(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


HONEST_ANSWERS = (
    "I can't tell what this picture shows: I only recognize simple shapes. Its main colours "
    "are {c}.",
    "I'm not sure what this is. I only know simple shapes (circles, squares, triangles), and "
    "this isn't one. Mostly {c}.",
    "This doesn't look like a simple shape, and that's all I can recognize. The main colours "
    "are {c}.",
)
