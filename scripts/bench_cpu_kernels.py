"""The CPU matrix-vector kernels a low-precision decode could use, timed side by side.

One decode step multiplies one row by every weight matrix once, so a step is bound by reading
the weights. Each kernel here multiplies a [1, 512] row by eight different [1536, 512] matrices
in turn (24 MB in fp32: more than the caches hold, as in a real step) and reports microseconds
per matrix, best of --repeats, one thread:

  fp32 F.linear                  the reference
  bf16 F.linear                  native only with AVX-512 BF16 / AMX
  aten._weight_int8pack_mm       torch's int8 weight-only kernel
  fbgemm int8 (dynamic)          int8 weights per channel, the row quantized per call (--dtype int8)
  fbgemm fp16 weights            fp16 weights, fp32 arithmetic (--dtype float16 on the CPU)
  torchao int8 weight-only       if torchao is installed (eager, no torch.compile)

  python scripts/bench_cpu_kernels.py [--repeats 200]
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
import torch.nn.functional as F

OUT, IN, N = 1536, 512, 8


def timed(fn, repeats: int) -> float:
    for _ in range(10):
        fn()
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(repeats // 5):
            fn()
        best = min(best, (time.perf_counter() - t) / (repeats // 5))
    return best / N * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    torch.manual_seed(0)
    ws = [torch.randn(OUT, IN) for _ in range(N)]
    x = torch.randn(1, IN)
    rows: list[tuple[str, object]] = [("fp32 F.linear", lambda: [F.linear(x, w) for w in ws])]
    xb, wb = x.bfloat16(), [w.bfloat16() for w in ws]
    rows.append(("bf16 F.linear", lambda: [F.linear(xb, w) for w in wb]))
    scales = [(w.abs().amax(1) / 127) for w in ws]
    q8 = [torch.round(w / s[:, None]).to(torch.int8) for w, s in zip(ws, scales, strict=True)]
    pairs = list(zip(q8, scales, strict=True))
    rows.append(
        (
            "aten._weight_int8pack_mm",
            lambda: [torch.ops.aten._weight_int8pack_mm(x, q, s) for q, s in pairs],
        )
    )
    from aether_core.model.quantize import PackedLinear

    for kind in ("int8", "float16"):
        layers = []
        for w in ws:
            lin = torch.nn.Linear(IN, OUT, bias=False)
            lin.weight.data.copy_(w)
            layers.append(PackedLinear(lin, kind))
        name = "fbgemm int8 (dynamic)" if kind == "int8" else "fbgemm fp16 weights"
        rows.append((name, lambda layers=layers: [m(x) for m in layers]))
    try:
        from torchao.quantization import Int8WeightOnlyConfig, quantize_

        mods = torch.nn.Sequential(*[torch.nn.Linear(IN, OUT, bias=False) for _ in ws])
        for m, w in zip(mods, ws, strict=True):
            m.weight.data.copy_(w)
        quantize_(mods, Int8WeightOnlyConfig())
        rows.append(("torchao int8 weight-only", lambda: [m(x) for m in mods]))
    except ImportError:
        print("(torchao not installed: its row is left out)")
    ref = None
    with torch.inference_mode():
        for name, fn in rows:
            us = timed(fn, args.repeats)
            ref = ref or us
            print(f"{name:28s} {us:8.1f} us per matrix   {ref / us:5.2f}x fp32")


if __name__ == "__main__":
    main()
