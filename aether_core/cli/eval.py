"""`aether eval ...`: measure a trained component. One function per eval kind, one subparser group.

Handlers import torch lazily so `aether --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..decoding import DEFAULT_SAMPLING, SAMPLERS, add_dtype_argument
from . import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `eval` with its own sub-subcommands (vq now; bpb and skills slot in below)."""
    parser = subparsers.add_parser("eval", help="evaluate a trained model or codec")
    kinds = parser.add_subparsers(dest="eval_kind", metavar="KIND")
    parser.set_defaults(func=lambda args: _missing_kind(parser))
    _register_vq(kinds)
    _register_bpb(kinds)
    _register_skills(kinds)
    _register_sampling(kinds)
    # Further eval kinds go here, each as _register_<kind>(kinds) + _run_<kind>(args).


def _missing_kind(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


# ---- aether eval vq ------------------------------------------------------------------------


def _register_vq(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser(
        "vq",
        help="VQ codec: reconstruction PSNR and codebook usage",
        description="Round-trip images through the VQ codes; report PSNR (dB) and codebook usage.",
    )
    p.add_argument(
        "--checkpoint",
        required=True,
        metavar="DIR",
        help="folder holding vq.safetensors + vq_config.json",
    )
    p.add_argument(
        "images",
        nargs="*",
        metavar="IMAGE",
        help="image files to evaluate (default: fresh synthetic shapes)",
    )
    p.add_argument("--n", type=int, default=256, help="number of shapes images (default 256)")
    p.add_argument("--seed", type=int, default=1234, help="seed for the shapes images")
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    p.set_defaults(func=_run_vq)


def _load_images(paths: list[str]) -> list:
    from PIL import Image, UnidentifiedImageError

    images = []
    for name in paths:
        path = Path(name)
        if not path.is_file():
            raise CliError(f"image not found: {path}")
        try:
            with Image.open(path) as im:
                images.append(im.convert("RGB"))
        except (UnidentifiedImageError, OSError, ValueError) as e:
            raise CliError(f"cannot read image {path}: {str(e).splitlines()[0]}") from None
    return images


def _run_vq(args: argparse.Namespace) -> int:
    from ..data.shapes import shapes_dataset
    from ..eval.vq import evaluate_vq
    from ..model.vq import load_vq

    if args.n < 1:
        raise CliError("--n must be at least 1")
    model = load_vq(args.checkpoint)
    if args.images:
        images, source = _load_images(args.images), f"{len(args.images)} image file(s)"
    else:
        images = [im for im, _ in shapes_dataset(args.n, seed=args.seed)]
        source = f"{args.n} shapes images (seed {args.seed})"
    result = evaluate_vq(model, images)
    if args.json:
        print(json.dumps({"checkpoint": str(args.checkpoint), **result}))
        return 0
    stages = ", ".join(f"{u:.1%}" for u in result["stage_usage"])
    print(f"checkpoint: {args.checkpoint}")
    print(f"images: {source}")
    print(f"stage_usage: {stages}")
    print(f"psnr_db: {result['psnr']:.2f}")
    print(f"codebook_usage: {result['usage']:.4f}")
    return 0


# ---- aether eval bpb -----------------------------------------------------------------------


def _register_bpb(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser(
        "bpb",
        help="bits per byte of a checkpoint on files (sliding window)",
        description="Score each file as a plain byte stream with sliding windows of the model's "
        "context (only the new positions of each window count); the last line is "
        "'bits_per_byte: X' over all files.",
    )
    p.add_argument("--checkpoint", required=True, metavar="DIR")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--context", type=int, help="window length (default: the training seq_len)")
    p.add_argument("--stride", type=int, help="window step (default: context / 2)")
    p.add_argument("--max-bytes", type=int, help="score at most this many bytes of each file")
    p.add_argument(
        "--carry",
        action="store_true",
        help="read each file as a long stream in back-to-back windows of --context bytes; a model "
        "with gated memory carries it from window to window, any other starts each window cold",
    )
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--device", default="auto")
    add_dtype_argument(p)
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--json", action="store_true", help="print one JSON object instead")
    p.set_defaults(func=_run_bpb)


def _run_bpb(args: argparse.Namespace) -> int:
    from .train import passive_openmp

    passive_openmp()  # before torch loads OpenMP (see cli/train.py)
    from ..eval.bpb import run_cli  # the logic: aether_core/eval/bpb.py

    return run_cli(args)


# ---- aether eval skills --------------------------------------------------------------------


def _register_skills(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser(
        "skills",
        help="held-out prompts through the real agent, accuracy per skill",
        description="Run held-out prompts through the agent with offline tools and score each "
        "skill twice: the call (right tool, right arguments) and end to end (the answer the user "
        "reads: the calc result, the time and place, the top result's title, the echoed text, "
        "the recalled fact); the last line is 'skills_mean: X' (end to end). The prompts are "
        "generated (the synthetic "
        "eval split) unless --prompts names a JSONL file of written ones.",
    )
    p.add_argument("--checkpoint", help="checkpoint dir (default: the shipped model)")
    p.add_argument(
        "--prompts",
        metavar="FILE",
        help="JSONL file of prompts written by people (see aether_core/eval/human.py); "
        "'human' means the shipped file",
    )
    p.add_argument(
        "--split",
        choices=("dev", "heldout", "all"),
        default="all",
        help="with --prompts: the half of the written prompts to run (dev: the half to read "
        "failures from; heldout: only ever scored; default all)",
    )
    p.add_argument(
        "--n",
        type=int,
        default=None,
        help="prompts per skill (default 50; with --prompts: at most this many, default all)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="picks the generated prompts (with --prompts: the pictures and tool outputs)",
    )
    p.add_argument("--skills", default=None, help="comma list (default: all)")
    p.add_argument(
        "--temperature",
        type=float,
        default=None,
        help=f"sampling temperature (default {DEFAULT_SAMPLING.temperature:g}, as every face)",
    )
    p.add_argument("--sampler", choices=SAMPLERS, default=None, help="plain or entropy")
    p.add_argument("--device", default="auto")
    add_dtype_argument(p)
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--show-failures",
        action="store_true",
        help="after the table, list each failed prompt with its calls and answer (stderr)",
    )
    p.set_defaults(func=_run_skills)


def _prompt_samples(args: argparse.Namespace, skills: tuple[str, ...]) -> tuple[list, Path]:
    """The --prompts file's samples of ``skills`` (at most --n per skill) and its path."""
    from ..eval.human import PromptsError, prompt_samples, resolve_prompts

    path = resolve_prompts(args.prompts)
    try:
        samples = prompt_samples(path, seed=args.seed, skills=skills, split=args.split)
    except PromptsError as e:
        raise CliError(str(e)) from None
    if args.n is not None:
        count: dict[str, int] = {}
        kept = []
        for s in samples:
            count[s.skill] = count.get(s.skill, 0) + 1
            if count[s.skill] <= args.n:
                kept.append(s)
        samples = kept
    if not samples:
        raise CliError(f"{path}: no prompts for skill(s) {', '.join(skills)}")
    return samples, path


def _run_skills(args: argparse.Namespace) -> int:
    import json
    import tempfile

    from rich.console import Console
    from rich.table import Table

    from ..agent import build_agent
    from ..data.skills import SKILLS
    from ..eval.skills import GENERATED_ONLY, WRITTEN_ONLY, evaluate_skills
    from . import UsageError

    known = (*SKILLS, *WRITTEN_ONLY, *GENERATED_ONLY)
    skills = tuple(args.skills.split(",")) if args.skills else known
    unknown = sorted(set(skills) - set(known))
    if unknown or (args.n is not None and args.n < 1):
        raise UsageError(
            f"unknown skill(s): {', '.join(unknown)}" if unknown else "--n must be >= 1"
        )
    if not args.prompts and set(skills) <= set(WRITTEN_ONLY):
        raise UsageError(f"{', '.join(skills)}: written prompts only (add --prompts human)")
    if args.prompts and set(skills) <= set(GENERATED_ONLY):
        raise UsageError(f"{', '.join(skills)}: generated prompts only (leave out --prompts)")
    samples, path = _prompt_samples(args, skills) if args.prompts else (None, None)
    n = args.n if args.n is not None else 50
    failures: list = []
    err = Console(stderr=True)
    with tempfile.TemporaryDirectory() as tmp:
        agent = build_agent(
            args.checkpoint,
            device=args.device,
            dtype=args.dtype,
            approve="all",
            memory_path=tmp,
            use_memory=False,
        )
        with err.status("evaluating…") as status:
            table = evaluate_skills(
                agent.policy,
                agent.vq,
                agent.tools,
                n=n,
                seed=args.seed,
                skills=skills,
                temperature=args.temperature,
                sampler=args.sampler,
                progress=lambda s, i, k: status.update(f"{s}: {i}/{k}"),
                samples=samples,
                failures=failures,
            )
    if args.json:
        source = (
            {"prompts": str(path), "split": args.split, "n_prompts": len(samples)}
            if samples
            else {"n": n}
        )
        flat = {k: v for k, v in table.items() if k != "call"}  # one number per key
        flat |= {f"call_{row}": acc for row, acc in table["call"].items()}
        print(json.dumps({"model": agent.info.name, **source, "seed": args.seed, **flat}))
    else:
        if samples:  # the path on a line of its own: a table title wraps to the table's width
            print(f"prompts: {path} ({len(samples)} written prompts, split {args.split})")
            title = f"skills of {agent.info.name} (written prompts: {path.name}, {args.split})"
        else:
            title = f"skills of {agent.info.name} (n={n}, seed={args.seed}, held-out prompts)"
        t = Table(title=title)
        t.add_column("skill")
        t.add_column("call", justify="right")
        t.add_column("end to end", justify="right")
        calls = table["call"]
        for row, acc in table.items():
            if row not in ("skills_mean", "call"):
                t.add_row(row, f"{100 * calls[row]:.1f}%", f"{100 * acc:.1f}%")
        t.add_row("mean", f"{100 * calls['mean']:.1f}%", f"{100 * table['skills_mean']:.1f}%")
        Console().print(t)
    if args.show_failures:
        print_failures(failures)
    if not args.json:
        print(f"skills_mean: {table['skills_mean']:.4f}")
    return 0


def print_failures(failures: list) -> None:
    """Each failed sample in two lines on stderr (see ``eval.skills.format_failure``)."""
    import sys

    from ..eval.skills import format_failure

    sys.stdout.flush()  # the table first, where both streams go to one terminal
    print(f"{len(failures)} failed prompt(s):", file=sys.stderr)
    for f in failures:
        print(format_failure(f), file=sys.stderr)


# ---- aether eval sampling ------------------------------------------------------------------


def _register_sampling(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser(
        "sampling",
        help="samplers side by side: text quality of what each writes",
        description="Greedy, plain temperature and the entropy sampler continue the same prompts "
        "(slices of FILE); each continuation is re-scored by the model (bits per byte) and "
        "measured for repetition (repeated 4-grams) and variety (distinct 4-grams).",
    )
    p.add_argument("--checkpoint", default=None, metavar="DIR", help="default: the shipped model")
    p.add_argument("files", nargs="+", metavar="FILE", help="text the prompts are cut from")
    p.add_argument("--prompts", type=int, default=16, help="how many prompts (default 16)")
    p.add_argument("--prompt-bytes", type=int, default=96)
    p.add_argument("--new-bytes", type=int, default=128, help="bytes written per prompt")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run_sampling)


def _run_sampling(args: argparse.Namespace) -> int:
    import torch
    from rich.console import Console
    from rich.table import Table

    from ..checkpoint import default_checkpoint, load_checkpoint
    from ..eval.sampling import compare_samplers, prompts_from

    if min(args.prompts, args.prompt_bytes, args.new_bytes) < 1:
        raise CliError("--prompts, --prompt-bytes and --new-bytes must be at least 1")
    if args.threads:
        torch.set_num_threads(args.threads)
    model, cfg, _ = load_checkpoint(args.checkpoint or default_checkpoint())
    if args.prompt_bytes + args.new_bytes + 1 > cfg.max_seq_len:
        raise CliError(f"--prompt-bytes + --new-bytes must fit the context ({cfg.max_seq_len})")
    prompts = prompts_from(
        [Path(f) for f in args.files], args.prompts, args.prompt_bytes, args.seed
    )
    rows = [r.to_dict() for r in compare_samplers(model, prompts, args.new_bytes, seed=args.seed)]
    if args.json:
        print(json.dumps({"prompts": args.prompts, "new_bytes": args.new_bytes, "rows": rows}))
        return 0
    table = Table(title=f"{args.prompts} prompts x {args.new_bytes} bytes, re-scored by the model")
    for name in (
        "sampler",
        "re-scored bpb",
        "re-scored acc",
        "repeated 4-grams",
        "distinct 4-grams",
    ):
        table.add_column(name, justify="left" if name == "sampler" else "right")
    for r in rows:
        table.add_row(
            str(r["sampler"]),
            f"{r['rescored_bpb']:.3f}",
            f"{r['rescored_acc']:.1%}",
            f"{r['repetition']:.1%}",
            f"{r['variety']:.1%}",
        )
    Console(highlight=False).print(table)
    return 0
