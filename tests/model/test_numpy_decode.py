"""The numpy decode step (model/numpy_decode.py) against the general forward: the same logits
to float rounding, the same KV cache, and the torch step where numpy does not apply."""

from __future__ import annotations

import pytest
import torch

from aether_core.model.fast_decode import FastStep, fast_step_for
from aether_core.model.numpy_decode import NUMPY_MAX_DIM, NumpyStep
from aether_core.model.quantize import apply_dtype
from aether_core.sampling import DecodeSession
from tests.core.helpers import tiny_model

TOL = {"rtol": 1e-5, "atol": 2e-5}


def _sessions(model, max_len=96):
    ours, general = DecodeSession(model, max_len), DecodeSession(model, max_len)
    general.fast = None
    return ours, general


@pytest.mark.parametrize(
    "overrides",
    [{}, {"n_kv_heads": None}, {"tie_embeddings": False}],
    ids=["gqa", "mha", "untied"],
)
def test_numpy_steps_match_the_general_forward(overrides) -> None:
    model = tiny_model(seed=11, **overrides)
    ours, general = _sessions(model)
    assert isinstance(ours.fast, NumpyStep)
    prompt = torch.randint(0, 256, (25,), generator=torch.Generator().manual_seed(2)).tolist()
    ours.feed(prompt)
    general.feed(prompt)
    tok = 65
    for _ in range(30):
        a, b = ours.step(tok), general.step(tok)
        torch.testing.assert_close(a, b, **TOL)
        tok = int(b.argmax())
    # the keys numpy wrote are the cache's: a general-forward pass after them agrees
    more = [*ours.tokens, 1, 2, 3]
    ours.fast = None
    torch.testing.assert_close(ours.feed(more), general.feed(more), **TOL)


def test_a_rewound_session_steps_on_from_its_prefix() -> None:
    ours, general = _sessions(tiny_model(seed=12))
    prompt = list(range(40, 70))
    for s in (ours, general):
        s.feed(prompt)
        for t in (5, 6, 7, 8):
            s.step(t)
        s.feed(prompt[:10])  # the agent's prefix reuse: later slots are written over
    for t in (100, 101, 102):
        torch.testing.assert_close(ours.step(t), general.step(t), **TOL)


def test_what_numpy_does_not_cover_steps_in_torch() -> None:
    assert not NumpyStep.supports(tiny_model(qk_norm=True))
    assert not NumpyStep.supports(tiny_model().to(torch.bfloat16))
    quantized = apply_dtype(tiny_model(seed=13), "int8")
    assert not NumpyStep.supports(quantized)
    assert isinstance(fast_step_for(tiny_model(qk_norm=True)), FastStep)
    assert not NumpyStep.supports(tiny_model(dim=NUMPY_MAX_DIM + 64, n_heads=4))


def test_weights_changed_in_place_show_through() -> None:
    model = tiny_model(seed=14)
    ours, general = _sessions(model)
    with torch.no_grad():
        model.blocks[0].w2.weight.mul_(3.0)  # numpy reads views of the weights, not copies
    ours.feed([1, 2, 3])
    general.feed([1, 2, 3])
    torch.testing.assert_close(ours.step(4), general.step(4), **TOL)
