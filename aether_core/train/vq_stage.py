"""The VQ-VAE stage: the generic loop (run folder, progress, checkpoints, resume) around the VQ
helper's ``vq_train_step``. Images are fresh synthetic shapes per step by default, or image files
given as ``data.paths`` (files or folders; the last ``val_fraction`` of them held out)."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import AetherError
from ..model.vq import TinyVQVAE, load_vq, save_vq
from . import vq as vq_train
from .distributed import all_reduce_sum
from .stage import Stage

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}
VAL_IMAGES = 256  # synthetic validation set size (fixed seed: comparable across evals and runs)


def list_images(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() in IMAGE_SUFFIXES))
        elif p.exists():
            out.append(p)
        else:
            raise AetherError(f"{p}: no such image file or folder")
    return out


class VQStage(Stage):
    name = "vq"
    score_key = "val_loss"
    unit = "images"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.train_images: list[torch.Tensor] | None = None
        self.val_images: torch.Tensor
        if self.cfg.data.paths:
            from PIL import Image

            from ..model.vq import image_to_tensor

            files = list_images(self.cfg.data.paths)
            if len(files) < 2:
                raise AetherError("vq training on files needs at least 2 images")
            cut = max(1, min(len(files) - 1, int(len(files) * (1 - self.cfg.data.val_fraction))))
            size = self.cfg.vq.image_size
            tensors = [image_to_tensor(Image.open(f), size) for f in files]
            self.train_images = tensors[:cut]
            self.val_images = torch.stack(tensors[cut:])
        else:
            self.val_images = vq_train.shapes_batch(
                random.Random(f"{self.cfg.train.seed}/val"), VAL_IMAGES
            )

    def build_model(self) -> nn.Module:
        return TinyVQVAE(self.cfg.vq).to(self.device).train()

    def batches(self, step: int) -> list[torch.Tensor]:
        t = self.cfg.train
        rng = random.Random(f"{t.seed}/{self.dist.rank}/{step}")
        if self.train_images is None:
            return [vq_train.shapes_batch(rng, t.batch_size)]
        return [vq_train.images_batch(self.train_images, rng, t.batch_size)]

    def step(
        self,
        module: nn.Module,
        optimizer: torch.optim.Optimizer,
        batches: list[torch.Tensor],
        params: list[nn.Parameter],
    ) -> dict[str, float]:
        """One ``vq_train_step`` (it clips and steps itself; grad_accum does not apply)."""
        batch = batches[0].to(self.device)
        with self.autocast():
            m = vq_train.vq_train_step(module, optimizer, batch)
        norm = math.sqrt(
            sum(float(p.grad.detach().pow(2).sum()) for p in params if p.grad is not None)
        )
        n = batch.shape[0]
        return {"loss_sum": m["loss"] * n, "tokens": n, "grad_norm": norm, "psnr": m["psnr"]}

    @torch.no_grad()
    def evaluate(self, model: nn.Module, limit: int | None) -> dict[str, float]:
        model = getattr(model, "module", model)
        was = model.training
        model.eval()
        sq, n, loss_sum, n_img = 0.0, 0, 0.0, 0
        images = self.val_images
        if limit is not None:
            images = images[: max(1, limit * self.cfg.train.batch_size)]
        shard = images[self.dist.rank :: self.dist.world_size]
        for i in range(0, len(shard), 64):
            x = shard[i : i + 64].to(self.device)
            recon, losses = model(x)
            sq += float(((recon.float() - x) ** 2).sum())
            n += x.numel()
            loss_sum += float(losses["loss"]) * len(x)
            n_img += len(x)
        model.train(was)
        sq, n, loss_sum, n_img = all_reduce_sum([sq, n, loss_sum, n_img], self.device)
        mse = sq / max(1, n)
        return {
            "val_loss": loss_sum / max(1, n_img),
            "val_mse": mse,
            "val_psnr": 100.0 if mse <= 1e-10 else 10 * math.log10(1 / mse),
        }

    def num_val_batches(self) -> int | None:
        return -(-len(self.val_images) // self.cfg.train.batch_size)

    def save(self, model: nn.Module, directory: Path, extra: dict[str, Any]) -> None:
        save_vq(getattr(model, "module", model), directory)

    def load(self, model: nn.Module, directory: Path) -> None:
        loaded = load_vq(directory)
        getattr(model, "module", model).load_state_dict(loaded.state_dict())
