#!/usr/bin/env bash
# Side-by-side tinyshakespeare benchmarks, one run (issues #4, #7, #9). From the repo root:
#   bash scripts/bench_shakespeare.sh
# Trains the pairs that are compared at the same time, one core each (so both see the same
# machine): flat vs hierarchical at ~5M parameters (SMALL_HIER=1 adds the ~1M twin), and the ~1M
# flat model (the tinyshakespeare config with AdamW) vs the same with --lr-control q,
# 10 minutes each; then measures validation bpb, patch length, KV-cached generation speed (one
# at a time), and model compression of the validation split next to gzip/bzip2/xz/zstd.
# Results: runs/bench/summary.txt. SKIP_DONE=1 keeps runs that already finished.
set -euo pipefail
THREADS=1  # per training run: the two runs of a pair share the machine, a core each
DATA=${DATA:-../shared/data/tinyshakespeare.txt}
OUT=runs/bench
mkdir -p "$OUT"
train() {  # name config [extra flags]
  local name=$1 cfg=$2; shift 2
  [ -f "$OUT/$name/ckpt/last/model.safetensors" ] && [ -n "${SKIP_DONE:-}" ] && return
  rm -rf "$OUT/$name"
  # one process, one thread, AdamW: the pairs compare architectures and lr control, not optimizers
  aether train lm --config "$cfg" --data "$DATA" --threads "$THREADS" --nproc 1 \
    --set train.optimizer=adamw --run-dir "$OUT/$name" --no-progress "$@" \
    > "$OUT/$name.log" 2>&1
}
# ~5M parameters, where per-byte compute (not Python overhead) sets the speed
BIG=(--set model.dim=256 --set model.n_heads=8)
train flat_big configs/shakespeare.toml "${BIG[@]}" --set model.n_layers=6 &
train hier_big configs/shakespeare_hier.toml "${BIG[@]}" --set model.n_layers=5 \
  --set model.hier.local_dim=128 --set model.hier.decoder_layers=1 &
wait
train flat configs/shakespeare.toml &
train flat_q configs/shakespeare.toml --lr-control q &
wait
if [ -n "${SMALL_HIER:-}" ]; then  # the ~1M hierarchical twin (it does not pay at this size)
  train hier configs/shakespeare_hier.toml
fi
python - "$DATA" "$OUT/val.txt" <<'PY'
import sys
from aether_core.data.text import read_text_bytes, split_bytes
open(sys.argv[2], "wb").write(split_bytes(read_text_bytes([sys.argv[1]]), "val", 0.1))
PY
{
  echo "== training (10 min each, threads=$THREADS): final val bpb"
  for r in flat_big hier_big flat flat_q ${SMALL_HIER:+hier}; do
    python -c "
import json,sys
rows=[json.loads(l) for l in open('$OUT/$r/metrics.jsonl')]
f=[r for r in rows if r.get('final')][-1]; t=[r for r in rows if 'loss' in r]
print(f'$r: val_bpb {f[\"val_bpb\"]:.4f}  steps {f[\"step\"]}  train {t[-1][\"bytes_per_s\"]:.0f} B/s')"
  done
  echo "== patch length (hierarchical model's patcher, validation split)"
  aether patch --checkpoint "$OUT/hier_big/ckpt/last" "$OUT/val.txt" --show 0 --plain 2>&1 | grep -i "average\|patch" | head -3
  echo "== KV-cached generation (64-byte prompt, 160 new bytes, threads=$THREADS)"
  for r in flat_big hier_big flat ${SMALL_HIER:+hier}; do
    echo "-- $r"; aether bench decode --checkpoint "$OUT/$r/ckpt/last" --prompt-bytes 64 --new-bytes 160 \
      --recompute-steps 8 --threads "$THREADS" 2>&1 | grep -iE "param|cached|bytes/s" | head -4
  done
  echo "== compression of the validation split ($(stat -c %s "$OUT/val.txt") bytes)"
  n=$(stat -c %s "$OUT/val.txt")
  bpb() { python -c "print(f'{8*$1/$n:.4f}')"; }
  echo "gzip -9:   $(bpb "$(gzip -9 -c "$OUT/val.txt" | wc -c)")"
  echo "bzip2 -9:  $(bpb "$(bzip2 -9 -c "$OUT/val.txt" | wc -c)")"
  echo "xz -9e:    $(bpb "$(xz -9e -c "$OUT/val.txt" | wc -c)")"
  echo "zstd -19:  $(bpb "$(zstd -19 -c -q "$OUT/val.txt" | wc -c)")"
  aether eval bpb --checkpoint "$OUT/flat/ckpt/last" --threads "$THREADS" "$OUT/val.txt" 2>&1 | tail -1
  /usr/bin/time -f "compress wall %e s" aether compress --checkpoint "$OUT/flat/ckpt/last" --threads "$THREADS" -q \
    "$OUT/val.txt" -o "$OUT/val.aez" 2>&1 | tail -2
  echo "aether compress: $(bpb "$(stat -c %s "$OUT/val.aez")") bits/byte (whole container)"
  /usr/bin/time -f "decompress wall %e s" aether decompress --checkpoint "$OUT/flat/ckpt/last" -q \
    "$OUT/val.aez" -o "$OUT/val.out" 2>&1 | tail -2
  cmp "$OUT/val.txt" "$OUT/val.out" && echo "round trip: identical"
} 2>&1 | tee "$OUT/summary.txt"
