"""`aether memory list|search|forget|clear`: inspect and edit the agent's long-term memory."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from . import CliError, UsageError

if TYPE_CHECKING:
    from ..memory import MemoryEntry, VectorMemory


def register(subparsers: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--store", metavar="DIR", help="memory store folder (default: the user's Aether data dir)"
    )
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = subparsers.add_parser(
        "memory",
        help="list, search and edit long-term memory",
        description="Inspect and edit the agent's long-term memory.",
    )
    p.set_defaults(func=_no_action)
    sub = p.add_subparsers(dest="memory_command", metavar="ACTION")

    ls = sub.add_parser("list", parents=[common], help="all memories, oldest first")
    ls.add_argument("--kind", help="only entries of this kind (fact, summary, ...)")
    ls.set_defaults(func=_list)

    se = sub.add_parser("search", parents=[common], help="memories most similar to QUERY")
    se.add_argument("query", metavar="QUERY")
    se.add_argument("-k", type=int, default=5, help="how many results (default 5)")
    se.add_argument("--min-score", type=float, default=0.0, help="drop weaker matches")
    se.set_defaults(func=_search)

    fo = sub.add_parser(
        "forget", parents=[common], help="delete one memory by id (or unique prefix)"
    )
    fo.add_argument("id", metavar="ID")
    fo.set_defaults(func=_forget)

    cl = sub.add_parser("clear", parents=[common], help="delete all memories")
    cl.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    cl.set_defaults(func=_clear)


def _no_action(args: argparse.Namespace) -> int:
    raise UsageError("choose a memory action: list, search, forget or clear (see --help)")


def _open(args: argparse.Namespace) -> VectorMemory:
    from rich.console import Console

    from ..memory import VectorMemory

    mem = VectorMemory.open(args.store)
    if mem.warning:
        Console(stderr=True).print(
            f"[yellow]warning:[/] {mem.warning}", markup=True, highlight=False
        )
    return mem


def _print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _table(entries: list[MemoryEntry], scores: list[float] | None = None) -> None:
    import datetime

    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not entries:
        console.print("no memories", style="dim")
        return
    table = Table(show_header=True, header_style="bold", expand=False)
    table.add_column("id", style="cyan", no_wrap=True)
    if scores is not None:
        table.add_column("score", justify="right", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("created", no_wrap=True)
    table.add_column("text", overflow="fold")
    for i, e in enumerate(entries):
        when = datetime.datetime.fromtimestamp(e.created).strftime("%Y-%m-%d %H:%M")
        row = [e.id] + ([f"{scores[i]:.3f}"] if scores is not None else []) + [e.kind, when]
        table.add_row(*row, e.text)
    console.print(table)


def _list(args: argparse.Namespace) -> int:
    entries = _open(args).list()
    if args.kind:
        entries = [e for e in entries if e.kind == args.kind]
    if args.json:
        _print_json([e.to_dict() for e in entries])
    else:
        _table(entries)
    return 0


def _search(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise UsageError("-k must be at least 1")
    if not args.query.strip():
        raise UsageError("search needs a non-empty QUERY")
    hits = _open(args).search(args.query, k=args.k, min_score=args.min_score)
    if args.json:
        _print_json([{**e.to_dict(), "score": round(s, 6)} for e, s in hits])
    else:
        _table([e for e, _ in hits], [s for _, s in hits])
    return 0


def _forget(args: argparse.Namespace) -> int:
    mem = _open(args)
    matches = [e for e in mem.list() if e.id.startswith(args.id)] if args.id else []
    exact = [e for e in matches if e.id == args.id]
    if exact:
        matches = exact
    if not matches:
        raise CliError(f"no memory with id {args.id!r}")
    if len(matches) > 1:
        raise CliError(f"id prefix {args.id!r} is ambiguous ({len(matches)} memories match)")
    entry = matches[0]
    mem.forget(entry.id)
    if args.json:
        _print_json({"forgotten": entry.to_dict()})
    else:
        print(f"forgot {entry.id}: {entry.text}")
    return 0


def _clear(args: argparse.Namespace) -> int:
    mem = _open(args)
    n = len(mem)
    if n and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"refusing to delete {n} memories without --yes")
        answer = input(f"Delete all {n} memories? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            raise CliError("cancelled; nothing deleted")
    mem.clear()
    if args.json:
        _print_json({"cleared": n})
    else:
        print(f"cleared {n} {'memory' if n == 1 else 'memories'}")
    return 0
