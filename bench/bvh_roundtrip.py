"""BVH round trip on HDM05-Lift test clips: lifted joints → BVH file → the project's BVH reader and its
forward kinematics → joints again; prints the mean per-joint distance (mm) between the exported and the
re-read joints, per variant of the exported motion (raw lifter output, Savitzky-Golay smoothed, and with
the bone-length step), and the ground truth itself as a check of the IK on a real skeleton.

    python bench/bvh_roundtrip.py --data data/hdm05 --input noisy --cameras 1 --json
    bench/postfilter/bvh_roundtrip.json \
        --png bench/postfilter/bvh_readback.png
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from skelgnn.core.io import atomic_write_text
from skelgnn.data.hdm05 import benchmark_sequences
from skelgnn.data.hdm05_files import load_benchmark
from skelgnn.lifting.api import Lifter
from skelgnn.lifting.bvh_export import read_bvh_h36m, write_bvh
from skelgnn.lifting.inference import fit_trajectories
from skelgnn.lifting.predict import default_checkpoint
from skelgnn.lifting.smoothing import postprocess


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", help="default: the bundled skelgnn/assets/default.pt")
    ap.add_argument("--data", default="data/hdm05")
    ap.add_argument("--input", choices=("gt", "noisy"), default="noisy")
    ap.add_argument("--cameras", type=int, default=4, help="cameras per clip (1-4, default all)")
    ap.add_argument("--json")
    ap.add_argument("--png", help="also draw a frame of the first sequence's BVH, as read back, with "
                    "skelgnn.lifting.viz")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    ckpt = args.checkpoint or default_checkpoint()
    lifter = Lifter.load(ckpt)
    skeleton = lifter.skeleton
    seqs = benchmark_sequences(load_benchmark(args.data), "test", args.input,
                               input_norm=lifter.input_norm)
    keep = [i for i, k in enumerate(seqs.keys) if int(k.rsplit("/", 1)[1]) < args.cameras]
    seqs = seqs.subset(keep)
    t0 = time.perf_counter()
    preds = lifter.predict_sequences(seqs)
    roots = fit_trajectories(preds, seqs)
    variants = {
        "ground truth": lambda i: seqs.targets[i].astype(np.float64),
        "raw": lambda i: preds[i].astype(np.float64),
        "savgol + bone lengths": lambda i: postprocess(preds[i], skeleton.parents, smooth="savgol",
                                                       bones=True),
    }
    result = {"checkpoint": str(ckpt), "input": args.input, "sequences": len(seqs), "frames": seqs.num_frames,
              "unit": "cm", "with_root_trajectory": True, "variants": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, get in variants.items():
            errs, per_seq = [], []
            for i in range(len(seqs)):
                x = get(i)
                x = x - x[:, :1]
                path = write_bvh(Path(tmp) / "clip.bvh", x, fps=30.0, root=roots[i])
                back = read_bvh_h36m(path)
                e = np.linalg.norm(back - (x + roots[i][:, None]), axis=-1)
                errs.append(e.reshape(-1))
                per_seq.append(float(e.mean()))
            e = np.concatenate(errs)
            result["variants"][name] = {"mean_mm": float(e.mean()), "median_mm": float(np.median(e)),
                                        "p95_mm": float(np.percentile(e, 95)),
                                        "worst_clip_mean_mm": max(per_seq)}
            print(f"{name:>24}: mean {e.mean():.2f} mm, median {np.median(e):.2f}, 95th pct "
                  f"{np.percentile(e, 95):.2f}, worst clip mean {max(per_seq):.2f} "
                  f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    if args.png:
        from skelgnn.lifting.viz import plot_pair

        x = variants["savgol + bone lengths"](0)
        x = x - x[:, :1]
        with tempfile.TemporaryDirectory() as tmp:
            back = read_bvh_h36m(write_bvh(Path(tmp) / "clip.bvh", x, fps=30.0, root=roots[0]))
        t = int(np.argmax(np.linalg.norm(x - x.mean(0), axis=-1).mean(-1)))
        plot_pair(seqs.pixels[0][t], back[t] - back[t, :1], args.png,
                  title=f"{seqs.keys[0]} frame {t + 1}: BVH read back by skelgnn.data.bvh")
        print(f"Wrote {args.png}")
    print(f"BVH round trip on HDM05-Lift test ({args.input} 2D, {len(seqs)} clip x camera sequences, "
          f"{seqs.num_frames} frames, {lifter.name}):")
    for name, r in result["variants"].items():
        print(f"| {name} | {r['mean_mm']:.2f} mm | {r['p95_mm']:.2f} mm |")
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=1))
        print(f"Wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
