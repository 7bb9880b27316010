"""Everything needed to resume a run exactly, written without pickle, and atomic checkpoint folders.

A checkpoint folder (``ckpt/last``) is first written completely under a temporary name, then
swapped in: the old folder is renamed aside, the new one renamed into place, the old one deleted.
A crash at any point leaves either the old or the new folder loadable (``recover_dir`` finishes
an interrupted swap).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from ..checkpoint import CheckpointError
from ..fsutil import fsync_dir

TRAINER_STATE_FILE = "trainer_state.json"
RNG_FILE = "rng.safetensors"


@dataclass
class TrainerState:
    """Loop counters saved with ``last/``; ``step`` is the number of optimizer steps done."""

    step: int = 0
    tokens: int = 0  # target bytes trained on (all ranks)
    elapsed_s: float = 0.0  # wall-clock training time, summed over resumed segments
    best_val: float | None = None  # best validation score (bits per byte, or loss for vq)
    best_step: int | None = None
    world_size: int = 1
    last_eval: dict[str, Any] = field(default_factory=dict)
    rng: dict[str, Any] = field(default_factory=dict)  # python + numpy RNG state as JSON
    lr_control: dict[str, Any] = field(default_factory=dict)  # QLRController.state_dict(), if any

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1) + "\n"

    @classmethod
    def from_file(cls, path: Path) -> TrainerState:
        try:
            d = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise CheckpointError(f"{path}: missing or unreadable trainer state ({e})") from None
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


# ---------------------------------------------------------------------------------------- RNG
def capture_rng() -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(JSON part: python + numpy, tensor part: torch CPU and CUDA generator states)."""
    version, state, gauss = random.getstate()
    np_state = np.random.get_state(legacy=False)
    np_json = {
        "bit_generator": np_state["bit_generator"],
        "state": {"key": np_state["state"]["key"].tolist(), "pos": int(np_state["state"]["pos"])},
        "has_gauss": int(np_state["has_gauss"]),
        "gauss": float(np_state["gauss"]),
    }
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda.{i}"] = s
    return {"python": [version, list(state), gauss], "numpy": np_json}, tensors


def restore_rng(js: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
    if "python" in js:
        version, state, gauss = js["python"]
        random.setstate((version, tuple(state), gauss))
    if "numpy" in js:
        n = js["numpy"]
        np.random.set_state(
            {
                "bit_generator": n["bit_generator"],
                "state": {
                    "key": np.asarray(n["state"]["key"], dtype=np.uint32),
                    "pos": n["state"]["pos"],
                },
                "has_gauss": n["has_gauss"],
                "gauss": n["gauss"],
            }
        )
    if "torch" in tensors:
        torch.set_rng_state(tensors["torch"])
    cuda = [tensors[k] for k in sorted(tensors) if k.startswith("cuda.")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda[: torch.cuda.device_count()])


def save_rng(directory: Path) -> dict[str, Any]:
    """Write the torch generator states to ``rng.safetensors``; return the JSON part."""
    js, tensors = capture_rng()
    save_file(tensors, str(directory / RNG_FILE))
    return js


def load_rng(directory: Path, js: dict[str, Any]) -> None:
    path = directory / RNG_FILE
    tensors = load_file(str(path)) if path.exists() else {}
    restore_rng(js, tensors)


# ------------------------------------------------------------------------------ atomic folders
def _fsync_tree(root: Path) -> None:
    for p in sorted(root.rglob("*")):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    fsync_dir(root)


def _aside(final: Path) -> Path:
    return final.parent / f".{final.name}.old"


def recover_dir(final: Path) -> None:
    """Finish a swap a crash interrupted: if only the renamed-aside old folder exists, restore it."""
    old = _aside(final)
    if not final.exists() and old.is_dir():
        os.replace(old, final)
    elif final.exists() and old.exists():
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Yield an empty temp folder beside ``final``; on success it replaces ``final`` whole."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    recover_dir(final)
    tmp = final.parent / f".{final.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        _fsync_tree(tmp)
        old = _aside(final)
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
        os.replace(tmp, final)
        fsync_dir(final.parent)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
