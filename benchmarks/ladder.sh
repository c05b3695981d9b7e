#!/usr/bin/env bash
# The whole learning ladder (benchmarks/learning.py) as one command on a 2-core machine: two
# lanes side by side (one process and one torch thread each), one merged RESULTS.json. One
# pretraining of the headline task plays the base model for both headline seeds and for the
# one-shape rung (same look); the textured rung has its own.
#   lane 0: build the headline task; pretrain on it (BASE_PRETRAIN steps: the base model);
#           headline seed 0: SFT -> GRPO from the base; one-shape rung: SIDE_SFT SFT steps
#           from the base
#   lane 2: build the one-shape and textured tasks; pretrain the textured rung (SIDE_PRETRAIN
#           steps); wait for the base; headline seed 2: SFT -> GRPO from the base; textured
#           rung: SIDE_SFT SFT steps from its own pretraining
# The side rungs stop after SFT (no GRPO). With the defaults: 49 min on an AVX2-only 2-core
# machine (docs/learning.md, run 8). Intermediate runs stay under OUT (tasks/, base/, ...).
#   bash benchmarks/ladder.sh /tmp/tvg_ladder            # extra args go to every learning.py call
#   SIDE_SFT=600 bash benchmarks/ladder.sh /tmp/tvg_ladder
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/tvg_ladder}
shift || true
PY=${PY:-.venv/bin/python}
BASE_PRETRAIN=${BASE_PRETRAIN:-2000}
SIDE_PRETRAIN=${SIDE_PRETRAIN:-1500}
SIDE_SFT=${SIDE_SFT:-300}
for v in BASE_PRETRAIN SIDE_PRETRAIN SIDE_SFT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "$v must be a positive number of steps, not '${!v}'" >&2; exit 2; }
done
mkdir -p "$OUT"
t0=$(date +%s)
L() { "$PY" benchmarks/learning.py --task-root "$OUT/tasks" "$@"; }
BASE="$OUT/base/multi/seed0"
lane0() {
  L --out "$OUT/build_multi" --build-only --rung multi "$@"
  L --out "$OUT/base" --rung multi --seed 0 --pretrain-only --pretrain-steps "$BASE_PRETRAIN" "$@"
  L --out "$OUT/multi_s0" --rung multi --seed 0 --pretrained "$BASE" "$@"
  L --out "$OUT/one_s0" --rung one --seed 0 --pretrained "$BASE" --sft-steps "$SIDE_SFT" \
    --grpo-steps 0 "$@"
}
lane2() {
  L --out "$OUT/build_side" --build-only --rung one "$@"
  L --out "$OUT/build_side" --build-only --rung textured "$@"
  L --out "$OUT/textured_base" --rung textured --seed 2 --pretrain-only \
    --pretrain-steps "$SIDE_PRETRAIN" "$@"
  until [ -f "$OUT/base/RESULTS.json" ] || [ -f "$OUT/lane0.failed" ]; do sleep 5; done
  [ -f "$OUT/base/RESULTS.json" ] || { echo "lane 0 failed before the base model" >&2; exit 1; }
  L --out "$OUT/multi_s2" --rung multi --seed 2 --pretrained "$BASE" "$@"
  L --out "$OUT/textured_s2" --rung textured --seed 2 --pretrained \
    "$OUT/textured_base/textured/seed2" --sft-steps "$SIDE_SFT" --grpo-steps 0 "$@"
}
rm -rf "$OUT/base" "$OUT/lane0.failed"  # lane 2 waits for a base of this run, not an old one
(lane0 "$@" || { touch "$OUT/lane0.failed"; exit 1; }) >"$OUT/lane0.log" 2>&1 &
p0=$!
lane2 "$@" >"$OUT/lane2.log" 2>&1 &
p2=$!
rc=0
wait $p0 || rc=$?
wait $p2 || rc=$?
echo "lanes finished in $(( $(date +%s) - t0 )) s (rc $rc); logs in $OUT/lane0.log, $OUT/lane2.log"
[ "$rc" = 0 ] || exit "$rc"
"$PY" benchmarks/learning.py --out "$OUT/merged" \
  --merge "$OUT/multi_s0" "$OUT/multi_s2" "$OUT/one_s0" "$OUT/textured_s2"
echo "ladder in $(( $(date +%s) - t0 )) s: $OUT/merged/RESULTS.json"
