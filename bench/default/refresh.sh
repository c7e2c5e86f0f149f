#!/usr/bin/env bash
# Every number the docs and the model card quote about the bundled default, re-measured in one go.
#
#   bash bench/default/refresh.sh [CKPT]      # CKPT defaults to src/skelgnn/assets/default.pt
#
# Writes bench/default/{eval_gt,eval_noisy,robustness}.{json,txt}, bench/default/demo.txt,
# bench/postfilter/{smoothing,bvh_roundtrip}.json, bench/postfilter/bvh_readback.png,
# bench/default/trajectory_robustness.txt, and the predictions under runs/default_eval/ (git-ignored).
# Speed is not measured here: it is only valid on an idle machine (`skelgnn speed`, see the model card).
# Needs the HDM05-Lift data built by `skelgnn data hdm05` in DATA (default data/hdm05). About 15 CPU-minutes.
set -euo pipefail

CKPT=${1:-src/skelgnn/assets/default.pt}
DATA=${DATA:-data/hdm05}
SKELGNN=${SKELGNN:-skelgnn}
PYTHON=${PYTHON:-python}
PRED=runs/default_eval
mkdir -p "$PRED" bench/default bench/postfilter

[ -f "$CKPT" ] || { echo "refresh.sh: no checkpoint at $CKPT" >&2; exit 2; }
[ -d "$DATA" ] || { echo "refresh.sh: no data folder $DATA (run: skelgnn data hdm05 --src ... --out $DATA)" >&2; exit 2; }

for input in gt noisy; do
  "$SKELGNN" evaluate "$CKPT" --data "$DATA" --input "$input" --json "bench/default/eval_$input.json" \
    --save-predictions "$PRED/pred_$input.npz" > "bench/default/eval_$input.txt"
done
"$SKELGNN" robustness "$CKPT" --data "$DATA" --json bench/default/robustness.json > bench/default/robustness.txt
"$PYTHON" bench/smoothing.py --checkpoint "$CKPT" --data "$DATA" --cameras 1 --json bench/postfilter/smoothing.json
"$PYTHON" bench/trajectory_robustness.py --checkpoint "$CKPT" --data "$DATA" --input gt --cameras 1 \
  --changes baseline distance_3m distance_8m focal_x0.5 focal_x2 height_0.5m height_3m \
  > bench/default/trajectory_robustness.txt
"$PYTHON" bench/bvh_roundtrip.py --checkpoint "$CKPT" --data "$DATA" --input noisy --cameras 1 \
  --json bench/postfilter/bvh_roundtrip.json --png bench/postfilter/bvh_readback.png
"$SKELGNN" demo --checkpoint "$CKPT" --out "$PRED/demo" > bench/default/demo.txt
echo "refresh.sh: done ($CKPT)"
