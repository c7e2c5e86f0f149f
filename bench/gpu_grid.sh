#!/usr/bin/env bash
# The HDM05-Lift benchmark on one GPU machine, as one prepared call (issue 14 §3: "when a GPU is available,
# the same grid runs there as one prepared command and those rows are labelled as GPU runs").
#
# Trains the unfinished runs of configs/benchmark_hdm05.toml into OUTDIR, by default bench/hdm05_gpu/, a folder of
# its own; OUTDIR=bench/hdm05 instead completes the CPU benchmark's rows (done for the multi-frame runs, about
# 3 CPU-hours each: every run records its device in test.json, results.md counts the devices, and a row with any
# GPU run is labelled "(GPU)"). SHARDS processes share the one GPU (`skelgnn benchmark --shard K/SHARDS`, one CPU
# thread each), each stopped after LIMIT seconds. What finished comes back as $OUT/hdm05_gpu.tar.gz (per finished
# run: test.json, log.jsonl, sample_errors.npz), plus the shard logs; with KEEP_CKPT=1 the runs cut off by LIMIT
# come back too (last.pt, best.pt, log.jsonl) as $OUT/unfinished.tar.part-aa, -ab, ... (15 MB pieces). Then, here:
#   tar -xzf <files_at>/hdm05_gpu.tar.gz        # from the repository root: fills OUTDIR
#   cat <files_at>/unfinished.tar.part-* | tar -x   # (KEEP_CKPT=1) the cut-off runs resume from their last epoch
#   cat <files_at>/best.tar.part-* | tar -x         # (KEEP_BEST=1) the finished runs' best.pt, then
#   skelgnn benchmark configs/benchmark_hdm05.toml --out OUTDIR --only LABEL ...   # scores them on Bandai2-Cross
#   skelgnn benchmark configs/benchmark_hdm05.toml --out OUTDIR --report-only
# and commit OUTDIR. A second call resumes: finished runs (their test.json travels with the tree) are skipped,
# and a cut-off run resumes from its checkpoints where they travel with the tree (else it restarts at epoch 1).
#
# The GPU machine has python3 with CUDA torch, numpy and tqdm and no network: nothing is installed, the package
# runs from src/. The data is git-ignored here, so the device call carries the one file the benchmark reads:
#   device run:  command "bash bench/gpu_grid.sh"  carry ["data/hdm05/hdm05_lift.npz"]  timeout_s 600
# Bandai2-Cross (data/bandai2/bandai2_cross.npz, 124 MB) is over the 64 MiB a device call carries, so runs finish
# there unscored on it; KEEP_BEST=1 brings their best.pt back to be scored here (above).
# Environment knobs: SHARDS (default 16), LIMIT (seconds per shard, default 480), ONLY (labels, space-separated;
# default every run), BY_RUN=1 (whole runs first, as --by-run), KEEP_CKPT=1 and KEEP_BEST=1 (above),
# SET (extra --set overrides, space-separated), DEVICE (default cuda), OUTDIR, CONFIG, PYTHON.
# CPU smoke test of this script (no GPU; what tests/test_gpu_grid_script.py runs on a tiny config):
#   DEVICE=cpu SHARDS=2 LIMIT=300 ONLY=semgcn SET="train.epochs=1" OUTDIR=/tmp/g OUT=/tmp/o bash bench/gpu_grid.sh
set -euo pipefail

CONFIG=${CONFIG:-configs/benchmark_hdm05.toml}
OUTDIR=${OUTDIR:-bench/hdm05_gpu}
SHARDS=${SHARDS:-16}
LIMIT=${LIMIT:-480}
DEVICE=${DEVICE:-cuda}
RESULTS=${OUT:-$PWD/gpu_out}
PYTHON=${PYTHON:-python3}

export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE PYTHONUNBUFFERED=1
"$PYTHON" - "$DEVICE" <<'EOF'
import sys, torch
dev = sys.argv[1]
if dev.startswith("cuda") and not torch.cuda.is_available():
    sys.exit(f"gpu_grid.sh: DEVICE={dev} but torch {torch.__version__} sees no CUDA device")
print("torch", torch.__version__, "|", torch.cuda.get_device_name(0) if dev.startswith("cuda") else "cpu", flush=True)
EOF

args=(benchmark "$CONFIG" --out "$OUTDIR" --quiet --set "train.device=$DEVICE")
for s in ${SET:-}; do args+=(--set "$s"); done
for label in ${ONLY:-}; do args+=(--only "$label"); done
[ "${BY_RUN:-0}" = 1 ] && args+=(--by-run)
mkdir -p "$OUTDIR" "$RESULTS"
pids=()
for k in $(seq 1 "$SHARDS"); do
    timeout "$LIMIT" "$PYTHON" -m skelgnn.cli "${args[@]}" --shard "$k/$SHARDS" > "$RESULTS/shard$k.log" 2>&1 &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
    wait "$pid" || { rc=$?; [ "$rc" -eq 124 ] || status=$rc; }  # 124: stopped at LIMIT (resumable)
done
"$PYTHON" -m skelgnn.cli benchmark "$CONFIG" --out "$OUTDIR" --quiet --report-only --set "train.device=$DEVICE" \
    > "$RESULTS/report.log" 2>&1 || status=$?

# finished runs only (an unfinished run cannot resume without its checkpoint, so its log would mislead)
files=()
for done in "$OUTDIR"/runs/*/test.json; do
    [ -e "$done" ] || continue
    run=$(dirname "$done")
    for f in test.json log.jsonl sample_errors.npz; do [ -e "$run/$f" ] && files+=("$run/$f"); done
done
for f in results.json results.md; do [ -e "$OUTDIR/$f" ] && files+=("$OUTDIR/$f"); done
tar -czf "$RESULTS/hdm05_gpu.tar.gz" "${files[@]}"
if [ "${KEEP_CKPT:-0}" = 1 ]; then  # runs cut off by LIMIT: their checkpoints, so that they resume elsewhere
    cut=()
    for last in "$OUTDIR"/runs/*/last.pt; do
        [ -e "$last" ] || continue
        run=$(dirname "$last")
        [ -e "$run/test.json" ] && continue
        for f in last.pt best.pt log.jsonl; do [ -e "$run/$f" ] && cut+=("$run/$f"); done
    done
    if [ "${#cut[@]}" -gt 0 ]; then
        tar -cf - "${cut[@]}" | split -b 15000000 - "$RESULTS/unfinished.tar.part-"
    fi
fi
if [ "${KEEP_BEST:-0}" = 1 ]; then  # finished runs not scored on Bandai2-Cross (its file is too large to carry)
    best=()
    for done in "$OUTDIR"/runs/*/test.json; do
        [ -e "$done" ] || continue
        run=$(dirname "$done")
        grep -q '"cross"' "$done" && continue
        [ -e "$run/best.pt" ] && best+=("$run/best.pt")
    done
    if [ "${#best[@]}" -gt 0 ]; then
        tar -cf - "${best[@]}" | split -b 15000000 - "$RESULTS/best.tar.part-"
    fi
fi
for f in "$RESULTS"/shard*.log; do echo "== $(basename "$f")"; tail -n 5 "$f"; done > "$RESULTS/tail_of_shards.log"
rm -f "$RESULTS"/shard*.log
echo "gpu_grid.sh: ${#files[@]} files of finished runs in $RESULTS/hdm05_gpu.tar.gz; shard status $status"
exit "$status"
