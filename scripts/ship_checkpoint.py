"""Copy a trained checkpoint into assets/ as float16 weights (half the bytes; every consumer
loads them into float32, and the exact coder quantizes them to int8 anyway).

    python scripts/ship_checkpoint.py RUN/ckpt/best assets/compress
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from aether_core.checkpoint import load_checkpoint, save_checkpoint


def main(src: str, dst: str) -> int:
    model, cfg, meta = load_checkpoint(src)
    out = Path(dst)
    card = out / "MODEL_CARD.md"
    keep = card.read_text() if card.exists() else None
    save_checkpoint(out, model.to(torch.float16), cfg)
    if keep is not None:
        card.write_text(keep)
    size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
    print(f"{src} -> {out}: {model.num_params():,} parameters, {size:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
