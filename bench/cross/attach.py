"""Attach the Bandai2-Cross scores of retrained seed-0 runs (bench/cross/runs) to the benchmark's own runs.

`skelgnn benchmark configs/benchmark_hdm05.toml --out bench/cross --only LABEL --seed 0 --input gt` retrains a
row's seed 0, which scores itself on HDM05-Lift and Bandai2-Cross. The benchmark's stored run of that row
(bench/hdm05/runs/LABEL__gt__s0, trained before Bandai2-Cross existed, its checkpoint not kept) gets the
cross numbers only when the retrained run reproduces its HDM05-Lift test numbers (MPJPE, P-MPJPE, HT10,
Rare20 within 0.01 mm): then it is the same model (same seed, code and torch build), and the Bandai2-Cross
numbers belong to it. Otherwise the script says so and attaches nothing.

A run in bench/cross with no stored counterpart (a seed or an arm the benchmark had not trained yet) is the
benchmark's run of that row: its result files (test.json, cross.json, log.jsonl, sample_errors.npz; never the
weights) are copied into bench/hdm05/runs unchanged.

    python bench/cross/attach.py            # then: skelgnn benchmark ... --out bench/hdm05 --report-only
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("mpjpe", "p_mpjpe", "ht10", "rare20")
RESULT_FILES = ("log.jsonl", "sample_errors.npz", "cross.json", "test.json")  # test.json last: it marks done


def main() -> int:
    status = 0
    for new in sorted((ROOT / "bench" / "cross" / "runs").glob("*/test.json")):
        run = json.loads(new.read_text())
        old_path = ROOT / "bench" / "hdm05" / "runs" / new.parent.name / "test.json"
        if "cross" not in run:
            print(f"{new.parent.name}: nothing to attach (no cross numbers)")
            continue
        if not old_path.exists():
            old_path.parent.mkdir(parents=True, exist_ok=True)
            for name in RESULT_FILES:
                if (new.parent / name).exists():
                    tmp = old_path.parent / f".{name}.tmp"
                    shutil.copyfile(new.parent / name, tmp)
                    tmp.replace(old_path.parent / name)
            print(f"{new.parent.name}: adopted (no stored run: this is the benchmark's run of that row)")
            continue
        old = json.loads(old_path.read_text())
        diffs = {k: abs(run[k] - old[k]) for k in KEYS}
        if max(diffs.values()) > 0.01:
            print(f"{new.parent.name}: NOT attached, the retrained run differs from the stored one "
                  + ", ".join(f"{k} {run[k]:.2f} vs {old[k]:.2f}" for k in KEYS))
            status = 1
            continue
        old["cross"] = run["cross"]
        old["cross_source"] = (f"bench/cross/runs/{new.parent.name} (retrained: same HDM05-Lift test "
                               f"numbers, largest difference {max(diffs.values()):.4f} mm)")
        tmp = old_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(old, indent=1))
        tmp.replace(old_path)
        shutil.copyfile(new.parent / "cross.json", old_path.parent / "cross.json")
        print(f"{new.parent.name}: attached (largest HDM05-Lift difference {max(diffs.values()):.4f} mm)")
    return status


if __name__ == "__main__":
    sys.exit(main())
