"""Bits per byte of a checkpoint on files: each file is a plain byte stream, scored with sliding
windows so every byte (after the first) is predicted with as much context as the model allows.

Windows are ``context`` bytes long and advance by ``stride``; only the positions a window adds
beyond the previous one are scored, so each byte counts once and, except in the first window,
sees at least ``context - stride`` bytes of history.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import AetherError


@dataclass
class BpbResult:
    path: str
    bytes: int  # bytes in the (capped) file
    scored: int  # bytes scored (all but the first)
    nats: float  # summed negative log-likelihood

    @property
    def bits_per_byte(self) -> float:
        return self.nats / math.log(2) / self.scored if self.scored else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "bits_per_byte": self.bits_per_byte}


def windows(n: int, context: int, stride: int) -> list[tuple[int, int, int]]:
    """(start, end, new) for a stream of ``n`` tokens: the window's inputs are ``[start, end)``,
    its targets ``[start + 1, end + 1)``, and the last ``new`` targets are the ones to score."""
    if n < 2:
        return []
    out, scored_to, start = [], 0, 0
    while True:
        end = min(start + context, n - 1)
        out.append((start, end, end - scored_to))
        scored_to = end
        if end >= n - 1:
            return out
        start += stride


@torch.no_grad()
def stream_nats(
    model: nn.Module,
    data: bytes,
    context: int,
    stride: int | None = None,
    batch_size: int = 8,
    device: torch.device | str = "cpu",
) -> tuple[float, int]:
    """(summed NLL in nats, number of scored bytes) of ``data`` under ``model``."""
    stride = stride or max(1, context // 2)
    if not 0 < stride <= context:
        raise AetherError(f"stride must be in 1..context ({context}), got {stride}")
    tokens = torch.tensor(list(data), dtype=torch.long)
    spans = windows(len(tokens), context, stride)
    nats, scored = 0.0, 0
    i = 0
    while i < len(spans):
        length = spans[i][1] - spans[i][0]
        group = [spans[i]]
        while (
            len(group) < batch_size
            and i + len(group) < len(spans)
            and (spans[i + len(group)][1] - spans[i + len(group)][0] == length)
        ):
            group.append(spans[i + len(group)])
        i += len(group)
        x = torch.stack([tokens[s:e] for s, e, _ in group]).to(device)
        y = torch.stack([tokens[s + 1 : e + 1] for s, e, _ in group]).to(device)
        logits = model(x).float()
        nll = F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="none").view(
            len(group), -1
        )
        for r, (_, _, new) in enumerate(group):
            nats += float(nll[r, length - new :].sum())
            scored += new
    return nats, scored


def file_bpb(
    model: nn.Module,
    path: str | Path,
    context: int,
    stride: int | None = None,
    max_bytes: int | None = None,
    batch_size: int = 8,
    device: torch.device | str = "cpu",
) -> BpbResult:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise AetherError(f"{path}: cannot read ({e.strerror or e})") from None
    if max_bytes is not None:
        data = data[:max_bytes]
    if len(data) < 2:
        raise AetherError(f"{path}: needs at least 2 bytes to score")
    nats, scored = stream_nats(model, data, context, stride, batch_size, device)
    return BpbResult(str(path), len(data), scored, nats)


def default_context(cfg: Any, meta: dict[str, Any]) -> int:
    """The context the model was trained with (from the run config saved in the checkpoint),
    else its max_seq_len capped at 1024."""
    train = meta.get("train")
    if isinstance(train, dict):
        seq = (
            train.get("train", {}).get("seq_len") if isinstance(train.get("train"), dict) else None
        )
        if isinstance(seq, int) and seq > 0:
            return min(seq, cfg.max_seq_len)
    return min(cfg.max_seq_len, 1024)


def total_bpb(results: list[BpbResult]) -> float:
    nats = sum(r.nats for r in results)
    scored = sum(r.scored for r in results)
    return nats / math.log(2) / scored if scored else float("nan")


# ---------------------------------------------------------------------------------------- CLI
def run_cli(args: Any) -> int:
    """`aether eval bpb` (flags defined in cli/eval.py)."""
    import json

    from ..checkpoint import load_checkpoint, resolve_device

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.max_bytes is not None and args.max_bytes < 2:
        raise AetherError("--max-bytes must be at least 2")
    device = resolve_device(args.device)
    model, cfg, meta = load_checkpoint(args.checkpoint, device=device)
    context = args.context or default_context(cfg, meta)
    if not 1 <= context <= cfg.max_seq_len:
        raise AetherError(f"--context must be in 1..{cfg.max_seq_len}")
    results = [
        file_bpb(model, f, context, args.stride, args.max_bytes, args.batch_size, device)
        for f in args.files
    ]
    bpb = total_bpb(results)
    if args.json:
        print(
            json.dumps(
                {
                    "bits_per_byte": bpb,
                    "context": context,
                    "stride": args.stride or max(1, context // 2),
                    "files": [r.to_dict() for r in results],
                }
            )
        )
        return 0
    for r in results:
        print(f"{r.path}: {r.scored:,} bytes scored, {r.bits_per_byte:.4f} bits/byte")
    print(f"bits_per_byte: {bpb:.4f}")
    return 0
