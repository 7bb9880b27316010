#!/usr/bin/env bash
# The CUDA path, checked and measured in a few minutes on a machine with an NVIDIA GPU:
#   1. the tests that need CUDA (tests/model/test_cuda.py: cached vs full logits, fast and
#      compiled steps, bf16),
#   2. decode speed on the GPU: the default-size model (512 wide, 8 layers) and the shipped one,
#      eager and compiled (the static-shape step replays as a CUDA graph),
#   3. training throughput in bf16 at the default size, with MFU,
#   4. cached vs full logits of the default-size model on the GPU (fp32 and bf16).
# On a machine without CUDA it stops at once with one line and exit code 1.
#
#   bash scripts/gpu_check.sh            # everything (about 3-5 minutes on an H100)
#   STEPS=50 bash scripts/gpu_check.sh   # more training steps for the throughput figure
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-python}

if ! $PY -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    echo "gpu_check: FAILED: no CUDA device here (torch.cuda.is_available() is False); run it on a machine with an NVIDIA GPU" >&2
    exit 1
fi
$PY -c "import torch; p = torch.cuda.get_device_properties(0); print(f'gpu_check: {p.name}, {p.total_memory / 2**30:.0f} GiB, torch {torch.__version__}')"

echo "== 1. CUDA tests"
$PY -m pytest -q -p no:cacheprovider tests/model/test_cuda.py

echo "== 2. decode on the GPU"
for extra in "" "--compile"; do
    $PY -m aether_core.cli bench decode --device cuda --prompt-bytes 1024 $extra
    $PY -m aether_core.cli bench decode --device cuda --checkpoint assets/default $extra
done
$PY -m aether_core.cli bench decode --device cuda --prompt-bytes 1024 --dtype bfloat16 --compile

echo "== 3. training throughput, bf16, default size"
STEPS=${STEPS:-30} $PY - <<'EOF'
import os, time
import torch
import torch.nn.functional as F
from aether_core.config import ModelConfig
from aether_core.model import build_model

# dense bf16 tensor-core peaks (FLOP/s) of the cards this is likely to meet
PEAKS = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L4": 121e12, "A10": 125e12, "4090": 165e12}
cfg = ModelConfig()
model = build_model(cfg).cuda().train()
opt = torch.optim.AdamW(model.parameters(), lr=3e-4, fused=True)
batch, seq, steps = 16, 1024, int(os.environ["STEPS"])
x = torch.randint(0, 256, (batch, seq + 1), device="cuda")
n = model.num_params(include_vision=False) - cfg.vocab_size * cfg.dim  # non-embedding
for compiled in (False, True):
    m = torch.compile(model) if compiled else model
    for i in range(steps + 5):
        if i == 5:  # after warm-up (and the compile)
            torch.cuda.synchronize()
            t = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = m(x[:, :-1])
            loss = F.cross_entropy(logits.float().view(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    torch.cuda.synchronize()
    tok_s = steps * batch * seq / (time.perf_counter() - t)
    # 6N per token for the weights, plus attention: 12 * layers * seq * dim (causal: half used)
    flops = 6 * n + 6 * cfg.n_layers * seq * cfg.dim
    name = torch.cuda.get_device_name(0)
    peak = next((v for k, v in PEAKS.items() if k in name), None)
    mfu = f"{100 * tok_s * flops / peak:.1f}%" if peak else "unknown peak for this card"
    print(f"train bf16 {'compiled' if compiled else 'eager'}: {tok_s:,.0f} tokens/s, MFU {mfu} "
          f"(batch {batch} x {seq}, {n / 1e6:.1f}M non-embedding params, loss {loss.item():.3f})")
EOF

echo "== 4. cached vs full logits on the GPU"
$PY - <<'EOF'
import torch
from aether_core.config import ModelConfig
from aether_core.model import build_model
from aether_core.sampling import DecodeSession

torch.manual_seed(0)
for dtype, tol in ((torch.float32, 1e-3), (torch.bfloat16, 0.15)):
    model = build_model(ModelConfig(max_seq_len=1024)).cuda().to(dtype).eval()
    seq = torch.randint(0, 256, (1, 600), device="cuda")
    with torch.inference_mode():
        full = model(seq)[0].float()
        for compile in (False, True):
            s = DecodeSession(model, 600, compile=compile)
            rows = [s.feed(seq[0, :500].tolist())] + [s.step(int(t)) for t in seq[0, 500:-1]]
            got = torch.stack(rows).float()
            diff = (got - full[499:-1]).abs().max().item()
            same = (got.argmax(-1) == full[499:-1].argmax(-1)).float().mean().item()
            ok = diff < tol
            print(f"{str(dtype):15s} compile={compile!s:5s} max |cached - full| {diff:.2e} "
                  f"(tolerance {tol:g}), argmax agreement {100 * same:.1f}%: {'ok' if ok else 'FAIL'}")
            assert ok, "cached decoding drifted from the full forward"
EOF
echo "gpu_check: done"
