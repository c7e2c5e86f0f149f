"""Live use on HDM05-Lift: a causal multi-frame model against its offline (centred) counterpart and a
single-frame model with the causal One-Euro filter (issue 36 §3).

Rows, on the test actors (mm, tr) with the chosen 2D input (default ``noisy``):

* ``offline``: the centred multi-frame checkpoint (each pose also sees rf // 2 future frames), unfiltered;
* ``causal``: the causal checkpoint, unfiltered; every pose from its frame and the rf − 1 before it;
* ``causal + One-Euro``: the same with the causal One-Euro filter;
* ``single-frame``, ``single-frame + One-Euro``: the single-frame checkpoint (default: the bundled one) raw
  and with the causal One-Euro filter (:data:`skelgnn.lifting.smoothing.DEFAULT_ONE_EURO`, chosen on
  validation clips by bench/smoothing.py);

each with MPJPE, P-MPJPE, Accel and MPJVE (docs/benchmarks.md, Metrics) and the look-ahead of every row in
frames. The causal rows are computed with the offline causal lift (left padding only); on the first
``--check`` sequences the script also pushes every frame through
:class:`skelgnn.lifting.inference.CausalStream` and reports the largest difference from it (float
rounding).

    python bench/causal/compare.py --causal runs/tcn27_causal/best.pt --offline runs/tcn27/best.pt \\
        --json bench/causal/compare_noisy.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch

from skelgnn.core.io import atomic_write_text
from skelgnn.core.metrics import mpjpe, p_mpjpe
from skelgnn.data.hdm05 import FPS, benchmark_sequences
from skelgnn.data.hdm05_files import load_benchmark
from skelgnn.evaluation.report import jitter_metrics
from skelgnn.lifting.api import Lifter
from skelgnn.lifting.inference import CausalStream, is_causal
from skelgnn.lifting.predict import default_checkpoint
from skelgnn.lifting.smoothing import one_euro


def scores(preds: list[np.ndarray], seqs, parents) -> dict:
    """MPJPE, P-MPJPE (frame means) and the jitter metrics of per-sequence (T, J, 3) mm predictions."""
    p = torch.from_numpy(np.concatenate(preds)).double()
    t = torch.from_numpy(np.concatenate(seqs.targets)).double()
    t = t - t[:, :1]
    out = {"mpjpe": float(mpjpe(p, t).mean()), "p_mpjpe": float(p_mpjpe(p, t).mean())}
    jit = jitter_metrics(preds, seqs.targets, parents)
    return {**out, "accel": jit["accel"], "mpjve": jit["mpjve"]}


def filtered(preds: list[np.ndarray], fps: float) -> list[np.ndarray]:
    out = []
    for x in preds:
        y = one_euro(x.astype(np.float64), fps)
        out.append((y - y[:, :1]).astype(np.float32))
    return out


def stream_gap(lifter: Lifter, seqs, count: int) -> float:
    """Largest |streamed − offline| (mm) over the first ``count`` sequences of ``seqs``."""
    worst = 0.0
    preds = lifter.predict_sequences(seqs.subset(range(min(count, len(seqs)))))
    for x, want in zip(seqs.inputs[:count], preds):
        stream = CausalStream(lifter.model)
        got = torch.stack([stream.push(torch.from_numpy(f)) for f in x]).double().numpy() * lifter.scale_mm
        worst = max(worst, float(np.abs(got - want).max()))
    return worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--causal", required=True, help="the causal multi-frame checkpoint")
    ap.add_argument("--offline", required=True, help="its centred (offline) counterpart")
    ap.add_argument("--single", help="the single-frame checkpoint (default: the bundled one)")
    ap.add_argument("--data", default="data/hdm05", help="the built HDM05-Lift folder")
    ap.add_argument("--input", choices=("gt", "noisy"), default="noisy", help="2D input (default noisy)")
    ap.add_argument("--split", choices=("test", "val"), default="test", help="default: the test actors")
    ap.add_argument("--cameras", type=int, default=4, help="cameras per clip (1-4, default all)")
    ap.add_argument("--check", type=int, default=2, help="sequences streamed frame by frame as a check")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    causal, offline = Lifter.load(args.causal), Lifter.load(args.offline)
    single = Lifter.load(args.single or default_checkpoint())
    if not causal.causal or causal.receptive_field == 1:
        ap.error(f"--causal {args.causal}: not a causal multi-frame model ({causal.name} {causal.kwargs})")
    if is_causal(offline.model) and offline.receptive_field > 1:
        ap.error(f"--offline {args.offline}: a causal model; give the centred counterpart")
    if single.receptive_field != 1:
        ap.error(f"--single: {single.name} has receptive field {single.receptive_field}, not 1")
    bench = load_benchmark(args.data)
    fps = float(FPS)
    rows, data = {}, {}

    def seqs_for(lifter):
        norm = lifter.input_norm
        if norm not in data:
            s = benchmark_sequences(bench, args.split, args.input, input_norm=norm)
            keep = [i for i, k in enumerate(s.keys) if int(k.rsplit("/", 1)[1]) < args.cameras]
            data[norm] = s.subset(keep)
        return data[norm]

    parents = causal.skeleton.parents
    for name, lifter, smooth, ahead in (("offline", offline, False, offline.receptive_field // 2),
                                        ("causal", causal, False, 0), ("causal + One-Euro", causal, True, 0),
                                        ("single-frame", single, False, 0),
                                        ("single-frame + One-Euro", single, True, 0)):
        seqs = seqs_for(lifter)
        key = (id(lifter), "raw")
        if key not in data:
            data[key] = lifter.predict_sequences(seqs)
        preds = filtered(data[key], fps) if smooth else data[key]
        rows[name] = {"checkpoint": lifter.source, "model": f"{lifter.name} {lifter.kwargs}",
                      "receptive_field": lifter.receptive_field, "look_ahead_frames": ahead,
                      **scores(preds, seqs, parents)}
        print(f"{name}: done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    gap = stream_gap(causal, seqs_for(causal), args.check)
    s = seqs_for(causal)
    result = {"split": args.split, "input": args.input, "cameras_per_clip": args.cameras,
              "sequences": len(s), "frames": s.num_frames, "fps": fps,
              "one_euro": "skelgnn.lifting.smoothing.DEFAULT_ONE_EURO", "stream_check_sequences": args.check,
              "stream_vs_offline_max_mm": gap, "rows": rows, "seconds": round(time.perf_counter() - t0, 1)}
    print(f"\nHDM05-Lift {args.split}, {args.input} 2D, {len(s)} sequences, {s.num_frames} frames; streamed "
          f"vs offline causal lift on {args.check} sequence(s): max {gap:.2g} mm")
    print("| row | model | rf | look-ahead (frames) | MPJPE | P-MPJPE | Accel | MPJVE |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['model']} | {r['receptive_field']} | {r['look_ahead_frames']} | "
              f"{r['mpjpe']:.2f} | {r['p_mpjpe']:.2f} | {r['accel']:.2f} | {r['mpjve']:.2f} |")
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=1))
        print(f"Wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
