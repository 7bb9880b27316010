"""The fast one-token decode step (model/fast_decode.py) against the general forward, and the
compiled static-shape step (model/compiled_decode.py)."""

from __future__ import annotations

import shutil

import pytest
import torch

from aether_core.config import ModelConfig
from aether_core.model import build_model
from aether_core.model.fast_decode import FastStep, fast_step_for
from aether_core.model.numpy_decode import NumpyStep
from aether_core.sampling import DecodeSession
from tests.core.helpers import tiny_model


def _pair(model, max_len=96):
    """A session on the eager torch step (not numpy's, which is tested below) and one on the
    general forward."""
    fast, general = DecodeSession(model, max_len), DecodeSession(model, max_len)
    if isinstance(fast.fast, NumpyStep):
        fast.fast = fast.fast.eager
    general.fast = None
    return fast, general


def _feed_generally(session: DecodeSession, tokens: list[int]) -> torch.Tensor:
    """Prefill through the general forward (a several-token fast pass matches it to float
    rounding only), so the steps after it can be compared bit for bit."""
    step, session.fast = session.fast, None
    try:
        return session.feed(tokens)
    finally:
        session.fast = step


@pytest.mark.parametrize(
    "overrides",
    [{}, {"n_kv_heads": None}, {"qk_norm": True}, {"tie_embeddings": False}],
    ids=["gqa", "mha", "qk_norm", "untied"],
)
def test_fast_step_logits_equal_the_general_forward_bit_for_bit(overrides) -> None:
    model = tiny_model(seed=1, **overrides)
    fast, general = _pair(model)
    assert isinstance(fast.fast, FastStep)
    prompt = torch.randint(0, 256, (20,)).tolist()
    assert torch.equal(_feed_generally(fast, prompt), general.feed(prompt))
    tok = 65
    for _ in range(30):
        a, b = fast.step(tok), general.step(tok)
        assert torch.equal(a, b)
        tok = int(a.argmax())
    # rewind to a shorter prefix (the agent's prefix reuse), then step on from there
    fast.feed(prompt[:7])
    general.feed(prompt[:7])
    for t in (3, 99, 200):
        assert torch.equal(fast.step(t), general.step(t))
    assert fast.tokens == general.tokens


def test_fast_step_in_bfloat16_matches_the_general_forward() -> None:
    model = tiny_model(seed=2).to(torch.bfloat16)
    fast, general = _pair(model)
    _feed_generally(fast, [1, 2, 3])
    general.feed([1, 2, 3])
    for t in (10, 20, 30):
        assert torch.equal(fast.step(t), general.step(t))


def test_backbones_the_fast_step_does_not_cover_get_none() -> None:
    assert fast_step_for(tiny_model(ngram_sizes=(2, 3), ngram_table=64)) is None
    assert fast_step_for(tiny_model(attention="diff")) is None
    training = tiny_model().train()
    assert fast_step_for(training) is None
    hier = build_model(ModelConfig(arch="hierarchical", dim=64, n_layers=1, n_heads=2)).eval()
    assert fast_step_for(hier) is None


def test_images_in_the_cache_send_steps_through_the_general_forward() -> None:
    model = tiny_model(seed=4)
    fast, general = _pair(model)
    images = torch.rand(1, 1, 3, 64, 64)
    vision, _ = model.encode_images(images)
    fast.feed([5, 6, 7], vision=vision, vision_key="a")
    general.feed([5, 6, 7], vision=vision, vision_key="a")
    assert not fast.fast.applies(fast.cache)
    for t in (8, 9):
        assert torch.equal(fast.step(t), general.step(t))
    fast.reset()  # the image set is forgotten: the fast step applies again
    assert fast.fast.applies(fast.cache)


def test_a_model_put_back_in_training_mode_falls_back() -> None:
    model = tiny_model(seed=5)
    session = DecodeSession(model, 32)
    session.feed([1, 2])
    model.train()
    assert not session.fast.applies(session.cache)
    model.eval()
    assert session.fast.applies(session.cache)


@pytest.mark.skipif(shutil.which("g++") is None and shutil.which("c++") is None, reason="no C++")
def test_compiled_step_agrees_with_the_eager_step() -> None:
    from aether_core.model.compiled_decode import CompiledStep

    model = tiny_model(seed=6, max_seq_len=64)
    compiled, eager = DecodeSession(model, 64, compile=True), DecodeSession(model, 64)
    assert isinstance(compiled.fast, CompiledStep)
    prompt = [7, 8, 9, 10]
    compiled.feed(prompt)
    eager.feed(prompt)
    tok = 65
    for _ in range(12):
        a, b = compiled.step(tok), eager.step(tok)
        assert compiled.fast.failed is None
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
        assert int(a.argmax()) == int(b.argmax())
        tok = int(a.argmax())
    compiled.feed(prompt[:2])  # rewound: the mask hides what was written past the prefix
    eager.feed(prompt[:2])
    torch.testing.assert_close(compiled.step(3), eager.step(3), rtol=1e-4, atol=1e-4)


def test_prefill_through_the_fast_pass_matches_the_general_forward() -> None:
    fast, general = _pair(tiny_model(seed=6))
    prompt = torch.randint(0, 256, (40,), generator=torch.Generator().manual_seed(1)).tolist()
    torch.testing.assert_close(fast.feed(prompt), general.feed(prompt), rtol=1e-5, atol=1e-5)
    more = [*prompt, 7, 8, 9]  # the prefix is reused, the rest fed in one pass
    torch.testing.assert_close(fast.feed(more), general.feed(more), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(fast.step(10), general.step(10), rtol=1e-5, atol=1e-5)
