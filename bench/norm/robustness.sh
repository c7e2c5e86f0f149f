#!/usr/bin/env bash
# Camera robustness (`skelgnn robustness`, exact 2D) of the benchmark's gt-trained checkpoints: the screen-
# normalised rows against the box-normalised arm (bench/norm/RULE.md's caveat, measured). Checkpoints are the
# runs retrained into bench/cross (kept there, git-ignored); results go to bench/norm/robustness/<run>.{json,txt}.
# Skips runs already measured. Then: python bench/norm/robustness_table.py > bench/norm/robustness.md
#   usage: bash bench/norm/robustness.sh [RUN_FOLDER_NAME ...]   (default: every kept gt checkpoint)
set -euo pipefail
cd "$(dirname "$0")/../.."
SKELGNN=${SKELGNN:-skelgnn}
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in bench/cross/runs/*__gt__s*/best.pt; do names+=("$(basename "$(dirname "$f")")"); done
fi
mkdir -p bench/norm/robustness
for name in "${names[@]}"; do
  out=bench/norm/robustness/$name
  [ -f "$out.json" ] && continue
  [ -f "bench/cross/runs/$name/test.json" ] || { echo "$name: not finished, skipped" >&2; continue; }
  OMP_NUM_THREADS=1 "$SKELGNN" robustness "bench/cross/runs/$name/best.pt" --data data/hdm05 --input gt \
    --json "$out.json" > "$out.txt.tmp"
  mv "$out.txt.tmp" "$out.txt"
done
