"""Synthetic shapes: generator invariants and the geometric judge's accuracy and robustness."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image, ImageFilter

from aether_core.data.shapes import (
    COLOURS,
    IMAGE_SIZE,
    SHAPES,
    ShapeSpec,
    analyze_shape_image,
    caption,
    nearest_colour,
    random_spec,
    render,
    shapes_dataset,
)


def test_caption_format():
    spec = ShapeSpec("circle", "red", "blue", 32, 32, 20)
    assert caption(spec) == "a red circle on a blue background"


def test_palette_is_well_separated():
    rgb = np.array(list(COLOURS.values()), dtype=float)
    d = np.sqrt(((rgb[:, None] - rgb[None]) ** 2).sum(-1)) + np.eye(len(rgb)) * 1e9
    assert d.min() > 80
    assert {
        "red",
        "green",
        "blue",
        "yellow",
        "cyan",
        "magenta",
        "white",
        "black",
        "orange",
        "purple",
    } <= set(COLOURS)
    for name, value in COLOURS.items():
        assert nearest_colour(value) == name


def test_random_specs_cover_everything_and_stay_valid():
    rng = random.Random(0)
    specs = [random_spec(rng) for _ in range(2000)]
    assert {s.shape for s in specs} == set(SHAPES)
    assert {s.colour for s in specs} == set(COLOURS)
    assert {s.background for s in specs} == set(COLOURS)
    for s in specs:
        assert s.colour != s.background
        half = s.size / 2
        assert 16 <= s.size <= 48
        assert 0 <= s.cx - half and s.cx + half <= IMAGE_SIZE
        assert 0 <= s.cy - half and s.cy + half <= IMAGE_SIZE


def test_random_spec_fixed_fields():
    rng = random.Random(1)
    for _ in range(50):
        s = random_spec(rng, shape="triangle", background="red")
        assert s.shape == "triangle" and s.background == "red" and s.colour != "red"
    assert random_spec(rng, colour="blue", size=48).size == 48
    with pytest.raises(ValueError):
        random_spec(rng, colour="red", background="red")
    with pytest.raises(ValueError):
        random_spec(rng, shape="hexagon")
    with pytest.raises(ValueError):
        random_spec(rng, wobble=1)


def test_render_is_64x64_rgb_and_shape_inside():
    for img, spec in shapes_dataset(60, seed=2):
        assert img.mode == "RGB" and img.size == (IMAGE_SIZE, IMAGE_SIZE)
        a = np.asarray(img)
        border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
        assert (border == COLOURS[spec.background]).all()  # shape never touches the border
        assert (a == COLOURS[spec.colour]).all(-1).sum() > 0.3 * spec.size**2


def test_dataset_is_seeded():
    a, b = shapes_dataset(5, seed=7), shapes_dataset(5, seed=7)
    assert [s for _, s in a] == [s for _, s in b]
    assert all(x.tobytes() == y.tobytes() for (x, _), (y, _) in zip(a, b, strict=True))
    assert [s for _, s in shapes_dataset(5, seed=8)] != [s for _, s in a]


def _accuracy(pairs, transform=lambda im: im) -> float:
    ok = 0
    for img, spec in pairs:
        r = analyze_shape_image(transform(img))
        ok += (r.colour, r.shape, r.background) == (spec.colour, spec.shape, spec.background)
    return ok / len(pairs)


def test_judge_on_clean_renders():
    pairs = shapes_dataset(300, seed=3)
    assert _accuracy(pairs) >= 0.98
    r = analyze_shape_image(render(ShapeSpec("square", "green", "black", 30, 30, 20)))
    assert r.shape == "square" and r.colour == "green" and r.background == "black"
    assert r.fill_ratio == pytest.approx(1.0, abs=0.02)
    assert r.bbox == (20, 20, 40, 40)


def test_judge_fill_ratios_match_geometry():
    for shape, ideal in (("square", 1.0), ("circle", np.pi / 4), ("triangle", 0.5)):
        r = analyze_shape_image(render(ShapeSpec(shape, "white", "blue", 32, 32, 40)))
        assert r.fill_ratio == pytest.approx(ideal, abs=0.04)


def test_judge_tolerates_blur_and_noise():
    pairs = shapes_dataset(100, seed=4)
    noise = np.random.default_rng(0)

    def noisy(img: Image.Image) -> Image.Image:
        a = np.asarray(img, dtype=np.float32) + noise.normal(0, 8, (IMAGE_SIZE, IMAGE_SIZE, 3))
        return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))

    assert _accuracy(pairs, lambda im: im.filter(ImageFilter.GaussianBlur(1))) >= 0.95
    assert _accuracy(pairs, noisy) >= 0.95
    assert _accuracy(pairs, lambda im: noisy(im.filter(ImageFilter.GaussianBlur(1)))) >= 0.95


def test_judge_blank_and_resized_images():
    blank = Image.new("RGB", (64, 64), COLOURS["gray"])
    r = analyze_shape_image(blank)
    assert r.shape is None and r.colour is None and r.background == "gray"
    big = render(ShapeSpec("circle", "yellow", "purple", 32, 32, 40)).resize((128, 128))
    r = analyze_shape_image(big)
    assert (r.shape, r.colour, r.background) == ("circle", "yellow", "purple")
