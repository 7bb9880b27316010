"""Decode benchmark: cached vs recompute-everything bytes/s, and the weight-streaming ceiling.

The ceiling is one bare pass of matrix-vector products over exactly the weights a decode step reads,
with the same kernels (F.linear on one row): what this machine can do at best per step. Cached
decoding as a fraction of it says how much Python/framework overhead is left on the table.
"""

from __future__ import annotations

import resource
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .sampling import DecodeSession, SamplingConfig


@dataclass
class DecodeBench:
    params: int
    device: str
    dtype: str
    threads: int
    prompt_bytes: int
    new_bytes: int
    prefill_s: float
    cached_bytes_per_s: float  # DecodeSession.step (the fast step where it applies), best round
    general_bytes_per_s: float  # the same steps through the model's general forward, best round
    # the same two per second of this thread's CPU time: what an otherwise idle core would do,
    # steadier than wall time when other jobs share the cores (one torch thread)
    cached_bytes_per_cpu_s: float
    general_bytes_per_cpu_s: float
    recompute_bytes_per_s: float
    speedup: float
    ceiling_steps_per_s: float
    fraction_of_ceiling: float
    peak_memory_mb: float

    def to_dict(self) -> dict:
        return asdict(self)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        torch.mps.synchronize()


def decode_weights(model: nn.Module) -> list[torch.Tensor]:
    """The 2-D float weights one text-only decode step multiplies by (cross-attention and ViT
    skipped; packed layers are :func:`decode_packed`)."""
    out = []
    for name, p in model.named_parameters():
        if p.dim() != 2 or name.startswith("vit.") or ".cross." in name or "embed" in name:
            continue
        out.append(p.detach())
    head = getattr(model, "head", None)
    out.append(model.embed.weight.detach() if head is None else head.weight.detach())
    return out


def decode_packed(model: nn.Module) -> list[nn.Module]:
    """The text path's packed low-precision layers (model/quantize.py), run by their kernels."""
    from .model.quantize import PackedLinear

    return [
        m
        for name, m in model.named_modules()
        if isinstance(m, PackedLinear) and ".cross." not in name and not name.startswith("vit.")
    ]


@torch.inference_mode()
def matvec_ceiling(
    weights: list[torch.Tensor],
    device: torch.device,
    repeats: int = 20,
    packed: list[nn.Module] = (),
) -> float:
    """Seconds for one pass of F.linear(x, W) over every weight, and of each packed layer's own
    kernel (best of ``repeats``)."""
    xs = {w.shape[1]: torch.randn(1, w.shape[1], device=device, dtype=w.dtype) for w in weights}
    xs |= {m.in_features: torch.randn(1, m.in_features) for m in packed if m.in_features not in xs}
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        t = time.perf_counter()
        for w in weights:
            F.linear(xs[w.shape[1]], w)
        for m in packed:
            m(xs[m.in_features])
        _sync(device)
        best = min(best, time.perf_counter() - t)
    return best


@torch.inference_mode()
def bench_decode(
    model: nn.Module,
    prompt_bytes: int = 1024,
    new_bytes: int = 128,
    recompute_steps: int = 8,
    seed: int = 0,
    compile: bool = False,
    rounds: int = 3,
) -> DecodeBench:
    """Cached decoding (the fast step where it applies) and the general forward, alternating
    for ``rounds`` rounds on the same cache, each reported as its best round: on a shared,
    noisy machine the best of a few is the steadiest estimate of what the code can do."""
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    g = torch.Generator().manual_seed(seed)
    prompt = torch.randint(0, 256, (prompt_bytes,), generator=g).tolist()
    greedy = SamplingConfig(temperature=0.0)
    session = DecodeSession(model, prompt_bytes + new_bytes + 2, device, compile=compile)
    # warm-up (allocator, kernels), then the timed run on a fresh cache
    list(session.generate(prompt[:64], greedy, 8, stop_tokens=()))
    session.reset()
    _sync(device)
    t0 = time.perf_counter()
    session.feed(prompt)
    _sync(device)
    prefill = time.perf_counter() - t0
    session.reset()
    best = {"fast": (0.0, 0.0), "general": (0.0, 0.0)}
    fast = session.fast
    for _ in range(max(1, rounds)):
        for name, step in (("fast", fast), ("general", None)):  # general: the same cache
            session.fast = step
            wall, cpu = _time_steps(session, prompt, new_bytes, device)
            best[name] = (max(best[name][0], wall), max(best[name][1], cpu))
    session.fast = fast
    (cached, cached_cpu), (general, general_cpu) = best["fast"], best["general"]
    # the original system's way: a full forward over the whole sequence for every new byte
    seq = list(prompt)
    steps = max(1, min(recompute_steps, new_bytes))
    t0 = time.perf_counter()
    for _ in range(steps):
        x = torch.tensor([seq], device=device)
        logits = model(x, last_only=True)
        seq.append(int(torch.argmax(logits[0, -1])))
    _sync(device)
    recompute = steps / (time.perf_counter() - t0)
    ceiling = 1.0 / matvec_ceiling(decode_weights(model), device, packed=decode_packed(model))
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return DecodeBench(
        params=sum(p.numel() for p in model.parameters()),
        device=str(device),
        dtype=str(dtype).replace("torch.", ""),
        threads=torch.get_num_threads(),
        prompt_bytes=prompt_bytes,
        new_bytes=new_bytes,
        prefill_s=prefill,
        cached_bytes_per_s=cached,
        general_bytes_per_s=general,
        cached_bytes_per_cpu_s=cached_cpu,
        general_bytes_per_cpu_s=general_cpu,
        recompute_bytes_per_s=recompute,
        speedup=cached / recompute,
        ceiling_steps_per_s=ceiling,
        fraction_of_ceiling=cached / ceiling,
        peak_memory_mb=peak,
    )


def _time_steps(
    session: DecodeSession, prompt: list[int], new_bytes: int, device
) -> tuple[float, float]:
    """Bytes per second and per CPU second of this thread, of ``new_bytes`` greedy steps after
    ``prompt`` (prefilled untimed)."""
    session.feed(prompt)
    tok = 65
    _sync(device)
    t0, c0 = time.perf_counter(), time.thread_time()
    for _ in range(new_bytes):
        logits = session.step(tok)
        tok = int(torch.argmax(logits))
    _sync(device)
    wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
    return new_bytes / wall, new_bytes / max(cpu, 1e-9)


@dataclass
class AgentBench:
    steps: int
    overhead_ms_per_step: float  # agent work per step with a zero-cost scripted policy
    first_answer_byte_s: float  # median over turns, default-size model (random weights if none)
    first_answer_bytes_before: float  # thought and call bytes written before the answer began
    turns: int
    bytes_per_s: float  # every byte the model wrote in the turns over the time spent writing

    def to_dict(self) -> dict:
        return asdict(self)


def bench_agent(agent_factory, model_agent, steps: int = 6, turns: int = 5) -> AgentBench:
    """Agent overhead per step (scripted policy, echo tool: no model time), then whole turns
    with a real model policy (one greeting, one calc question, in turn): the time to the first
    answer byte and the bytes per second of writing (thought, call and answer bytes)."""
    from .agent.events import AnswerDelta, Done
    from .segments import Text, Thought, ToolCall

    script = [
        [Thought(b"t"), ToolCall.make("echo", {"text": f"step {i}"})] for i in range(steps - 1)
    ]
    script.append([Thought(b"t"), Text(b"done")])
    agent = agent_factory(script)
    t = time.perf_counter()
    list(agent.run("overhead"))
    overhead = (time.perf_counter() - t) / steps
    firsts, before = [], []
    written, writing = 0, 0.0
    prompts = ("hello there, what can you do?", "what is 37 times 12?")
    for i in range(turns):
        model_agent.reset()
        model_agent.sampling.seed = i
        t = time.perf_counter()
        first = None
        for ev in model_agent.run(prompts[i % 2]):
            if isinstance(ev, AnswerDelta) and first is None:
                first = time.perf_counter() - t
                firsts.append(first)
            elif isinstance(ev, Done):
                written += ev.bytes_generated
                writing += ev.bytes_generated / ev.bytes_per_s if ev.bytes_per_s else 0.0
                before.append(ev.bytes_generated - len(ev.answer.encode()))
    firsts.sort()
    return AgentBench(
        steps=steps,
        overhead_ms_per_step=overhead * 1000,
        first_answer_byte_s=firsts[len(firsts) // 2] if firsts else float("nan"),
        first_answer_bytes_before=sum(before) / max(1, len(before)),
        turns=len(firsts),
        bytes_per_s=written / writing if writing else float("nan"),
    )


@dataclass
class ServeBench:
    phases: list  # serve.load.Phase, one per client count
    rss_before_mb: float  # the server after start-up and a warm-up request
    rss_after_mb: float
    batch: int
    threads: int

    def to_dict(self) -> dict:
        return {**asdict(self), "phases": [p.to_dict() for p in self.phases]}


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise OSError("no VmRSS")


def bench_serve(
    client_counts: list[int],
    seconds: float,
    *,
    checkpoint: str | None = None,
    batch: int = 8,
    threads: int = 1,
    timeout: float = 120.0,
    start_timeout: float = 180.0,
) -> ServeBench:
    """Start ``aether serve`` on a free loopback port in a child process, run one load phase per
    client count (same server, one after the other), and stop it. Bounded: start-up, each
    phase and each request have limits; the server is killed if it does not stop."""
    import http.client
    import os
    import socket
    import subprocess
    import sys
    import tempfile

    from .serve.load import run_phase, stream_once

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clients_max = max(client_counts)
    cmd = [
        sys.executable, "-m", "aether_core.cli", "serve", "--host", "127.0.0.1",
        "--port", str(port), "--batch", str(batch), "--max-queue", str(max(0, clients_max - batch)),
        "--threads", str(threads), "--timeout", str(timeout), "--log-level", "warning",
    ]  # fmt: skip
    if checkpoint:
        cmd += ["--checkpoint", checkpoint]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    with tempfile.TemporaryDirectory() as tmp:
        cmd += ["--out-dir", tmp]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", "/health")
                    if conn.getresponse().status == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            for prompt in ("hi", "what is 2+2?"):  # warm-up
                stream_once("127.0.0.1", port, prompt, timeout, None)
            before = _rss_mb(proc.pid)
            phases = [
                run_phase("127.0.0.1", port, n, seconds, timeout=timeout, seed=i)
                for i, n in enumerate(client_counts)
            ]
            after = _rss_mb(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return ServeBench(phases, before, after, batch, threads)
