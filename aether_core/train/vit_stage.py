"""`aether train vit`: teach the byte model's TinyPatchViT to tell the synthetic shapes apart before
the LM learns to read it (the LM's ``train.vision_init``).

Through cross-attention alone the ViT only hears from a caption's few answer bytes: after 2,400 LM
steps its tokens were nearly the same for every picture (a linear probe found the shape at chance).
Here it learns from labels (shape, colour, background), through linear heads on its mean token;
the heads are dropped when the LM takes the ViT over.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ..checkpoint import CheckpointError, load_weights, read_config, save_checkpoint
from ..config import ModelConfig
from ..data.shapes import random_spec
from ..errors import AetherError
from ..model.vision import TinyPatchViT
from ..model.vision_head import LABELS, VisionHead, label_loss, labelled
from .distributed import all_reduce_sum
from .stage import Stage

WEIGHTS_FILE = "vit.safetensors"  # not model.safetensors: this folder is not a byte model
VAL_IMAGES = 512


class ViTProbe(nn.Module):
    """The LM's ViT (same config, same output width) plus one linear head per label."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.vit = TinyPatchViT(cfg.vision, cfg.dim)
        self.heads = VisionHead(cfg.dim)

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        return self.heads(self.vit(images))


def labelled_batch(rng: random.Random, n: int) -> tuple[Tensor, dict[str, Tensor]]:
    """``n`` fresh shapes pictures [n, 3, 64, 64] and their label indices."""
    return labelled([random_spec(rng) for _ in range(n)])


class ViTStage(Stage):
    name = "vit"
    score_key = "val_loss"
    unit = "images"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.cfg.data.paths or self.cfg.data.sources:
            raise AetherError("vit trains on fresh synthetic shapes and their labels: no --data")
        self.val = labelled_batch(random.Random(f"{self.cfg.train.seed}/val"), VAL_IMAGES)

    def build_model(self) -> nn.Module:
        return ViTProbe(self.cfg.model).to(self.device).train()

    def batches(self, step: int) -> list[tuple[Tensor, dict[str, Tensor]]]:
        t = self.cfg.train
        rng = random.Random(f"{t.seed}/{self.dist.rank}/{step}")
        return [labelled_batch(rng, t.batch_size) for _ in range(t.grad_accum)]

    def step(
        self,
        module: nn.Module,
        optimizer: torch.optim.Optimizer,
        batches: list[tuple[Tensor, dict[str, Tensor]]],
        params: list[nn.Parameter],
    ) -> dict[str, float]:
        optimizer.zero_grad(set_to_none=True)
        loss_sum = 0.0
        for images, labels in batches:
            with self.autocast():
                loss = label_loss(module(images.to(self.device)), labels)
            (loss / len(batches)).backward()
            loss_sum += float(loss.detach()) * len(images)
        clip = self.cfg.train.grad_clip
        norm = torch.nn.utils.clip_grad_norm_(params, clip if clip > 0 else float("inf"))
        optimizer.step()
        n = sum(len(images) for images, _ in batches)
        return {"loss_sum": loss_sum, "tokens": n, "grad_norm": float(norm)}

    @torch.no_grad()
    def evaluate(self, model: nn.Module, limit: int | None) -> dict[str, float]:
        model = getattr(model, "module", model)
        was = model.training
        model.eval()
        images, labels = self.val
        if limit is not None:
            images = images[: max(1, limit * self.cfg.train.batch_size)]
        picks = range(self.dist.rank, len(images), self.dist.world_size)
        sums = [0.0] * (len(LABELS) + 2)  # loss, n, then correct per label
        for i in range(0, len(picks), 128):
            idx = torch.tensor(picks[i : i + 128])
            logits = model(images[idx].to(self.device))
            part = {k: v[idx] for k, v in labels.items()}
            sums[0] += float(label_loss(logits, part)) * len(idx)
            sums[1] += len(idx)
            for j, k in enumerate(LABELS):
                sums[2 + j] += float((logits[k].argmax(-1).cpu() == part[k]).sum())
        model.train(was)
        sums = all_reduce_sum(sums, self.device)
        n = max(1.0, sums[1])
        out = {"val_loss": sums[0] / n if sums[1] else math.nan}
        out.update({f"val_{k}_acc": sums[2 + j] / n for j, k in enumerate(LABELS)})
        return out

    def num_val_batches(self) -> int | None:
        return -(-VAL_IMAGES // self.cfg.train.batch_size)

    def save(self, model: nn.Module, directory: Path, extra: dict[str, Any]) -> None:
        save_checkpoint(directory, getattr(model, "module", model), self.cfg.model,
                        extra=extra, weights_file=WEIGHTS_FILE)  # fmt: skip

    def load(self, model: nn.Module, directory: Path) -> None:
        load_weights(getattr(model, "module", model), directory / WEIGHTS_FILE, self.device)


def load_pretrained_vit(model: nn.Module, directory: str | Path) -> int:
    """Put a `aether train vit` checkpoint's ViT into ``model`` (a byte model with the same
    ``model.vision`` and ``model.dim``); returns how many tensors it loaded."""
    directory = Path(directory)
    cfg, meta = read_config(directory)
    vit = getattr(model, "vit", None)
    if meta.get("stage") != "vit" or not (directory / WEIGHTS_FILE).exists():
        raise CheckpointError(f"{directory}: not a `aether train vit` checkpoint")
    if vit is None:
        raise CheckpointError(f"{directory}: this model has no ViT (model.cross_attn is off)")
    if cfg.vision != vit.cfg or cfg.dim != vit.out[-1].out_features:
        raise CheckpointError(
            f"{directory}: its ViT ({cfg.vision}, width {cfg.dim}) differs from this run's "
            "model.vision / model.dim"
        )
    probe = ViTProbe(cfg)
    load_weights(probe, directory / WEIGHTS_FILE)  # names, shapes, a truncated file: one line
    own = probe.vit.state_dict()
    vit.load_state_dict(own)
    return len(own)
