"""Checkpoints are directories: ``config.json`` + ``model.safetensors`` (+ ``vq.safetensors`` and
``vq_config.json`` for the image codec). Weights are never unpickled; every way a checkpoint can be
broken yields one line naming the file and what is wrong."""

from __future__ import annotations

import json
import math
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
from .fsutil import (
    NotRegularFileError,
    atomic_group,
    atomic_path,
    check_regular,
    read_regular,
    recover_group,
)

FORMAT = "aether-checkpoint"
VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
MAX_CONFIG_BYTES = 1 << 20
# No model this project runs comes near: 2e9 parameters are 8 GB in float32. Checked, with the
# machine's memory, before anything is allocated.
MAX_PARAMS = 2_000_000_000
_MAX_HEADER = 100 << 20  # a safetensors JSON header (the format's own limit is 100 MB)


class CheckpointError(AetherError):
    """A checkpoint that is missing, truncated or does not match its config."""


def save_checkpoint(
    directory: str | os.PathLike,
    model: nn.Module,
    cfg: ModelConfig,
    extra: dict[str, Any] | None = None,
    weights_file: str = WEIGHTS_FILE,
) -> Path:
    """Write weights and config as one commit (``fsutil.atomic_group``): a reader, even after a
    kill -9 mid-save, sees both old files or both new ones, never new weights with an old config."""
    directory = Path(directory)
    tensors = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    meta = {"format": FORMAT, "version": VERSION, "model": cfg.to_dict(), **(extra or {})}
    with atomic_group(directory) as stage:
        save_file(tensors, str(stage(weights_file)), metadata={"format": FORMAT})
        stage(CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return directory


def read_config(directory: str | os.PathLike) -> tuple[ModelConfig, dict[str, Any]]:
    directory = Path(directory)
    if not directory.exists():
        raise CheckpointError(f"{directory}: checkpoint directory does not exist")
    if not directory.is_dir():
        raise CheckpointError(f"{directory}: a checkpoint must be a directory")
    path = directory / CONFIG_FILE
    try:
        recover_group(directory)  # finish a save that a crash cut short after its commit point
    except OSError:
        pass  # read-only: the files as they are
    try:
        meta = json.loads(read_regular(path, MAX_CONFIG_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing (not an Aether checkpoint?)") from None
    except NotRegularFileError as e:
        raise CheckpointError(f"{e} (config.json must be a small plain file)") from None
    except RecursionError:
        raise CheckpointError(f"{path}: JSON nested too deeply") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{path}: unreadable or not JSON ({_one_line(e)})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an Aether checkpoint config (format field)")
    version = meta.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(f"{path}: version field must be an integer, not {version!r}")
    if version > VERSION:
        raise CheckpointError(f"{path}: written by a newer Aether (version {version})")
    try:
        cfg = ModelConfig.from_dict(meta.get("model", {}), "model.")
    except ConfigError as e:
        raise CheckpointError(f"{path}: {e}") from None
    check_model_size(cfg, path)
    return cfg, meta


def check_model_size(cfg: ModelConfig, path: Path) -> None:
    """Refuse, before allocating, a config whose model is past ``MAX_PARAMS`` or this machine's
    memory (``n_layers=10**6`` would otherwise allocate until the machine runs out)."""
    params, total = cfg.size_estimate(), cfg.size_estimate() + cfg.rope_numbers
    if params > MAX_PARAMS:
        raise CheckpointError(
            f"{path}: model describes ~{params:.3g} parameters, over the limit of {MAX_PARAMS:.3g}"
        )
    ram = _physical_memory()
    if ram and 4 * total > ram:
        raise CheckpointError(
            f"{path}: model needs ~{4 * total / 2**30:.1f} GiB in float32, more than this "
            f"machine's {ram / 2**30:.1f} GiB"
        )


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def weights_header(path: Path) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes from a safetensors file's header, reading nothing else."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing") from None
    except OSError as e:
        raise CheckpointError(f"{path}: unreadable ({_one_line(e)})") from None
    try:
        st = os.fstat(fd)
        check_regular(path, st, None)
        with os.fdopen(fd, "rb", closefd=False) as f:
            head = f.read(8)
            n = int.from_bytes(head, "little") if len(head) == 8 else -1
            if not 2 <= n <= min(_MAX_HEADER, st.st_size - 8):
                raise ValueError("bad header length")
            header = json.loads(f.read(n))
        if not isinstance(header, dict):
            raise ValueError("header is not an object")
        shapes = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            shape = info.get("shape") if isinstance(info, dict) else None
            if not isinstance(shape, list) or not all(isinstance(x, int) and x >= 0 for x in shape):
                raise ValueError(f"tensor {name[:60]!r} has no valid shape")
            shapes[name] = tuple(shape)
        return shapes
    except NotRegularFileError as e:
        raise CheckpointError(str(e)) from None
    except (OSError, ValueError, RecursionError) as e:
        raise CheckpointError(
            f"{path}: truncated or corrupt safetensors file ({_one_line(e)})"
        ) from None
    finally:
        os.close(fd)


def check_weights_fit(cfg: ModelConfig, path: Path) -> None:
    """Compare the weights file's header with the config before the model is built: the
    embedding's shape, the number of blocks and the parameter count must agree."""
    shapes = weights_header(path)
    embed = shapes.get("embed.weight")
    width = cfg.hier.local_dim if cfg.arch == "hierarchical" else cfg.dim
    if embed is not None and embed != (cfg.vocab_size, width):
        field = "hier.local_dim" if cfg.arch == "hierarchical" else "dim"
        raise CheckpointError(
            f"{path}: embed.weight has shape {embed}, config.json's model.vocab_size and "
            f"model.{field} give {(cfg.vocab_size, width)}"
        )
    # fewer blocks than n_layers (more are named precisely by load_weights once built)
    blocks = {k.split(".")[1] for k in shapes if k.startswith("blocks.")}
    n_blocks = 1 + max((int(b) for b in blocks if b.isdigit()), default=-1)
    if blocks and n_blocks < cfg.n_layers:
        raise CheckpointError(
            f"{path}: holds {n_blocks} blocks, config.json's model.n_layers is {cfg.n_layers}"
        )
    held = sum(math.prod(s) for s in shapes.values())
    expected = cfg.size_estimate()
    if not expected / 2 <= held <= 2 * expected:
        raise CheckpointError(
            f"{path}: holds {held} numbers, config.json's model describes ~{expected}"
        )


def load_weights(
    model: nn.Module, path: Path, device: torch.device | str = "cpu", strict: bool = True
) -> None:
    """Load safetensors weights into ``model``, checking names and shapes first."""
    if not path.exists():
        raise CheckpointError(f"{path}: missing")
    weights_header(path)  # a FIFO or a lying header is refused before safetensors maps it
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
    check_weights_fit(cfg, directory / WEIGHTS_FILE)
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


COMPRESS_ASSET = "compress"  # the shipped compression model, beside "default"


def default_assets_dir(name: str = "default") -> Path | None:
    """The folder a shipped model lives in (installed package data, or ./assets/NAME)."""
    candidates = []
    try:
        import aether_assets  # installed with the package (assets/ mapped as package data)

        candidates.append(Path(aether_assets.__file__).parent / name)
    except ImportError:
        pass
    candidates.append(Path(__file__).resolve().parent.parent / "assets" / name)
    return next((c for c in candidates if c.is_dir()), None)


def default_checkpoint(name: str = "default") -> Path | None:
    """The shipped model: ``$AETHER_CHECKPOINT``, else the default assets folder if it holds one
    (``name``: another shipped model, such as the compression model)."""
    env = os.environ.get("AETHER_CHECKPOINT") if name == "default" else None
    if env:
        return Path(env)
    d = default_assets_dir(name)
    if d is not None and (d / CONFIG_FILE).exists() and (d / WEIGHTS_FILE).exists():
        return d
    return None


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:200] or type(e).__name__
