"""The evaluation report BLT prints, for any next-byte predictor: loss, bits per byte, next-byte
accuracy, perplexity and the confidence (probability) the model gave the true byte, mean, min and
max. One accumulator serves `aether eval bpb` (per file and overall) and training's periodic
validation, so the two report the same figures the same way."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class ByteMetrics:
    nats: float = 0.0  # summed negative log-likelihood of the true bytes
    count: int = 0  # bytes scored
    correct: int = 0  # bytes whose argmax prediction was the true byte
    conf_sum: float = 0.0  # summed probability of the true byte
    conf_min: float = math.inf
    conf_max: float = -math.inf

    def update(self, logits: Tensor, targets: Tensor, mask: Tensor | None = None) -> None:
        """Score ``targets`` [...] under ``logits`` [..., V]; ``mask`` (bool, same shape as the
        targets) keeps only the positions that count."""
        lp = torch.log_softmax(logits.float(), -1)
        true = lp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        hit = lp.argmax(-1) == targets
        if mask is not None:
            true, hit = true[mask], hit[mask]
        if true.numel() == 0:
            return
        conf = true.exp()
        self.nats -= float(true.double().sum())
        self.count += int(true.numel())
        self.correct += int(hit.sum())
        self.conf_sum += float(conf.double().sum())
        self.conf_min = min(self.conf_min, float(conf.min()))
        self.conf_max = max(self.conf_max, float(conf.max()))

    def merge(self, other: ByteMetrics) -> ByteMetrics:
        return ByteMetrics(
            self.nats + other.nats,
            self.count + other.count,
            self.correct + other.correct,
            self.conf_sum + other.conf_sum,
            min(self.conf_min, other.conf_min),
            max(self.conf_max, other.conf_max),
        )

    @property
    def loss(self) -> float:
        """Nats per byte."""
        return self.nats / self.count if self.count else math.nan

    @property
    def bits_per_byte(self) -> float:
        return self.loss / math.log(2)

    @property
    def perplexity(self) -> float:
        loss = self.loss
        return math.exp(loss) if loss < 700 else math.inf  # exp overflows past ~709

    @property
    def accuracy(self) -> float:
        return self.correct / self.count if self.count else math.nan

    @property
    def conf_mean(self) -> float:
        return self.conf_sum / self.count if self.count else math.nan

    def report(self) -> dict[str, float | int]:
        """The figures, named as `aether eval bpb --json` and the training log print them."""
        empty = self.count == 0
        return {
            "loss": self.loss,
            "bits_per_byte": self.bits_per_byte,
            "accuracy": self.accuracy,
            "perplexity": self.perplexity,
            "conf_mean": self.conf_mean,
            "conf_min": math.nan if empty else self.conf_min,
            "conf_max": math.nan if empty else self.conf_max,
            "bytes": self.count,
        }


REPORT_COLUMNS = (  # (report key, table heading, format): headings short, so 80 columns fit
    ("bytes", "bytes", "{:,}"),
    ("loss", "loss", "{:.4f}"),
    ("bits_per_byte", "bpb", "{:.4f}"),
    ("accuracy", "acc", "{:.1%}"),
    ("perplexity", "ppl", "{:.3f}"),
    ("conf_mean", "conf", "{:.3f}"),
    ("conf_min", "min", "{:.0e}"),
    ("conf_max", "max", "{:.3f}"),
)
REPORT_LEGEND = (
    "loss: nats per byte · bpb: bits per byte · acc: next-byte accuracy · ppl: perplexity · "
    "conf / min / max: probability given to the true byte (mean, lowest, highest)"
)
