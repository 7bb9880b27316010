"""`aether compress` / `aether decompress` / `aether surprise`: the model as a lossless compressor
and as an anomaly lens (bytes coloured by surprisal)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..codec import CODERS


def register(sub: argparse._SubParsersAction) -> None:
    for name, helptext in (
        ("compress", "compress a file with the model (arithmetic coding)"),
        ("decompress", "restore a file made by `aether compress`"),
        ("surprise", "show a file with each byte coloured by its surprisal under the model"),
    ):
        p = sub.add_parser(name, help=helptext, description=helptext)
        p.add_argument("input", help="input file (- for standard input)")
        p.add_argument(
            "--checkpoint",
            help="checkpoint dir (default: the shipped compression model, else the default model)",
        )
        p.add_argument("--device", default="cpu")
        p.add_argument(
            "--threads",
            type=int,
            help="CPU threads (default: all cores); the exact coder codes its blocks on as many "
            "processes, with the same result whatever the count",
        )
        p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
        if name != "decompress":
            p.add_argument(
                "--chunk",
                type=int,
                default=0,
                help="bytes per independent chunk (0: from the size)",
            )
            p.add_argument(
                "--batch",
                type=int,
                default=0,
                help="chunks run through the model at once (0: auto)",
            )
            p.add_argument(
                "--coder",
                choices=("auto", *CODERS),
                default="auto",
                help="exact: integer arithmetic, decodes on any machine (auto: where the model "
                "allows it); float: the model's own arithmetic, same machine kind only",
            )
            p.add_argument(
                "--adapt",
                action=argparse.BooleanOptionalAction,
                default=None,
                help="mix in statistics of the file itself (default: on with the exact coder)",
            )
        if name == "surprise":
            p.add_argument("--png", help="also write the map as an image (PNG)")
            p.add_argument("--top", type=int, default=5, help="list the N most surprising spans")
            p.add_argument("--limit", type=int, default=4000, help="show at most N bytes (0: all)")
        else:
            p.add_argument(
                "-o", "--output", help="output file (default: INPUT.aez / INPUT without .aez)"
            )
        p.set_defaults(func=run, mode=name)


@contextmanager
def _progress(total: int, label: str, quiet: bool) -> Iterator[Callable[[int], None]]:
    if quiet or total == 0:
        yield lambda done: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    with Progress(
        f"[bold]{label}", BarColumn(), DownloadColumn(), TimeRemainingColumn(), transient=True
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


def _load(args: argparse.Namespace) -> tuple[Any, bytes]:
    from ..checkpoint import COMPRESS_ASSET, default_checkpoint, load_checkpoint, resolve_device
    from . import CliError

    ckpt = args.checkpoint or default_checkpoint(COMPRESS_ASSET) or default_checkpoint()
    if ckpt is None:
        raise CliError("no checkpoint: pass --checkpoint DIR (a trained model is needed)")
    try:
        data = sys.stdin.buffer.read() if args.input == "-" else Path(args.input).read_bytes()
    except OSError as e:
        raise CliError(f"{args.input}: {e.strerror or e}") from None
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    model, _, _ = load_checkpoint(ckpt, device=resolve_device(args.device))
    return model, data


def run(args: argparse.Namespace) -> int:
    from ..compress import Settings, compress, decompress
    from ..fsutil import atomic_write_bytes
    from . import UsageError

    if args.mode != "decompress" and (args.chunk < 0 or args.batch < 0):
        raise UsageError("--chunk and --batch must be >= 0 (0: chosen for you)")
    model, data = _load(args)
    if args.mode == "surprise":
        return _surprise(args, model, data)
    t0 = time.perf_counter()
    if args.mode == "compress":
        with _progress(len(data), "compress", args.quiet) as bar:
            settings = Settings(args.chunk, args.batch, coder=args.coder, adapt=args.adapt)
            out = compress(model, data, settings, progress=bar)
        target = args.output or (f"{args.input}.aez" if args.input != "-" else None)
        n, summary = len(data), f"{8 * len(out) / max(1, len(data)):.4f} bits/byte"
    else:
        from ..compress import read_header

        n = int(read_header(data)[0]["n"])
        with _progress(n, "decompress", args.quiet) as bar:
            out = decompress(model, data, progress=bar)
        default = args.input[:-4] if args.input.endswith(".aez") else f"{args.input}.out"
        target = args.output or (default if args.input != "-" else None)
        summary = "checksum ok"
    dt = time.perf_counter() - t0
    print(
        f"{len(data):,} -> {len(out):,} bytes, {summary}, {n / max(dt, 1e-9):,.0f} bytes/s",
        file=sys.stderr,
    )
    if target is None:
        sys.stdout.buffer.write(out)
    else:
        atomic_write_bytes(target, out)
    return 0


def _surprise(args: argparse.Namespace, model: Any, data: bytes) -> int:
    from rich.console import Console

    from ..compress import Settings, byte_costs
    from ..fsutil import atomic_path
    from ..surprise import legend, render, top_spans

    with _progress(len(data), "surprise", args.quiet) as bar:
        settings = Settings(args.chunk, args.batch, coder=args.coder, adapt=args.adapt)
        bits = byte_costs(model, data, settings, progress=bar)
    console = Console(highlight=False)
    limit = args.limit or None
    console.print(render(data, bits, limit))
    if limit is not None and len(data) > limit:
        console.print(f"[dim]… {len(data) - limit:,} more bytes (--limit 0 shows all)[/]")
    console.print(legend())
    console.print(
        f"{len(data):,} bytes, {bits.sum() / 8:,.0f} bytes of information, "
        f"{bits.mean() if len(bits) else 0.0:.3f} bits/byte"
    )
    for k, span in enumerate(top_spans(bits, args.top), 1):
        preview = data[span.start : min(span.end, span.start + 48)]
        console.print(
            f"{k:>2}. bytes {span.start:,}-{span.end:,} ({span.end - span.start} B): "
            f"{span.mean_bits:.2f} bits/byte  {preview!r}"
        )
    if args.png:
        from ..surprise import heat_png

        with atomic_path(args.png) as tmp:
            heat_png(bits).save(tmp, format="PNG")
        console.print(f"map written to {args.png}")
    return 0
