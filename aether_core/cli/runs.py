"""`aether runs list|show`: what training runs exist and how they went (curves drawn with plotext)."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list training runs, show one's config and curves")
    rsub = p.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    ls = rsub.add_parser("list", help="runs under --runs-dir with steps, best val bpb, wall time")
    ls.add_argument("--runs-dir", default="runs")
    ls.set_defaults(func=run_list)
    sh = rsub.add_parser("show", help="a run's config, best figures and loss / bpb curves")
    sh.add_argument("run", metavar="RUN", help="run name under --runs-dir, or a run folder")
    sh.add_argument("--runs-dir", default="runs")
    sh.add_argument("--width", type=int, help="plot width (default: the terminal's)")
    sh.add_argument("--height", type=int, help="plot height (default: fits the terminal)")
    sh.add_argument("--no-plot", action="store_true")
    sh.set_defaults(func=run_show)


def run_list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from ..train.runs import find_runs

    problems: list[str] = []
    runs = find_runs(args.runs_dir, problems)
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)
    if not runs:
        print(f"no runs under {args.runs_dir}")
        return 0
    table = Table(box=None, header_style="bold")
    for col in ("name", "stage", "steps", "best val bpb", "best val loss", "wall time"):
        table.add_column(col, justify="left" if col in ("name", "stage") else "right")
    for r in runs:
        table.add_row(
            r.name, r.stage, str(r.steps), _fmt(r.best_bpb), _fmt(r.best_loss), r.wall_time
        )
    Console(width=200 if not Console().is_terminal else None).print(table)
    return 0


def run_show(args: argparse.Namespace) -> int:
    import shutil
    import sys

    from ..train.runs import load_run, render_curves, render_summary

    run = load_run(args.run, args.runs_dir)
    print(render_summary(run))
    if not args.no_plot:
        cols, lines = shutil.get_terminal_size((100, 40))
        width = args.width or max(40, cols)
        height = args.height or max(10, min(20, (lines - 4) // 2))
        print(render_curves(run, width, height, color=sys.stdout.isatty()))
    return 0


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4f}"
