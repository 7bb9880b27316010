"""Run under torchrun by test_ddp: a few steps of tiny lm training, then each rank writes a hash of
its first batch and of its final weights to OUT/rank<R>.json."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import torch

from aether_core.train.loop import Hooks, train
from tests.train.helpers import tiny_run

out = Path(sys.argv[1])
rank = int(os.environ["RANK"])
record: dict[str, str] = {}


def digest(t: torch.Tensor) -> str:
    return hashlib.sha256(t.detach().contiguous().cpu().numpy().tobytes()).hexdigest()


def on_batches(step: int, batches: list) -> None:
    if step == 0:
        record["first_batch"] = digest(batches[0].x)


def on_end(model: torch.nn.Module) -> None:
    h = hashlib.sha256()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().contiguous().cpu().numpy().tobytes())
    record["weights"] = h.hexdigest()


optimizer = sys.argv[3] if len(sys.argv) > 3 else "adamw"
cfg = tiny_run(out, Path(sys.argv[2]), max_steps=4, eval_every=2, ckpt_every=2, optimizer=optimizer)
result = train(cfg, hooks=Hooks(on_batches=on_batches, on_end=on_end))
record["val_bpb"] = result.final_eval["val_bpb"]
(out / f"rank{rank}.json").write_text(json.dumps(record))
