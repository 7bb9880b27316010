"""Two CPU processes under torchrun (gloo): different data per rank, identical weights at the end."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch.distributed as dist

from aether_core.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="no gloo")
@pytest.mark.parametrize("optimizer", ["adamw", "muon"])  # muon: ranks split the orthogonalizing
def test_two_process_gloo_run(tmp_path, text_file, optimizer):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", AETHER_NO_PROGRESS="1")
    if sys.platform.startswith("linux"):
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nnodes",
        "1",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(free_port()),
        str(ROOT / "tests/train/ddp_worker.py"),
        str(tmp_path),
        str(text_file),
        optimizer,
    ]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r0 = json.loads((tmp_path / "rank0.json").read_text())
    r1 = json.loads((tmp_path / "rank1.json").read_text())
    assert r0["first_batch"] != r1["first_batch"]  # each rank has its own data stream
    assert r0["weights"] == r1["weights"]  # gradients were all-reduced
    assert r0["val_bpb"] == r1["val_bpb"]  # eval metrics were reduced
    load_checkpoint(tmp_path / "run/ckpt/last")  # rank 0 wrote the run folder
    lines = (tmp_path / "run/metrics.jsonl").read_text().splitlines()
    assert len([ln for ln in lines if '"loss"' in ln]) == 4  # one writer, no duplicated lines


@pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(), reason="no gloo")
def test_nproc_flag_launches_local_ranks(tmp_path, text_file):
    """`aether train lm --nproc 2` is torchrun --standalone: two ranks, one writer, one result."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "aether_core.cli", "train", "lm", "--nproc", "2", "--data",
           str(text_file), "--run-dir", str(run), "--max-steps", "6", "--log-every", "2",
           "--eval-every", "6", "--batch-size", "2", "--seq-len", "32", "--dim", "32",
           "--n-layers", "1", "--n-heads", "2", "--no-progress", "--device", "cpu"]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "2 process(es)" in proc.stdout + proc.stderr
    rows = [json.loads(ln) for ln in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "loss" in r] == [2, 4, 6]  # rank 0 alone writes
    assert json.loads((run / "run.json").read_text())["train"]["max_steps"] == 6
    load_checkpoint(run / "ckpt/last")
