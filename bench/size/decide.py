"""Apply bench/size/RULE.md: sgnn_plus_h168 (every training target 1.68 m tall) against skeletal_gnn_plus.

Reads the benchmark's runs (bench/hdm05/runs/<label>__gt__s<seed>/test.json, Bandai2-Cross numbers under
"cross"), pairs the seeds both have scored on Bandai2-Cross, and prints a markdown table of arm minus base
(mean and 95 % t interval) with the rule's verdict. Run:
    python bench/size/decide.py > bench/size/result.md
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from skelgnn.tools.benchmark_summary import t_interval

ROOT = Path(__file__).resolve().parents[2]
ARM, BASE = "sgnn_plus_h168", "skeletal_gnn_plus"
# (label, where, key): Bandai2-Cross in view (people never seen), then HDM05-Lift validation and test
READINGS = [
    ("Bandai2-Cross N-MPJPE", "cross", "n_mpjpe"),
    ("Bandai2-Cross P-MPJPE", "cross", "p_mpjpe"),
    ("Bandai2-Cross MPJPE", "cross", "mpjpe"),
    ("Bandai2-Cross MPJPE, true height given", "cross", "mpjpe_height"),
    ("HDM05-Lift validation MPJPE (best)", "test", "best_val_mpjpe"),
    ("HDM05-Lift test MPJPE (reported, not used)", "test", "mpjpe"),
]


def runs(label: str) -> dict[int, dict]:
    out = {}
    for path in sorted((ROOT / "bench" / "hdm05" / "runs").glob(f"{label}__gt__s*/test.json")):
        run = json.loads(path.read_text())
        if "cross" in run:
            out[int(run["seed"])] = run
    return out


def value(run: dict, where: str, key: str) -> float:
    return float(run["cross"]["in_view"][key] if where == "cross" else run[key])


def main() -> int:
    arm, base = runs(ARM), runs(BASE)
    seeds = sorted(set(arm) & set(base))
    print(f"# {ARM} minus {BASE} (gt input; seeds {', '.join(map(str, seeds)) or 'none'})\n")
    if not seeds:
        print("No seed is scored on Bandai2-Cross by both yet.")
        return 0
    print("| reading | base | arm | arm minus base | 95 % t interval |\n|---|--:|--:|--:|---|")
    verdict = {}
    for name, where, key in READINGS:
        b = [value(base[s], where, key) for s in seeds]
        a = [value(arm[s], where, key) for s in seeds]
        mean, lo, hi = t_interval([x - y for x, y in zip(a, b)])
        interval = "one seed: none" if math.isnan(lo) else f"[{lo:+.2f}, {hi:+.2f}]"
        print(f"| {name} | {sum(b) / len(b):.2f} | {sum(a) / len(a):.2f} | {mean:+.2f} | {interval} |")
        verdict[key if where == "cross" else where + key] = (lo, hi)
    print()
    if len(seeds) < 3:
        print(f"Verdict: {len(seeds)} paired seed(s), the rule needs three: a screening reading, no change.")
        return 0
    n_hi = verdict["n_mpjpe"][1]
    p_lo = verdict["p_mpjpe"][0]
    joins = n_hi < 0 and not p_lo > 0
    yes = "the switch joins the default's recipe (N-MPJPE interval below 0, P-MPJPE not above)."
    no = "the switch does not join the default's recipe (the rule's N-MPJPE / P-MPJPE condition is not met)."
    print("Verdict: " + (yes if joins else no))
    return 0


if __name__ == "__main__":
    sys.exit(main())
