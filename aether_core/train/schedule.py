"""Learning-rate schedule: linear warmup, then cosine decay to ``min_lr`` ("cosine"), or hold the
peak and decay only over the last ``decay_fraction`` of the run ("wsd": warmup-stable-decay).

WSD suits long runs whose length is not known up front: while the lr is still at its peak, a run
resumed with a larger ``max_steps`` simply trains longer, and any point can start the decay.

The schedule is a pure function of progress, so a resumed run picks up the exact LR without any
scheduler state. Progress is ``step / total_steps``, or, for a run bounded only by wall-clock time,
the fraction of the time budget used (the LR reaches its floor just as the budget runs out).
"""

from __future__ import annotations

import math

SCHEDULES = ("cosine", "wsd")


def lr_at(step: int, *, lr: float, min_lr: float, warmup_steps: int, progress: float,
          schedule: str = "cosine", decay_fraction: float = 0.2) -> float:  # fmt: skip
    """LR for ``step``. ``progress`` in [0, 1] is how far through the run we are."""
    if warmup_steps > 0 and step < warmup_steps:
        return lr * (step + 1) / warmup_steps
    p = min(1.0, max(0.0, progress))
    if schedule == "wsd":
        start = 1.0 - decay_fraction
        if p <= start:
            return lr
        p = (p - start) / max(decay_fraction, 1e-9)
    return min_lr + (lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * p))


def progress_of(
    step: int, total_steps: int | None, warmup_steps: int, elapsed_s: float, budget_s: float | None
) -> float:
    """Fraction of the decay phase done: by steps when there is a step horizon, else by time."""
    if total_steps is not None:
        return (step - warmup_steps) / max(1, total_steps - warmup_steps)
    if budget_s:
        return elapsed_s / budget_s
    return 0.0
