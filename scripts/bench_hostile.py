"""Benchmark for hostile input (issue 23's closing figures), runnable against any tree:

    PYTHONPATH=<tree> OMP_NUM_THREADS=1 python scripts/bench_hostile.py [pages|configs|all]

``pages``: the time ``browse_page`` spends turning each adversarial page (at the fetch cap,
``NetPolicy().max_bytes``) into text: ``render_page`` on a ready ``FetchResult``, no network.
``configs``: the peak resident memory of ``load_checkpoint`` on each absurd ``config.json``.

Each case runs in its own process, killed past ``--time-limit`` seconds or ``--mem-limit`` MB of
resident memory (the old code can take 48 minutes or every byte of RAM), so one bad case reports
"killed" instead of taking the machine down.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CAP = 2_000_000  # NetPolicy().max_bytes on main; read from the tree at run time when it imports


def pages(cap: int) -> dict[str, bytes]:
    """Adversarial HTML bodies of ``cap`` bytes, one per family of quadratic or deep input."""

    def fill(unit: bytes, head: bytes = b"", tail: bytes = b"") -> bytes:
        n = (cap - len(head) - len(tail)) // len(unit)
        return head + unit * n + tail

    return {
        "title-repeat": fill(b"<title>"),
        "title-unclosed": fill(b"a", b"<title>"),
        "a-open": fill(b"<a"),
        "lt-repeat": fill(b"<"),
        "nested-div": fill(b"<div>"),
        "comment-open": fill(b"<!--"),
        "attr-huge": fill(b"x", b'<html><body><a href="', b'">x</a>'),
        "entity-repeat": fill(b"&amp;"),
        "charref-open": fill(b"&#"),
        "script-unclosed": fill(b"x<", b"<script>"),
        "cdata-repeat": fill(b"<![CDATA["),
        "endtag-repeat": fill(b"</"),
        "meta-charset": fill(b"<meta charset=bogus>"),
        "binary-noise": bytes((i * 2654435761 >> 13) & 0xFF for i in range(cap)),
        "big-article": fill(b"<p>Lorem ipsum dolor sit amet, consectetur adipiscing.</p>\n",
                            b"<html><head><title>T</title></head><body><article>",
                            b"</article></body></html>"),
        "long-paragraphs": fill(b"<p>" + b"word " * 80 + b"</p>", b"<article>"),
        "table-rows": fill(b"<tr><td><ul><li>cell text here</li></ul></td></tr>", b"<table>"),
        "deep-and-many": fill(b"<p>deep text</p>", b"<div>" * 250),
    }  # fmt: skip


def configs() -> dict[str, object]:
    """Absurd ``config.json`` model sections (and one that is not a model section at all)."""
    base = {"dim": 64, "n_layers": 2, "n_heads": 4, "max_seq_len": 128}
    return {
        "dim-16384-layers-1e6": {**base, "dim": 16384, "n_layers": 10**6},
        "dim-4096-layers-1024": {**base, "dim": 4096, "n_heads": 32, "n_layers": 1024},  # in range
        "dim-2048-no-weights": {**base, "dim": 2048, "n_heads": 16, "n_layers": 8},
        "dim-1e9": {**base, "dim": 10**9},
        "layers-0": {**base, "n_layers": 0},
        "layers-neg": {**base, "n_layers": -1},
        "vocab-1e9": {**base, "vocab_size": 10**9},
        "seq-1e12": {**base, "max_seq_len": 10**12},
        "dim-str": {**base, "dim": "64"},
        "dim-float": {**base, "dim": 64.5},
        "deep-json": "[" * 100_000 + "]" * 100_000,  # raw JSON text: too deep for json.dumps
    }


def _page_child(name: str, cap: int) -> None:
    from aether_core.tools.browse import render_page
    from aether_core.tools.fetch import FetchResult

    warm = FetchResult("http://x.test/", "http://x.test/", 200, "text/html", b"<p>warm</p>", None)
    render_page(warm, 6000)  # the one-time imports (trafilatura, lxml) are not page processing
    body = pages(cap)[name]
    result = FetchResult("http://x.test/", "http://x.test/", 200, "text/html", body, None)
    t0 = time.perf_counter()
    render_page(result, 6000)
    print(json.dumps({"seconds": time.perf_counter() - t0}))


def _config_child(directory: str) -> None:
    from aether_core.checkpoint import load_checkpoint

    try:
        load_checkpoint(directory)
        print(json.dumps({"outcome": "loaded"}))
    except Exception as e:  # the point: which one, and in how many lines
        msg = str(e)
        print(json.dumps({"outcome": f"{type(e).__name__}: {msg[:100]}", "lines": msg.count("\n")}))


def _run(args: list[str], time_limit: float, mem_mb: int) -> dict:
    """Run a child, polling its RSS; kill it past the limits. Returns its JSON or why it died."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    p = subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    t0, killed = time.monotonic(), None
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)  # p.poll() would reap the rusage
        if pid:
            break
        time.sleep(0.05)
        try:
            with open(f"/proc/{p.pid}/status") as f:
                rss = next(int(x.split()[1]) for x in f if x.startswith("VmRSS"))
        except (OSError, StopIteration):
            rss = 0
        if rss > mem_mb * 1024:
            killed = f"killed at {mem_mb} MB RSS"
        elif time.monotonic() - t0 > time_limit:
            killed = f"killed at {time_limit:g} s"
        if killed:
            p.send_signal(signal.SIGKILL)
            _, status, usage = os.wait4(p.pid, 0)
            break
    p.returncode = os.waitstatus_to_exitcode(status)
    out, err = p.stdout.read().decode(), p.stderr.read().decode()
    res = {"peak_rss_mb": round(usage.ru_maxrss / 1024), "wall_s": time.monotonic() - t0}
    if killed:
        res["outcome"] = killed
    elif out.strip():
        res.update(json.loads(out.strip().splitlines()[-1]))
    else:
        last = (err.strip().splitlines() or ["?"])[-1]
        res["outcome"] = (
            f"crashed (rc {p.returncode}, {err.count(chr(10))} stderr lines): {last[:90]}"
        )
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", nargs="?", default="all", choices=["pages", "configs", "all"])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--mem-limit", type=int, default=3000, help="MB of RSS")
    ap.add_argument("--only", nargs="*", help="page or config names to run (default: all)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, arg = args.child
        if kind == "page":
            name, cap = arg.split(":")
            _page_child(name, int(cap))
        else:
            _config_child(arg)
        return 0
    try:
        from aether_core.tools.netguard import NetPolicy

        cap = NetPolicy().max_bytes
    except Exception:
        cap = CAP
    if args.what in ("pages", "all"):
        worst = 0.0
        print(f"browse_page processing, pages of {cap} bytes (limit {args.time_limit:g} s):")
        for name in pages(cap):
            if args.only and name not in args.only:
                continue
            r = _run(["--child", "page", f"{name}:{cap}"], args.time_limit, args.mem_limit)
            secs = r.get("seconds")
            worst = max(worst, secs if secs is not None else float("inf"))
            shown = f"{secs:7.3f} s" if secs is not None else r["outcome"]
            print(f"  {name:16s} {shown}  (peak {r['peak_rss_mb']} MB)", flush=True)
        print(f"  worst case: {worst:.3f} s" if worst != float("inf") else "  worst case: killed")
    if args.what in ("configs", "all"):
        print(f"load_checkpoint on absurd config.json (limit {args.mem_limit} MB):")
        with tempfile.TemporaryDirectory() as tmp:
            for name, model in configs().items():
                if args.only and name not in args.only:
                    continue
                d = Path(tmp) / name
                d.mkdir()
                head = '{"format": "aether-checkpoint", "version": 1, "model": '
                body = model if isinstance(model, str) else json.dumps(model)
                (d / "config.json").write_text(head + body + "}")
                r = _run(["--child", "config", str(d)], args.time_limit, args.mem_limit)
                print(
                    f"  {name:22s} peak {r['peak_rss_mb']:5d} MB  {r['wall_s']:6.2f} s  "
                    f"{r['outcome']}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
