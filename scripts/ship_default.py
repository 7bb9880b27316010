"""Copy a trained checkpoint into assets/default as the shipped model (weights + config only).

    python scripts/ship_default.py runs/default/ckpt/last
    python scripts/ship_default.py runs/default12/ckpt/last --average-with assets/default
    python scripts/ship_default.py runs/default14/ckpt/last --average-with runs/default14/ckpt/last \
        --average-with assets/default     # two parts leg 14, one part what shipped before

With ``--average-with DIR`` (repeatable) the weights shipped are the elementwise mean of all the
checkpoints' (the config is the first one's; a checkpoint named twice counts twice): the default
model is such a mean of training legs (MODEL_CARD.md).
The VQ files already in assets/default stay; the vision head is fitted again on the shipped ViT
(`aether train vision-head`); optimizer/RNG state is left behind; absolute paths
in the saved training config are made relative to the repo root, so the shipped config.json says
how it was trained without naming this machine's folders. Writes are atomic.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / "assets" / "default"


def _relative(value: object) -> object:
    if isinstance(value, str) and value.startswith("/"):
        p = Path(value)
        for base, prefix in ((ROOT, ""), (ROOT.parent, "../")):
            try:
                return prefix + str(p.relative_to(base))
            except ValueError:
                continue
        return value
    if isinstance(value, list):
        return [_relative(v) for v in value]
    if isinstance(value, dict):
        return {k: _relative(v) for k, v in value.items()}
    return value


def main(src: str, average_with: list[str] | None = None) -> int:
    from aether_core.checkpoint import average_weights, load_checkpoint, save_weights
    from aether_core.fsutil import atomic_path, atomic_write_bytes
    from aether_core.model.vision_head import ship_vision_head

    source = Path(src)
    config = _relative(json.loads((source / "config.json").read_text()))
    if average_with:
        save_weights(
            DEST / "model.safetensors", average_weights([source, *map(Path, average_with)])
        )
    else:
        with atomic_path(DEST / "model.safetensors") as tmp:
            shutil.copyfile(source / "model.safetensors", tmp)
    atomic_write_bytes(DEST / "config.json", (json.dumps(config, indent=1) + "\n").encode())
    t = time.perf_counter()
    model, cfg, _ = load_checkpoint(DEST)
    loaded = time.perf_counter() - t
    if getattr(model, "vit", None) is not None:  # the vision head reads this ViT: fitted again
        acc = ship_vision_head(model.vit, cfg.dim, DEST)
        print(
            "vision head, held-out combinations:", ", ".join(f"{k} {v:.3f}" for k, v in acc.items())
        )
    n = sum(p.numel() for p in model.parameters())
    size = sum(f.stat().st_size for f in DEST.iterdir() if f.is_file())
    print(f"shipped {source} -> {DEST}: {n:,} params, {size / 1e6:.1f} MB in assets/default, "
          f"loads in {loaded:.2f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", nargs="?", default="runs/default/ckpt/last")
    parser.add_argument(
        "--average-with", metavar="DIR", action="append", help="ship the mean of the weights"
    )
    args = parser.parse_args()
    sys.exit(main(args.checkpoint, args.average_with))
