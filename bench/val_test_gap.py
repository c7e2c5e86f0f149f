"""Best validation MPJPE against test MPJPE per benchmark row (mean over its finished seeds), sorted by
validation: how far the benchmark's validation clips (held-out clips of the training actors) are from the
test actors, row by row.

    python bench/val_test_gap.py bench/hdm05 [--min-seeds 3]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", help="a benchmark output folder (runs/<label>__<input>__s<seed>/)")
    ap.add_argument("--min-seeds", type=int, default=3)
    args = ap.parse_args()
    rows: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: {"val": [], "test": []})
    for run in sorted(Path(args.folder, "runs").glob("*__*__s*")):
        if not (run / "test.json").exists():
            continue
        label, inp, _ = run.name.split("__")
        test = json.loads((run / "test.json").read_text())
        log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines() if x.strip()]
        rows[(label, inp)]["val"].append(min(r["val_mpjpe"] for r in log))
        rows[(label, inp)]["test"].append(test["mpjpe"])
    for inp in ("gt", "noisy"):
        print(f"\n{inp}\n\n| row | seeds | best validation MPJPE | test MPJPE | gap |\n|---|---|---|---|---|")
        table = [(label, len(v["val"]), sum(v["val"]) / len(v["val"]), sum(v["test"]) / len(v["test"]))
                 for (label, i), v in rows.items() if i == inp and len(v["val"]) >= args.min_seeds]
        for label, n, val, test in sorted(table, key=lambda r: r[2]):
            print(f"| {label} | {n} | {val:.1f} | {test:.1f} | {test - val:.1f} |")


if __name__ == "__main__":
    main()
