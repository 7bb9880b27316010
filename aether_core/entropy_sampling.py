"""Entropy-adaptive sampling (Bytropix's sampler): the entropy of each next-byte distribution picks
how that byte is drawn. A model that is sure (low entropy: the rest of a word) gets its argmax, so
sampling cannot knock a word off course; in between it samples with top-p; where it is unsure (high
entropy: the start of a name, a number) a random draw is most often wrong, so it samples cooler.
The thresholds and the cooling live in ``decoding.SamplingConfig``."""

from __future__ import annotations

import math
from dataclasses import replace

import torch
from torch import Tensor

from .decoding import SamplingConfig

_LN2 = math.log(2)


def entropy_bits(logits: Tensor) -> float:
    """Shannon entropy, in bits, of softmax(logits) over the tokens still allowed (finite)."""
    lp = torch.log_softmax(logits.float(), -1)
    p = lp.exp()
    return float(-(p * lp.nan_to_num(neginf=0.0)).sum()) / _LN2


def adapt(logits: Tensor, cfg: SamplingConfig) -> SamplingConfig:
    """The config to draw this one token with (``logits``: the row after the constraint and the
    copy prior, before temperature). Plain samplers and greedy configs come back unchanged."""
    if cfg.sampler != "entropy" or cfg.temperature <= 0:
        return cfg
    h = entropy_bits(logits)
    if h < cfg.entropy_low:
        return replace(cfg, temperature=0.0)
    cool = cfg.entropy_cool if h > cfg.entropy_high else 1.0
    return replace(cfg, temperature=cfg.temperature * cool, top_p=min(cfg.top_p, cfg.entropy_top_p))
