#!/usr/bin/env bash
# Leave-one-actor-out probe of data.bone_jitter for the bundled default: the default's config
# (configs/default_hdm05.toml: skeletal_gnn_plus, noisy, bbox, 4 extra views) as it is ("views") against the
# same with each extra view given other body proportions ("bones": data.bone_jitter = JITTER, default 0.15),
# each trained on two of the three training actors and validated on every clip of the third (data.val_actor),
# whose body the model has not seen: the question is whether the jitter helps with people built differently.
# Short recipe (a probe, not a converged result): 20 epochs at lr 1e-3 x 0.88 per epoch, seed 0. The test
# actors are never read. Two lanes side by side (one CPU thread each), about 1.5 hours on 2 idle cores for
# the three folds (FOLDS="dg" for one fold).
#   bash bench/bones_probe.sh              # trains into bench/bones/<arm>_<actor>/ (resumes a cut-off run)
#   python bench/loao_summary.py bench/bones
set -euo pipefail
SKELGNN=${SKELGNN:-skelgnn}
OUT=${OUT:-bench/bones}
JITTER=${JITTER:-0.15}
FOLDS=${FOLDS:-"dg bk bd"}
COMMON=(--set train.epochs=20 --set train.lr_decay=0.88 --quiet)
run() {  # arm actor
  local extra=()
  [ "$1" = bones ] && extra=(--set "data.bone_jitter=$JITTER")
  if [ -f "$OUT/$1_$2/log.jsonl" ] && [ "$(wc -l < "$OUT/$1_$2/log.jsonl")" -ge 20 ]; then return; fi
  OMP_NUM_THREADS=1 "$SKELGNN" train configs/default_hdm05.toml --out "$OUT/$1_$2" \
    --set data.val_actor="'$2'" "${COMMON[@]}" "${extra[@]}"
}
mkdir -p "$OUT"
( for a in $FOLDS; do run views "$a"; done ) > "$OUT/lane1.log" 2>&1 &
a=$!
( for a in $FOLDS; do run bones "$a"; done ) > "$OUT/lane2.log" 2>&1 &
b=$!
wait $a; wait $b
echo "bones_probe.sh: done"
