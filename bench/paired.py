"""Seed-paired difference of two finished benchmark rows (A minus B), per input and metric, 95 % t interval.

    python bench/paired.py bench/hdm05 tcn27 tcn1

The benchmark's own tables pair every row with its references only (benchmark.reference); this pairs any two.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from skelgnn.benchmark import t_interval

METRICS = ("mpjpe", "p_mpjpe", "ht10", "rare20")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("a")
    ap.add_argument("b")
    args = ap.parse_args()
    runs = {}
    for f in Path(args.folder, "runs").glob("*/test.json"):
        r = json.loads(f.read_text())
        runs[(r["label"], r["input"], r["seed"])] = r
    print(f"| input | seeds | " + " | ".join(METRICS) + " |")
    print("|---|---|" + "---|" * len(METRICS))
    for inp in ("gt", "noisy"):
        seeds = sorted(s for (lb, i, s) in runs if lb == args.a and i == inp and (args.b, inp, s) in runs)
        if len(seeds) < 2:
            continue
        cells = []
        for m in METRICS:
            mean, lo, hi = t_interval([runs[(args.a, inp, s)][m] - runs[(args.b, inp, s)][m] for s in seeds])
            cells.append(f"{mean:+.1f} [{lo:+.1f}, {hi:+.1f}]{'*' if lo > 0 or hi < 0 else ''}")
        print(f"| {inp} | {','.join(map(str, seeds))} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
