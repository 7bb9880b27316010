"""torchrun support: the same loop runs as one process or as N ranks under DistributedDataParallel.

Rank, world size and local rank come from the environment torchrun sets (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``); without them this is a plain single process and every helper is a no-op.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ..eval.metrics import ByteMetrics


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Only the main rank writes files and draws progress: one writer, no races."""
        return self.rank == 0


def env_info() -> DistInfo:
    return DistInfo(
        rank=int(os.environ.get("RANK", 0)),
        world_size=int(os.environ.get("WORLD_SIZE", 1)),
        local_rank=int(os.environ.get("LOCAL_RANK", 0)),
    )


def setup(device: torch.device) -> DistInfo:
    """Join the process group when launched by torchrun: NCCL for CUDA, gloo for CPU."""
    info = env_info()
    if info.enabled and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(info.local_rank)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return info


def rank_device(device: torch.device, info: DistInfo) -> torch.device:
    """Each rank takes its own GPU; CPU ranks share the CPU."""
    if device.type == "cuda" and info.enabled:
        return torch.device("cuda", info.local_rank)
    return device


def teardown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_sum(values: list[float], device: torch.device) -> list[float]:
    """Sum floats across ranks (eval totals, logged losses); identity in one process."""
    if not (dist.is_available() and dist.is_initialized()):
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def all_reduce_metrics(m: ByteMetrics, device: torch.device) -> ByteMetrics:
    """Evaluation metrics over every rank: sums added, the confidence extremes min'd and max'd."""
    if not (dist.is_available() and dist.is_initialized()):
        return m
    nats, count, correct, conf_sum = all_reduce_sum(
        [m.nats, m.count, m.correct, m.conf_sum], device
    )
    t = torch.tensor([-m.conf_min, m.conf_max], dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return ByteMetrics(nats, int(count), int(correct), conf_sum, -float(t[0]), float(t[1]))


def any_rank(flag: bool, device: torch.device) -> bool:
    """True if any rank says so: ranks must agree when to stop (e.g. the time budget)."""
    if not (dist.is_available() and dist.is_initialized()):
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
