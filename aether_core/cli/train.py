"""`aether train {lm,vq,lora,entropy,vit,merge,vision-head}`: train a stage from a TOML config and/or flags.

Precedence: built-in defaults < ``--config FILE`` < flags < ``--set SECTION.KEY=VALUE``.
``--resume RUN_DIR`` continues a killed or finished run from its ``ckpt/last`` with the config
saved in its ``run.json`` (flags given now still override, e.g. a larger ``--max-steps``).

``aether train entropy --config HIER.toml``: the small flat LM of ``[model.hier]``'s entropy_dim /
entropy_layers / entropy_heads, for ``model.hier.entropy_checkpoint`` (or `aether patch`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from . import CliError

# flag dest -> (section, key) in the RunConfig dict
TRAIN_FLAGS: dict[str, tuple[str, str]] = {
    "name": ("train", "name"),
    "runs_dir": ("train", "runs_dir"),
    "run_dir": ("train", "run_dir"),
    "seed": ("train", "seed"),
    "batch_size": ("train", "batch_size"),
    "seq_len": ("train", "seq_len"),
    "grad_accum": ("train", "grad_accum"),
    "max_steps": ("train", "max_steps"),
    "max_minutes": ("train", "max_minutes"),
    "lr": ("train", "lr"),
    "min_lr": ("train", "min_lr"),
    "warmup": ("train", "warmup_steps"),
    "weight_decay": ("train", "weight_decay"),
    "grad_clip": ("train", "grad_clip"),
    "eval_every": ("train", "eval_every"),
    "eval_batches": ("train", "eval_batches"),
    "log_every": ("train", "log_every"),
    "ckpt_every": ("train", "ckpt_every"),
    "device": ("train", "device"),
    "precision": ("train", "precision"),
    "compile": ("train", "compile"),
    "threads": ("train", "threads"),
    "nproc": ("train", "nproc"),
    "init": ("train", "init"),
    "vision_init": ("train", "vision_init"),
    "freeze_vision": ("train", "freeze_vision"),
    "lr_control": ("train", "lr_control"),
    "dim": ("model", "dim"),
    "n_layers": ("model", "n_layers"),
    "n_heads": ("model", "n_heads"),
    "cross_attn": ("model", "cross_attn"),
    "vq": ("data", "vq"),
    "val_fraction": ("data", "val_fraction"),
    "base": ("lora", "base"),
    "rank": ("lora", "rank"),
    "alpha": ("lora", "alpha"),
    "lora_dropout": ("lora", "dropout"),
    "targets": ("lora", "target_modules"),
    "merge": ("lora", "merge"),
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the VQ-VAE, the byte LM, or a LoRA adapter")
    tsub = p.add_subparsers(dest="train_command", metavar="STAGE", required=True)
    for stage, help_ in (
        ("lm", "the byte transformer (+ ViT)"),
        ("vq", "the image VQ-VAE"),
        ("lora", "a LoRA adapter on a checkpoint"),
        ("entropy", "the small flat LM of a hierarchical model's entropy patcher"),
        ("vit", "the ViT on labelled shapes pictures (then train.vision_init of an lm run)"),
    ):
        s = tsub.add_parser(stage, help=f"train {help_}")
        _common(s)
        if stage == "lm":
            m = s.add_argument_group("model")
            m.add_argument("--dim", type=int)
            m.add_argument("--n-layers", type=int)
            m.add_argument("--n-heads", type=int)
            m.add_argument(
                "--cross-attn",
                action=argparse.BooleanOptionalAction,
                default=None,
                help="vision cross-attention layers (off for text-only models)",
            )
            m.add_argument("--init", metavar="CKPT", help="start from a checkpoint's weights")
            m.add_argument(
                "--vision-init", metavar="CKPT", help="the ViT of an `aether train vit` run"
            )
            m.add_argument(
                "--freeze-vision",
                action=argparse.BooleanOptionalAction,
                default=None,
                help="keep the ViT fixed (train the byte model and its cross-attention only)",
            )
            s.add_argument("--vq", metavar="DIR", help="frozen VQ checkpoint for image codes")
        if stage == "vit":
            s.epilog = (
                "The ViT's shape is [model.vision] and model.dim of the config: give it the same "
                "as the lm run that will load it with train.vision_init."
            )
        if stage == "entropy":
            s.add_argument("--init", metavar="CKPT", help="start from a flat checkpoint's weights")
            s.add_argument("--vq", metavar="DIR", help="frozen VQ checkpoint for image codes")
            s.epilog = (
                "The model shape is model.hier.entropy_dim/entropy_layers/entropy_heads (and "
                "model.max_seq_len) of the config, e.g. --set model.hier.entropy_dim=96. Use the "
                "result as model.hier.entropy_checkpoint or with `aether patch --checkpoint`."
            )
        if stage == "lora":
            lo = s.add_argument_group("lora")
            lo.add_argument("--base", metavar="CKPT", help="base checkpoint to adapt (required)")
            lo.add_argument("--rank", type=int)
            lo.add_argument("--alpha", type=float)
            lo.add_argument("--lora-dropout", type=float)
            lo.add_argument(
                "--targets",
                nargs="+",
                metavar="MODULE",
                help="module names to adapt (default: qkv proj w13 w2)",
            )
            lo.add_argument(
                "--merge",
                action="store_true",
                default=None,
                help="also write RUN/merged/, a plain checkpoint with the adapter folded in",
            )
        s.set_defaults(func=run_train, stage=stage)

    mg = tsub.add_parser("merge", help="fold a LoRA adapter into its base: a plain checkpoint")
    mg.add_argument("--base", required=True, metavar="CKPT")
    mg.add_argument("--adapter", required=True, metavar="DIR", help="e.g. runs/NAME/ckpt/best")
    mg.add_argument("--out", required=True, metavar="DIR")
    mg.set_defaults(func=run_merge)

    vh = tsub.add_parser(
        "vision-head",
        help="fit the vision head (shape, colour, background) on a checkpoint's frozen ViT",
    )
    vh.add_argument("--checkpoint", metavar="DIR", help="byte model with a ViT (default: shipped)")
    vh.add_argument("--out", metavar="DIR", help="where vision_head.safetensors goes (default: "
                    "the checkpoint)")  # fmt: skip
    vh.add_argument("--images", type=int, default=6000, help="training pictures (default 6000)")
    vh.add_argument("--seed", type=int, default=0)
    vh.set_defaults(func=run_vision_head)


def _common(s: argparse.ArgumentParser) -> None:
    s.add_argument("--config", metavar="FILE", help="TOML (or JSON) config; flags override it")
    s.add_argument(
        "--data",
        action="append",
        metavar="PATH",
        help="training file (repeatable): plain bytes for lm/lora, images for vq",
    )
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override any config field, e.g. --set model.dim=256 (repeatable)",
    )
    r = s.add_argument_group("run")
    r.add_argument("--name", help="run folder name under --runs-dir (default: stage + timestamp)")
    r.add_argument("--runs-dir", help="where run folders go (default: runs)")
    r.add_argument("--run-dir", help="explicit run folder")
    r.add_argument(
        "--resume",
        nargs="?",
        const=True,
        default=None,
        metavar="RUN_DIR",
        help="continue a run from its ckpt/last (RUN_DIR, or the --run-dir)",
    )
    r.add_argument("--max-steps", type=int)
    r.add_argument(
        "--max-minutes", type=float, help="wall-clock budget (ends with eval + checkpoint)"
    )
    r.add_argument("--seed", type=int)
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    o = s.add_argument_group("optimisation")
    o.add_argument("--batch-size", type=int)
    o.add_argument("--seq-len", type=int)
    o.add_argument("--grad-accum", type=int)
    o.add_argument("--lr", type=float)
    o.add_argument("--min-lr", type=float)
    o.add_argument("--warmup", type=int, help="warmup steps")
    o.add_argument("--weight-decay", type=float)
    o.add_argument("--grad-clip", type=float)
    o.add_argument(
        "--lr-control",
        choices=["none", "q"],
        help="q: a learned (Q-learning) controller scales the lr and sets beta1 at each log step",
    )
    e = s.add_argument_group("evaluation and checkpoints")
    e.add_argument("--eval-every", type=int)
    e.add_argument("--eval-batches", type=int)
    e.add_argument("--log-every", type=int)
    e.add_argument("--ckpt-every", type=int)
    e.add_argument("--val-fraction", type=float)
    d = s.add_argument_group("device")
    d.add_argument("--device", help="auto, cpu, cuda, cuda:N, mps")
    d.add_argument("--precision", choices=["auto", "fp32", "bf16"])
    d.add_argument("--compile", action="store_true", default=None, help="torch.compile the model")
    d.add_argument("--threads", type=int, help="torch CPU threads")
    d.add_argument(
        "--nproc",
        type=int,
        metavar="N",
        help="train as N local processes (DDP; what torchrun --standalone does). On a CPU, "
        "processes scale better than threads for small models",
    )


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Only the flags actually given, as a nested dict in RunConfig's shape."""
    out: dict[str, Any] = {}
    for dest, (section, key) in TRAIN_FLAGS.items():
        value = getattr(args, dest, None)
        if value is not None:
            out.setdefault(section, {})[key] = value
    if getattr(args, "data", None):
        out.setdefault("data", {})["paths"] = list(args.data)
    if getattr(args, "no_progress", False):
        out.setdefault("train", {})["progress"] = False
    return out


def resolve_from_args(args: argparse.Namespace) -> tuple[Any, bool]:
    """(RunConfig, resume?) from the parsed flags."""
    from ..train.config import merge_dicts, resolve_config
    from ..train.loop import RUN_FILE
    from . import UsageError

    overrides = overrides_from_args(args)
    if args.resume is not None:
        run_dir = args.resume if isinstance(args.resume, str) else args.run_dir
        if not run_dir:
            raise UsageError("--resume needs a run folder: --resume RUN_DIR (or --run-dir RUN_DIR)")
        if args.config:
            raise UsageError(
                "--resume reads the run's own run.json; drop --config (flags still apply)"
            )
        if not (Path(run_dir) / RUN_FILE).exists():
            raise UsageError(f"{run_dir}: not a run folder (no {RUN_FILE})")
        overrides = merge_dicts(overrides, {"train": {"run_dir": str(run_dir)}})
        cfg = resolve_config(Path(run_dir) / RUN_FILE, overrides, args.set)
        if cfg.stage != args.stage:
            raise UsageError(f"{run_dir} is a '{cfg.stage}' run, not '{args.stage}'")
        return cfg, True
    return resolve_config(args.config, overrides, args.set, stage=args.stage), False


def passive_openmp() -> None:
    """Make idle OpenMP threads sleep instead of spinning (unless the user chose otherwise).

    With the default (spin at every barrier), two threads on a 2-core machine that is also busy
    with anything else run ~10x slower than one thread: each parallel region waits for the thread
    that lost its core. Passive waiting keeps two threads faster than one even then. OpenMP reads
    the variable when torch loads it, so this must run before torch is imported.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def launch_local(n: int, argv: list[str]) -> int:
    """Re-run this command as ``n`` DDP ranks through torchrun's launcher. Each rank resolves the
    same config; torchrun's LOCAL_RANK tells it that it is a rank, not the launcher. --nproc is
    left out of the ranks' arguments: torchrun's own parser would take it for --nproc-per-node."""
    from torch.distributed.run import main as torchrun

    rest, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            rest.append(a)
    if sys.platform.startswith("linux"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # one machine: ranks talk on loopback
    try:
        torchrun(["--standalone", f"--nproc-per-node={n}", "-m", "aether_core.cli", *rest])
    except Exception as e:  # noqa: BLE001 - torchrun's ChildFailedError carries a long report
        raise CliError(f"training with {n} processes failed: {str(e).splitlines()[0]}") from None
    return 0


def run_train(args: argparse.Namespace) -> int:
    passive_openmp()
    cfg, resume = resolve_from_args(args)
    if cfg.train.nproc > 1 and "LOCAL_RANK" not in os.environ:
        return launch_local(cfg.train.nproc, sys.argv[1:])
    from ..train.loop import train

    result = train(cfg, resume=resume)
    figures = "  ".join(
        f"{k} {v:.4f}" for k, v in result.final_eval.items() if isinstance(v, float)
    )
    print(f"run: {result.run_dir}  steps: {result.state.step}  {figures}")
    if cfg.stage in ("lm", "lora", "entropy"):
        bpb = result.final_eval.get("val_bpb")
        if bpb is not None:
            print(f"val_bits_per_byte: {bpb:.4f}")
    if cfg.stage == "entropy":
        best = result.run_dir / "ckpt" / "best"
        ckpt = best if best.exists() else result.run_dir / "ckpt" / "last"
        print(
            f"entropy model: {ckpt}  (model.hier.entropy_checkpoint, or aether patch --checkpoint)"
        )
    return 0


def run_merge(args: argparse.Namespace) -> int:
    from ..train.lora import merge_lora

    out = merge_lora(args.base, args.adapter, args.out)
    print(f"merged checkpoint: {out}")
    return 0


def run_vision_head(args: argparse.Namespace) -> int:
    from ..checkpoint import default_checkpoint, load_checkpoint
    from ..model.vision_head import HEAD_FILE, ship_vision_head

    if args.images < 100:
        raise CliError(f"--images must be at least 100, got {args.images}")
    ckpt = Path(args.checkpoint) if args.checkpoint else default_checkpoint()
    if ckpt is None:
        raise CliError("no checkpoint given and no shipped model found")
    model, cfg, _ = load_checkpoint(ckpt)
    if getattr(model, "vit", None) is None:
        raise CliError(f"{ckpt}: this model has no ViT (model.cross_attn is off)")
    out = Path(args.out) if args.out else ckpt
    acc = ship_vision_head(model.vit, cfg.dim, out, images=args.images, seed=args.seed)
    figures = "  ".join(f"{k} {v:.3f}" for k, v in acc.items())
    print(f"vision head: {out / HEAD_FILE}  held-out combinations: {figures}")
    return 0
