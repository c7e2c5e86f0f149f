"""Post-filters on HDM05-Lift: choose their parameters on validation clips, then measure them on the test
actors.

1. Predict the validation clips (every 10th clip of the training actors bd, bk, dg; never mm, tr) and the
   test clips with a checkpoint (default: the bundled one), for gt and noisy 2D.
2. On validation only: for Savitzky-Golay (window x order) and One-Euro (min_cutoff x beta), keep the setting
   with the lowest acceleration error whose validation MPJPE is at most 0.5 mm above the unfiltered one
   (gt and noisy pooled: the mean of both).
3. On test: MPJPE, P-MPJPE, Accel, MPJVE, bone-length sd and the least-squares root trajectory error for the
   raw output, each chosen filter, the bone-length step, and both.

    python bench/smoothing.py --data data/hdm05 --cameras 1 --json bench/postfilter/smoothing.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time

import numpy as np
import torch

from skelgnn.core.io import atomic_write_text
from skelgnn.core.metrics import mpjpe, p_mpjpe
from skelgnn.data.hdm05 import benchmark_sequences
from skelgnn.data.hdm05_files import load_benchmark
from skelgnn.evaluation.report import jitter_metrics, trajectory_metrics
from skelgnn.lifting.api import Lifter
from skelgnn.lifting.inference import fit_trajectories
from skelgnn.lifting.predict import default_checkpoint
from skelgnn.lifting.smoothing import enforce_bone_lengths, one_euro, savgol_smooth

SAVGOL_GRID = [{"window": w, "order": o} for w, o in itertools.product((5, 9, 15), (1, 2))]
ONE_EURO_GRID = [{"min_cutoff": c, "beta": b, "d_cutoff": 1.0} for c, b in itertools.product((0.5, 1.5),
                                                                                             (0.0, 0.01,
                                                                                              0.05))]
FPS = 30.0


def scores(preds, seqs, parents, roots=False) -> dict:
    p = torch.from_numpy(np.concatenate(preds)).double()
    t = torch.from_numpy(np.concatenate(seqs.targets)).double()
    t = t - t[:, :1]
    out = {"mpjpe": float(mpjpe(p, t).mean()), **jitter_metrics(preds, seqs.targets, parents)}
    if roots:  # the test rows: every metric
        out["p_mpjpe"] = float(p_mpjpe(p, t).mean())
    if roots:
        out.update(trajectory_metrics(preds, fit_trajectories(preds, seqs), seqs))
    return out


def apply(preds, fn):
    out = []
    for x in preds:
        y = fn(x.astype(np.float64))
        out.append((y - y[:, :1]).astype(np.float32))
    return out


def filters(parents, sg, oe):
    return {
        "raw": lambda x: x,
        f"savgol {sg}": lambda x: savgol_smooth(x, **sg),
        f"one_euro {oe}": lambda x: one_euro(x, FPS, **oe),
        "bone lengths": lambda x: enforce_bone_lengths(x, parents),
        f"savgol {sg} + bone lengths": lambda x: enforce_bone_lengths(savgol_smooth(x, **sg), parents),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", help="default: the bundled skelgnn/assets/default.pt")
    ap.add_argument("--data", default="data/hdm05")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--cameras", type=int, default=4, help="cameras per clip (1-4, default all)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    ckpt = args.checkpoint or default_checkpoint()
    lifter = Lifter.load(ckpt)
    skeleton = lifter.skeleton
    parents = skeleton.parents
    norm = lifter.input_norm
    bench = load_benchmark(args.data)
    t0 = time.perf_counter()
    data = {}
    for split, kind in itertools.product(("val", "test"), ("gt", "noisy")):
        seqs = benchmark_sequences(bench, split, kind, input_norm=norm)
        seqs = seqs.subset([i for i, k in enumerate(seqs.keys) if int(k.rsplit("/", 1)[1]) < args.cameras])
        data[split, kind] = (seqs, lifter.predict_sequences(seqs))
        print(f"predicted {split} {kind}: {seqs.num_frames} samples ({time.perf_counter() - t0:.0f} s)",
              file=sys.stderr)

    def val_choice(grid, make):
        raw = {k: scores(data["val", k][1], data["val", k][0], parents) for k in ("gt", "noisy")}
        rows = []
        for params in grid:
            s = {k: scores(apply(data["val", k][1], make(params)), data["val", k][0], parents) for k in ("gt",
                                                                                                         "noisy")}
            rows.append({"params": params, **{f"{k}_{m}": s[k][m] for k in s for m in ("mpjpe", "accel")}})
        ok = [r for r in rows if np.mean([r["gt_mpjpe"], r["noisy_mpjpe"]])
              <= np.mean([raw["gt"]["mpjpe"], raw["noisy"]["mpjpe"]]) + 0.5]
        best = min(ok or rows, key=lambda r: np.mean([r["gt_accel"], r["noisy_accel"]]))
        return best, rows, raw

    sg, sg_rows, raw_val = val_choice(SAVGOL_GRID, lambda p: (lambda x: savgol_smooth(x, **p)))
    oe, oe_rows, _ = val_choice(ONE_EURO_GRID, lambda p: (lambda x: one_euro(x, FPS, **p)))
    print(f"validation choice: savgol {sg['params']}, one_euro {oe['params']} "
          f"({time.perf_counter() - t0:.0f} s)",
          file=sys.stderr)
    test = {}
    for kind in ("gt", "noisy"):
        seqs, preds = data["test", kind]
        test[kind] = {name: scores(apply(preds, fn), seqs, parents, roots=True)
                      for name, fn in filters(parents, sg["params"], oe["params"]).items()}
    result = {"checkpoint": str(ckpt), "model": lifter.name, "cameras_per_clip": args.cameras,
              "selection": "validation clips of bd, bk, dg; lowest mean Accel (gt, noisy) with mean "
                           "validation MPJPE at most 0.5 mm above the unfiltered one",
              "savgol": sg, "one_euro": oe, "validation_raw": raw_val, "savgol_grid": sg_rows,
              "one_euro_grid": oe_rows, "test": test, "seconds": round(time.perf_counter() - t0, 1)}
    for kind in ("gt", "noisy"):
        print(f"\n{kind} 2D, HDM05-Lift test ({lifter.name}, {args.cameras} camera(s) per clip):")
        print("| post-filter | MPJPE | P-MPJPE | Accel | MPJVE | bone sd | root err | root err % | abs MPJPE "
              "|")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, s in test[kind].items():
            print(f"| {name} | {s['mpjpe']:.2f} | {s['p_mpjpe']:.2f} | {s['accel']:.2f} | {s['mpjve']:.2f} | "
                  f"{s['bone_std']:.2f} | {s['root_error']:.1f} | {s['root_error_pct']:.2f} | "
                  f"{s['abs_mpjpe']:.1f} |")
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=1))
        print(f"\nWrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
