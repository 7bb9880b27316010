#!/usr/bin/env bash
# Gated hierarchical memory vs the plain hierarchical model, side by side (issue #27), one run.
# From the repo root:  bash scripts/bench_memory.sh
# Trains both at equal parameters (the plain model's n-gram tables take the memory's ~70.7k
# parameters: 92 more buckets x 6 sizes x 128 wide) for 10 minutes each on tinyshakespeare, at the same time,
# one core each (so both see the same machine), then reports validation bits per byte (sliding
# windows) and bits per byte of the validation split read as a long stream in back-to-back windows
# (--carry: the memory model carries its slots from window to window; the plain one starts cold).
# Results: runs/bench_memory/summary.txt.
set -euo pipefail
DATA=${DATA:-../shared/data/tinyshakespeare.txt}
MINUTES=${MINUTES:-10}
OUT=runs/bench_memory
mkdir -p "$OUT"
SHAPE=(--set model.dim=256 --set model.n_heads=8 --set model.n_layers=5
       --set model.hier.local_dim=128 --set model.hier.decoder_layers=1)
train() {  # name [extra flags]
  local name=$1; shift
  rm -rf "${OUT:?}/$name"
  nice -n "${NICE:-0}" python -m aether_core.cli train lm --config configs/shakespeare_hier.toml --data "$DATA" \
    --threads 1 --nproc 1 --set train.optimizer=adamw --set train.max_minutes="$MINUTES" \
    --run-dir "$OUT/$name" --no-progress "${SHAPE[@]}" "$@" > "$OUT/$name.log" 2>&1
}
train hier --set model.hier.ngram_table=348 &
train hier_memory --set model.hier.memory_slots=16 --set model.hier.memory_segment=16 &
wait
python - "$DATA" "$OUT/val.txt" <<'PY'
import sys
from aether_core.data.text import read_text_bytes, split_bytes
open(sys.argv[2], "wb").write(split_bytes(read_text_bytes([sys.argv[1]]), "val", 0.1))
PY
{
  echo "== ${MINUTES} min each, 1 thread each, trained side by side"
  for r in hier hier_memory; do
    python - "$OUT/$r" <<'PY'
import json, sys
from aether_core.checkpoint import load_checkpoint
run = sys.argv[1]
rows = [json.loads(l) for l in open(f"{run}/metrics.jsonl")]
final = [r for r in rows if r.get("final")][-1]
model, cfg, _ = load_checkpoint(f"{run}/ckpt/last")
print(f"{run.split('/')[-1]}: {model.num_params():,} params  steps {final['step']}  "
      f"val_bpb {final['val_bpb']:.4f}")
PY
  done
  for r in hier hier_memory; do
    echo "-- $r: validation split, sliding windows of 256 (stride 128)"
    python -m aether_core.cli eval bpb --checkpoint "$OUT/$r/ckpt/last" --threads 1 \
      --context 256 "$OUT/val.txt" | tail -1
    echo "-- $r: validation split as one long stream, back-to-back windows of 256 (--carry)"
    python -m aether_core.cli eval bpb --checkpoint "$OUT/$r/ckpt/last" --threads 1 \
      --context 256 --carry "$OUT/val.txt" | tail -1
  done
} 2>&1 | tee "$OUT/summary.txt"
