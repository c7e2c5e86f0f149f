"""Tabulate bench/norm/robustness/*.json (`bash bench/norm/robustness.sh`): each checkpoint's MPJPE under
every camera change of `skelgnn robustness` as a multiple of its own error on the benchmark's cameras, then
the mean over the seeds of each row. Exact 2D input, so the ratios are the camera's effect alone.

    python bench/norm/robustness_table.py > bench/norm/robustness.md
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUN = re.compile(r"^(?P<label>.+)__(?P<input>gt|noisy)__s(?P<seed>\d+)$")


def main() -> None:
    runs = []
    for path in sorted((HERE / "robustness").glob("*.json")):
        m = RUN.match(path.stem)
        if m is None:
            continue
        report = json.loads(path.read_text())
        rows = {r["name"]: r for r in report["rows"]}
        runs.append({"label": m["label"], "seed": int(m["seed"]), "norm": report["input_norm"], "rows": rows})
    if not runs:
        print("No runs measured yet: bash bench/norm/robustness.sh")
        return
    changes = [name for name in runs[0]["rows"] if name != "baseline"]
    print("Camera robustness of HDM05-Lift gt-trained checkpoints (`skelgnn robustness --input gt`, "
          "HDM05-Lift test actors, exact 2D): MPJPE under each camera change ÷ MPJPE on the benchmark's "
          "cameras. Checkpoints: the runs in bench/cross/runs (the benchmark's protocol, 50 epochs).\n")
    print("| run | 2D normalisation | benchmark cameras MPJPE (mm) | " + " | ".join(changes) + " | worst |")
    print("|---|---|--:|" + "--:|" * (len(changes) + 1))
    by_label: dict[tuple[str, str], list[dict]] = {}
    for run in runs:
        ratios = [run["rows"][c]["ratio_to_baseline"] for c in changes]
        run["worst"] = max(ratios)
        by_label.setdefault((run["label"], run["norm"]), []).append(run)
        print(f"| {run['label']} s{run['seed']} | {run['norm']} | {run['rows']['baseline']['mpjpe']:.1f} | "
              + " | ".join(f"{r:.2f}" for r in ratios) + f" | {run['worst']:.2f} |")
    print("\nMean over seeds (the worst change's ratio: mean, and the smallest and largest over seeds):\n")
    print("| model | 2D normalisation | seeds | worst ratio | range |")
    print("|---|---|---|--:|---|")
    for (label, norm), rs in sorted(by_label.items()):
        worst = [r["worst"] for r in rs]
        seeds = ",".join(str(r["seed"]) for r in rs)
        print(f"| {label} | {norm} | {seeds} | {statistics.fmean(worst):.2f} | "
              f"{min(worst):.2f}–{max(worst):.2f} |")


if __name__ == "__main__":
    main()
