"""The `aether` command line: one module per subcommand, each with ``register(subparsers)``.

Subcommand modules import torch and friends inside their handlers, so `aether --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from functools import partial

from .. import __version__
from ..errors import AetherError

# Each module defines register(subparsers) -> None and sets a handler via set_defaults(func=...).
SUBCOMMANDS = ("ask", "serve", "memory", "train", "eval", "runs", "bench", "patch", "compress")
COMPLETION_SHELLS = ("bash", "zsh", "tcsh")  # what shtab writes


class CliError(AetherError):
    """A user-facing error: printed as one line, exit code 1."""


class UsageError(CliError):
    """Bad usage: exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aether", description="Aether: a bytes-first local agent")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"{__name__}.{name}":
                continue  # subcommand not built in this checkout
            raise
        mod.register(sub)
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for SHELL, e.g. "
        "`aether completion bash > ~/.local/share/bash-completion/completions/aether` or "
        "`aether completion zsh > ~/.zfunc/_aether`.",
    )
    completion.add_argument("shell", choices=COMPLETION_SHELLS)
    completion.set_defaults(func=partial(_print_completion, parser))
    return parser


def _print_completion(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        import shtab
    except ModuleNotFoundError:
        raise CliError("shell completion needs shtab: pip install shtab") from None
    print(shtab.complete(parser, shell=args.shell))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        rc = args.func(args)
    except UsageError as e:
        print(f"aether: {e}", file=sys.stderr)
        return 2
    except AetherError as e:
        print(f"aether: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("aether: interrupted", file=sys.stderr)
        return 130
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
