"""Summarise bench/loao_probe.sh: best validation MPJPE per design and held-out actor, and the mean.

    python bench/loao_summary.py bench/loao
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    args = ap.parse_args()
    rows: dict[str, dict[str, tuple[float, int, int]]] = {}
    for log in sorted(Path(args.folder).glob("*_*/log.jsonl")):
        design, actor = log.parent.name.split("_", 1)
        lines = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
        best = min(lines, key=lambda r: r["val_mpjpe"])
        rows.setdefault(design, {})[actor] = (best["val_mpjpe"], best["epoch"], len(lines))
    actors = sorted({a for d in rows.values() for a in d})
    print("| design | " + " | ".join(f"held-out {a}" for a in actors) + " | mean |")
    print("|---|" + "---|" * (len(actors) + 1))
    for design, by in sorted(rows.items()):
        cells = [f"{by[a][0]:.2f} (ep {by[a][1]}/{by[a][2]})" if a in by else "-" for a in actors]
        done = [by[a][0] for a in actors if a in by and by[a][2] >= 20]
        mean = f"{sum(done) / len(done):.2f}" if len(done) == len(actors) else "unfinished"
        print(f"| {design} | " + " | ".join(cells) + f" | {mean} |")


if __name__ == "__main__":
    main()
