"""DecodeBatch: rows of one KV cache at different positions step together in one forward pass,
and every row's logits equal those of its conversation decoded alone (full pass)."""

from __future__ import annotations

import pytest
import torch

from aether_core.decode_batch import DecodeBatch
from aether_core.model import Backbone, build_model
from aether_core.sampling import DecodeSession
from tests.core.helpers import tiny_config, tiny_model

ATOL = 1e-5


def _tokens(n: int, seed: int) -> list[int]:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n,), generator=g).tolist()


def _full(model, tokens: list[int], vision=None) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([tokens]), vision=vision)[0, -1]


@pytest.mark.parametrize(
    "overrides",
    [{}, {"ngram_sizes": [2, 3]}, {"attention": "diff"}, {"qk_norm": True, "n_kv_heads": 1}],
)
def test_rows_at_different_positions_step_together_as_alone(overrides) -> None:
    model = tiny_model(**overrides)
    batch = DecodeBatch(model, rows=3, max_len=64, vision_len=16)
    contexts = {0: _tokens(9, 1), 1: _tokens(23, 2), 2: _tokens(4, 3)}
    g = torch.Generator().manual_seed(4)
    image = torch.rand(1, 1, 3, 64, 64, generator=g)
    with torch.no_grad():
        vision, _ = model.encode_images(image)
    for r, ctx in contexts.items():  # row 1 sees an image, the others none
        got = batch.sessions[r].feed(ctx, vision if r == 1 else None, "img" if r == 1 else None)
        torch.testing.assert_close(
            got, _full(model, ctx, vision if r == 1 else None), atol=ATOL, rtol=0
        )
    for i in range(6):
        rows = [0, 2] if i in (2, 3) else [0, 1, 2]  # row 1 idles for two steps
        step = {r: (7 * i + 11 * r) % 256 for r in rows}
        out = batch.step(step)
        for r in rows:
            contexts[r].append(step[r])
            ref = _full(model, contexts[r], vision if r == 1 else None)
            torch.testing.assert_close(out[r], ref, atol=ATOL, rtol=0)
    assert [batch.sessions[r].tokens for r in range(3)] == [contexts[r] for r in range(3)]


def test_a_row_rewinds_and_reuses_its_prefix_inside_the_batch() -> None:
    model = tiny_model()
    batch = DecodeBatch(model, rows=2, max_len=64)
    a, b = _tokens(20, 5), _tokens(12, 6)
    batch.sessions[0].feed(a)
    batch.sessions[1].feed(b)
    batch.step({0: 1, 1: 2})
    rewound = a[:10] + [9, 9]
    got = batch.sessions[0].feed(rewound)
    torch.testing.assert_close(got, _full(model, rewound), atol=ATOL, rtol=0)
    out = batch.step({0: 3, 1: 4})  # row 1 kept its own tokens through row 0's rewind
    torch.testing.assert_close(out[1], _full(model, b + [2, 4]), atol=ATOL, rtol=0)


def test_both_backbones_implement_the_protocol_and_only_flat_batches() -> None:
    flat = tiny_model()
    hier = build_model(tiny_config(arch="hierarchical")).eval()
    assert isinstance(flat, Backbone) and isinstance(hier, Backbone)
    assert flat.batched_decode and not hier.batched_decode
    with pytest.raises(ValueError, match="cannot step rows"):
        DecodeBatch(hier, rows=2, max_len=32)


def test_images_in_a_row_need_room_for_vision_keys() -> None:
    model = tiny_model()
    batch = DecodeBatch(model, rows=2, max_len=32)  # no vision_len
    with torch.no_grad():
        vision, _ = model.encode_images(torch.rand(1, 1, 3, 64, 64))
    with pytest.raises(ValueError, match="vision_len"):
        batch.sessions[0].feed([1, 2, 3], vision, "k")


def test_a_single_session_still_matches_a_full_pass() -> None:
    model = tiny_model()
    s = DecodeSession(model, 40)
    toks = _tokens(15, 8)
    torch.testing.assert_close(s.feed(toks), _full(model, toks), atol=ATOL, rtol=0)
