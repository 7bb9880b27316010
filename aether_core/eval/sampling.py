"""`aether eval sampling`: samplers side by side on the text they write.

Each sampler continues the same prompts (slices of the given files); every continuation is then
re-scored by the model itself at temperature 1 (bits per byte: how likely the model finds what
was written; lower is more coherent, too low is degenerate repetition) and measured for
repetition (the share of 4-byte grams that already occurred earlier in the same continuation) and
variety (distinct 4-grams / all 4-grams). One run, one model, one set of prompts: the rows compare.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..decoding import SamplingConfig
from ..errors import AetherError
from ..sampling import DecodeSession, make_generator
from .metrics import ByteMetrics

GRAM = 4
DEFAULT_VARIANTS = (  # (label, overrides): greedy, plain temperature, and the entropy sampler
    ("greedy", {"temperature": 0.0}),
    ("temp 0.7", {"temperature": 0.7}),
    ("temp 1.0", {"temperature": 1.0}),
    ("entropy 0.7", {"temperature": 0.7, "sampler": "entropy"}),
    ("entropy 1.0", {"temperature": 1.0, "sampler": "entropy"}),
)


@dataclass
class TextQuality:
    label: str
    rescored: ByteMetrics  # the model's own metrics on what was written
    grams: int = 0
    repeated: int = 0  # grams already seen earlier in the same continuation
    distinct: int = 0  # distinct grams, summed over continuations

    @property
    def repetition(self) -> float:
        return self.repeated / self.grams if self.grams else float("nan")

    @property
    def variety(self) -> float:
        return self.distinct / self.grams if self.grams else float("nan")

    def add_text(self, text: list[int]) -> None:
        seen: set[tuple[int, ...]] = set()
        for i in range(len(text) - GRAM + 1):
            g = tuple(text[i : i + GRAM])
            self.grams += 1
            self.repeated += g in seen
            seen.add(g)
        self.distinct += len(seen)

    def to_dict(self) -> dict[str, float | str]:
        return {
            "sampler": self.label,
            "rescored_bpb": self.rescored.bits_per_byte,
            "rescored_acc": self.rescored.accuracy,
            "repetition": self.repetition,
            "variety": self.variety,
        }


def prompts_from(files: list[Path], n: int, length: int, seed: int) -> list[list[int]]:
    """``n`` byte slices of ``length`` from the files, at seeded random offsets."""
    data = []
    for f in files:
        try:
            data.append(f.read_bytes())
        except OSError as e:
            raise AetherError(f"{f}: cannot read ({e.strerror or e})") from None
    data = [d for d in data if len(d) > length]
    if not data:
        raise AetherError(f"no file is longer than the prompt length ({length} bytes)")
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        d = rng.choice(data)
        start = rng.randrange(len(d) - length)
        out.append(list(d[start : start + length]))
    return out


@torch.inference_mode()
def compare_samplers(
    model: nn.Module,
    prompts: list[list[int]],
    new_bytes: int,
    variants: tuple[tuple[str, dict], ...] = DEFAULT_VARIANTS,
    seed: int = 0,
) -> list[TextQuality]:
    max_len = max(len(p) for p in prompts) + new_bytes + 1
    session = DecodeSession(model, max_len)
    device = session.device
    rows = []
    for label, overrides in variants:
        cfg = SamplingConfig(seed=seed, **overrides)
        generator = make_generator(seed)
        q = TextQuality(label, ByteMetrics())
        for prompt in prompts:
            text = [
                t
                for t in session.generate(
                    prompt, cfg, new_bytes, stop_tokens=(), generator=generator
                )
            ]
            q.add_text(text)
            full = torch.tensor([prompt + text], device=device)
            logits = model(full[:, :-1])
            scored = torch.zeros_like(full[:, 1:], dtype=torch.bool)
            scored[:, len(prompt) - 1 :] = True
            q.rescored.update(logits, full[:, 1:], scored)
        rows.append(q)
    return rows
