#!/usr/bin/env bash
# The whole learning ladder (benchmarks/learning.py) on a 2-core machine, as two lanes side by
# side (one process and one torch thread each), then one merged RESULTS.json:
#   lane 0: headline rung (2-3 shapes), seed 0: pretrain -> SFT -> GRPO (+ its no-update
#           control); then the one-shape rung (the sanity rung), seed 0
#   lane 2: the same headline run for seed 2; then the textured rung (the hard rung), seed 2
# The side rungs train SIDE_SFT SFT steps and SIDE_GRPO GRPO steps (no control), after their
# own pretraining (SIDE_PRETRAIN=own, the default: about 75 min in all on an AVX2 2-core
# machine) or from their lane's headline pretraining (SIDE_PRETRAIN=shared: the stand-in plays
# one base model for every task; with SIDE_SFT=1000 SIDE_GRPO=30 this is docs/learning.md's
# run 6, 52 min, where the side rungs did not learn).
#   bash benchmarks/ladder.sh /tmp/tvg_ladder            # extra args go to every learning.py call
#   SIDE_PRETRAIN=shared SIDE_SFT=1000 SIDE_GRPO=30 bash benchmarks/ladder.sh /tmp/tvg_ladder
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/tvg_ladder}
shift || true
PY=${PY:-.venv/bin/python}
SIDE_SFT=${SIDE_SFT:-2000}
SIDE_GRPO=${SIDE_GRPO:-60}
SIDE_PRETRAIN=${SIDE_PRETRAIN:-own}
case "$SIDE_PRETRAIN" in
  own | shared) ;;
  *) echo "SIDE_PRETRAIN must be own or shared, not '$SIDE_PRETRAIN'" >&2; exit 2 ;;
esac
mkdir -p "$OUT"
t0=$(date +%s)
lane() {  # seed, side rung, extra args
  local seed=$1 side=$2
  shift 2
  "$PY" benchmarks/learning.py --out "$OUT/multi_s$seed" --rung multi --seed "$seed" "$@"
  local from=()
  [ "$SIDE_PRETRAIN" = shared ] && from=(--pretrained "$OUT/multi_s$seed/multi/seed$seed")
  "$PY" benchmarks/learning.py --out "$OUT/${side}_s$seed" --rung "$side" --seed "$seed" \
    "${from[@]}" --sft-steps "$SIDE_SFT" --grpo-steps "$SIDE_GRPO" --no-grpo-control "$@"
}
lane 0 one "$@" >"$OUT/lane0.log" 2>&1 &
p0=$!
lane 2 textured "$@" >"$OUT/lane2.log" 2>&1 &
p2=$!
rc=0
wait $p0 || rc=$?
wait $p2 || rc=$?
echo "lanes finished in $(( $(date +%s) - t0 )) s (rc $rc); logs in $OUT/lane0.log, $OUT/lane2.log"
[ "$rc" = 0 ] || exit "$rc"
"$PY" benchmarks/learning.py --out "$OUT/merged" \
  --merge "$OUT/multi_s0" "$OUT/multi_s2" "$OUT/one_s0" "$OUT/textured_s2"
echo "ladder in $(( $(date +%s) - t0 )) s: $OUT/merged/RESULTS.json"
