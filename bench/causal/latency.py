"""Per-frame latency of live lifting: one frame pushed at a time, batch 1 (issue 36 §3).

For every checkpoint (or an untrained registered model, ``--model``), frames are pushed one by one through
:class:`skelgnn.lifting.inference.CausalStream` (the model step: the last receptive-field normalised frames
in, the newest pose out) and, for a checkpoint of the 17 Human3.6M joints, through
:meth:`skelgnn.Lifter.stream` (the whole live step: gap filling, normalisation, the model, mm). Every push
is timed with ``time.perf_counter``; the first ``--warmup`` pushes are left out. Reports the median and
95th percentile in milliseconds with the CPU model, torch's thread count and the 1-minute load average at
the start and the end (a loaded machine gives slower, noisier numbers: measure on an idle one).

    python bench/causal/latency.py runs/tcn27_causal/best.pt runs/tcn27/best.pt --threads 1 \\
        --json bench/causal/latency.json
    python bench/causal/latency.py --model tcn27 --kwargs '{"channels": 256, "causal": true}'

A centred (non-causal) checkpoint is timed as the same window pushed through the model, marked
``causal: false`` (its output would be the centre frame, 13 frames late for tcn27).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import torch

from skelgnn import H36M_17
from skelgnn.core.distributed import cpu_model
from skelgnn.core.io import atomic_write_text
from skelgnn.lifting.api import Lifter
from skelgnn.lifting.inference import CausalStream, is_causal
from skelgnn.models import build


def _timed(push, frames) -> np.ndarray:
    out = np.empty(len(frames))
    for i, f in enumerate(frames):
        t0 = time.perf_counter()
        push(f)
        out[i] = time.perf_counter() - t0
    return out


def _summary(seconds: np.ndarray, warmup: int) -> dict:
    s = seconds[warmup:] * 1e3
    return {"median_ms": round(float(np.median(s)), 4), "p95_ms": round(float(np.percentile(s, 95)), 4),
            "mean_ms": round(float(s.mean()), 4), "frames_timed": int(len(s))}


def measure(model: torch.nn.Module, *, frames: int, warmup: int, seed: int = 0, lifter: Lifter | None = None,
            tta: bool = False) -> dict:
    """Time ``frames`` pushes (the first ``warmup`` not counted) of random plausible frames.

    Shapes: the model takes (1, receptive_field, J, 2) windows; the frames are (J, 2) each.
    """
    model.eval()
    J = int(model.num_joints)
    g = torch.Generator().manual_seed(seed)
    walk = 0.3 * torch.randn(J, 2, generator=g)
    xs = [walk + 0.02 * torch.randn(J, 2, generator=g) for _ in range(frames)]
    causal = is_causal(model)
    if causal:
        stream = CausalStream(model, H36M_17 if J == 17 else None, tta=tta and J == 17)
        push = stream.push
        strided = stream.strided
    else:  # the same batch-1 window through a centred model, for reference
        rf = int(model.receptive_field)
        window = {"x": None}

        @torch.no_grad()
        def push(f):
            w = window["x"]
            window["x"] = (f.expand(1, rf, -1, -1).clone() if w is None
                           else torch.cat([w[:, 1:], f[None, None]], 1))
            return model(window["x"])[0, 0]  # the window's centre frame

        strided = False
    row = {"receptive_field": int(model.receptive_field), "causal": bool(causal), "strided_stream": strided,
           "parameters": int(sum(p.numel() for p in model.parameters())),
           "model_step": _summary(_timed(push, xs), warmup)}
    if lifter is not None and causal and lifter.skeleton.joint_names == H36M_17.joint_names:
        live = lifter.stream(width=1000, height=1000, tta=tta)
        px = [500.0 + 300.0 * x.numpy() for x in xs]
        row["live_step"] = _summary(_timed(live.push, px), warmup)
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="*", help="checkpoints (.pt) to time")
    ap.add_argument("--model", help="time an untrained registered model instead (e.g. tcn27)")
    ap.add_argument("--kwargs", default="{}", help="its model kwargs as JSON (e.g. '{\"causal\": true}')")
    ap.add_argument("--frames", type=int, default=600, help="frames pushed per model (default 600)")
    ap.add_argument("--warmup", type=int, default=50, help="first pushes not counted (default 50)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--tta", action="store_true", help="with test-time flip (two model calls per frame)")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    if not args.checkpoints and not args.model:
        ap.error("give checkpoints or --model")
    if args.frames <= args.warmup:
        ap.error("--frames must exceed --warmup")
    torch.set_num_threads(args.threads)
    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = {}
    if args.model:
        model = build(args.model, H36M_17, **json.loads(args.kwargs))
        rows[f"{args.model} {args.kwargs} (untrained)"] = measure(model, frames=args.frames,
                                                                  warmup=args.warmup, tta=args.tta)
    for path in args.checkpoints:
        lifter = Lifter.load(path)
        rows[f"{lifter.name} {lifter.kwargs} ({path})"] = measure(lifter.model, frames=args.frames,
                                                                   warmup=args.warmup, lifter=lifter,
                                                                   tta=args.tta)
    result = {"cpu": cpu_model(), "threads": torch.get_num_threads(), "torch": torch.__version__,
              "python": platform.python_version(), "batch": 1, "tta": args.tta,
              "load_average_1min": [round(load_start, 2), round(os.getloadavg()[0], 2)]
              if hasattr(os, "getloadavg") else None, "models": rows}
    print(f"CPU {result['cpu']}, {result['threads']} torch thread(s), torch {result['torch']}, batch 1; "
          f"1-minute load average {result['load_average_1min']} (start, end)", file=sys.stderr)
    print("| model | rf | causal | model step median / p95 ms | live step median / p95 ms |")
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        live = r.get("live_step")
        live_s = f"{live['median_ms']:.3f} / {live['p95_ms']:.3f}" if live else "–"
        print(f"| {name} | {r['receptive_field']} | {'yes' if r['causal'] else 'no'} | "
              f"{r['model_step']['median_ms']:.3f} / {r['model_step']['p95_ms']:.3f} | {live_s} |")
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=1))
        print(f"Wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
