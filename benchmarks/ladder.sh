#!/usr/bin/env bash
# The whole learning ladder (benchmarks/learning.py) as one command on a 2-core machine: two
# lanes side by side (one process, one torch thread and, where `taskset` exists, one core
# each), one merged RESULTS.json. One pretraining of the headline task plays the base model
# for both headline seeds and for the one-shape rung (same look); the textured rung has its own.
#   lane 0: build the headline task; pretrain on it (BASE_PRETRAIN steps: the base model);
#           headline seed 0: SFT -> GRPO from the base; textured rung: SIDE_SFT_TEXTURED SFT
#           steps from its own pretraining (made in lane 2)
#   lane 2: build the one-shape and textured tasks; pretrain the textured rung (SIDE_PRETRAIN
#           steps); wait for the base's weights; headline seed 2: SFT -> GRPO from the base;
#           one-shape rung: SIDE_SFT SFT steps from the base
# The side rungs stop after SFT (no GRPO). docs/learning.md gives its time on an AVX2-only
# 2-core machine (run 9). Intermediate runs stay under OUT (tasks/, base/, ...).
#   bash benchmarks/ladder.sh /tmp/tvg_ladder            # extra args go to every learning.py call
#   SIDE_SFT=600 bash benchmarks/ladder.sh /tmp/tvg_ladder
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/tvg_ladder}
shift || true
PY=${PY:-.venv/bin/python}
BASE_PRETRAIN=${BASE_PRETRAIN:-2000}
SIDE_PRETRAIN=${SIDE_PRETRAIN:-1500}
SIDE_SFT=${SIDE_SFT:-450}
SIDE_SFT_TEXTURED=${SIDE_SFT_TEXTURED:-300}
for v in BASE_PRETRAIN SIDE_PRETRAIN SIDE_SFT SIDE_SFT_TEXTURED; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "$v must be a positive number of steps, not '${!v}'" >&2; exit 2; }
done
mkdir -p "$OUT"
t0=$(date +%s)
L() { "$PY" -m benchmarks.learning --task-root "$OUT/tasks" "$@"; }
# one core per lane where taskset exists: about 5% faster than letting the two processes roam
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin() { taskset -c "$1" "${@:2}"; }
else pin() { "${@:2}"; }; fi
BASE="$OUT/base/multi/seed0"
TEXTURED_BASE="$OUT/textured_base/textured/seed2"
wait_for() {  # wait_for FILE FAILED-MARKER WHAT: until FILE exists, or fail if the marker does
  until [ -f "$1" ] || [ -f "$2" ]; do sleep 5; done
  [ -f "$1" ] || { echo "the other lane failed before $3" >&2; exit 1; }
}
lane0() {
  L --out "$OUT/build_multi" --build-only --rung multi "$@"
  L --out "$OUT/base" --rung multi --seed 0 --pretrain-only --pretrain-steps "$BASE_PRETRAIN" "$@"
  L --out "$OUT/multi_s0" --rung multi --seed 0 --pretrained "$BASE" "$@"
  wait_for "$OUT/textured_base/RESULTS.json" "$OUT/lane2.failed" "the textured pretraining"
  L --out "$OUT/textured_s2" --rung textured --seed 2 --pretrained "$TEXTURED_BASE" \
    --sft-steps "$SIDE_SFT_TEXTURED" --grpo-steps 0 "$@"
}
lane2() {
  L --out "$OUT/build_side" --build-only --rung one "$@"
  L --out "$OUT/build_side" --build-only --rung textured "$@"
  L --out "$OUT/textured_base" --rung textured --seed 2 --pretrain-only \
    --pretrain-steps "$SIDE_PRETRAIN" "$@"
  # the base's weights, not its scores: learning.py writes trained.json once they are saved
  wait_for "$BASE/trained.json" "$OUT/lane0.failed" "the base model"
  L --out "$OUT/multi_s2" --rung multi --seed 2 --pretrained "$BASE" "$@"
  L --out "$OUT/one_s0" --rung one --seed 0 --pretrained "$BASE" --sft-steps "$SIDE_SFT" \
    --grpo-steps 0 "$@"
}
# each lane waits for files of this run, not an old one's
rm -rf "$OUT/base" "$OUT/textured_base" "$OUT/lane0.failed" "$OUT/lane2.failed"
export -f L wait_for lane0 lane2
export OUT PY BASE TEXTURED_BASE BASE_PRETRAIN SIDE_PRETRAIN SIDE_SFT SIDE_SFT_TEXTURED
(pin 0 bash -euo pipefail -c 'lane0 "$@"' lane0 "$@" || { touch "$OUT/lane0.failed"; exit 1; }) \
  >"$OUT/lane0.log" 2>&1 &
p0=$!
(pin 1 bash -euo pipefail -c 'lane2 "$@"' lane2 "$@" || { touch "$OUT/lane2.failed"; exit 1; }) \
  >"$OUT/lane2.log" 2>&1 &
p2=$!
rc=0
wait $p0 || rc=$?
wait $p2 || rc=$?
echo "lanes finished in $(( $(date +%s) - t0 )) s (rc $rc); logs in $OUT/lane0.log, $OUT/lane2.log"
[ "$rc" = 0 ] || exit "$rc"
"$PY" -m benchmarks.learning --out "$OUT/merged" \
  --merge "$OUT/multi_s0" "$OUT/multi_s2" "$OUT/one_s0" "$OUT/textured_s2"
echo "ladder in $(( $(date +%s) - t0 )) s: $OUT/merged/RESULTS.json"
