"""Per-byte time of whole agent turns with the shipped model, by component.

Five offline turns (the prompts of tests/agent/test_greedy_pinned.py: a fixed clock, a fake
search backend), repeated; the fastest repetition (by the agent thread's CPU time, steadier than
wall time on a shared machine) is broken down into the model's one-token steps, prefill, whole
spans scored, sampling, the copy prior, the grammar mask and its advance, and the rest (the
agent loop, events). One torch thread.

  python scripts/bench_agent_parts.py [--reps 3] [--compile] [--dtype float16] [--no-lookahead]
  PYTHONPATH=OLD_TREE python scripts/bench_agent_parts.py    # an older checkout, the same turns
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime

import torch

import aether_core.agent.constrain as grammar
import aether_core.sampling as sampling
from aether_core.agent import build_agent
from aether_core.decoding import SamplingConfig
from aether_core.tools import ToolRegistry, default_registry
from aether_core.tools.clock import TimeTool

PROMPTS = [
    "hi there!",
    "what is 37 times 12?",
    "repeat after me: purple elephants dance",
    "what time is it?",
    "search the web for sourdough starter tips",
]
PARTS = [
    (sampling.DecodeSession, "step", "forward (step)"),
    (sampling.DecodeSession, "feed", "prefill (feed)"),
    (sampling.DecodeSession, "choose", "span choices"),
    (sampling.DecodeSession, "lookahead", "draft passes"),
    (sampling, "sample_token", "sampling"),
    (grammar.StepGrammar, "allowed", "grammar mask"),
    (grammar.StepGrammar, "advance", "grammar advance"),
    (grammar.StepGrammar, "reweight", "copy prior"),
]
spent: dict[str, float] = defaultdict(float)


_inner: list[float] = [0.0]  # time spent in timed calls nested in the current one


def _timed(owner: object, name: str, key: str) -> None:
    """Time ``owner.name`` exclusively: a timed call inside it (a span choice's draft pass)
    counts for its own part only."""
    f = getattr(owner, name)

    def wrapper(*args, **kwargs):
        t = time.thread_time()
        _inner.append(0.0)
        try:
            return f(*args, **kwargs)
        finally:
            took = time.thread_time() - t
            spent[key] += took - _inner.pop()
            _inner[-1] += took

    setattr(owner, name, wrapper)


def _search(query: str, n: int) -> list[dict]:
    return [
        {"title": f"All about {query}", "href": "https://example.org/a", "body": f"On {query}."}
    ][:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--dtype", default=None)
    ap.add_argument("--no-lookahead", action="store_true", help="one forward pass per byte")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for owner, name, key in PARTS:
        if hasattr(owner, name):  # an older tree may lack a part
            _timed(owner, name, key)
    moment = datetime(2026, 3, 14, 15, 9, tzinfo=UTC)
    tools = ToolRegistry(
        [
            TimeTool(now=lambda: moment) if t.name == "time" else t
            for t in default_registry(search_backend=_search)
        ]
    )
    tmp = tempfile.mkdtemp()
    # only the options that are set, so the script also times an older tree (PYTHONPATH=OLD)
    options = {"compile": True} if args.compile else {}
    options |= {"dtype": args.dtype} if args.dtype else {}
    if args.no_lookahead:
        options["sampling"] = SamplingConfig(seed=0, lookahead=False)
    agent = build_agent(
        approve="all", memory_path=tmp, out_dir=tmp, tools=tools, seed=0, use_memory=False,
        **options,
    )  # fmt: skip
    for p in PROMPTS[:2]:  # warm-up
        agent.reset()
        list(agent.run(p))
    best = None
    for rep in range(args.reps):
        spent.clear()
        cpu, written = 0.0, 0
        for p in PROMPTS:
            agent.reset()
            c = time.thread_time()
            for ev in agent.run(p):
                written += getattr(ev, "bytes_generated", 0)
            cpu += time.thread_time() - c
        print(f"rep {rep}: {cpu:.2f} CPU s, {written / cpu:.0f} bytes per CPU second")
        if best is None or cpu < best[0]:
            best = (cpu, written, dict(spent))
    cpu, written, parts = best
    print(f"fastest: {written} bytes, {cpu * 1e6 / written:.0f} CPU us per byte")
    for key in sorted(parts, key=lambda k: -parts[k]):
        print(f"  {key:20s} {parts[key] * 1e6 / written:8.1f} us/byte")
    print(
        f"  {'rest (loop, events)':20s} {(cpu - sum(parts.values())) * 1e6 / written:8.1f} us/byte"
    )


if __name__ == "__main__":
    main()
