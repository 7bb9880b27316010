"""Training configuration: one ``RunConfig`` (model + train + data + lora + vq) resolved from
defaults, then a TOML/JSON file, then command-line flags. The resolved config is what gets saved
beside every checkpoint (``config.json`` field ``"train"``) and as ``run.json``, so a run can always
be reproduced or resumed from its folder alone."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import MAX_SEQ, ModelConfig
from ..model.vq import VQConfig
from ..validation import (
    ConfigError,
    bounded,
    check_fields,
    from_dict,
    load_config_file,
    register_nested,
)

STAGES = ("lm", "vq", "lora", "entropy", "vit")
PRECISIONS = ("auto", "fp32", "bf16")
LR_CONTROLS = ("none", "q")
OPTIMIZERS = ("adamw", "muon")


@register_nested
@dataclass
class TrainConfig:
    """Optimisation and bookkeeping. ``None`` means "derive a sensible value" (see ``resolved``)."""

    name: str | None = None  # run folder name; default: the stage + a timestamp
    runs_dir: str = "runs"
    run_dir: str | None = None  # explicit run folder (overrides runs_dir/name)
    seed: int = bounded(1337, ge=0)
    batch_size: int = bounded(16, ge=1, le=1 << 20)
    seq_len: int = bounded(256, ge=1, le=MAX_SEQ)
    grad_accum: int = bounded(1, ge=1, le=1 << 16)
    max_steps: int | None = bounded(None, ge=0)  # default 2000 when no time budget is given either
    max_minutes: float | None = bounded(
        None, gt=0
    )  # wall-clock budget; ends with a final eval + checkpoint
    lr: float = bounded(1e-3, gt=0)
    min_lr: float | None = bounded(None, ge=0)  # cosine floor; default lr / 10
    warmup_steps: int = bounded(100, ge=0)
    weight_decay: float = bounded(0.1, ge=0)
    beta1: float = bounded(0.9, ge=0, lt=1)
    beta2: float = bounded(0.95, ge=0, lt=1)
    grad_clip: float = bounded(1.0, ge=0)  # 0: off
    eval_every: int = bounded(250, ge=1)
    eval_batches: int = bounded(
        20, ge=0
    )  # periodic evals: this many val batches (a fixed, spread subset; 0: all)
    final_eval_batches: int | None = bounded(
        None, ge=0
    )  # the final eval: None = the whole val split
    log_every: int = bounded(10, ge=1)
    ckpt_every: int = bounded(500, ge=1)  # ``last/`` is also written at every eval and at the end
    device: str = "auto"
    precision: str = bounded(
        "auto", choices=PRECISIONS
    )  # auto: bf16 autocast on CUDA with bf16, fp32 elsewhere
    compile: bool = False
    threads: int | None = bounded(None, ge=1, le=1024)  # torch CPU threads
    nproc: int = bounded(
        1, ge=1, le=1024
    )  # local DDP processes `aether train` launches (torchrun --standalone)
    progress: bool = True
    init: str | None = None  # lm: start from this checkpoint's weights (not a resume)
    vision_init: str | None = None  # lm: the ViT from an `aether train vit` checkpoint
    freeze_vision: bool = False  # lm: keep the ViT as it is (train only the byte model)
    # "q": a QLRController (train/lr_control.py) scales the scheduled lr and sets Adam's beta1,
    # deciding at every log step from the training loss; "none": the plain schedule.
    lr_control: str = bounded("none", choices=LR_CONTROLS)
    # "muon": Muon on hidden matrices (train/muon.py) at lr * muon_lr_ratio, AdamW on the rest.
    optimizer: str = bounded("adamw", choices=OPTIMIZERS)
    muon_lr_ratio: float = bounded(8.0, gt=0)
    # "cosine" over the whole run, or "wsd": hold the peak, cosine down over the last
    # decay_fraction (a long run can then be extended with --resume --set train.max_steps=N)
    schedule: str = bounded("cosine", choices=("cosine", "wsd"))
    decay_fraction: float = bounded(0.2, gt=0, le=1)

    def __post_init__(self) -> None:
        check_fields(self)

    @property
    def total_steps(self) -> int | None:
        """The step horizon of the LR schedule; None: the schedule follows the time budget."""
        if self.max_steps is not None:
            return self.max_steps
        return None if self.max_minutes is not None else 2000

    @property
    def warmup(self) -> int:
        """Warmup steps, capped at a tenth of a step-bounded run (a short run still decays)."""
        total = self.total_steps
        return self.warmup_steps if total is None else min(self.warmup_steps, max(1, total // 10))

    @property
    def floor_lr(self) -> float:
        return self.lr / 10 if self.min_lr is None else self.min_lr


@register_nested
@dataclass
class DataConfig:
    """Where batches come from.

    ``paths``: plain files read as one byte stream each (first ``1 - val_fraction`` for training,
    the rest for validation). ``sources``: specs for ``aether_core.data.mixture.build_mixture``
    (chat, COCO, synthetic, ...). ``vq``: the frozen VQ checkpoint that turns images into codes.
    """

    paths: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    val_fraction: float = bounded(0.1, gt=0, lt=1)
    vq: str | None = None

    def __post_init__(self) -> None:
        check_fields(self)


@register_nested
@dataclass
class LoraSection:
    """LoRA fine-tuning of ``base`` (a checkpoint dir); only the adapter is trained and saved."""

    base: str | None = None
    rank: int = bounded(8, ge=1, le=1 << 16)
    alpha: float = bounded(16.0, gt=0)
    dropout: float = bounded(0.0, ge=0, lt=1)
    target_modules: list[str] = field(default_factory=lambda: ["qkv", "proj", "w13", "w2"])
    merge: bool = False  # also write RUN/merged/, a plain checkpoint with the adapter folded in

    def __post_init__(self) -> None:
        check_fields(self)


register_nested(ModelConfig)
register_nested(VQConfig)


@dataclass
class RunConfig:
    """Everything a run needs; sections mirror the TOML file's tables."""

    stage: str = bounded("lm", choices=STAGES)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    data: DataConfig = field(default_factory=DataConfig)
    lora: LoraSection = field(default_factory=LoraSection)
    vq: VQConfig = field(default_factory=VQConfig)

    def __post_init__(self) -> None:
        check_fields(self)
        if self.stage in ("lm", "entropy") and self.train.seq_len > self.model.max_seq_len:
            raise ConfigError(
                f"train.seq_len {self.train.seq_len} exceeds model.max_seq_len {self.model.max_seq_len}"
            )
        try:
            self.vq.validate()
        except ValueError as e:
            raise ConfigError(f"vq: {e}") from None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        return from_dict(cls, d)


# Defaults that differ by stage (applied under the config file and flags): the VQ-VAE keeps its
# helper's recipe (train/vq.py: light weight decay, larger image batches), LoRA a gentler lr.
STAGE_DEFAULTS: dict[str, dict[str, Any]] = {
    "vq": {"train": {"lr": 2e-3, "weight_decay": 1e-4, "beta2": 0.99, "batch_size": 32,
                     "warmup_steps": 50}},
    "lora": {"train": {"lr": 5e-4, "weight_decay": 0.0}},
    "vit": {"train": {"lr": 2e-3, "weight_decay": 0.01, "beta2": 0.99, "batch_size": 64}},
}  # fmt: skip


def merge_dicts(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge: tables merge key by key, anything else in ``over`` replaces."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_dicts(out[k], v)
        else:
            out[k] = v
    return out


def parse_assignment(text: str) -> dict[str, Any]:
    """``"train.lr=3e-3"`` -> ``{"train": {"lr": 0.003}}``; the value is parsed as TOML (strings
    may go unquoted), so ``--set model.cross_attn=false`` means the boolean."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set expects SECTION.KEY=VALUE, got {text!r}")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    out: dict[str, Any] = {}
    node = out
    parts = [p.strip() for p in key.strip().split(".")]
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value
    return out


def resolve_config(
    file: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    sets: list[str] | None = None,
    stage: str | None = None,
) -> RunConfig:
    """defaults <- stage defaults <- config file <- ``overrides`` (flags) <- ``--set``.

    Relative paths (data, VQ, LoRA base, init checkpoint) are looked up from the current directory
    first (configs are meant to be run from the repo root), then from the config file's folder,
    and stored absolute.
    """
    d: dict[str, Any] = {}
    if file is not None:
        d = load_config_file(file)
        _resolve_paths(d, Path(file).resolve().parent)
    if stage is not None:
        d["stage"] = stage
    d = merge_dicts(STAGE_DEFAULTS.get(str(d.get("stage", "lm")), {}), d)
    d = merge_dicts(d, overrides or {})
    for s in sets or []:
        d = merge_dicts(d, parse_assignment(s))
    _resolve_paths(d, None)
    return RunConfig.from_dict(d)


# (section, key, is_list): config fields that name files or folders
PATH_FIELDS = (("data", "paths", True), ("data", "vq", False), ("lora", "base", False),
               ("train", "init", False), ("train", "vision_init", False))  # fmt: skip


def _abs(p: Any, base: Path | None) -> Any:
    """An existing path made absolute (from the cwd first, then from ``base``); others unchanged."""
    if not isinstance(p, str) or not p:
        return p
    if Path(p).exists():
        return str(Path(p).resolve())
    if base is not None and (base / p).exists():
        return str((base / p).resolve())
    return p


def _resolve_paths(d: dict[str, Any], base: Path | None) -> None:
    """Make file paths absolute, so run.json still finds the data from any folder (resume)."""
    hier = d.get("model", {}).get("hier") if isinstance(d.get("model"), dict) else None
    if isinstance(hier, dict) and "entropy_checkpoint" in hier:
        hier["entropy_checkpoint"] = _abs(hier["entropy_checkpoint"], base)
    for section, key, is_list in PATH_FIELDS:
        sec = d.get(section)
        if not isinstance(sec, dict) or key not in sec:
            continue
        value = sec[key]
        if is_list:
            value = [value] if isinstance(value, str) else value
            if isinstance(value, list):
                sec[key] = [_abs(p, base) for p in value]
        else:
            sec[key] = _abs(value, base)
