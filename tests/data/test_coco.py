from __future__ import annotations

import json
import random

import pytest
from PIL import Image

from aether_core.data.coco import CocoCaptionSource, CocoFormatError
from aether_core.segments import Image as ImageSeg
from aether_core.segments import Thought, decode


@pytest.fixture
def coco(tmp_path):
    imgs = tmp_path / "images"
    imgs.mkdir()
    images, anns = [], []
    for i, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (250, 250, 0)]):
        name = f"{i:03d}.jpg"
        Image.new("RGB", (120, 90), colour).save(imgs / name)
        images.append({"id": i + 1, "file_name": name})
        anns += [
            {"image_id": i + 1, "caption": f"a plain picture number {i}"},
            {"image_id": i + 1, "caption": f"  colour block {i} "},
        ]
    ann = tmp_path / "captions.json"
    ann.write_text(json.dumps({"images": images, "annotations": anns}))
    return ann, imgs


def test_examples_show_the_image_and_answer_with_a_caption(coco, tiny_vq):
    ann, imgs = coco
    src = CocoCaptionSource(ann, imgs, tiny_vq, val_fraction=0.25)
    exs = [e for e, _ in zip(src.examples(random.Random(0)), range(20), strict=False)]
    questions = set()
    for ex in exs:
        system, user, answer = decode(ex.tokens)
        assert len(user.of(ImageSeg)) == 1 and len(user.of(ImageSeg)[0].data) == 128
        questions.add(user.plain_text)
        assert answer.items[0] == Thought(b"Describe the image.")
        text = answer.plain_text
        assert text[0].isupper() and text.endswith(".")
        assert "picture number" in text or "Colour block" in text
        assert len(ex.images) == 1 and tuple(ex.images[0].shape) == (3, 64, 64)
        # loss only on what the assistant writes
        assert sum(ex.mask) == len(answer.plain_text) + len("Describe the image.") + 4
    assert len(questions) > 3
    val = list(src.examples(random.Random(0), "val"))
    assert len(val) == 1 and "3" in decode(val[0].tokens)[2].plain_text


def test_coco_errors(tmp_path, coco, fake_vq):
    ann, imgs = coco
    with pytest.raises(CocoFormatError, match="need the VQ"):
        CocoCaptionSource(ann, imgs, None)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"images": [{"id": 1}], "annotations": []}))
    with pytest.raises(CocoFormatError, match=r'images\[0\] needs "id" and "file_name"'):
        CocoCaptionSource(bad, imgs, fake_vq)
    bad.write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "zzz.jpg"}],
                "annotations": [{"image_id": 1, "caption": "x"}],
            }
        )
    )
    with pytest.raises(CocoFormatError, match="image file not found"):
        CocoCaptionSource(bad, imgs, fake_vq)
    bad.write_text(json.dumps({"images": [], "annotations": [{"image_id": 9, "caption": "x"}]}))
    with pytest.raises(CocoFormatError, match="unknown image id 9"):
        CocoCaptionSource(bad, imgs, fake_vq)
