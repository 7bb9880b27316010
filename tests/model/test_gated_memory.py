"""Gated hierarchical memory: cached == full (splits and rewinds), causality, the carry across
windows of a stream, and that the memory is trainable and changes what the model predicts."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from aether_core.checkpoint import load_checkpoint, save_checkpoint
from aether_core.config import ConfigError
from aether_core.model import build_model

from .test_hierarchical import ATOL, assert_causal, hier_cfg, run_chunks, sample_tokens


def memory_model(segment: int = 3, seed: int = 0, open_gates: bool = True):
    cfg = hier_cfg("space")
    cfg = dataclasses.replace(
        cfg, hier=dataclasses.replace(cfg.hier, memory_slots=4, memory_segment=segment)
    )
    torch.manual_seed(seed)
    model = build_model(cfg).eval()
    if open_gates:  # a trained model's gates are open; at init they start nearly closed
        with torch.no_grad():
            model.memory.read_gate.bias.fill_(2.0)
            model.memory.read_out.weight.normal_(0, 0.5)
            model.memory.write_gate.weight.normal_(0, 0.5)
    return model


@pytest.mark.parametrize("segment", [1, 3, 5])
def test_cached_matches_full_for_any_split(segment: int) -> None:
    model = memory_model(segment)
    toks = torch.tensor([sample_tokens()])
    T = toks.shape[1]
    with torch.no_grad():
        full = model(toks)
        for splits in ([T], [1, 2, 17, 40, T], list(range(1, T + 1))):
            torch.testing.assert_close(run_chunks(model, toks, splits), full, atol=ATOL, rtol=0)


def test_a_rewound_cache_recomputes_the_memory_it_forgot() -> None:
    model = memory_model(2)
    toks = torch.tensor([sample_tokens()])
    T = toks.shape[1]
    other = toks.clone()
    other[0, 30:] = torch.randint(0, 256, (T - 30,), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        cache = model.new_cache(1, 150)
        model(other, input_pos=torch.arange(T), cache=cache)  # a different continuation first
        got = model(toks[:, 25:], input_pos=torch.arange(25, T), cache=cache)  # rewind to 25
        torch.testing.assert_close(got, model(toks)[:, 25:], atol=ATOL, rtol=0)


def test_earlier_logits_ignore_later_bytes() -> None:
    assert_causal(memory_model(2))


def test_the_memory_changes_predictions_and_carries_across_windows() -> None:
    model = memory_model(2)
    toks = torch.tensor([sample_tokens()])
    first, second = toks[:, :40], toks[:, 40:80]
    with torch.no_grad():
        closed = memory_model(2)
        closed.load_state_dict(model.state_dict())
        closed.memory.read_gate.bias.fill_(-1e4)  # gate shut: the plain hierarchical model
        assert not torch.allclose(model(toks), closed(toks), atol=1e-3)
        logits, carried = model.forward_carry(first, None)
        torch.testing.assert_close(logits, model(first), atol=1e-6, rtol=0)
        assert carried.shape == (1, 4, 48)
        fresh, _ = model.forward_carry(second, None)
        warm, _ = model.forward_carry(second, carried)
        assert not torch.allclose(fresh, warm, atol=1e-4)  # what the first window wrote is read


def test_memory_parameters_learn() -> None:
    model = memory_model(2, open_gates=False).train()
    toks = torch.tensor([sample_tokens()])
    logits = model(toks[:, :-1])
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), toks[0, 1:])
    loss.backward()
    mem = model.memory
    # at init the read projection is zero: it is what learns first (then the gates and slots)
    assert float(mem.read_out.weight.grad.abs().sum()) > 0
    with torch.no_grad():
        mem.read_out.weight.normal_(0, 0.1)
    model.zero_grad()
    logits = model(toks[:, :-1])
    torch.nn.functional.cross_entropy(logits.flatten(0, 1), toks[0, 1:]).backward()
    for p in (mem.init, mem.read_gate.bias, mem.read_gate.weight, mem.write_gate.weight):
        assert p.grad is not None and float(p.grad.abs().sum()) > 0


def test_checkpoint_round_trip_and_bad_settings(tmp_path) -> None:
    model = memory_model(3)
    cfg = model.cfg
    path = save_checkpoint(tmp_path / "ck", model, cfg)
    loaded, cfg2, _ = load_checkpoint(path)
    assert cfg2.hier.memory_slots == 4 and cfg2.hier.memory_segment == 3
    toks = torch.tensor([sample_tokens()[:50]])
    with torch.no_grad():
        torch.testing.assert_close(loaded(toks), model(toks), atol=1e-6, rtol=0)
    with pytest.raises(ConfigError, match="memory_segment"):
        dataclasses.replace(cfg.hier, memory_segment=0)


def test_carried_windows_score_every_byte_and_use_the_memory() -> None:
    from aether_core.eval.bpb import carried_metrics

    model = memory_model(2)
    data = b"the cat sat on the mat; the dog sat on the log. " * 2
    with torch.no_grad():
        warm = carried_metrics(model, data, window=32)
        assert warm.count == len(data) - 1
        cold_model = memory_model(2)
        cold_model.load_state_dict(model.state_dict())
        cold_model.memory = None  # same weights, no carry: each window starts cold
        cold = carried_metrics(cold_model, data, window=32)
    assert cold.count == warm.count and cold.nats != warm.nats
