"""What differs between training stages (lm, lora, vq), behind one small interface the loop uses.

The loop owns the schedule, logging, evaluation cadence, checkpoints and resume; a stage owns its
model, its data, one optimisation step, its validation metrics and its checkpoint files.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .config import RunConfig
from .distributed import DistInfo


class Stage:
    name = "base"
    score_key = "val_loss"  # lower is better; picks ckpt/best
    unit = "bytes"  # what "tokens" counts, for the progress bar and bytes_per_s
    resuming = False  # set by the loop: the weights will come from the run's own checkpoint

    def __init__(
        self, cfg: RunConfig, device: torch.device, dist: DistInfo, use_bf16: bool
    ) -> None:
        self.cfg, self.device, self.dist, self.use_bf16 = cfg, device, dist, use_bf16

    # ---------------------------------------------------------------- model
    def build_model(self) -> nn.Module:
        raise NotImplementedError

    def train_module(self, model: nn.Module) -> nn.Module:
        """The module DDP wraps and ``step`` calls (by default the model itself)."""
        return model

    def find_unused_parameters(self, model: nn.Module) -> bool:
        return False

    # ---------------------------------------------------------------- data + step
    def batches(self, step: int) -> list[Any]:
        """The micro-batches of optimizer step ``step`` (a pure function of it: exact resume)."""
        raise NotImplementedError

    def step(
        self,
        module: nn.Module,
        optimizer: torch.optim.Optimizer,
        batches: list[Any],
        params: list[nn.Parameter],
    ) -> dict[str, float]:
        """One optimizer step; returns at least ``loss_sum``, ``tokens`` and ``grad_norm``."""
        raise NotImplementedError

    def evaluate(self, model: nn.Module, limit: int | None) -> dict[str, float]:
        raise NotImplementedError

    def num_val_batches(self) -> int | None:
        return None

    # ---------------------------------------------------------------- files
    def save(self, model: nn.Module, directory: Path, extra: dict[str, Any]) -> None:
        raise NotImplementedError

    def load(self, model: nn.Module, directory: Path) -> None:
        raise NotImplementedError

    def finish(self, run_dir: Path) -> None:
        """Anything to do once training is over (e.g. merge a LoRA adapter)."""

    # ---------------------------------------------------------------- helpers
    def autocast(self) -> contextlib.AbstractContextManager:
        if not self.use_bf16:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)
