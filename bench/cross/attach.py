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

A row whose stored runs cannot be reproduced any more (the multi-frame rows: the multi-frame rewrite changed
their float32 rounding) is replaced as a whole: with every stored seed of LABEL on INPUT retrained in
bench/cross, `--replace LABEL:INPUT` puts the retrained runs' result files in place of the stored ones (each
new test.json records the replaced HDM05-Lift numbers under "replaces"), so a row never mixes code versions.

    python bench/cross/attach.py            # then: skelgnn benchmark ... --out bench/hdm05 --report-only
    python bench/cross/attach.py --replace tcn27:gt
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("mpjpe", "p_mpjpe", "ht10", "rare20")
RESULT_FILES = ("log.jsonl", "sample_errors.npz", "cross.json", "test.json")  # test.json last: it marks done


def _copy_results(src: Path, dst: Path) -> None:
    """Copy a run's result files (never its weights), test.json last, each by an atomic rename."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in RESULT_FILES:
        if (src / name).exists():
            tmp = dst / f".{name}.tmp"
            shutil.copyfile(src / name, tmp)
            tmp.replace(dst / name)


def replace_row(label: str, input_kind: str) -> int:
    """Replace every stored seed of a row by its retrained run; nothing is replaced unless all are there."""
    pattern = f"{label}__{input_kind}__s*"
    stored = sorted((ROOT / "bench" / "hdm05" / "runs").glob(f"{pattern}/test.json"))
    fresh = {p.parent.name: p for p in (ROOT / "bench" / "cross" / "runs").glob(f"{pattern}/test.json")}
    missing = [p.parent.name for p in stored if p.parent.name not in fresh]
    if not stored or missing:
        print(f"{label} on {input_kind}: NOT replaced, " + (f"no retrained run of {', '.join(missing)}"
                                                          if stored else "no stored run"))
        return 1
    for old_path in stored:
        name = old_path.parent.name
        old, run = json.loads(old_path.read_text()), json.loads(fresh[name].read_text())
        if "cross" not in run:
            print(f"{name}: NOT replaced, the retrained run has no Bandai2-Cross numbers")
            return 1
        _copy_results(fresh[name].parent, old_path.parent)
        run["replaces"] = {**{k: old[k] for k in KEYS}, "why": "the stored run cannot be reproduced by this "
                           "code (float32 rounding); its row is retrained as a whole to carry Bandai2-Cross "
                           "numbers"}
        tmp = old_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(run, indent=1))
        tmp.replace(old_path)
        print(f"{name}: replaced (HDM05-Lift MPJPE {old['mpjpe']:.2f} -> {run['mpjpe']:.2f} mm)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replace", action="append", default=[], metavar="LABEL:INPUT",
                        help="replace every stored seed of this row by its retrained run (repeatable)")
    args = parser.parse_args(argv)
    status = 0
    for row in args.replace:
        label, _, input_kind = row.partition(":")
        if input_kind not in ("gt", "noisy"):
            parser.error(f"--replace {row}: expected LABEL:gt or LABEL:noisy")
        status |= replace_row(label, input_kind)
    for new in sorted((ROOT / "bench" / "cross" / "runs").glob("*/test.json")):
        run = json.loads(new.read_text())
        old_path = ROOT / "bench" / "hdm05" / "runs" / new.parent.name / "test.json"
        if "cross" not in run:
            print(f"{new.parent.name}: nothing to attach (no cross numbers)")
            continue
        if not old_path.exists():
            _copy_results(new.parent, old_path.parent)
            print(f"{new.parent.name}: adopted (no stored run: this is the benchmark's run of that row)")
            continue
        old = json.loads(old_path.read_text())
        if "replaces" in old:
            print(f"{new.parent.name}: this run replaced the stored one (--replace)")
            continue
        if {k: v for k, v in old.items() if k != "cross_source"} == run:
            print(f"{new.parent.name}: adopted before (the stored run is this run)")
            continue
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
