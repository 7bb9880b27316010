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
def test_two_process_gloo_run(tmp_path, text_file):
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
