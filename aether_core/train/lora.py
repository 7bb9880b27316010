"""LoRA fine-tuning through peft (the optional ``lora`` extra, imported only when used).

An adapter folder holds ``adapter.safetensors`` (the LoRA A/B matrices, peft's names without the
adapter label) and ``adapter_config.json`` (the LoraConfig + which base checkpoint it belongs to).
``merge_lora`` folds an adapter into its base and writes a plain checkpoint that
``load_checkpoint`` reads like any other.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ..checkpoint import CheckpointError, load_checkpoint, read_config, save_checkpoint
from ..errors import AetherError
from ..fsutil import atomic_path, atomic_write_text
from .config import LoraSection
from .lm import LMStage

ADAPTER_FILE = "adapter.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
FORMAT = "aether-lora"


def _peft() -> Any:
    try:
        import peft
    except ImportError:
        raise AetherError(
            "LoRA needs the optional 'peft' package: pip install 'aether[lora]'"
        ) from None
    return peft


def lora_config(section: LoraSection) -> Any:
    peft = _peft()
    return peft.LoraConfig(
        r=section.rank,
        lora_alpha=section.alpha,
        lora_dropout=section.dropout,
        target_modules=list(section.target_modules),
        bias="none",
    )


def wrap_lora(model: nn.Module, section: LoraSection) -> nn.Module:
    """A peft model around ``model``: base weights frozen, LoRA matrices trainable."""
    peft = _peft()
    try:
        return peft.get_peft_model(model, lora_config(section))
    except ValueError as e:  # e.g. no module matched target_modules
        raise AetherError(f"cannot apply LoRA: {e}") from None


def adapter_state(model: nn.Module) -> dict[str, torch.Tensor]:
    peft = _peft()
    sd = peft.get_peft_model_state_dict(model)
    return {k: v.detach().contiguous().cpu() for k, v in sd.items()}


def save_adapter(
    model: nn.Module,
    directory: str | Path,
    section: LoraSection,
    base: str | Path,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write the adapter (safetensors + JSON config) into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_path(directory / ADAPTER_FILE) as tmp:
        save_file(adapter_state(model), str(tmp), metadata={"format": FORMAT})
    meta = {
        "format": FORMAT,
        "base_checkpoint": str(Path(base).resolve()),
        "lora": {
            "rank": section.rank,
            "alpha": section.alpha,
            "dropout": section.dropout,
            "target_modules": list(section.target_modules),
        },
        **(extra or {}),
    }
    atomic_write_text(directory / ADAPTER_CONFIG, json.dumps(meta, indent=2) + "\n")
    return directory


def read_adapter_config(directory: str | Path) -> tuple[LoraSection, dict[str, Any]]:
    path = Path(directory) / ADAPTER_CONFIG
    try:
        meta = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing (not a LoRA adapter folder?)") from None
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{path}: unreadable ({e})") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an Aether LoRA adapter config")
    lo = meta.get("lora", {})
    section = LoraSection(
        rank=lo.get("rank", 8),
        alpha=lo.get("alpha", 16.0),
        dropout=lo.get("dropout", 0.0),
        target_modules=lo.get("target_modules", ["qkv", "proj", "w13", "w2"]),
    )
    return section, meta


def load_adapter_weights(model: nn.Module, directory: str | Path) -> None:
    peft = _peft()
    path = Path(directory) / ADAPTER_FILE
    try:
        state = load_file(str(path))
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{path}: missing or unreadable adapter weights ({e})") from None
    result = peft.set_peft_model_state_dict(model, state)
    unexpected = getattr(result, "unexpected_keys", [])
    if unexpected:
        raise CheckpointError(f"{path}: adapter does not fit the base model (e.g. {unexpected[0]})")


def load_lora(
    base_dir: str | Path, adapter_dir: str | Path, device: torch.device | str = "cpu"
) -> tuple[nn.Module, Any, dict[str, Any]]:
    """(peft model in eval mode, base ModelConfig, base config.json) with the adapter loaded."""
    base, cfg, meta = load_checkpoint(base_dir, device=device)
    section, _ = read_adapter_config(adapter_dir)
    model = wrap_lora(base, section)
    load_adapter_weights(model, adapter_dir)
    return model.eval(), cfg, meta


def merge_lora(base_dir: str | Path, adapter_dir: str | Path, out_dir: str | Path) -> Path:
    """Fold the adapter into the base weights; the result is a plain checkpoint."""
    model, cfg, meta = load_lora(base_dir, adapter_dir)
    merged = model.merge_and_unload()
    extra = {k: v for k, v in meta.items() if k not in ("format", "version", "model")}
    extra["lora_merged"] = {
        "base": str(Path(base_dir).resolve()),
        "adapter": str(Path(adapter_dir).resolve()),
    }
    out = save_checkpoint(out_dir, merged, cfg, extra=extra)
    for name in ("vq.safetensors", "vq_config.json"):  # keep the codec with the model
        if (Path(base_dir) / name).exists():
            shutil.copyfile(Path(base_dir) / name, out / name)
    return out


class LoraStage(LMStage):
    """LM training where only a LoRA adapter on a frozen base checkpoint learns."""

    name = "lora"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.cfg.lora.base:
            raise AetherError("lora training needs a base checkpoint: --base DIR")
        _peft()

    def build_model(self) -> nn.Module:
        base, _, _ = load_checkpoint(self.cfg.lora.base, device=self.device)
        return wrap_lora(base.train(), self.cfg.lora).train()

    def save(self, model: nn.Module, directory: Path, extra: dict[str, Any]) -> None:
        from .lm import unwrap

        save_adapter(unwrap(model), directory, self.cfg.lora, self.cfg.lora.base, extra=extra)

    def load(self, model: nn.Module, directory: Path) -> None:
        from .lm import unwrap

        load_adapter_weights(unwrap(model), directory)

    def finish(self, run_dir: Path) -> None:
        if not self.cfg.lora.merge:
            return
        ckpt = run_dir / "ckpt"
        adapter = ckpt / "best" if (ckpt / "best" / ADAPTER_FILE).exists() else ckpt / "last"
        merge_lora(self.cfg.lora.base, adapter, run_dir / "merged")


def base_model_config(base_dir: str | Path) -> Any:
    """The ModelConfig of a LoRA run is the base checkpoint's."""
    cfg, _ = read_config(base_dir)
    return cfg
