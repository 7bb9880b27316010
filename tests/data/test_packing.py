from __future__ import annotations

import random

import pytest
import torch

from aether_core import dialogue
from aether_core.data.base import Example
from aether_core.data.packing import Packer, input_image_spans, pack
from aether_core.segments import decode, encode_with_mask
from aether_core.vocab import Tok

PAD = int(Tok.PAD)


def dialog(text: str, answer: str, images: int = 0, seed: int = 0) -> Example:
    codes = [bytes([(seed + k) % 256]) * 128 for k in range(images)]
    msgs = [dialogue.system_message("sys"), dialogue.user_message(text, images=codes),
            dialogue.answer_step("Think.", answer)]  # fmt: skip
    tokens, mask = encode_with_mask(msgs)
    pixels = [torch.full((3, 64, 64), (seed + k) / 1000) for k in range(images)]
    return Example(tokens, mask, pixels)


def text(n: int, start: int = 0) -> Example:
    toks = [(start + i) % 256 for i in range(n)]
    return Example(toks, [False] + [True] * (n - 1))


def rows_of(batch):
    """Each row as the full window (x plus the last y)."""
    return [x.tolist() + [int(y[-1])] for x, y in zip(batch.x, batch.y, strict=True)]


def test_shapes_and_shift():
    exs = [dialog(f"question {i}", "answer " * (i % 7)) for i in range(200)]
    b = next(pack(iter(exs), seq_len=128, batch_size=4))
    assert b.x.shape == b.y.shape == b.loss_mask.shape == (4, 128)
    assert b.x.dtype == torch.long and b.loss_mask.dtype == torch.bool
    assert torch.equal(b.x[:, 1:], b.y[:, :-1])
    assert b.images is None and b.image_mask is None
    assert not b.loss_mask[b.y == PAD].any()


def test_dialogues_are_kept_whole_and_targets_conserved():
    rng = random.Random(0)
    exs = [dialog("q" * rng.randint(1, 60), "a" * rng.randint(1, 60)) for _ in range(60)]
    batches = list(Packer(seq_len=200, batch_size=3).batches(iter(exs)))
    seen = 0
    for b in batches:
        for row in rows_of(b):
            body = [t for t in row if t != PAD]
            assert row[len(body) :] == [PAD] * (len(row) - len(body))  # padding only at the tail
            starts = [i for i, t in enumerate(body) if t == Tok.BOS]
            assert starts[0] == 0
            for s, e in zip(starts, [*starts[1:], len(body)], strict=True):
                decode(body[s:e])  # every dialogue in a row is complete
                seen += 1
    assert seen == len(exs)
    total = sum(int(b.loss_mask.sum()) for b in batches)
    assert total == sum(sum(e.mask) for e in exs)


def test_text_is_split_across_rows_without_losing_targets():
    exs = [text(300, start=i * 7) for i in range(5)]
    batches = list(Packer(seq_len=64, batch_size=4).batches(iter(exs)))
    assert sum(int(b.loss_mask.sum()) for b in batches) == sum(sum(e.mask) for e in exs)
    rows = [r for b in batches for r in rows_of(b)]
    assert all(PAD not in r for r in rows[:-1])  # dense: only the very last row is padded
    # the stream is continuous: each row starts with the previous row's last token
    for a, b in zip(rows, rows[1:], strict=False):
        if PAD not in b:
            assert b[0] == a[-1]


def test_long_dialogue_is_cut_at_a_message_boundary():
    msgs = [dialogue.system_message("s")]
    for i in range(6):
        msgs += [dialogue.user_message(f"question number {i}"),
                 dialogue.answer_step("Think.", "x" * 40)]  # fmt: skip
    tokens, mask = encode_with_mask(msgs)
    ex = Example(tokens, mask)
    rows = [r for b in pack([ex], seq_len=120, batch_size=8) for r in rows_of(b)]
    assert len(rows) > 1
    first = [t for t in rows[0] if t != PAD]
    assert first[-1] == Tok.EOS and rows[1][0] in (Tok.USER, Tok.ASSISTANT)
    assert sum(int(t != PAD) for r in rows for t in r) == len(tokens)


def test_images_follow_their_rows_and_isolation():
    exs = [dialog(f"look {i}", "a picture", images=1 + i % 2, seed=i * 10) for i in range(12)]
    exs += [dialog("no picture", "ok") for _ in range(12)]
    random.Random(1).shuffle(exs)
    for b in pack(exs, seq_len=400, batch_size=4):
        assert b.images is not None and b.images.shape[2:] == (3, 64, 64)
        for r, row in enumerate(rows_of(b)):
            starts = [i for i, t in enumerate(row) if t == Tok.IMG_START]
            n = int(b.image_mask[r].sum())
            assert n == len(starts) <= 2  # isolated: one example's images per row
            for k, s in enumerate(starts):
                code = row[s + 3]  # IMG_START, varint(128) = 2 bytes, then the codes
                assert torch.allclose(b.images[r, k], torch.full((3, 64, 64), code / 1000))
            assert not b.image_mask[r, n:].any()


def test_without_isolation_rows_share_images_up_to_max():
    exs = [dialog(f"look {i}", "a", images=1, seed=i) for i in range(10)]
    b = next(Packer(seq_len=1500, batch_size=1, max_images=3, isolate_images=False).batches(exs))
    assert int(b.image_mask.sum()) == 3 and b.images.shape[1] == 3


def test_cut_off_image_is_dropped():
    ex = dialog("look", "z" * 300, images=1)
    big = Example(ex.tokens + text(50).tokens, ex.mask + [True] * 50, ex.images)
    # first row cuts inside the IMG segment (it starts at ~token 10, 131 tokens long)
    batches = list(Packer(seq_len=60, batch_size=1).batches([big]))
    assert all(b.images is None for b in batches)


def test_mismatched_images_are_an_error():
    ex = dialog("look", "a", images=1)
    with pytest.raises(ValueError, match="1 images but 0"):
        next(pack([Example(dialog("x", "y").tokens, dialog("x", "y").mask, ex.images)], 64, 1))


def test_input_image_spans_skip_assistant_drawings():
    msgs = [dialogue.user_message("hi", images=[bytes(128)]),
            dialogue.answer_step("Draw.", "here", image=bytes(128))]  # fmt: skip
    tokens, _ = encode_with_mask(msgs)
    spans = input_image_spans(tokens)
    assert len(spans) == 1 and tokens[spans[0][0]] == Tok.IMG_START


def test_deterministic_and_fast():
    import time

    from aether_core.data.synthetic import SyntheticSource

    src = SyntheticSource(multi_turn=0.1)
    exs = [e for e, _ in zip(src.examples(random.Random(0)), range(400), strict=False)]
    t = time.perf_counter()
    a = next(pack(iter(exs), seq_len=1024, batch_size=8))
    elapsed = time.perf_counter() - t
    b = next(pack(iter(exs), seq_len=1024, batch_size=8))
    assert torch.equal(a.x, b.x) and torch.equal(a.loss_mask, b.loss_mask)
    assert elapsed < 1.0
    assert (a.y != PAD).float().mean() > 0.85  # dense rows
