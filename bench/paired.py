"""Seed-paired difference of two finished benchmark rows (A minus B), per input and metric, 95 % t interval.

    python bench/paired.py bench/hdm05 tcn27 tcn1

The benchmark's own tables pair every row with its references only (benchmark.reference); this pairs any two.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from skelgnn.tools.benchmark_summary import paired_differences

METRICS = ("mpjpe", "p_mpjpe", "ht10", "rare20")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("a")
    ap.add_argument("b")
    args = ap.parse_args()
    results = [json.loads(f.read_text()) for f in Path(args.folder, "runs").glob("*/test.json")]
    print("| input | seeds | " + " | ".join(METRICS) + " |")
    print("|---|---|" + "---|" * len(METRICS))
    for entry in sorted((e for e in paired_differences(results, args.a) if e["label"] == args.b),
                        key=lambda e: e["input"]):
        if len(entry["seeds"]) < 2:
            continue
        cells = [f"{d['mean']:+.1f} [{d['lo']:+.1f}, {d['hi']:+.1f}]{'*' if d['real'] else ''}"
                 for d in (entry[m] for m in METRICS)]
        print(f"| {entry['input']} | {','.join(map(str, entry['seeds']))} | " + " | ".join(cells) + " |")

if __name__ == "__main__":
    main()
