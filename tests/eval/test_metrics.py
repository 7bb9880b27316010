"""ByteMetrics: the figures BLT reports, on predictors whose answers are known."""

from __future__ import annotations

import math

import torch

from aether_core.eval.metrics import ByteMetrics


def _logits_for(probs: list[list[float]]) -> torch.Tensor:
    return torch.tensor(probs).log()


def test_figures_of_a_known_predictor():
    m = ByteMetrics()
    # true bytes 0, 1, 1: p(true) = 0.5, 0.25, 0.75; argmax right on the first and third
    logits = _logits_for([[0.5, 0.25, 0.25], [0.5, 0.25, 0.25], [0.25, 0.75, 0.0]])
    m.update(logits, torch.tensor([0, 1, 1]))
    want_nats = -(math.log(0.5) + math.log(0.25) + math.log(0.75))
    assert m.count == 3 and m.correct == 2
    assert math.isclose(m.nats, want_nats, rel_tol=1e-6)
    assert math.isclose(m.bits_per_byte, want_nats / 3 / math.log(2), rel_tol=1e-6)
    assert math.isclose(m.perplexity, math.exp(want_nats / 3), rel_tol=1e-6)
    assert math.isclose(m.conf_mean, 0.5, rel_tol=1e-6)
    assert math.isclose(m.conf_min, 0.25, rel_tol=1e-6)
    assert math.isclose(m.conf_max, 0.75, rel_tol=1e-6)
    assert math.isclose(m.accuracy, 2 / 3)


def test_mask_and_merge_equal_one_pass():
    torch.manual_seed(0)
    logits, y = torch.randn(2, 5, 7), torch.randint(0, 7, (2, 5))
    mask = torch.rand(2, 5) > 0.3
    whole = ByteMetrics()
    whole.update(logits, y, mask)
    a, b = ByteMetrics(), ByteMetrics()
    a.update(logits[:1], y[:1], mask[:1])
    b.update(logits[1:], y[1:], mask[1:])
    merged = a.merge(b)
    assert merged.count == whole.count == int(mask.sum())
    assert math.isclose(merged.nats, whole.nats, rel_tol=1e-9)
    assert (merged.conf_min, merged.conf_max) == (whole.conf_min, whole.conf_max)


def test_nothing_scored_reports_nan_not_an_error():
    rep = ByteMetrics().report()
    assert rep["bytes"] == 0
    assert all(math.isnan(rep[k]) for k in ("loss", "accuracy", "conf_mean", "conf_min"))
