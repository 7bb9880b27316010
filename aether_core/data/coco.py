"""Image-caption pairs in COCO format, as "what is in this picture?" dialogues.

Reads ``{"images": [{"id", "file_name"}], "annotations": [{"image_id", "caption"}]}`` and local
image files only. Each example shows one image with a varied question; the assistant answers
with a short thought and one of that image's captions. The last ``val_fraction`` of the images
(by id) is the validation split, asked with held-out question phrasings.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import dialogue
from ..errors import AetherError
from ..segments import encode_with_mask
from .base import Example
from .imagebank import ImageCodec, image_tensor, load_image
from .phrasing import held_out, is_command, norm_split, realize
from .skills import answer_step
from .skills.caption import DESCRIBE

CAPTION_THOUGHT = dialogue.THOUGHT_DESCRIBE


class CocoFormatError(AetherError, ValueError):
    """A COCO annotations file or image folder that cannot be used."""


def _caption_text(caption: str) -> str:
    """ "a dog on a couch " -> "A dog on a couch." (COCO captions are lowercase, unterminated)."""
    text = " ".join(caption.split())
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


class CocoCaptionSource:
    """COCO-style captions over local images; needs the VQ to turn pictures into codes."""

    def __init__(self, annotations_json: str | Path, image_dir: str | Path, vq: ImageCodec | None,
                 val_fraction: float = 0.05, name: str = "coco",
                 system_prompt: str = dialogue.SYSTEM_PROMPT) -> None:  # fmt: skip
        self.name, self.vq, self.system_prompt = name, vq, system_prompt
        label = str(annotations_json)
        if vq is None:
            raise CocoFormatError(f"{label}: COCO captions need the VQ image codec (set data.vq)")
        try:
            data = json.loads(Path(annotations_json).read_text(encoding="utf-8"))
        except OSError as e:
            raise CocoFormatError(f"{label}: cannot read ({e.strerror or e})") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise CocoFormatError(f"{label}: invalid JSON ({e})") from None
        if not isinstance(data, dict) or not isinstance(data.get("images"), list) \
                or not isinstance(data.get("annotations"), list):  # fmt: skip
            raise CocoFormatError(
                f'{label}: expected an object with "images" and "annotations" lists'
            )
        files: dict[Any, Path] = {}
        root = Path(image_dir)
        if not root.is_dir():
            raise CocoFormatError(f"{image_dir}: image folder not found")
        for k, im in enumerate(data["images"]):
            if (
                not isinstance(im, dict)
                or "id" not in im
                or not isinstance(im.get("file_name"), str)
            ):
                raise CocoFormatError(f'{label}: images[{k}] needs "id" and "file_name"')
            files[im["id"]] = root / im["file_name"]
        captions: dict[Any, list[str]] = defaultdict(list)
        for k, ann in enumerate(data["annotations"]):
            if (
                not isinstance(ann, dict)
                or "image_id" not in ann
                or not isinstance(ann.get("caption"), str)
            ):
                raise CocoFormatError(f'{label}: annotations[{k}] needs "image_id" and "caption"')
            if ann["image_id"] not in files:
                raise CocoFormatError(
                    f"{label}: annotations[{k}] refers to unknown image id {ann['image_id']!r}"
                )
            if ann["caption"].strip():
                captions[ann["image_id"]].append(ann["caption"])
        items = []
        for image_id in sorted(captions, key=lambda i: (str(type(i)), i)):
            path = files[image_id]
            if not path.is_file():
                raise CocoFormatError(f"{label}: image file not found: {path}")
            items.append((path, captions[image_id]))
        if not items:
            raise CocoFormatError(f"{label}: no captioned images")
        cut = len(items) - int(len(items) * val_fraction)
        self._splits = {"train": items[:cut], "eval": items[cut:]}

    def __len__(self) -> int:
        return sum(len(v) for v in self._splits.values())

    def example(self, path: Path, caption: str, rng: random.Random, split: str) -> Example:
        try:
            img = load_image(path)
        except (OSError, ValueError) as e:
            raise CocoFormatError(f"{path}: cannot read image ({e})") from None
        template = rng.choice(held_out(DESCRIBE, split))
        prompt = realize(template, {}, rng, split, imperative=is_command(template))
        messages = [
            dialogue.system_message(self.system_prompt),
            dialogue.user_message(prompt, images=[self.vq.encode(img)]),  # type: ignore[union-attr]
            answer_step(CAPTION_THOUGHT, _caption_text(caption)),
        ]
        tokens, mask = encode_with_mask(messages)
        return Example(tokens, mask, [image_tensor(img)])

    def examples(self, rng: random.Random, split: str = "train") -> Iterator[Example]:
        """Train: random image, random caption, forever. Val: each image once, first caption."""
        split = norm_split(split)
        items = self._splits[split]
        if split == "train":
            if not items:
                return
            while True:
                path, caps = items[rng.randrange(len(items))]
                yield self.example(path, rng.choice(caps), rng, split)
        else:
            for path, caps in items:
                yield self.example(path, caps[0], rng, split)
