"""``aether-tui``: arguments and start-up (the app itself is ``app.AetherApp``)."""

from __future__ import annotations

import argparse
import sys

from aether_core import __version__
from aether_core.agent.approval import APPROVAL_SPECS
from aether_core.decoding import add_compile_argument, add_dtype_argument

from .agent import BuildAgentFactory
from .app import AetherApp
from .settings import Settings


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aether-tui", description="Aether: a local bytes-first multimodal agent (TUI)."
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--checkpoint", metavar="DIR", help="model checkpoint directory")
    p.add_argument("--device", metavar="D", help="auto, cpu, cuda, mps (default: settings/auto)")
    add_dtype_argument(p)
    add_compile_argument(p)
    p.add_argument(
        "--resume",
        nargs="?",
        const="latest",
        metavar="ID",
        help="resume a saved conversation (no ID: the most recent)",
    )
    p.add_argument(
        "--approve",
        metavar="SPEC",
        help=f'tool approval: {", ".join(APPROVAL_SPECS)} or "calc,echo"',
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    resume: int | str | None = args.resume
    if resume not in (None, "latest"):
        try:
            resume = int(str(resume).lstrip("#"))
        except ValueError:
            print(f"aether-tui: --resume takes a chat id, not {resume!r}", file=sys.stderr)
            return 2
    settings = Settings.load()
    if settings.path is not None and not settings.path.exists() and not settings.warnings:
        try:
            settings.save()  # a file to edit, with every setting and its default
        except OSError:
            pass
    factory = BuildAgentFactory(
        settings, args.checkpoint, args.device, args.approve, args.dtype, args.compile
    )
    app = AetherApp(agent_factory=factory, settings=settings, resume=resume)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
