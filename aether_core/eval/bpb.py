"""Bits per byte of a checkpoint on files: each file is a plain byte stream, scored with sliding
windows so every byte (after the first) is predicted with as much context as the model allows.

Windows are ``context`` bytes long and advance by ``stride``; only the positions a window adds
beyond the previous one are scored, so each byte counts once and, except in the first window,
sees at least ``context - stride`` bytes of history.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import AetherError
from .metrics import REPORT_COLUMNS, REPORT_LEGEND, ByteMetrics


@dataclass
class BpbResult:
    path: str
    bytes: int  # bytes in the (capped) file
    metrics: ByteMetrics  # over the bytes scored (all but the first)

    @property
    def bits_per_byte(self) -> float:
        return self.metrics.bits_per_byte

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "file_bytes": self.bytes, **self.metrics.report()}


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
def stream_metrics(
    model: nn.Module,
    data: bytes,
    context: int,
    stride: int | None = None,
    batch_size: int = 8,
    device: torch.device | str = "cpu",
) -> ByteMetrics:
    """The metrics of every byte of ``data`` after the first, under ``model``."""
    stride = stride or max(1, context // 2)
    if not 0 < stride <= context:
        raise AetherError(f"stride must be in 1..context ({context}), got {stride}")
    tokens = torch.tensor(list(data), dtype=torch.long)
    spans = windows(len(tokens), context, stride)
    metrics = ByteMetrics()
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
        scored = torch.zeros_like(y, dtype=torch.bool)
        for r, (_, _, new) in enumerate(group):
            scored[r, length - new :] = True
        metrics.update(model(x), y, scored)
    return metrics


@torch.no_grad()
def carried_metrics(
    model: nn.Module, data: bytes, window: int, device: torch.device | str = "cpu"
) -> ByteMetrics:
    """``data`` read as a long stream in back-to-back windows of ``window`` bytes: no window
    sees the bytes of the one before, except through a gated memory the model carries across
    (``forward_carry``); a model without one starts each window cold."""
    carry = getattr(model, "forward_carry", None) if getattr(model, "memory", None) else None
    tokens = torch.tensor(list(data), dtype=torch.long, device=device)
    metrics, memory = ByteMetrics(), None
    for start in range(0, len(tokens) - 1, window):
        x = tokens[start : start + window + 1]
        if len(x) < 2:
            break
        if carry is not None:
            logits, memory = carry(x[None, :-1], memory)
        else:
            logits = model(x[None, :-1])
        metrics.update(logits, x[None, 1:])
    return metrics


def file_bpb(
    model: nn.Module,
    path: str | Path,
    context: int,
    stride: int | None = None,
    max_bytes: int | None = None,
    batch_size: int = 8,
    device: torch.device | str = "cpu",
    carry: bool = False,
) -> BpbResult:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise AetherError(f"{path}: cannot read ({e.strerror or e})") from None
    if max_bytes is not None:
        data = data[:max_bytes]
    if len(data) < 2:
        raise AetherError(f"{path}: needs at least 2 bytes to score")
    if carry:
        return BpbResult(str(path), len(data), carried_metrics(model, data, context, device))
    return BpbResult(
        str(path), len(data), stream_metrics(model, data, context, stride, batch_size, device)
    )


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


def overall(results: list[BpbResult]) -> ByteMetrics:
    total = ByteMetrics()
    for r in results:
        total = total.merge(r.metrics)
    return total


# ---------------------------------------------------------------------------------------- CLI
def run_cli(args: Any) -> int:
    """`aether eval bpb` (flags defined in cli/eval.py)."""
    import json

    from ..checkpoint import load_checkpoint, resolve_device
    from ..model.quantize import apply_dtype

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.max_bytes is not None and args.max_bytes < 2:
        raise AetherError("--max-bytes must be at least 2")
    device = resolve_device(args.device)
    model, cfg, meta = load_checkpoint(args.checkpoint, device=device)
    model = apply_dtype(model, args.dtype or meta.get("decode_dtype"))
    context = args.context or default_context(cfg, meta)
    if not 1 <= context <= cfg.max_seq_len:
        raise AetherError(f"--context must be in 1..{cfg.max_seq_len}")
    results = [
        file_bpb(
            model, f, context, args.stride, args.max_bytes, args.batch_size, device, args.carry
        )
        for f in args.files
    ]
    total = overall(results)
    if args.json:
        print(
            json.dumps(
                {
                    **total.report(),
                    "context": context,
                    "stride": context if args.carry else args.stride or max(1, context // 2),
                    "carry": args.carry,
                    "files": [r.to_dict() for r in results],
                }
            )
        )
        return 0
    _print_table(results, total)
    print(f"bits_per_byte: {total.bits_per_byte:.4f}")
    return 0


def _print_table(results: list[BpbResult], total: ByteMetrics) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(caption=REPORT_LEGEND)
    table.add_column("file", overflow="fold")
    for _, heading, _ in REPORT_COLUMNS:
        table.add_column(heading, justify="right", no_wrap=True, min_width=len(heading))

    def cells(m: ByteMetrics) -> list[str]:
        rep = m.report()
        return [fmt.format(rep[key]) for key, _, fmt in REPORT_COLUMNS]

    for r in results:
        table.add_row(r.path, *cells(r.metrics))
    if len(results) > 1:
        table.add_section()
        table.add_row("overall", *cells(total), style="bold")
    Console(highlight=False).print(table)
