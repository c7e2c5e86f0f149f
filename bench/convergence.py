"""Convergence check of finished benchmark runs: how far the best validation MPJPE moved over the last epochs.

    python bench/convergence.py bench/hdm05            # every finished run under bench/hdm05/runs
    python bench/convergence.py bench/hdm05 --last 5 --limit 1.0

Reads each ``runs/*/log.jsonl`` that has a ``test.json`` beside it and prints, per run, the epochs run, the
best validation MPJPE and its change over the last ``--last`` epochs; runs whose change reaches ``--limit``
mm are marked (the converged protocol's criterion, issue 14: < 1 mm over the last 5 epochs). Also prints the
CPU-hours of the finished runs (``cpu_seconds`` per epoch in the logs).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from skelgnn.tools.benchmark_summary import CONVERGED_EPOCHS, CONVERGED_MM, validation_move


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="benchmark output folder (holds runs/)")
    ap.add_argument("--last", type=int, default=CONVERGED_EPOCHS,
                    help=f"epochs to look back (default {CONVERGED_EPOCHS})")
    ap.add_argument("--limit", type=float, default=CONVERGED_MM,
                    help=f"mm; a change at or above it is marked (default {CONVERGED_MM:g})")
    a = ap.parse_args(argv)
    runs = sorted(p.parent for p in (a.out / "runs").glob("*/test.json"))
    if not runs:
        print(f"no finished runs under {a.out / 'runs'}", file=sys.stderr)
        return 1
    cpu, flagged = 0.0, 0
    print(f"| run | epochs | best val MPJPE | change over the last {a.last} epochs |")
    print("|---|---|---|---|")
    for run in runs:
        log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines() if line.strip()]
        cpu += sum(e.get("cpu_seconds") or 0.0 for e in log)
        best = [e["best_val_mpjpe"] for e in log]
        change = validation_move(best, a.last)
        if change is None:
            print(f"| {run.name} | {len(best)} | {best[-1]:.2f} | (fewer than {a.last + 1} epochs) |")
            continue
        mark = " (not converged)" if change >= a.limit else ""
        flagged += bool(mark)
        print(f"| {run.name} | {len(best)} | {best[-1]:.2f} | {change:.2f}{mark} |")
    print(f"\n{len(runs)} finished runs, {flagged} at or above {a.limit} mm; {cpu / 3600:.1f} CPU-hours of "
          "training")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
