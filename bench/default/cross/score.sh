#!/usr/bin/env bash
# Every measurement bench/default/cross/choose.py needs for one candidate (about 10 CPU-minutes).
#   bash bench/default/cross/score.sh NAME CKPT     e.g. bash bench/default/cross/score.sh B runs/cand_bone/best.pt
set -euo pipefail
NAME=$1
CKPT=$2
SKELGNN=${SKELGNN:-skelgnn}
OUT=bench/default/cross
for input in gt noisy; do
  "$SKELGNN" evaluate "$CKPT" --data "${CROSS:-data/bandai2}" --input "$input" --json "$OUT/${NAME}_cross_$input.json" \
    > "$OUT/${NAME}_cross_$input.txt"
  "$SKELGNN" evaluate "$CKPT" --data "${DATA:-data/hdm05}" --input "$input" --json "$OUT/${NAME}_hdm05_$input.json" \
    > "$OUT/${NAME}_hdm05_$input.txt"
done
"$SKELGNN" robustness "$CKPT" --data "${DATA:-data/hdm05}" --json "$OUT/${NAME}_robustness.json" > "$OUT/${NAME}_robustness.txt"
