"""Shared helpers for the training tests: tiny seeded configs and data files."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from aether_core.config import ModelConfig, ViTConfig
from aether_core.train.config import DataConfig, RunConfig, TrainConfig
from aether_core.train.metrics import read_metrics

WORDS = (
    "the cat sat on a mat and the dog ran to the red barn while birds sang "
    "softly in the old oak tree near the river bank"
).split()


def write_text(path: Path, n_bytes: int = 20_000, seed: int = 0) -> Path:
    """Learnable text: sentences drawn from a small vocabulary (loss falls within a few steps)."""
    rng = random.Random(seed)
    out = []
    size = 0
    while size < n_bytes:
        s = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 10))).capitalize() + ".\n"
        out.append(s)
        size += len(s)
    path.write_text("".join(out)[:n_bytes])
    return path


def tiny_model(cross_attn: bool = False, **kw: Any) -> ModelConfig:
    vision = ViTConfig(patch_size=16, dim=32, n_layers=1, n_heads=2, n_queries=4)
    base = dict(dim=32, n_layers=2, n_heads=2, max_seq_len=64, cross_attn=cross_attn, vision=vision)
    base.update(kw)
    return ModelConfig(**base)


def tiny_run(
    tmp: Path,
    data: Path | None = None,
    stage: str = "lm",
    name: str = "run",
    model: ModelConfig | None = None,
    **train_kw: Any,
) -> RunConfig:
    """A RunConfig small enough for a test step to take milliseconds."""
    t = dict(
        run_dir=str(tmp / name),
        seed=0,
        batch_size=4,
        seq_len=32,
        max_steps=20,
        lr=3e-3,
        warmup_steps=2,
        eval_every=1000,
        eval_batches=4,
        log_every=1,
        ckpt_every=1000,
        device="cpu",
        threads=1,
        progress=False,
    )
    t.update(train_kw)
    return RunConfig(
        stage=stage,
        model=model or tiny_model(),
        train=TrainConfig(**t),
        data=DataConfig(paths=[str(data)] if data else []),
    )


def losses(run_dir: Path) -> dict[int, float]:
    """step -> training loss from a run's metrics.jsonl."""
    return {
        m["step"]: m["loss"] for m in read_metrics(Path(run_dir) / "metrics.jsonl") if "loss" in m
    }


def small_vq():
    """A VQConfig a few times cheaper than the shipped one (only fields this checkout has)."""
    import dataclasses

    from aether_core.model.vq import VQConfig

    want = dict(
        enc_width=16,
        dec_width=16,
        up_width=8,
        enc_levels=(16,),
        dec_levels=(16,),
        enc_blocks=1,
        dec_blocks=1,
        up_blocks=1,
        code_dim=4,
        codebook_size=32,
    )
    names = {f.name for f in dataclasses.fields(VQConfig)}
    return VQConfig(**{k: v for k, v in want.items() if k in names})
