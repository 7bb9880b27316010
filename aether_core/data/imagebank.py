"""Images for training examples: file loading, pixel tensors, and a bank of pre-encoded shapes.

Why a bank: a VQ encode costs milliseconds and the training loop rebuilds its example stream every
step, so encoding each synthetic picture on the fly would dominate data time. The bank renders
and batch-encodes a fixed, seeded pool once, and samples pictures from it (rendering a new one
only when a request cannot be met from the pool).
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from PIL import Image

from .shapes import IMAGE_SIZE, ShapeSpec, random_spec, render
from .skills.caption import plain_pick, triple_split


class ImageCodec(Protocol):
    """What the data needs from a VQ: ``encode(PIL image) -> 128 code bytes``."""

    def encode(self, image: Image.Image) -> bytes: ...


def to_model_image(image: Image.Image) -> Image.Image:
    """RGB at 64x64 (squashed, not cropped: the whole picture stays in view)."""
    image = image.convert("RGB")
    if image.size != (IMAGE_SIZE, IMAGE_SIZE):
        image = image.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BICUBIC)
    return image


def load_image(path: str | Path) -> Image.Image:
    """Open an image file and bring it to the model's 64x64 RGB (raises OSError/ValueError)."""
    with Image.open(path) as im:
        im.load()
        return to_model_image(im)


def image_uint8(image: Image.Image) -> torch.Tensor:
    """[3, 64, 64] uint8 (a quarter of the float tensor's memory, for caching)."""
    arr = np.asarray(to_model_image(image), dtype=np.uint8)
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).contiguous()


def image_tensor(image: Image.Image) -> torch.Tensor:
    """FloatTensor[3, 64, 64] in [0, 1]: what ``Example.images`` holds."""
    return image_uint8(image).float().div_(255.0)


def encode_many(vq: Any, images: list[Image.Image], chunk: int = 128) -> list[bytes]:
    """VQ codes for many images, batched through ``encode_tensor`` when the codec has it."""
    if not hasattr(vq, "encode_tensor"):
        return [vq.encode(im) for im in images]
    out: list[bytes] = []
    was_training = getattr(vq, "training", False)
    if hasattr(vq, "eval"):
        vq.eval()
    try:
        for i in range(0, len(images), chunk):
            x = torch.stack([image_tensor(im) for im in images[i : i + chunk]])
            codes = vq.encode_tensor(x).to(torch.uint8)
            out.extend(bytes(row.tolist()) for row in codes)
    finally:
        if was_training and hasattr(vq, "train"):
            vq.train(True)
    return out


class ShapeBank:
    """Seeded pool of rendered shapes with their VQ codes, indexed by shape/colour/background."""

    def __init__(self, vq: ImageCodec, size: int = 1024, seed: int = 1234) -> None:
        self.vq, self.size, self.seed = vq, size, seed
        self._codes: dict[ShapeSpec, bytes] = {}
        self._pixels: dict[ShapeSpec, torch.Tensor] = {}
        self._index: dict[tuple, list[ShapeSpec]] = defaultdict(list)
        self._built = False

    def _build(self) -> None:
        rng = random.Random(self.seed)
        specs = list(dict.fromkeys(random_spec(rng) for _ in range(self.size)))
        self._add(specs)
        self._built = True

    def _add(self, specs: list[ShapeSpec]) -> None:
        images = [render(s) for s in specs]
        for spec, im, codes in zip(specs, images, encode_many(self.vq, images), strict=True):
            if spec in self._codes:
                continue
            self._codes[spec] = codes
            self._pixels[spec] = image_uint8(im)
            for key in self._keys(spec):
                self._index[key].append(spec)

    @staticmethod
    def _keys(spec: ShapeSpec) -> list[tuple]:
        if not isinstance(spec, ShapeSpec):  # a scene: never what a shape request picks
            return [("scene",)]
        sp = triple_split(spec)
        s, c, b = spec.shape, spec.colour, spec.background
        return [(), (sp,), (s, c), (s, c, b), (sp, s, c)]

    def pick(self, rng: random.Random, split: str | None = None, **fixed: Any) -> ShapeSpec:
        """A pooled spec matching ``fixed`` (shape, colour[, background]) and, if given, the split
        of its combination; rendered and encoded on demand when the pool has none."""
        if not self._built:
            self._build()
        unknown = set(fixed) - {"shape", "colour", "background"}
        if unknown or ("background" in fixed and not {"shape", "colour"} <= set(fixed)):
            raise ValueError(f"ShapeBank.pick: cannot pin {sorted(fixed)}")
        if "background" in fixed:
            key: tuple = (fixed["shape"], fixed["colour"], fixed["background"])
        elif fixed:
            if set(fixed) != {"shape", "colour"}:
                raise ValueError(
                    f"ShapeBank.pick: pin shape and colour together, not {sorted(fixed)}"
                )
            key = (fixed["shape"], fixed["colour"])
            key = (split, *key) if split else key
        else:
            key = (split,) if split else ()
        options = self._index.get(key)
        if options:
            return rng.choice(options)
        spec = plain_pick(rng, split, **fixed)
        self._add([spec])
        return spec

    def codes(self, spec: ShapeSpec) -> bytes:
        if spec not in self._codes:
            self._add([spec])
        return self._codes[spec]

    def pixels(self, spec: ShapeSpec) -> torch.Tensor:
        """FloatTensor[3, 64, 64] in [0, 1] of the pooled picture."""
        if spec not in self._pixels:
            self._add([spec])
        return self._pixels[spec].float().div_(255.0)
