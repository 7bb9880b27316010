"""`aether ask`: one headless turn of the agent, readable (rich) or as JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..agent.approval import APPROVAL_SPECS, DEFAULT_APPROVAL
from ..agent.limits import MAX_STEPS
from ..decoding import DEFAULT_SAMPLING, SAMPLERS, add_compile_argument, add_dtype_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="ask the agent one question (headless)")
    p.add_argument("prompt", help="the prompt, or - to read it from standard input")
    p.add_argument(
        "--image", action="append", default=[], metavar="PATH|URL", help="attach an image"
    )
    p.add_argument(
        "--file", action="append", default=[], metavar="PATH", help="attach any file as bytes"
    )
    p.add_argument("--checkpoint", help="checkpoint dir (default: the shipped model)")
    p.add_argument(
        "--approve",
        default=DEFAULT_APPROVAL,
        metavar="|".join(APPROVAL_SPECS) + "|TOOL,...",
        help=f"tool approval: {', '.join(APPROVAL_SPECS)} (default {DEFAULT_APPROVAL}), "
        "or tools to auto-approve",
    )
    p.add_argument("--max-steps", type=int, default=MAX_STEPS)
    p.add_argument("--json", action="store_true", help="one JSON event per line")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument(
        "--temperature",
        type=float,
        default=None,
        help=f"sampling temperature (default {DEFAULT_SAMPLING.temperature:g}; 0 is greedy)",
    )
    p.add_argument(
        "--sampler",
        choices=SAMPLERS,
        default=None,
        help=f"how bytes are drawn at temperature > 0 (default {DEFAULT_SAMPLING.sampler}; "
        "entropy: argmax when the model is sure, cooler when it is unsure)",
    )
    p.add_argument("--device", default="auto", help="auto|cpu|cuda|mps")
    add_dtype_argument(p)
    add_compile_argument(p)
    p.add_argument("--out-dir", help="where produced images/files are saved")
    p.add_argument("--memory-dir", help="memory store (default: the user data folder)")
    p.add_argument("--no-memory", action="store_true", help="neither recall nor store memories")
    p.set_defaults(func=run)


def _terminal_approver(console: Any) -> Any:
    from rich.prompt import Prompt

    from ..agent.events import ApprovalDecision

    def ask(req: Any) -> ApprovalDecision:
        console.print(
            f"[bold yellow]approve[/] {req.tool}({json.dumps(req.args, ensure_ascii=False)})?"
            + (f"  [dim]why: {req.reason}[/]" if req.reason else "")
        )
        choice = Prompt.ask(
            "[y] once, [a] always, [n] no, [d] never",
            choices=list("yand"),
            default="n",
            console=console,
        )
        return ApprovalDecision(approved=choice in "ya", remember=choice in "ad")

    return ask


def run(args: argparse.Namespace) -> int:
    from . import UsageError

    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip() and not args.image and not args.file:
        raise UsageError("empty prompt")
    if args.max_steps < 1:
        raise UsageError("--max-steps must be at least 1")

    from rich.console import Console

    from ..agent import build_agent
    from ..agent.events import (
        AnswerDelta,
        Done,
        ErrorEvent,
        FileProduced,
        ImageProduced,
        StepStarted,
        ThoughtDelta,
        ToolCallRequested,
        ToolResultEvent,
    )

    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False)
    agent = build_agent(
        args.checkpoint,
        device=args.device,
        dtype=args.dtype,
        compile=args.compile,
        approve=args.approve,
        memory_path=args.memory_dir,
        out_dir=args.out_dir,
        max_steps=args.max_steps,
        seed=args.seed,
        use_memory=not args.no_memory,
        sampling=DEFAULT_SAMPLING.with_overrides(
            temperature=args.temperature, seed=args.seed, sampler=args.sampler
        ),
    )
    interactive = sys.stdin.isatty() and args.prompt != "-" and not args.json
    approver = _terminal_approver(err) if interactive else None
    failed = False
    section = None  # what the last printed delta belonged to, to break lines between sections
    for ev in agent.run(prompt, images=args.image, files=args.file, approver=approver):
        if isinstance(ev, ErrorEvent):
            failed = True
        if args.json:
            print(ev.to_json(), flush=True)
            continue
        if isinstance(ev, ThoughtDelta):
            if section != ("t", ev.step):
                out.print(f"\n[dim]thought {ev.step}:[/] ", end="")
                section = ("t", ev.step)
            out.print(f"[dim italic]{_esc(ev.text)}[/]", end="")
        elif isinstance(ev, AnswerDelta):
            text = ev.text
            if section != "a":  # a line of its own, without the space that joins two answers
                out.print("\n", end="")
                section, text = "a", text.lstrip()
            out.print(_esc(text), end="")
        elif isinstance(ev, ToolCallRequested):
            out.print(
                f"\n[cyan]→ {ev.tool}[/]({_esc(json.dumps(ev.args, ensure_ascii=False))})", end=""
            )
            section = None
        elif isinstance(ev, ToolResultEvent):
            colour = "green" if ev.ok else "red"
            out.print(
                f"\n[{colour}]← {ev.status}[/] ({ev.duration_s:.2f}s) {_esc(ev.output[:500])}",
                end="",
            )
        elif isinstance(ev, ImageProduced | FileProduced):
            out.print(f"\n[magenta]saved[/] {ev.path}", end="")
        elif isinstance(ev, ErrorEvent):
            err.print(f"\n[red]error:[/] {_esc(ev.message)}")
        elif isinstance(ev, Done):
            out.print()
            err.print(
                f"[dim]{ev.steps} step(s), {ev.bytes_generated} bytes, "
                f"{ev.bytes_per_s:.0f} bytes/s, {ev.wall_s:.2f}s[/]"
            )
        elif isinstance(ev, StepStarted):
            pass
    return 1 if failed else 0


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)
