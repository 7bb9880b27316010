"""`aether bench decode`: decoding speed with and without the KV cache, against the machine's ceiling."""

from __future__ import annotations

import argparse
import json

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
