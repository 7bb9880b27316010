"""`aether bench decode`: decoding speed with and without the KV cache, against the machine's ceiling;
`aether bench agent` / `serve`: the agent's overhead and the server under load; `aether bench
compress`: the model's coder against the classical compressors per kind of file."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.table import Table

    from ..bench_compress import Report

from ..decoding import add_compile_argument, add_dtype_argument


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="speed benchmarks")
    bsub = p.add_subparsers(dest="bench_command", metavar="BENCH", required=True)
    d = bsub.add_parser("decode", help="bytes/s with the KV cache vs recomputing the sequence")
    d.add_argument("--checkpoint", help="checkpoint dir (default: random-init default-size model)")
    d.add_argument(
        "--prompt-bytes",
        type=int,
        default=None,
        help="default: 1024, or what the model's context leaves after --new-bytes",
    )
    d.add_argument("--new-bytes", type=int, default=128)
    d.add_argument(
        "--rounds", type=int, default=3, help="timed rounds of each path; the best is reported"
    )
    d.add_argument("--recompute-steps", type=int, default=8, help="steps timed for the slow path")
    d.add_argument("--device", default="auto")
    add_dtype_argument(d)
    d.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    add_compile_argument(d)
    d.add_argument(
        "--compare-hf",
        action="store_true",
        help="also time a Hugging Face LlamaForCausalLM of the same shape (fp32, its KV cache on)",
    )
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=run_decode)
    a = bsub.add_parser("agent", help="agent overhead per step and time to the first answer byte")
    a.add_argument("--checkpoint", help="checkpoint dir (default: the shipped model, else random)")
    a.add_argument("--device", default="auto")
    add_dtype_argument(a)
    add_compile_argument(a)
    a.add_argument("--steps", type=int, default=6)
    a.add_argument("--turns", type=int, default=5)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=run_agent)
    s = bsub.add_parser(
        "serve", help="load-test aether serve on loopback: throughput, latency, errors, RSS"
    )
    s.add_argument("--clients", type=int, default=8, help="concurrent clients")
    s.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    s.add_argument(
        "--compare",
        action="store_true",
        help="run a single client first, then --clients, on the same server (batching gain)",
    )
    s.add_argument("--checkpoint", help="checkpoint dir (default: the shipped model)")
    s.add_argument("--batch", type=int, default=8, help="the server's --batch")
    s.add_argument("--threads", type=int, default=1, help="the server's torch threads")
    s.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=run_serve)
    c = bsub.add_parser(
        "compress",
        help="aether compress vs gzip/bzip2/xz/zstd per kind of file: bits per byte, speeds both "
        "ways, exact round trips (also decoded in a fresh process with other threads)",
    )
    c.add_argument(
        "inputs",
        nargs="+",
        metavar="DIR_OR_FILE",
        help="files, or a directory whose subdirectories are one kind each",
    )
    c.add_argument("--checkpoint", help="checkpoint dir (default: the one `aether compress` uses)")
    c.add_argument("--threads", type=int, default=1, help="torch threads for the model's runs")
    c.add_argument(
        "--fresh-threads",
        type=int,
        default=None,
        help="threads of the fresh-process `aether decompress` (default: 2, or 1 when --threads "
        "is not 1; 0 skips it)",
    )
    c.add_argument("--device", default="cpu")
    c.add_argument("--tools", help="comma list of classical tools (default: all of them)")
    c.add_argument("--max-bytes", type=int, help="use only the first N bytes of each file")
    c.add_argument("--json", metavar="OUT", help="also write every number to this JSON file")
    c.add_argument("-q", "--quiet", action="store_true", help="no per-file progress lines")
    c.set_defaults(func=run_compress)


def run_serve(args: argparse.Namespace) -> int:
    from ..bench import bench_serve
    from . import UsageError

    if args.clients < 1 or args.seconds <= 0 or args.batch < 1 or args.threads < 1:
        raise UsageError("--clients, --seconds, --batch and --threads must be positive")
    if args.seconds > 3600 or args.clients > 256:
        raise UsageError("a bounded benchmark: at most 3600 seconds and 256 clients")
    counts = [1, args.clients] if args.compare and args.clients > 1 else [args.clients]
    r = bench_serve(
        counts,
        args.seconds,
        checkpoint=args.checkpoint,
        batch=args.batch,
        threads=args.threads,
        timeout=args.timeout,
    )
    if args.json:
        print(json.dumps(r.to_dict()))
        return 0
    print(f"server: batch {r.batch}, {r.threads} torch thread(s), {args.seconds:g} s per phase")
    print("clients  requests  req/s   bytes/s   p50 s   p99 s  errors  truncated")
    for p in r.phases:
        print(
            f"{p.clients:7d} {p.requests:9d} {p.requests_per_s:6.2f} {p.bytes_per_s:9.1f} "
            f"{p.p50_s:7.2f} {p.p99_s:7.2f} {p.errors:7d} {p.truncated:10d}"
        )
        if p.first_error:
            print(f"  first error: {p.first_error}")
    if len(r.phases) == 2 and r.phases[0].bytes_per_s > 0:
        print(f"batching gain: {r.phases[1].bytes_per_s / r.phases[0].bytes_per_s:.2f}x bytes/s")
    print(
        f"server RSS: {r.rss_before_mb:.0f} MB -> {r.rss_after_mb:.0f} MB "
        f"({r.rss_after_mb - r.rss_before_mb:+.1f} MB)"
    )
    return 0 if all(p.errors == 0 and p.truncated == 0 for p in r.phases) else 1


def run_agent(args: argparse.Namespace) -> int:
    import tempfile

    from ..agent import build_agent
    from ..agent.agent import AetherAgent
    from ..agent.approval import ApprovalPolicy
    from ..agent.policy import ScriptedPolicy
    from ..bench import bench_agent
    from ..tools import default_registry

    def scripted(script):
        reg = default_registry()
        return AetherAgent(ScriptedPolicy(script), reg, approval=ApprovalPolicy.from_spec("all"))

    with tempfile.TemporaryDirectory() as tmp:
        agent = build_agent(
            args.checkpoint,
            device=args.device,
            dtype=args.dtype,
            compile=args.compile,
            approve="none",
            memory_path=tmp,
        )
        r = bench_agent(scripted, agent, steps=args.steps, turns=args.turns)
        info = agent.info
    if args.json:
        print(json.dumps({**r.to_dict(), "model": info.name, "params": info.params}))
        return 0
    print(f"model: {info.name} ({info.params / 1e6:.1f}M params, {info.device})")
    print(
        f"agent overhead: {r.overhead_ms_per_step:.2f} ms/step (scripted policy, {r.steps} steps)"
    )
    print(
        f"first answer byte: {r.first_answer_byte_s * 1000:.0f} ms (median of {r.turns} turns, "
        f"{r.first_answer_bytes_before:.0f} bytes written first)"
    )
    print(f"writing: {r.bytes_per_s:.0f} bytes/s (every byte of {r.turns} whole turns)")
    return 0


def run_decode(args: argparse.Namespace) -> int:
    import torch

    from ..bench import bench_decode
    from ..checkpoint import load_checkpoint, resolve_device
    from ..config import ModelConfig
    from ..model import build_model
    from ..model.quantize import apply_dtype
    from . import UsageError

    if (args.prompt_bytes is not None and args.prompt_bytes < 1) or args.new_bytes < 1:
        raise UsageError("--prompt-bytes and --new-bytes must be positive")
    if not 1 <= args.rounds <= 100:
        raise UsageError("--rounds must be in 1..100")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    if args.checkpoint:
        model, _, _ = load_checkpoint(args.checkpoint, device=device)
    else:
        torch.manual_seed(0)
        model = build_model(ModelConfig()).to(device=device).eval()
    model = apply_dtype(model, args.dtype)
    max_seq_len = getattr(getattr(model, "cfg", None), "max_seq_len", None)
    if args.prompt_bytes is None:  # a small model's context: a shorter prompt, not an error
        args.prompt_bytes = max(1, min(1024, (max_seq_len or 1 << 30) - args.new_bytes))
    if max_seq_len is not None and args.prompt_bytes + args.new_bytes > max_seq_len:
        raise UsageError(
            f"--prompt-bytes + --new-bytes exceed the model's {max_seq_len}-token context"
        )
    r = bench_decode(
        model,
        args.prompt_bytes,
        args.new_bytes,
        args.recompute_steps,
        compile=args.compile,
        rounds=args.rounds,
    )
    if args.dtype:
        r.dtype = args.dtype  # packed int8/float16 layers leave the parameters float32
    hf = None
    if args.compare_hf:
        import dataclasses

        from ..hf_baseline import bench_hf_decode

        prompt = torch.randint(
            0, 256, (r.prompt_bytes,), generator=torch.Generator().manual_seed(0)
        )
        hf = dataclasses.asdict(
            bench_hf_decode(model.cfg, prompt.tolist(), r.new_bytes, args.rounds)
        )
    if args.json:
        print(json.dumps({**r.to_dict(), **({"hf": hf} if hf else {})}))
        return 0
    print(f"model: {r.params / 1e6:.1f}M params, {r.device}, {r.dtype}, {r.threads} threads")
    print(
        f"prompt: {r.prompt_bytes} bytes (prefill {r.prefill_s * 1000:.0f} ms), new: {r.new_bytes} bytes"
    )
    print(
        f"cached:    {r.cached_bytes_per_s:8.1f} bytes/s "
        f"({r.cached_bytes_per_cpu_s:.1f} per CPU second)"
    )
    print(
        f"general:   {r.general_bytes_per_s:8.1f} bytes/s "
        f"({r.general_bytes_per_cpu_s:.1f} per CPU second; the same steps, the general forward)"
    )
    print(f"recompute: {r.recompute_bytes_per_s:8.2f} bytes/s")
    print(f"speedup:   {r.speedup:8.1f}x")
    print(
        f"ceiling:   {r.ceiling_steps_per_s:8.1f} steps/s (bare mat-vec pass over the decode weights)"
    )
    print(f"cached / ceiling: {100 * r.fraction_of_ceiling:.0f}%")
    print(f"peak memory: {r.peak_memory_mb:.0f} MB")
    if hf:
        print(
            f"HF Llama:  {hf['cached_bytes_per_s']:8.1f} bytes/s cached "
            f"({hf['cached_bytes_per_cpu_s']:.1f} per CPU second; {hf['params'] / 1e6:.1f}M "
            f"params, fp32, prefill {hf['prefill_s'] * 1000:.0f} ms); Aether / HF: "
            f"{r.cached_bytes_per_s / hf['cached_bytes_per_s']:.2f}x "
            f"({r.cached_bytes_per_cpu_s / hf['cached_bytes_per_cpu_s']:.2f}x per CPU second)"
        )
    return 0


def run_compress(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    import torch
    from rich.console import Console

    from ..bench_compress import (
        BenchError,
        ModelCodec,
        bench_compress,
        classical_codecs,
        collect_kinds,
    )
    from ..checkpoint import COMPRESS_ASSET, default_checkpoint, load_checkpoint, resolve_device
    from ..fsutil import atomic_write_text
    from . import CliError, UsageError

    fresh = args.fresh_threads if args.fresh_threads is not None else 2 if args.threads == 1 else 1
    if args.threads < 1 or fresh < 0 or (args.max_bytes is not None and args.max_bytes < 1):
        raise UsageError("--threads and --max-bytes must be positive, --fresh-threads >= 0")
    try:
        codecs = classical_codecs(
            None if args.tools is None else [t.strip() for t in args.tools.split(",") if t.strip()]
        )
    except BenchError as e:
        raise UsageError(str(e)) from None
    kinds = collect_kinds(args.inputs)
    ckpt = args.checkpoint or default_checkpoint(COMPRESS_ASSET) or default_checkpoint()
    if ckpt is None:
        raise CliError("no checkpoint: pass --checkpoint DIR (a trained model is needed)")
    torch.set_num_threads(args.threads)
    model, _, _ = load_checkpoint(ckpt, device=resolve_device(args.device))
    codecs.append(ModelCodec(model, Path(ckpt), args.threads, fresh, args.device))
    err = Console(stderr=True, highlight=False)

    def progress(kind, path, tool, m) -> None:
        if not args.quiet:
            bpb = "-" if m.bpb is None else f"{m.bpb:.3f} bpb"
            seconds = m.compress_s + m.decompress_s + (m.fresh_s or 0.0)
            err.print(f"[dim]{kind}/{path.name}: {tool} {bpb}, {seconds:.2f} s")

    settings = {
        "checkpoint": str(ckpt),
        "params": sum(p.numel() for p in model.parameters()),
        "device": args.device,
        "threads": args.threads,
        "fresh_threads": fresh,
    }
    report = bench_compress(kinds, codecs, args.max_bytes, progress, settings)
    if args.json:
        atomic_write_text(args.json, json.dumps(report.to_dict(), indent=2) + "\n")
    # piped into a file or a note, the table keeps every column instead of rich's default 80
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 150)
    out.print(_compress_table(report, args.threads, fresh))
    out.print(_speed_table(report))
    if not report.ok:
        out.print("[bold red]some round trips were not exact (see the table and --json)")
    return 0 if report.ok else 1


def _num(x: float | None, fmt: str = ".3f") -> str:
    return "-" if x is None else format(x, fmt)


def _compress_table(report: Report, threads: int, fresh: int) -> Table:
    from rich.table import Table

    from ..bench_compress import ALL, MODEL, REFERENCE

    tools = report.settings["tools"]
    t = Table(title="bits per byte (lower is better); each file compressed on its own")
    for name in ("kind", "files", "bytes", *tools):
        t.add_column(name, justify="left" if name == "kind" else "right")
    speeds = (f"{MODEL} comp KB/s", f"{MODEL} dec KB/s")
    for name in (f"÷ {REFERENCE}", *speeds, "exact", f"fresh {threads}→{fresh} thr"):
        t.add_column(name, justify="right")
    for kind, row in report.kinds.items():
        some = next((m for m in row.values() if m is not None), None)
        best = min((m.bpb for m in row.values() if m is not None and m.bpb), default=None)
        cells = []
        for tool in tools:
            m = row[tool]
            text = "missing" if m is None else _num(m.bpb)
            cells.append(f"[bold]{text}[/]" if m is not None and m.bpb == best else text)
        ours = row[MODEL]
        exact = all(m.exact for m in row.values() if m is not None)
        fresh_ok = {None: "skipped", True: "yes", False: "[red]NO[/]"}[ours.fresh_exact]
        t.add_row(
            kind, str(report.n_files(kind)), f"{some.original_bytes:,}" if some else "-", *cells,
            _num(report.ratio_to_reference(kind)), _num(ours.compress_kb_s, ".1f"),
            _num(ours.decompress_kb_s, ".1f"), "yes" if exact else "[red]NO[/]", fresh_ok,
            end_section=kind != ALL and list(report.kinds)[-2] == kind,
        )  # fmt: skip
    return t


def _speed_table(report: Report) -> Table:
    from rich.table import Table

    from ..bench_compress import ALL

    t = Table(title="speeds over all files (KB/s of original bytes; tools include process start)")
    for name in ("tool", "compressed bytes", "compress KB/s", "decompress KB/s"):
        t.add_column(name, justify="left" if name == "tool" else "right")
    for tool, m in report.kinds[ALL].items():
        if m is None:
            t.add_row(tool, "missing", "-", "-")
        else:
            t.add_row(tool, f"{m.compressed_bytes:,}", _num(m.compress_kb_s, ".1f"),
                      _num(m.decompress_kb_s, ".1f"))  # fmt: skip
    return t
