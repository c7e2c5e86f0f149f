#!/usr/bin/env bash
# Leave-one-actor-out probe of the bundled default's design (data.val_actor): the current default's design
# (configs/default_hdm05.toml, skeletal_gnn_plus) against skeletal_gnn_wide in the same data setting
# (configs/default_hdm05_wide.toml), each trained on two of the three training actors and validated on every
# clip of the third, for each of the three folds. Short recipe (a probe, not a converged result): noisy 2D,
# box-normalised, no extra views, 20 epochs at lr 1e-3 x 0.88 per epoch (0.08x at the end), seed 0.
# The test actors are never read. Two lanes side by side (one CPU thread each), about 50 minutes on 2 cores.
#   bash bench/loao_probe.sh              # trains into bench/loao/<design>_<actor>/ (resumes a cut-off run)
#   python bench/loao_summary.py bench/loao
set -euo pipefail
SKELGNN=${SKELGNN:-skelgnn}
OUT=${OUT:-bench/loao}
COMMON=(--set data.extra_views=0 --set train.epochs=20 --set train.lr_decay=0.88 --quiet)
run() {  # design actor
  local cfg=configs/default_hdm05.toml
  [ "$1" = wide ] && cfg=configs/default_hdm05_wide.toml
  if [ -f "$OUT/$1_$2/log.jsonl" ] && [ "$(wc -l < "$OUT/$1_$2/log.jsonl")" -ge 20 ]; then return; fi
  OMP_NUM_THREADS=1 "$SKELGNN" train "$cfg" --out "$OUT/$1_$2" --set data.val_actor="'$2'" "${COMMON[@]}"
}
mkdir -p "$OUT"
( run wide dg; run wide bk; run plus bd ) > "$OUT/lane1.log" 2>&1 &
a=$!
( run wide bd; run plus dg; run plus bk ) > "$OUT/lane2.log" 2>&1 &
b=$!
wait $a; wait $b
echo "loao_probe.sh: done"
