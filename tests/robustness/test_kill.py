"""kill -9 in the middle of a memory write, a chat save and a checkpoint save leaves the old or
the new state intact (real subprocesses; the kill lands at seeded moments in the write loop)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KILLS = 3


def run_and_kill(kind: str, d: Path, delay: float) -> int:
    """Start the writer, wait until it has saved twice, kill -9 it ``delay`` s later; return the
    last generation it reported as saved."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.robustness.writers", kind, str(d)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        seen = 0
        deadline = time.monotonic() + 180
        while seen < 2 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"{kind} writer died: {proc.stderr.read()[-500:]}")
            seen = int(line)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        rest = proc.stdout.read().split()
        return int(rest[-1]) if rest else seen
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def delays(kind: str) -> list[float]:
    rng = random.Random(kind)
    return [rng.uniform(0.0, 0.4) for _ in range(KILLS)]


@pytest.mark.parametrize("delay", delays("memory"))
def test_kill_during_memory_write(tmp_path: Path, delay: float) -> None:
    from aether_core.memory import VectorMemory

    last = run_and_kill("memory", tmp_path, delay)
    mem = VectorMemory.open(tmp_path / "memory")
    assert mem.warning is None  # nothing to recover from: the old or the new store
    n = len(mem)
    assert n in (last, last + 1), (n, last)  # the last acknowledged save, or the one after it
    assert [e.text.split()[2] for e in mem.list()] == [str(i) for i in range(1, n + 1)]
    assert mem.search("fact number 1 about the garden", k=1)


@pytest.mark.parametrize("delay", delays("chat"))
def test_kill_during_chat_save(tmp_path: Path, delay: float) -> None:
    from aether_tui.store import ChatStore

    last = run_and_kill("chat", tmp_path, delay)
    store = ChatStore(tmp_path / "chats.sqlite3")
    assert store.warning is None
    (chat,) = store.list()
    messages = store.load_messages(chat.id)
    assert len(messages) in (last, last + 1)
    assert [m.plain_text.split()[1] for m in messages] == [
        str(i) for i in range(1, len(messages) + 1)
    ]


@pytest.mark.parametrize("delay", delays("checkpoint"))
def test_kill_during_checkpoint_save(tmp_path: Path, delay: float) -> None:
    import torch

    from aether_core.checkpoint import load_checkpoint

    last = run_and_kill("checkpoint", tmp_path, delay)
    model, cfg, meta = load_checkpoint(tmp_path / "ckpt")
    gen = meta["generation"]
    assert gen in (last, last + 1), (gen, last)
    assert cfg.dim == (64 if gen % 2 == 0 else 128)  # the config of that very generation
    assert torch.all(model.embed.weight == float(gen))  # and its weights
    # the next save clears what the killed one left half-written
    from aether_core.checkpoint import save_checkpoint

    save_checkpoint(tmp_path / "ckpt", model, cfg, extra={"generation": gen + 1})
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == [
        "config.json",
        "model.safetensors",
    ]
