"""Checkpoints are directories: ``config.json`` + ``model.safetensors`` (+ ``vq.safetensors`` and
``vq_config.json`` for the image codec). Weights are never unpickled; every way a checkpoint can be
broken yields one line naming the file and what is wrong."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from .config import ConfigError, ModelConfig
from .errors import AetherError
from .fsutil import atomic_path, atomic_write_text

FORMAT = "aether-checkpoint"
VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


class CheckpointError(AetherError):
    """A checkpoint that is missing, truncated or does not match its config."""


def save_checkpoint(
    directory: str | os.PathLike,
    model: nn.Module,
    cfg: ModelConfig,
    extra: dict[str, Any] | None = None,
    weights_file: str = WEIGHTS_FILE,
) -> Path:
    """Write weights then config, each atomically: a reader sees the old or the new, never half."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    save_weights(
        directory / weights_file,
        {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()},
    )
    meta = {"format": FORMAT, "version": VERSION, "model": cfg.to_dict(), **(extra or {})}
    atomic_write_text(directory / CONFIG_FILE, json.dumps(meta, indent=2) + "\n")
    return directory


def read_config(directory: str | os.PathLike) -> tuple[ModelConfig, dict[str, Any]]:
    directory = Path(directory)
    if not directory.exists():
        raise CheckpointError(f"{directory}: checkpoint directory does not exist")
    if not directory.is_dir():
        raise CheckpointError(f"{directory}: a checkpoint must be a directory")
    path = directory / CONFIG_FILE
    try:
        meta = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing (not an Aether checkpoint?)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: unreadable or not JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an Aether checkpoint config (format field)")
    version = meta.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(f"{path}: version field must be an integer, not {version!r}")
    if version > VERSION:
        raise CheckpointError(f"{path}: written by a newer Aether (version {version})")
    try:
        cfg = ModelConfig.from_dict(meta.get("model", {}))
    except ConfigError as e:
        raise CheckpointError(f"{path}: {e}") from None
    return cfg, meta


def load_weights(
    model: nn.Module, path: Path, device: torch.device | str = "cpu", strict: bool = True
) -> None:
    """Load safetensors weights into ``model``, checking names and shapes first."""
    if not path.exists():
        raise CheckpointError(f"{path}: missing")
    try:
        tensors = load_file(str(path), device=str(device))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{path}: truncated or corrupt safetensors file ({e})") from None
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    if strict and (missing or unexpected):
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} tensor(s), e.g. {missing[0]}")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected, e.g. {unexpected[0]}")
        raise CheckpointError(f"{path}: does not match config.json: {'; '.join(parts)}")
    for name, t in tensors.items():
        if name in expected and expected[name].shape != t.shape:
            raise CheckpointError(
                f"{path}: tensor {name} has shape {tuple(t.shape)}, config expects "
                f"{tuple(expected[name].shape)}"
            )
    model.load_state_dict(tensors, strict=strict)


def load_checkpoint(
    directory: str | os.PathLike,
    device: torch.device | str = "cpu",
    dtype: torch.dtype | None = None,
) -> tuple[nn.Module, ModelConfig, dict[str, Any]]:
    """(model in eval mode, config, the whole config.json)."""
    from .model import build_model

    directory = Path(directory)
    cfg, meta = read_config(directory)
    # Built for real on the target device, not under ``torch.device("meta")``: that context sends
    # every init through torch._refs, whose first use imports torch._dynamo (~1.5 s of a load).
    model = build_model(cfg).to(device)
    load_weights(model, directory / WEIGHTS_FILE, device)
    if dtype is not None:
        model = model.to(dtype)
    return model.eval(), cfg, meta


def average_weights(directories: Sequence[str | os.PathLike]) -> dict[str, torch.Tensor]:
    """The elementwise mean of the weights of checkpoints that share one model config (a
    "model soup" of runs from the same start): it can keep what each run learned."""
    if not directories:
        raise CheckpointError("no checkpoints to average")
    model, first, _ = load_checkpoint(directories[0])
    state = model.state_dict()
    total = {k: v.double() for k, v in state.items()}
    for d in directories[1:]:  # one model besides the running sum in memory at a time
        other, cfg, _ = load_checkpoint(d)
        if cfg != first:
            raise CheckpointError(f"{d}: its model config differs from {directories[0]}'s")
        for k, v in other.state_dict().items():
            total[k] += v.double()
    return {k: (v / len(directories)).to(state[k].dtype).contiguous() for k, v in total.items()}


def save_weights(path: str | os.PathLike, tensors: dict[str, torch.Tensor]) -> None:
    """``tensors`` as a checkpoint's safetensors file, atomically."""
    with atomic_path(Path(path)) as tmp:
        save_file(tensors, str(tmp), metadata={"format": FORMAT})


def resolve_device(name: str = "auto") -> torch.device:
    """ "auto" picks CUDA, then Apple MPS, then CPU."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise AetherError(f"unknown device {name!r} (use auto, cpu, cuda, cuda:N or mps)") from None
    if dev.type not in ("cpu", "cuda", "mps"):
        raise AetherError(f"unsupported device {name!r} (use auto, cpu, cuda, cuda:N or mps)")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise AetherError("device cuda requested but CUDA is not available")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise AetherError("device mps requested but Apple MPS is not available")
    return dev


def default_assets_dir() -> Path | None:
    """The folder the shipped model lives in (installed package data, or ./assets/default)."""
    candidates = []
    try:
        import aether_assets  # installed with the package (assets/ mapped as package data)

        candidates.append(Path(aether_assets.__file__).parent / "default")
    except ImportError:
        pass
    candidates.append(Path(__file__).resolve().parent.parent / "assets" / "default")
    return next((c for c in candidates if c.is_dir()), None)


def default_checkpoint() -> Path | None:
    """The shipped model: ``$AETHER_CHECKPOINT``, else the default assets folder if it holds one."""
    env = os.environ.get("AETHER_CHECKPOINT")
    if env:
        return Path(env)
    d = default_assets_dir()
    if d is not None and (d / CONFIG_FILE).exists() and (d / WEIGHTS_FILE).exists():
        return d
    return None
