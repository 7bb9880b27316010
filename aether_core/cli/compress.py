"""`aether compress` / `aether decompress`: lossless compression driven by the model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    for name, helptext in (
        ("compress", "compress a file with the model (arithmetic coding)"),
        ("decompress", "restore a file made by `aether compress`"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("input", help="input file (- for standard input)")
        p.add_argument(
            "-o", "--output", help="output file (default: INPUT.aez / INPUT without .aez)"
        )
        p.add_argument("--checkpoint", help="checkpoint dir (default: the shipped model)")
        p.add_argument("--device", default="cpu")
        if name == "compress":
            p.add_argument("--chunk", type=int, default=1024, help="context restarts every N bytes")
        p.set_defaults(func=run, mode=name)


def run(args: argparse.Namespace) -> int:
    from ..checkpoint import default_checkpoint, load_checkpoint, resolve_device
    from ..compress import compress, decompress
    from ..fsutil import atomic_write_bytes
    from . import CliError

    ckpt = args.checkpoint or default_checkpoint()
    if ckpt is None:
        raise CliError(
            "no checkpoint: pass --checkpoint DIR (a trained model compresses; random weights do not)"
        )
    try:
        data = sys.stdin.buffer.read() if args.input == "-" else Path(args.input).read_bytes()
    except OSError as e:
        raise CliError(f"{args.input}: {e.strerror or e}") from None
    model, _, _ = load_checkpoint(ckpt, device=resolve_device(args.device))
    if args.mode == "compress":
        out = compress(model, data, chunk=args.chunk)
        target = args.output or (f"{args.input}.aez" if args.input != "-" else None)
        print(
            f"{len(data)} -> {len(out)} bytes ({8 * len(out) / max(1, len(data)):.3f} bits/byte)",
            file=sys.stderr,
        )
    else:
        out = decompress(model, data)
        default = args.input[:-4] if args.input.endswith(".aez") else f"{args.input}.out"
        target = args.output or (default if args.input != "-" else None)
    if target is None:
        sys.stdout.buffer.write(out)
    else:
        atomic_write_bytes(target, out)
    return 0
