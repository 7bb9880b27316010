from __future__ import annotations

import random
from collections import Counter

import pytest

from aether_core.data.skills import SKILLS
from aether_core.data.synthetic import SyntheticError, SyntheticSource, shapes_source
from aether_core.segments import Image, decode
from aether_core.vocab import Tok


def take(it, n):
    return [x for x, _ in zip(it, range(n), strict=False)]


def test_text_skills_without_vq_and_masks():
    src = SyntheticSource(multi_turn=0.3)
    assert "caption" not in src.skills and "draw" not in src.skills
    exs = take(src.examples(random.Random(0)), 300)
    for ex in exs:
        msgs = decode(ex.tokens)
        assert msgs[0].role == "system" and ex.images == []
        role = None
        for tok, m in zip(ex.tokens, ex.mask, strict=True):
            if tok in (Tok.SYSTEM, Tok.USER, Tok.ASSISTANT, Tok.TOOL, Tok.BOS):
                role = tok
                assert not m
            else:
                assert m == (role == Tok.ASSISTANT)
    assert any(sum(m.role == "user" for m in decode(e.tokens)) == 2 for e in exs)
    assert take(src.examples(random.Random(0)), 5)[0].tokens == exs[0].tokens


def test_stray_memories_are_added_to_other_skills():
    from aether_core.segments import Memory

    src = SyntheticSource(["echo"], multi_turn=0, stray_memories=0.5)
    exs = take(src.examples(random.Random(0)), 200)
    with_mem = sum(bool(decode(e.tokens)[1].of(Memory)) for e in exs)
    assert 60 < with_mem < 140
    src = SyntheticSource(["echo"], multi_turn=0, stray_memories=0.0)
    assert not any(decode(e.tokens)[1].of(Memory) for e in take(src.examples(random.Random(0)), 50))


def test_image_skills_need_a_vq():
    with pytest.raises(SyntheticError, match="need the VQ"):
        SyntheticSource(["draw"])
    with pytest.raises(SyntheticError, match="unknown skill"):
        SyntheticSource(["juggling"])


def test_image_skills_with_vq(fake_vq):
    src = SyntheticSource(["caption", "draw"], vq=fake_vq, image_pool=32, multi_turn=0)
    kinds = Counter()
    for ex in take(src.examples(random.Random(0)), 60):
        msgs = decode(ex.tokens)
        user_imgs = msgs[1].of(Image)
        drawn = msgs[2].of(Image)
        kinds["caption" if user_imgs else "draw"] += 1
        assert len(ex.images) == len(user_imgs)  # drawn pictures are never ViT inputs
        for img in user_imgs + drawn:
            assert len(img.data) == 128
        if drawn:
            # the drawn picture's codes are training targets
            start = ex.tokens.index(Tok.IMG_START)
            assert all(ex.mask[start + 1 : start + 131])
    assert kinds["caption"] > 10 and kinds["draw"] > 10
    assert fake_vq.calls < 200  # pictures come from the pre-encoded bank


def test_shapes_source_with_real_vq_and_pixels_match_codes(tiny_vq):
    src = shapes_source(tiny_vq, image_pool=8)
    ex = next(src.examples(random.Random(3)))
    assert len(ex.images) == 1 and tuple(ex.images[0].shape) == (3, 64, 64)
    codes = decode(ex.tokens)[1].of(Image)[0].data
    from aether_core.data.imagebank import image_tensor

    img = __import__("PIL.Image", fromlist=["Image"]).fromarray(
        (ex.images[0].permute(1, 2, 0).numpy() * 255).round().astype("uint8")
    )
    assert tiny_vq.encode(img) == codes
    assert float((image_tensor(img) - ex.images[0]).abs().max()) < 1e-6


def test_weights_steer_the_skill_mix():
    src = SyntheticSource(["chat", "echo"], weights={"chat": 3.0, "echo": 1.0}, multi_turn=0)
    rng = random.Random(0)
    counts = Counter(src.sample(rng, "train").skill for _ in range(2000))
    assert 2.5 < counts["chat"] / counts["echo"] < 3.6


def test_val_split_uses_held_out_phrasing():
    src = SyntheticSource(["chat"], multi_turn=0)
    rng = random.Random(0)
    train = {src.sample(rng, "train").template for _ in range(300)}
    val = {src.sample(rng, "val").template for _ in range(300)}
    assert val and not train & val


def test_all_skills_listed():
    assert set(SKILLS) == {"arithmetic", "time", "search", "browse", "echo", "chat", "caption",
                           "draw", "memory"}  # fmt: skip
