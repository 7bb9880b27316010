"""Synthetic "one coloured shape on a coloured background" images, captions, and a geometric judge.

The generator feeds VQ training and text->image skills; the judge (``analyze_shape_image``) scores
drawings without a learned classifier, so it cannot be fooled by the model it is judging.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

IMAGE_SIZE = 64
MIN_SIZE, MAX_SIZE = 16, 48
MARGIN = 1  # shapes keep this many pixels from the border, so the border is pure background
SUPERSAMPLE = 4  # draw at 4x and box-filter down: antialiased edges that a VQ can reproduce

# Fixed, well separated sRGB values (nearest pair: yellow/orange, ~86 apart in 0..255 RGB).
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (230, 25, 25),
    "green": (30, 180, 40),
    "blue": (30, 60, 230),
    "yellow": (245, 225, 30),
    "cyan": (30, 220, 230),
    "magenta": (220, 40, 220),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
    "orange": (250, 140, 20),
    "purple": (120, 40, 170),
    "gray": (128, 128, 128),
    "pink": (250, 160, 190),
    "brown": (130, 75, 30),
}
SHAPES: tuple[str, ...] = ("circle", "square", "triangle")

_PALETTE = np.array(list(COLOURS.values()), dtype=np.float32)
_NAMES = list(COLOURS)


@dataclass(frozen=True)
class ShapeSpec:
    """Everything needed to render one image; ``size`` is the side of the shape's bounding box."""

    shape: str
    colour: str
    background: str
    cx: int
    cy: int
    size: int


@dataclass(frozen=True)
class ShapeAnalysis:
    """What the judge sees in an image; ``None`` fields mean "no confident answer"."""

    colour: str | None
    shape: str | None
    fill_ratio: float
    bbox: tuple[int, int, int, int] | None  # (x0, y0, x1, y1), x1/y1 exclusive
    background: str | None = None


def random_spec(rng: random.Random, **fixed: object) -> ShapeSpec:
    """Draw a spec uniformly; keyword arguments pin fields (e.g. ``shape="circle"``)."""
    unknown = set(fixed) - {"shape", "colour", "background", "cx", "cy", "size"}
    if unknown:
        raise ValueError(f"unknown ShapeSpec field(s): {', '.join(sorted(unknown))}")
    shape = str(fixed["shape"]) if "shape" in fixed else rng.choice(SHAPES)
    if "colour" in fixed:
        colour = str(fixed["colour"])
    else:
        colour = rng.choice([c for c in _NAMES if c != fixed.get("background")])
    if "background" in fixed:
        background = str(fixed["background"])
    else:
        background = rng.choice([c for c in _NAMES if c != colour])
    size = int(fixed["size"]) if "size" in fixed else rng.randint(MIN_SIZE, MAX_SIZE)  # type: ignore[arg-type]
    lo, hi = MARGIN + (size + 1) // 2, IMAGE_SIZE - MARGIN - (size + 1) // 2
    cx = int(fixed["cx"]) if "cx" in fixed else rng.randint(lo, hi)  # type: ignore[arg-type]
    cy = int(fixed["cy"]) if "cy" in fixed else rng.randint(lo, hi)  # type: ignore[arg-type]
    spec = ShapeSpec(shape, colour, background, cx, cy, size)
    _validate(spec)
    return spec


# Drawings are canonical: centred, one of three sizes, on white (black for a white shape) unless a
# background is asked for. A prompt then names everything the picture depends on, so the codes a
# small model has to write are a function of the request, not a guess at a random layout.
DRAW_SIZES: dict[str, int] = {"small": 24, "medium": 36, "big": 48}
DRAW_CENTRE = IMAGE_SIZE // 2


def default_background(colour: str) -> str:
    return "black" if colour == "white" else "white"


def drawing_spec(shape: str, colour: str, background: str | None = None,
                 size: str = "medium") -> ShapeSpec:  # fmt: skip
    """The picture the draw skill answers with (see ``DRAW_SIZES``)."""
    spec = ShapeSpec(shape, colour, background or default_background(colour), DRAW_CENTRE,
                     DRAW_CENTRE, DRAW_SIZES[size])  # fmt: skip
    _validate(spec)
    return spec


def _validate(spec: ShapeSpec) -> None:
    if spec.shape not in SHAPES:
        raise ValueError(f"unknown shape {spec.shape!r}; choose from {', '.join(SHAPES)}")
    for c in (spec.colour, spec.background):
        if c not in COLOURS:
            raise ValueError(f"unknown colour {c!r}; choose from {', '.join(COLOURS)}")
    if spec.colour == spec.background:
        raise ValueError("shape colour and background must differ")
    if not MIN_SIZE <= spec.size <= MAX_SIZE:
        raise ValueError(f"size {spec.size} outside {MIN_SIZE}..{MAX_SIZE}")
    half = spec.size / 2
    for c in (spec.cx, spec.cy):
        if c - half < MARGIN or c + half > IMAGE_SIZE - MARGIN:
            raise ValueError(f"shape at ({spec.cx}, {spec.cy}) size {spec.size} leaves the image")


def render(spec: ShapeSpec) -> Image.Image:
    """Render ``spec`` as a 64x64 RGB image (antialiased by 4x supersampling + box filter).
    Other pictures (``scenes.SceneSpec``) render themselves."""
    if not isinstance(spec, ShapeSpec):
        return spec.render()
    _validate(spec)
    s = SUPERSAMPLE
    big = Image.new("RGB", (IMAGE_SIZE * s, IMAGE_SIZE * s), COLOURS[spec.background])
    draw = ImageDraw.Draw(big)
    fill = COLOURS[spec.colour]
    # Bounding box [x0, x1) in supersampled pixels; PIL boxes are inclusive, hence the -1.
    x0 = round((spec.cx - spec.size / 2) * s)
    y0 = round((spec.cy - spec.size / 2) * s)
    x1, y1 = x0 + spec.size * s, y0 + spec.size * s
    if spec.shape == "circle":
        draw.ellipse([x0, y0, x1 - 1, y1 - 1], fill=fill)
    elif spec.shape == "square":
        draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=fill)
    else:  # isosceles triangle, apex up, base at the bottom: fills half its bounding box
        draw.polygon([((x0 + x1) / 2, y0), (x1, y1), (x0, y1)], fill=fill)
    return big.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BOX)


def caption(spec: ShapeSpec) -> str:
    """The canonical English caption, e.g. "a red circle on a blue background"."""
    return f"a {spec.colour} {spec.shape} on a {spec.background} background"


def shapes_dataset(n: int, seed: int = 0) -> list[tuple[Image.Image, ShapeSpec]]:
    """``n`` seeded (image, spec) pairs; the same seed always gives the same images."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        spec = random_spec(rng)
        out.append((render(spec), spec))
    return out


# --------------------------------------------------------------------------------------------
# The judge


def nearest_colour(rgb: np.ndarray | tuple[float, float, float]) -> str:
    """Name of the palette colour closest (Euclidean, 0..255 RGB) to ``rgb``."""
    d = ((_PALETTE - np.asarray(rgb, dtype=np.float32)) ** 2).sum(axis=1)
    return _NAMES[int(d.argmin())]


def _largest_component(mask: np.ndarray) -> np.ndarray:
    """Keep the largest 8-connected blob: noise specks must not stretch the bounding box.

    Labels spread by repeated 3x3 max filtering inside the mask (vectorised; converges in about
    the blob's diameter in iterations, far faster than a Python flood fill).
    """
    h, w = mask.shape
    p = np.zeros((h + 2, w + 2), dtype=np.int32)
    inner = p[1:-1, 1:-1]  # a view: writing it updates the padded array
    inner[mask] = np.arange(1, int(mask.sum()) + 1, dtype=np.int32)
    for _ in range(h * w):
        row = np.maximum(np.maximum(p[:, :-2], p[:, 1:-1]), p[:, 2:])
        box = np.maximum(np.maximum(row[:-2], row[1:-1]), row[2:])
        box[~mask] = 0
        if (box == inner).all():
            break
        inner[...] = box
    labels = inner
    counts = np.bincount(labels.ravel())
    counts[0] = 0
    return labels == int(counts.argmax()) if counts.any() else mask & False


def _dilate(mask: np.ndarray) -> np.ndarray:
    """3x3 binary dilation with plain numpy shifts (no scipy dependency)."""
    p = np.pad(mask, 1)
    h, w = mask.shape
    out = np.zeros_like(mask)
    for dy in range(3):
        for dx in range(3):
            out |= p[dy : dy + h, dx : dx + w]
    return out


def _background_and_distance(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Background = median border colour; returns (bg rgb, per-pixel distance, border distances)."""
    border = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    bg = np.median(border, axis=0)
    dist = np.sqrt(((a - bg) ** 2).sum(axis=-1))
    return bg, dist, np.sqrt(((border - bg) ** 2).sum(axis=-1))


def _lopsidedness(cov: np.ndarray) -> float:
    """How far the blob's mass centroid sits from the centre of its extent, per unit extent.

    Circles and squares are symmetric (0); an axis-aligned triangle's centroid is 1/3 of the way
    from its base, i.e. ~0.17 off-centre. Separates triangles from circles when blur pushes their
    fill ratios together.
    """
    worst = 0.0
    for axis in (0, 1):
        profile = cov.max(axis=axis)  # extent profile along the other axis
        mass = cov.sum(axis=axis)
        idx = np.arange(profile.size, dtype=np.float32)
        extent = float(profile.sum())
        if extent <= 0 or mass.sum() <= 0:
            continue
        centre = float((idx * profile).sum()) / extent
        centroid = float((idx * mass).sum() / mass.sum())
        worst = max(worst, abs(centroid - centre) / extent)
    return worst


def analyze_shape_image(img: Image.Image) -> ShapeAnalysis:
    """Judge one image: background = border colour, foreground = pixels far from it.

    Shape comes from geometry of the foreground blob: fill ratio of its bounding box (square ~1,
    circle ~pi/4, triangle ~1/2) and its aspect ratio. Area and extents are measured with soft
    (fractional) coverage, which blur leaves nearly unchanged, and noisy images are median
    filtered first, so VQ blur/noise does not flip the answer.
    """
    img = img.convert("RGB")
    if img.size != (IMAGE_SIZE, IMAGE_SIZE):
        img = img.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR)
    a = np.asarray(img, dtype=np.float32)
    bg, dist, border_dist = _background_and_distance(a)
    if np.median(border_dist) / 1.54 > 2.0:  # noticeable noise (chi-3 median ~1.54 sigma)
        a = np.asarray(img.filter(ImageFilter.MedianFilter(3)), dtype=np.float32)
        bg, dist, border_dist = _background_and_distance(a)
    background = nearest_colour(bg)
    # Two-class threshold: half the typical foreground distance (the 50% coverage contour).
    t = max(float(dist.max()) / 2, 1.0)
    for _ in range(4):
        fg = dist > t
        if not fg.any():
            break
        t = max(float(np.median(dist[fg])) / 2, 1.0)
    if t < 20.0:  # nothing stands out from the background (palette colours are >=86 apart)
        return ShapeAnalysis(None, None, 0.0, None, background)
    blob = _largest_component(dist > t)
    if blob.sum() < 16:
        return ShapeAnalysis(None, None, 0.0, None, background)
    # Soft coverage in [0, 1] (pixel = bg + c * (fg - bg)), above the border's noise floor.
    floor = float(np.percentile(border_dist, 95))
    full = max(2 * t, floor + 1.0)
    cov = np.clip((dist - floor) / (full - floor), 0.0, 1.0) * _dilate(blob)
    area = float(cov.sum())
    width, height = float(cov.max(axis=0).sum()), float(cov.max(axis=1).sum())
    fill = min(area / max(width * height, 1e-6), 1.0)
    ys, xs = np.nonzero(blob)
    bbox = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    # Colour from the blob's core (well past the threshold), away from blended edge pixels.
    core = blob & (dist > 1.5 * t)
    pixels = a[core] if core.sum() >= 4 else a[blob]
    colour = nearest_colour(np.median(pixels, axis=0))
    aspect = width / height if height > 0 else 0.0  # a blob below the noise floor has no extent
    if not 0.6 <= aspect <= 1.67 or fill < 0.3:
        shape = None
    elif fill >= 0.9:
        shape = "square"
    elif fill < 0.62 or _lopsidedness(cov) > 0.08:  # a triangle's mass sits 1/6 off-centre
        shape = "triangle"
    else:
        shape = "circle"
    return ShapeAnalysis(colour, shape, round(fill, 4), bbox, background)
