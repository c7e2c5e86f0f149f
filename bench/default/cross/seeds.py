"""The bundled default's recipe over training seeds: each seed's measurements and their mean ± sd.

The bundled checkpoint is seed 0 of its recipe (candidate D of RULE.md); seeds 1 and 2 are the same config
retrained with `--set train.seed=N` and scored by the same script as the candidates:

    skelgnn train configs/default_hdm05.toml --out runs/default_s1 --set train.seed=1
    bash bench/default/cross/score.sh D_s1 runs/default_s1/best.pt
    python bench/default/cross/seeds.py D D_s1 D_s2 > bench/default/cross/seeds.md

The seeds are not candidates: nothing is chosen here. The first table says how far one seed's numbers (the
ones the choice was made on) can be trusted, and whether every seed meets the targets of issue 34 §4. The
second pairs the recipe's seed N with seed N of benchmark rows trained on HDM05-Lift gt (`bench/hdm05/runs`,
screen-normalised input): the recipe minus each row on Bandai2-Cross gt, with 95 % t intervals. The recipe
was chosen on Bandai2-Cross, so its side of these differences is optimistic.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from choose import HDM05_LIMIT, ROBUSTNESS_LIMIT, measure

from skelgnn.tools.benchmark_summary import t_interval

RUNS = Path(__file__).resolve().parents[2] / "hdm05" / "runs"
ROWS = ("fc", "fc_c176", "semgcn", "lcn", "tcn1", "tcn27",  # the comparison rows; a row without B2X cells
        "skeletal_gnn", "skeletal_gnn_wide", "skeletal_gnn_plus")  # for every paired seed is left out
PAIRED = (("P-MPJPE", "p_mpjpe"), ("N-MPJPE", "n_mpjpe"), ("MPJPE, height given", "mpjpe_height"))

# Issue 34 §4, on Bandai2-Cross gt, in view: 10 % below the MLP's P-MPJPE 59.1 and N-MPJPE 82.7; with each
# clip's true height given, MPJPE at most 80 mm and PCK@150 above the MLP's 89.2 %.
TARGETS = {"p_mpjpe": 53.2, "n_mpjpe": 74.4, "mpjpe_height": 80.0, "pck150_height": 0.892}

COLUMNS = (  # (header, how to read it from choose.measure's dict, format)
    ("B2X gt P-MPJPE", lambda v: v["cross_gt"]["p_mpjpe"], "{:.1f}"),
    ("B2X gt N-MPJPE", lambda v: v["cross_gt"]["n_mpjpe"], "{:.1f}"),
    ("B2X gt MPJPE", lambda v: v["cross_gt"]["mpjpe"], "{:.1f}"),
    ("B2X gt MPJPE, height given", lambda v: v["cross_gt"]["mpjpe_height"], "{:.1f}"),
    ("B2X gt PCK@150 %, height given", lambda v: 100 * v["cross_gt"]["pck150_height"], "{:.1f}"),
    ("B2X noisy P-MPJPE", lambda v: v["cross_noisy"]["p_mpjpe"], "{:.1f}"),
    ("B2X gt reproj px", lambda v: v["cross_gt"]["reproj_px"], "{:.1f}"),
    ("HDM05-Lift gt MPJPE", lambda v: v["hdm05_gt"], "{:.1f}"),
    ("HDM05-Lift noisy MPJPE", lambda v: v["hdm05_noisy"], "{:.1f}"),
    ("worst camera ratio", lambda v: v["robustness"], "{:.2f}"),
)


def meets_targets(v: dict) -> bool:
    """Every target of issue 34 §4 and both release checks of RULE.md."""
    g = v["cross_gt"]
    return (g["p_mpjpe"] <= TARGETS["p_mpjpe"] and g["n_mpjpe"] <= TARGETS["n_mpjpe"]
            and g["mpjpe_height"] <= TARGETS["mpjpe_height"] and g["pck150_height"] > TARGETS["pck150_height"]
            and v["passes"])


def table(names: list[str]) -> str:
    """The markdown table: one row per seed, then mean ± sd (sample sd) when there are two seeds or more."""
    m = {x: measure(x) for x in names}
    head = ["seed run", *(c[0] for c in COLUMNS), "meets every target"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for x, v in m.items():
        cells = [fmt.format(get(v)) for _, get, fmt in COLUMNS]
        lines.append(f"| {x} | " + " | ".join(cells) + f" | {'yes' if meets_targets(v) else 'no'} |")
    if len(m) >= 2:
        cells = []
        for _, get, fmt in COLUMNS:
            vals = [get(v) for v in m.values()]
            cells.append(f"{fmt.format(statistics.mean(vals))} ± {fmt.format(statistics.stdev(vals))}")
        n_ok = sum(meets_targets(v) for v in m.values())
        lines.append(f"| mean ± sd ({len(m)} seeds) | " + " | ".join(cells) + f" | {n_ok} of {len(m)} |")
    limits = (f"Targets: P-MPJPE ≤ {TARGETS['p_mpjpe']}, N-MPJPE ≤ {TARGETS['n_mpjpe']}, MPJPE with the "
              f"height given ≤ {TARGETS['mpjpe_height']:.0f} mm, PCK@150 with the height given > "
              f"{100 * TARGETS['pck150_height']:.1f} %; HDM05-Lift MPJPE ≤ {HDM05_LIMIT['gt']:.2f} (gt) and "
              f"{HDM05_LIMIT['noisy']:.2f} mm (noisy); worst camera ratio ≤ {ROBUSTNESS_LIMIT}.")
    return "\n".join(lines) + "\n\n" + limits


def paired(names: list[str]) -> str:
    """The recipe (names[i] is seed i) minus each benchmark row's seed i, Bandai2-Cross gt, in view."""
    ours = [measure(x)["cross_gt"] for x in names]
    head = ["recipe minus row", *(label for label, _ in PAIRED)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in ROWS:
        files = [RUNS / f"{row}__gt__s{seed}" / "cross.json" for seed in range(len(names))]
        if not all(f.exists() for f in files):
            continue
        theirs = [json.loads(f.read_text())["in_view"] for f in files]
        cells = []
        for _, key in PAIRED:
            mean, lo, hi = t_interval([a[key] - b[key] for a, b in zip(ours, theirs, strict=True)])
            star = " *" if lo > 0 or hi < 0 else ""
            cells.append(f"{mean:+.1f} [{lo:+.1f}, {hi:+.1f}]{star}")
        lines.append(f"| `{row}` | " + " | ".join(cells) + " |")
    note = (f"mm; seeds 0–{len(names) - 1} paired by seed; 95 % t interval; negative = the default's recipe"
            " is better; * = the interval excludes 0.")
    return "\n".join(lines) + "\n\n" + note


if __name__ == "__main__":
    seed_runs = sys.argv[1:] or ["D", "D_s1"]
    print(table(seed_runs))
    if len(seed_runs) >= 2:
        print("\n" + paired(seed_runs))
