"""`aether patch FILE`: show where a patcher cuts a file into patches, and the mean patch length.

The entropy model comes from ``--checkpoint``: a hierarchical checkpoint's own ``entropy_model``,
or a flat checkpoint (a flat LM *is* an entropy model, e.g. one from `aether train entropy`).
Without one, only the fixed and space patchers are available.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PATCHER_NAMES = ("fixed", "space", "entropy", "entropy_monotonic")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("patch", help="show a file's patch boundaries (hierarchical model)")
    p.add_argument("file", help="file to patch ('-' for stdin)")
    p.add_argument("--checkpoint", help="checkpoint dir holding an entropy model (or a flat LM)")
    p.add_argument(
        "--patcher",
        choices=PATCHER_NAMES,
        default=None,
        help="default: the checkpoint's, else entropy with a flat LM, else space",
    )
    p.add_argument("--threshold", type=float, default=None, help="entropy threshold in bits")
    p.add_argument("--patch-size", type=int, default=None, help="fixed patcher size")
    p.add_argument("--max-patch", type=int, default=None, help="longest patch")
    p.add_argument("--max-bytes", type=int, default=65536, help="read at most this many bytes")
    p.add_argument("--show", type=int, default=2000, help="bytes to display (0: summary only)")
    p.add_argument("--plain", action="store_true", help="'|' between patches instead of colours")
    p.set_defaults(func=run_patch)


def _render(patches: list[bytes], plain: bool) -> None:
    if plain or not sys.stdout.isatty():
        sys.stdout.write("|".join(p.decode("utf-8", errors="replace") for p in patches) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    text = Text()
    for i, p in enumerate(patches):
        text.append(
            p.decode("utf-8", errors="replace"),
            style="black on cyan" if i % 2 else "black on yellow",
        )
    Console(highlight=False).print(text)


def run_patch(args: argparse.Namespace) -> int:
    import torch

    from ..config import HierConfig
    from ..model.entropy import entropies
    from ..model.patching import Patcher, patch_lengths, split_patches
    from . import CliError, UsageError

    hier, ent_model, kind = HierConfig(), None, args.patcher
    if args.checkpoint:
        from ..checkpoint import load_checkpoint

        model, cfg, _ = load_checkpoint(args.checkpoint)
        if cfg.arch == "hierarchical":
            hier, ent_model = cfg.hier, getattr(model, "entropy_model", None)
        else:  # a flat LM scores next-byte entropy directly
            ent_model, kind = model, kind or "entropy"
    kind = kind or hier.patcher
    try:
        patcher = Patcher(
            kind,
            args.patch_size or hier.patch_size,
            args.max_patch or hier.max_patch,
            hier.entropy_threshold if args.threshold is None else args.threshold,
            hier.image_patch,
        )
    except ValueError as e:
        raise UsageError(str(e)) from None
    if patcher.needs_entropy and ent_model is None:
        raise UsageError(
            f"the {kind} patcher needs --checkpoint with an entropy model "
            "(a flat LM or a hierarchical model with an entropy patcher)"
        )
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as e:
        raise CliError(f"{args.file}: cannot read ({e.strerror or e})") from None
    tokens = list(data[: args.max_bytes])
    if not tokens:
        raise CliError(f"{args.file}: empty")
    with torch.inference_mode():
        ent = entropies(ent_model, tokens).tolist() if patcher.needs_entropy else None
    starts = patcher.starts(tokens, ent)
    lengths = patch_lengths(starts)
    if args.show:
        shown = starts[: args.show]
        _render([bytes(p) for p in split_patches(tokens[: args.show], shown)], args.plain)
    desc = f"{kind}" + (f", threshold {patcher.threshold:g} bits" if patcher.needs_entropy else "")
    print(
        f"{len(tokens)} bytes -> {len(lengths)} patches ({desc}, max {patcher.max_patch}); "
        f"average patch length {len(tokens) / len(lengths):.2f} bytes"
    )
    if ent is not None:
        print(f"mean entropy {sum(ent) / len(ent):.2f} bits/byte")
    return 0
