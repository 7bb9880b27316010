"""AdamW with the usual split (no weight decay on norms, biases and embeddings; see
``param_groups``) or Muon, and an optimizer state format without pickle: tensors go to
``optimizer.safetensors``, scalars to JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ..checkpoint import CheckpointError
from .muon import MuonAdamW, muon_groups
from .param_groups import param_groups

STATE_FILE = "optimizer.safetensors"
META_FILE = "optimizer.json"


def build_optimizer(
    model: nn.Module,
    lr: float,
    weight_decay: float,
    betas: tuple[float, float],
    device: torch.device,
    kind: str = "adamw",
    muon_lr_ratio: float = 8.0,
) -> torch.optim.Optimizer:
    """AdamW (fused on CUDA where available), or Muon for hidden matrices + AdamW for the rest."""
    if kind == "muon":
        return MuonAdamW(muon_groups(model, weight_decay, muon_lr_ratio), lr=lr, betas=betas)
    kwargs: dict[str, Any] = {}
    if device.type == "cuda":
        kwargs["fused"] = True
    return torch.optim.AdamW(param_groups(model, weight_decay), lr=lr, betas=betas, **kwargs)


def save_optimizer(optimizer: torch.optim.Optimizer, directory: Path) -> None:
    """Flatten ``optimizer.state_dict()``: every tensor to ``state.<param>.<name>`` in safetensors,
    everything else (param groups, non-tensor state) to JSON."""
    sd = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, st in sd["state"].items():
        for name, value in st.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{idx}.{name}"] = value.detach().contiguous().cpu()
            else:
                scalars.setdefault(str(idx), {})[name] = value
    save_file(tensors, str(directory / STATE_FILE), metadata={"format": "aether-optimizer"})
    meta = {"param_groups": sd["param_groups"], "scalar_state": scalars}
    (directory / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", "utf-8")


def load_optimizer(optimizer: torch.optim.Optimizer, directory: Path) -> None:
    """Inverse of ``save_optimizer``; checks the saved layout matches this optimizer's groups."""
    try:
        meta = json.loads((directory / META_FILE).read_text("utf-8"))
        tensors = load_file(str(directory / STATE_FILE))
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{directory}: optimizer state missing or unreadable ({e})") from None
    groups = meta["param_groups"]
    current = optimizer.state_dict()["param_groups"]
    if [len(g["params"]) for g in groups] != [len(g["params"]) for g in current]:
        raise CheckpointError(f"{directory}: optimizer state does not match the model's parameters")
    for g in groups:
        if "betas" in g:
            g["betas"] = tuple(g["betas"])
    state: dict[int, dict[str, Any]] = {}
    for key, t in tensors.items():
        _, idx, name = key.split(".", 2)
        state.setdefault(int(idx), {})[name] = t
    for idx, st in meta.get("scalar_state", {}).items():
        state.setdefault(int(idx), {}).update(st)
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """The schedule's lr on every group, times the group's ``lr_ratio`` (Muon groups)."""
    for g in optimizer.param_groups:
        g["lr"] = lr * g.get("lr_ratio", 1.0)
