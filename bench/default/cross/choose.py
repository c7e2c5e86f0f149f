"""Apply bench/default/cross/RULE.md to the candidates' measurements and print the table and the choice.

Each candidate X has, in this folder, X_cross_gt.json and X_cross_noisy.json (`skelgnn evaluate CKPT --data
data/bandai2 --input gt|noisy --json ...`), X_hdm05_gt.json and X_hdm05_noisy.json (`skelgnn evaluate CKPT
--data data/hdm05 ...`) and X_robustness.json (`skelgnn robustness CKPT --data data/hdm05 --json ...`);
bash bench/default/cross/score.sh X CKPT writes them.

    python bench/default/cross/choose.py A B C D F > bench/default/cross/choice.md
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SWITCHES = {"A": 0, "B": 1, "C": 2, "D": 3, "E": 4, "F": 4}  # switches per candidate (RULE.md, amendments)
HDM05_LIMIT = {"gt": 51.07 + 2.0, "noisy": 56.71 + 2.0}  # today's default + 2 mm (bench/default/eval_*.json)
ROBUSTNESS_LIMIT = 1.35
TIE_MM = 0.5


def load(name: str) -> dict:
    return json.loads((HERE / name).read_text())


def measure(x: str) -> dict:
    c_gt, c_noisy = load(f"{x}_cross_gt.json")["in_view"], load(f"{x}_cross_noisy.json")["in_view"]
    h_gt, h_noisy = load(f"{x}_hdm05_gt.json"), load(f"{x}_hdm05_noisy.json")
    rob = load(f"{x}_robustness.json")["rows"]
    base = rob[0]["mpjpe"]
    worst = max(r["mpjpe"] / base for r in rob)
    return {"score": (c_gt["p_mpjpe"] + c_gt["n_mpjpe"]) / 2, "cross_gt": c_gt, "cross_noisy": c_noisy,
            "hdm05_gt": h_gt["mpjpe"], "hdm05_noisy": h_noisy["mpjpe"], "robustness": worst,
            "passes": (h_gt["mpjpe"] <= HDM05_LIMIT["gt"] and h_noisy["mpjpe"] <= HDM05_LIMIT["noisy"]
                       and worst <= ROBUSTNESS_LIMIT)}


def main(names: list[str]) -> None:
    m = {x: measure(x) for x in names}
    print("| candidate | score (P+N)/2 | B2 gt P-MPJPE | B2 gt N-MPJPE | B2 gt MPJPE | B2 gt MPJPE, height "
          "given | B2 gt PCK@150, height given | B2 gt PCK@150 | B2 noisy P-MPJPE | HDM05 gt MPJPE | HDM05 "
          "noisy MPJPE | worst camera ratio | passes |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for x, v in m.items():
        g, n = v["cross_gt"], v["cross_noisy"]
        print(f"| {x} | {v['score']:.1f} | {g['p_mpjpe']:.1f} | {g['n_mpjpe']:.1f} | {g['mpjpe']:.1f} | "
              f"{g['mpjpe_height']:.1f} | {100 * g['pck150_height']:.1f} | {100 * g['pck150']:.1f} | "
              f"{n['p_mpjpe']:.1f} | {v['hdm05_gt']:.1f} | {v['hdm05_noisy']:.1f} | {v['robustness']:.2f} | "
              f"{'yes' if v['passes'] else 'no'} |")
    eligible = [x for x in names if m[x]["passes"]]
    if not eligible:
        print("\nNo candidate passes the release checks; the default stays A.")
        return
    best = min(m[x]["score"] for x in eligible)
    near = [x for x in eligible if m[x]["score"] <= best + TIE_MM]
    choice = min(near, key=lambda x: (SWITCHES.get(x, 99), m[x]["score"]))
    print(f"\nChoice (RULE.md): {choice} (score {m[choice]['score']:.1f} mm; lowest eligible {best:.1f} mm; "
          f"eligible: {', '.join(eligible)})")


if __name__ == "__main__":
    main(sys.argv[1:] or ["A", "B", "C", "D"])
