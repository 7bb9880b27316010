"""Bits per byte of one file under several `aether compress` settings, side by side (what the
README's chunk, window and coder figures come from).

    python scripts/compress_settings.py FILE THREADS MAX_BYTES "Settings(coder='float')" ...
"""

from __future__ import annotations

import subprocess
import sys
import time

import torch

from aether_core.checkpoint import COMPRESS_ASSET, default_checkpoint, load_checkpoint
from aether_core.compress import Settings, compress


def parse(spec: str) -> Settings:
    """'Settings(chunk=4096,coder="exact")' or 'chunk=4096,coder=exact' -> Settings."""
    body = spec.removeprefix("Settings(").removesuffix(")")
    kw = {}
    for part in filter(None, body.split(",")):
        key, value = (s.strip().strip("'\"") for s in part.split("=", 1))
        kw[key] = (value == "True") if key == "adapt" else value if key == "coder" else int(value)
    return Settings(**kw)


def main(path: str, threads: str, max_bytes: str, *specs: str) -> int:
    torch.set_num_threads(int(threads))
    model, _, _ = load_checkpoint(default_checkpoint(COMPRESS_ASSET))
    with open(path, "rb") as f:
        data = f.read(int(max_bytes))
    xz = subprocess.run(["xz", "-9e", "-c"], input=data, capture_output=True, check=True).stdout
    print(f"{len(data)} bytes, xz -9e {8 * len(xz) / len(data):.3f} bits/byte")
    for spec in specs:
        t = time.perf_counter()
        blob = compress(model, data, parse(spec))
        dt = time.perf_counter() - t
        print(f"{spec}: {8 * len(blob) / len(data):.3f} bits/byte, {len(data) / dt / 1e3:.1f} KB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
