"""The language-model stage: next-byte cross-entropy over the packed byte stream, with images
encoded by the ViT and cross-attended (the VQ codes of the same images are already in the stream).
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from ..checkpoint import load_checkpoint, load_weights, save_checkpoint
from ..config import ModelConfig
from ..data.base import Batch
from ..errors import AetherError
from ..eval.metrics import ByteMetrics
from ..model import build_model
from .data import TrainData, build_data
from .distributed import all_reduce_metrics
from .entropy_weights import load_entropy_weights
from .stage import Stage


def unwrap(module: nn.Module) -> nn.Module:
    """The plain model under DDP / torch.compile / loss wrappers."""
    while True:
        if isinstance(module, DistributedDataParallel):
            module = module.module
        elif hasattr(module, "_orig_mod"):
            module = module._orig_mod
        elif isinstance(module, LMLoss):
            module = module.model
        else:
            return module


VISION_KEYS = ("vit.", ".cross.", ".norm_c.")  # the vision path: the ViT and cross-attention


def warm_start(model: nn.Module, weights: dict[str, Tensor], source: str) -> int:
    """Load ``weights`` (``train.init``) into ``model``. They must fit exactly, except that a model
    that adds the vision path may start from one without it: the new cross-attention layers start
    with a zero output projection, so the warm-started model computes what the old one did.
    Returns how many tensors started fresh."""
    own = model.state_dict()
    missing = set(own) - set(weights)
    fits = not set(weights) - set(own) and all(own[k].shape == v.shape for k, v in weights.items())
    if not fits or not all(any(tag in k for tag in VISION_KEYS) for k in missing):
        raise AetherError(
            f"{source}: its weights do not fit this run's [model] "
            "(copy the checkpoint's model section into the config)"
        )
    model.load_state_dict(weights, strict=False)
    with torch.no_grad():
        for k in missing:
            if k.endswith(".cross.proj.weight"):
                own[k].zero_()
    return len(missing)


def vision_inputs(
    model: nn.Module, images: Tensor | None, image_mask: Tensor | None
) -> tuple[Tensor | None, Tensor | None]:
    """ViT tokens for a batch's images, or (None, None) when there are none (text-only batch, or a
    model without a vision encoder: then the images only reach it as VQ codes in the stream)."""
    if images is None or images.shape[1] == 0 or getattr(model, "vit", None) is None:
        return None, None
    if image_mask is not None and not bool(image_mask.any()):
        return None, None
    return model.encode_images(images, image_mask)


def masked_ce(logits: Tensor, y: Tensor, loss_mask: Tensor) -> Tensor:
    """Sum of next-byte cross-entropy (nats) over targets where ``loss_mask`` is True."""
    targets = y.masked_fill(~loss_mask, -100)
    return F.cross_entropy(
        logits.float().flatten(0, 1), targets.flatten(), ignore_index=-100, reduction="sum"
    )


class LMLoss(nn.Module):
    """model + loss in one forward, so DDP (and torch.compile) see the ViT and the byte model as
    one graph: gradients from the loss reach every ViT parameter through cross-attention."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        x: Tensor,
        y: Tensor,
        loss_mask: Tensor,
        images: Tensor | None = None,
        image_mask: Tensor | None = None,
    ) -> Tensor:
        vision, vision_mask = vision_inputs(self.model, images, image_mask)
        logits = self.model(x, vision=vision, vision_mask=vision_mask)
        return masked_ce(logits, y, loss_mask)


@torch.no_grad()
def evaluate_lm(
    model: nn.Module, batches: Any, device: torch.device, autocast: Any = contextlib.nullcontext
) -> dict[str, float]:
    """Validation loss (nats per target), bits per byte, next-byte accuracy, perplexity and the
    confidence in the true byte (eval.metrics), over every rank's share of the batches."""
    was_training = model.training
    model.eval()
    m = ByteMetrics()
    with torch.no_grad():
        for b in batches:
            b = b.to(device)
            with autocast():
                vision, vision_mask = vision_inputs(model, b.images, b.image_mask)
                logits = model(b.x, vision=vision, vision_mask=vision_mask)
            m.update(logits, b.y, b.loss_mask)
    model.train(was_training)
    m = all_reduce_metrics(m, device)
    rep = m.report()
    return {
        "val_loss": rep["loss"],
        "val_bpb": rep["bits_per_byte"],
        "val_acc": rep["accuracy"],
        "val_ppl": rep["perplexity"],
        "val_conf": rep["conf_mean"],
        "val_conf_min": rep["conf_min"],
        "val_conf_max": rep["conf_max"],
        "val_tokens": m.count,
    }


def batch_loss(model: nn.Module, batch: Batch) -> Tensor:
    """Mean masked cross-entropy of one batch (tests and quick checks)."""
    return LMLoss(model)(batch.x, batch.y, batch.loss_mask, batch.images, batch.image_mask) / max(
        1, batch.n_target_tokens
    )


class LMStage(Stage):
    name = "lm"
    score_key = "val_bpb"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        t = self.cfg.train
        self.vq = self._load_vq()
        self.data: TrainData = build_data(
            self.cfg.data, t.seq_len, t.batch_size, t.seed, self.dist.rank, vq=self.vq
        )

    def _load_vq(self) -> Any:
        """The frozen VQ the data sources use to turn images into codes (never trained here)."""
        if not self.cfg.data.vq:
            return None
        from ..model.vq import load_vq

        vq = load_vq(self.cfg.data.vq)
        vq.requires_grad_(False)
        return vq.eval()

    # ---------------------------------------------------------------- model
    def model_config(self) -> ModelConfig:
        """The shape of the model this stage trains and saves."""
        return self.cfg.model

    def build_model(self) -> nn.Module:
        model = build_model(self.model_config())
        entropy_ckpt = self.model_config().hier.entropy_checkpoint
        has_entropy = getattr(model, "entropy_model", None) is not None
        if has_entropy and entropy_ckpt and not self.cfg.train.init and not self.resuming:
            # A hierarchical model's frozen entropy patcher, from `aether train entropy` (--init,
            # or a resume, brings its own copy with the rest of the weights).
            load_entropy_weights(model, entropy_ckpt)
        if self.cfg.train.init and not self.resuming:  # a resume loads its own weights next
            init, _, _ = load_checkpoint(self.cfg.train.init)
            fresh = warm_start(model, init.state_dict(), str(self.cfg.train.init))
            if fresh and self.dist.is_main:
                print(
                    f"warm start from {self.cfg.train.init}: {fresh} new vision tensors start fresh"
                )
        if self.cfg.train.vision_init and not self.resuming:
            from .vit_stage import load_pretrained_vit

            n = load_pretrained_vit(model, self.cfg.train.vision_init)
            if self.dist.is_main:
                print(f"vision: {n} ViT tensors from {self.cfg.train.vision_init}")
        if self.cfg.train.freeze_vision and getattr(model, "vit", None) is not None:
            model.vit.requires_grad_(False)
        return model.to(self.device).train()

    def train_module(self, model: nn.Module) -> nn.Module:
        return LMLoss(model)

    def find_unused_parameters(self, model: nn.Module) -> bool:
        # Text-only batches leave the ViT and cross-attention without gradients.
        return getattr(unwrap(model), "vit", None) is not None

    # ---------------------------------------------------------------- data + step
    def batches(self, step: int) -> list[Batch]:
        return [self.data.train_batch(step, m) for m in range(self.cfg.train.grad_accum)]

    def step(
        self,
        module: nn.Module,
        optimizer: torch.optim.Optimizer,
        batches: list[Batch],
        params: list[nn.Parameter],
    ) -> dict[str, float]:
        n_total = sum(b.n_target_tokens for b in batches)
        optimizer.zero_grad(set_to_none=True)
        loss_sum = torch.zeros((), device=self.device)
        for i, b in enumerate(batches):
            b = b.to(self.device)
            last = i == len(batches) - 1
            sync = (
                contextlib.nullcontext()
                if last or not hasattr(module, "no_sync")
                else module.no_sync()
            )
            with sync:
                with self.autocast():
                    ls = module(b.x, b.y, b.loss_mask, b.images, b.image_mask)
                (ls / max(1, n_total)).backward()
            loss_sum += ls.detach()
        clip = self.cfg.train.grad_clip
        grad_norm = torch.nn.utils.clip_grad_norm_(params, clip if clip > 0 else float("inf"))
        optimizer.step()
        seen = sum(b.x.numel() for b in batches)  # every position read, loss or not
        return {"loss_sum": float(loss_sum), "tokens": n_total, "seen": seen,
                "grad_norm": float(grad_norm)}  # fmt: skip

    def evaluate(self, model: nn.Module, limit: int | None) -> dict[str, float]:
        batches = self.data.val_batches(limit, self.dist.rank, self.dist.world_size)
        return evaluate_lm(model, batches, self.device, self.autocast)

    def num_val_batches(self) -> int | None:
        return self.data.num_val_batches()

    # ---------------------------------------------------------------- files
    def save(self, model: nn.Module, directory: Path, extra: dict[str, Any]) -> None:
        save_checkpoint(directory, unwrap(model), self.model_config(), extra=extra)
        self._copy_vq(directory)

    def _copy_vq(self, directory: Path) -> None:
        """Ship the codec with the model: a checkpoint must decode the image codes it writes."""
        if self.cfg.data.vq:
            from ..model.vq import CONFIG_FILE, WEIGHTS_FILE

            for name in (WEIGHTS_FILE, CONFIG_FILE):
                src = Path(self.cfg.data.vq) / name
                if src.exists():
                    shutil.copyfile(src, directory / name)

    def load(self, model: nn.Module, directory: Path) -> None:
        load_weights(unwrap(model), directory / "model.safetensors", self.device)


class EntropyStage(LMStage):
    """`aether train entropy`: the small flat byte LM a hierarchical model's entropy patcher uses
    (shape: :func:`entropy_model_config` of ``[model]``, i.e. ``model.hier.entropy_*``), trained as
    a plain LM on the same data. Its checkpoints are ordinary flat checkpoints: set
    ``model.hier.entropy_checkpoint`` to one, or pass it to `aether patch --checkpoint`."""

    name = "entropy"

    def model_config(self) -> ModelConfig:
        from ..model.entropy import entropy_model_config

        return entropy_model_config(self.cfg.model)

    def find_unused_parameters(self, model: nn.Module) -> bool:
        return False  # no vision encoder
