"""Root-trajectory error of a checkpoint on HDM05-Lift's test actors under changed virtual cameras.

The same camera changes as ``skelgnn robustness`` (:data:`skelgnn.evaluation.robustness.CAMERA_CHANGES`),
optionally on fewer cameras per clip to save time; the root is fitted by least squares with each change's
intrinsics.

    python bench/trajectory_robustness.py --data data/hdm05 --input gt --cameras 1 \\
        --changes baseline distance_3m distance_8m focal_x0.5 focal_x2
"""

from __future__ import annotations

import argparse

import torch

from skelgnn.core.metrics import mpjpe
from skelgnn.data.hdm05_files import load_benchmark
from skelgnn.evaluation.report import trajectory_metrics
from skelgnn.evaluation.robustness import camera_change, camera_change_sequences
from skelgnn.lifting.api import Lifter
from skelgnn.lifting.inference import fit_trajectories
from skelgnn.lifting.predict import default_checkpoint
from skelgnn.lifting.smoothing import postprocess


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", help="default: the bundled skelgnn/assets/default.pt")
    ap.add_argument("--data", default="data/hdm05")
    ap.add_argument("--input", choices=("gt", "noisy"), default="gt")
    ap.add_argument("--cameras", type=int, default=4, help="cameras per clip (1-4, default all)")
    ap.add_argument("--changes", nargs="+", default=["baseline", "distance_3m", "distance_8m", "focal_x0.5",
                                                     "focal_x2"])
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    ckpt = args.checkpoint or default_checkpoint()
    lifter = Lifter.load(ckpt)
    skeleton = lifter.skeleton
    bench = load_benchmark(args.data)
    print(f"| camera change ({args.input} 2D, {args.cameras} camera(s) per clip) | MPJPE | root error (mm) "
          "| root error (% of distance) | depth error (%) | abs MPJPE |")
    print("|---|---|---|---|---|---|")
    for name in args.changes:
        seqs, _ = camera_change_sequences(bench, camera_change(name), input_kind=args.input,
                                          input_norm=lifter.input_norm)
        seqs = seqs.subset([i for i, k in enumerate(seqs.keys) if int(k.rsplit("/", 1)[1]) < args.cameras])
        preds = lifter.predict_sequences(seqs)
        preds = [postprocess(p, skeleton.parents, smooth="savgol",
                             bones=True).astype("float32") for p in preds]
        m = trajectory_metrics(preds, fit_trajectories(preds, seqs), seqs)
        e = float(mpjpe(torch.cat([torch.from_numpy(p - p[:, :1]) for p in preds]).double(),
                        torch.cat([torch.from_numpy(t - t[:, :1]) for t in seqs.targets]).double()).mean())
        print(f"| {name} | {e:.1f} | {m['root_error']:.0f} | {m['root_error_pct']:.2f} | "
              f"{m['root_depth_error_pct']:.2f} | {m['abs_mpjpe']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
