"""Entropy-adaptive sampling: the entropy of each next-byte distribution picks the strategy."""

from __future__ import annotations

import math

import pytest
import torch

from aether_core.decoding import SamplingConfig
from aether_core.entropy_sampling import adapt, entropy_bits
from aether_core.eval.metrics import ByteMetrics
from aether_core.eval.sampling import TextQuality, compare_samplers
from aether_core.sampling import make_generator, sample_token

from .helpers import tiny_model

ENTROPY = SamplingConfig(temperature=0.8, top_p=1.0, sampler="entropy")


def _row(probs: list[float], vocab: int = 512) -> torch.Tensor:
    row = torch.full((vocab,), float("-inf"))
    row[: len(probs)] = torch.tensor(probs).log()
    return row


def test_entropy_in_bits_of_known_distributions():
    assert entropy_bits(_row([1.0])) == pytest.approx(0.0, abs=1e-6)
    assert entropy_bits(_row([0.5, 0.5])) == pytest.approx(1.0, abs=1e-6)
    assert entropy_bits(_row([1 / 16] * 16)) == pytest.approx(4.0, abs=1e-5)


def test_each_band_gets_its_strategy():
    sure = adapt(_row([0.97, 0.01, 0.01, 0.01]), ENTROPY)  # ~0.24 bits
    assert sure.temperature == 0.0
    middle = adapt(_row([0.25] * 4), ENTROPY)  # 2 bits
    assert middle.temperature == 0.8 and middle.top_p == ENTROPY.entropy_top_p
    unsure = adapt(_row([1 / 32] * 32), ENTROPY)  # 5 bits
    assert unsure.temperature == pytest.approx(0.8 * ENTROPY.entropy_cool)
    assert unsure.top_p == ENTROPY.entropy_top_p


def test_plain_and_greedy_configs_are_untouched():
    flat = _row([1 / 32] * 32)
    plain = SamplingConfig(temperature=0.8)
    assert adapt(flat, plain) is plain
    greedy = SamplingConfig(temperature=0.0, sampler="entropy")
    assert adapt(flat, greedy) is greedy


def test_sure_bytes_are_never_knocked_off_course():
    """At temperature 1.5 a plain sampler leaves a 90% byte often; the entropy sampler never."""
    row = _row([0.9] + [0.1 / 20] * 20)  # ~0.9 bits: above low; lower the threshold to match
    cfg = SamplingConfig(temperature=1.5, sampler="entropy", entropy_low=1.0)
    plain = SamplingConfig(temperature=1.5)
    g1, g2 = make_generator(0), make_generator(0)
    assert all(sample_token(row, cfg, g1) == 0 for _ in range(200))
    assert sum(sample_token(row, plain, g2) != 0 for _ in range(200)) > 20


def test_the_constraint_mask_is_honoured_and_weighs_the_entropy():
    row = torch.zeros(512)  # flat over all: 9 bits
    allowed = torch.zeros(512, dtype=torch.bool)
    allowed[7] = True  # one allowed token: 0 bits, so argmax, and it is the allowed one
    assert sample_token(row, ENTROPY, make_generator(0), allowed=allowed) == 7


def test_bad_sampler_settings_are_refused():
    with pytest.raises(ValueError, match="unknown sampler"):
        SamplingConfig(sampler="nucleus")
    with pytest.raises(ValueError, match="entropy_low"):
        SamplingConfig(entropy_low=3.0, entropy_high=1.0)


def test_repetition_and_variety_of_a_known_text():
    q = TextQuality("t", ByteMetrics())
    q.add_text(list(b"abcabcabc"))  # grams: abca bcab cabc abca bcab cabc -> 3 repeated
    assert (q.grams, q.repeated, q.distinct) == (6, 3, 3)
    assert q.repetition == 0.5 and q.variety == 0.5


def test_compare_samplers_rescores_every_written_byte():
    model = tiny_model(max_seq_len=64)
    prompts = [list(b"hello there"), list(b"to be or not")]
    rows = compare_samplers(model, prompts, new_bytes=8, seed=0)
    assert [r.label for r in rows][:1] == ["greedy"]
    for r in rows:
        assert r.rescored.count == 2 * 8
        assert r.grams == 2 * (8 - 4 + 1)
        assert math.isfinite(r.rescored.bits_per_byte)
    assert rows[0].rescored.accuracy == 1.0  # greedy writes the model's argmax every time
