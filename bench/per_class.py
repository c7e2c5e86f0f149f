"""Per-class test MPJPE of finished benchmark runs, mean over the seeds every listed run has finished.

    python bench/per_class.py bench/hdm05 skeletal_gnn sgnn_graph_input fc
    python bench/per_class.py bench/hdm05 skeletal_gnn sgnn_graph_input --input noisy

Reads ``runs/<label>__<input>__s<seed>/test.json`` (its ``per_class`` block) for the seeds all the labels
share and prints one markdown row per motion class, sorted by the difference of the first two labels (first
minus second, largest last), so that where a change helps most is at the bottom.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="benchmark output folder (holds runs/)")
    ap.add_argument("labels", nargs="+", help="run labels (the first two are compared)")
    ap.add_argument("--input", default="gt", choices=("gt", "noisy"))
    a = ap.parse_args(argv)
    seeds = None
    for label in a.labels:
        found = set()
        for p in (a.out / "runs").glob(f"{label}__{a.input}__s*/test.json"):
            m = re.fullmatch(rf"{re.escape(label)}__{a.input}__s(\d+)", p.parent.name)
            if m:
                found.add(int(m.group(1)))
        seeds = found if seeds is None else seeds & found
    if not seeds:
        print(f"no seed finished by every one of {a.labels} on {a.input} under {a.out / 'runs'}",
              file=sys.stderr)
        return 1
    seeds = sorted(seeds)
    table = {}  # label -> class -> mean MPJPE over the seeds
    for label in a.labels:
        runs = a.out / "runs"
        per_seed = [json.loads((runs / f"{label}__{a.input}__s{s}" / "test.json").read_text())["per_class"]
                    for s in seeds]
        table[label] = {c: sum(ps[c]["mpjpe"] for ps in per_seed) / len(per_seed) for c in per_seed[0]}
    classes = list(table[a.labels[0]])
    if len(a.labels) > 1:
        first, second = table[a.labels[0]], table[a.labels[1]]
        classes.sort(key=lambda c: first[c] - second[c])
    head = " | ".join(a.labels)
    diff = f" | {a.labels[0]} minus {a.labels[1]}" if len(a.labels) > 1 else ""
    print(f"Per-class test MPJPE (mm), {a.input}, mean over seeds {', '.join(map(str, seeds))}\n")
    print(f"| class | {head}{diff} |")
    print("|---|" + "---|" * (len(a.labels) + (len(a.labels) > 1)))
    for c in classes:
        cells = " | ".join(f"{table[lb][c]:.1f}" for lb in a.labels)
        d = f" | {table[a.labels[0]][c] - table[a.labels[1]][c]:+.1f}" if len(a.labels) > 1 else ""
        print(f"| {c} | {cells}{d} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
