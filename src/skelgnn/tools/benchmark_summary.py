"""Summaries of a benchmark: mean ± sd per run, seed-paired differences with a 95 % t interval (on
HDM05-Lift and, for runs scored there, on Bandai2-Cross), the ablation readings, ``results.md``, the results
page's tables and the plots (:func:`skelgnn.tools.benchmark.run_benchmark` writes them); where each run's
folder is (:func:`run_folder`)."""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from ..core.errors import SkelgnnError
from ..core.io import atomic_write_text

__all__ = ["METRICS", "V11_METRICS", "CROSS_METRICS", "CONVERGED_EPOCHS", "CONVERGED_MM",
           "validation_move", "t_interval", "aggregate", "paired_differences",
           "cross_paired_differences", "ablation_readings", "reading_text", "results_markdown",
           "results_page", "check_results_page", "write_results_page", "run_folder"]

def run_folder(out: Path, label: str, input_kind: str, seed: int) -> Path:
    """Where one run trains and writes its ``test.json``."""
    return Path(out) / "runs" / f"{label}__{input_kind}__s{seed}"


# display names of the metrics: the tables' column heads and the readings' text
_METRIC_NAMES = {"mpjpe": "MPJPE", "mpjpe_classwise": "class-wise", "p_mpjpe": "P-MPJPE", "ht10": "HT10",
                 "rare20": "Rare20"}
METRICS = tuple(_METRIC_NAMES)  # with a paired 95 % interval
_V11_NAMES = {"accel": "Accel", "mpjve": "MPJVE", "bone_std": "bone sd", "root_error": "root err",
              "abs_mpjpe": "abs MPJPE"}
V11_METRICS = tuple(_V11_NAMES)  # docs/benchmarks.md, Metrics (mean over seeds, no interval)
# Bandai2-Cross (in-view samples, the run's own 2D input) in the comparison tables and the cross paired
# tables: key of test.json's "cross" part -> (column head, factor from the stored unit to the printed one)
_CROSS_NAMES = {"mpjpe": ("MPJPE", 1.0), "p_mpjpe": ("P-MPJPE", 1.0), "n_mpjpe": ("N-MPJPE", 1.0),
                "pck150": ("PCK@150 %", 100.0), "mpjpe_height": ("MPJPE true height", 1.0),
                "reproj_px": ("reproj px", 1.0)}
CROSS_METRICS = tuple(_CROSS_NAMES)
_CROSS_HEAD = "B2X"  # column prefix: Bandai2-Cross

# the converged protocol's criterion (issue 14): the best validation MPJPE moved by less than CONVERGED_MM
# over the last CONVERGED_EPOCHS epochs; a run's "val_change_last" (set by skelgnn.tools.benchmark from its
# log) is that move
CONVERGED_EPOCHS = 5
CONVERGED_MM = 1.0



def validation_move(best: list[float], last: int = CONVERGED_EPOCHS) -> float | None:
    """How far the best validation MPJPE moved over the last ``last`` epochs (``best``: its value after each
    epoch, as logged), or ``None`` with no more than ``last`` epochs."""
    return None if len(best) <= last else round(float(best[-last - 1] - best[-1]), 3)


# two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom (t_{0.975, df})
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131,
         2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045,
         2.042)


def t_interval(values) -> tuple[float, float, float]:
    """Mean and two-sided 95 % Student-t interval of ``values`` (NaN bounds for fewer than 2 values)."""
    v = np.asarray(values, dtype=np.float64)
    mean = float(v.mean())
    if len(v) < 2:
        return mean, math.nan, math.nan
    half = _T975[min(len(v) - 1, len(_T975)) - 1] * float(v.std(ddof=1)) / math.sqrt(len(v))
    return mean, mean - half, mean + half


def aggregate(results: list[dict]) -> list[dict]:
    """Mean and sample sd over seeds of every metric, per (label, input), in first-seen order."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        groups.setdefault((r["label"], r["input"]), []).append(r)
    out = []
    for (label, input_kind), rows in groups.items():
        row = {"label": label, "input": input_kind, "group": rows[0]["group"],
               "seeds": [r.get("seed") for r in rows],
               "parameters": rows[0]["parameters"], "receptive_field": rows[0]["receptive_field"],
               "train_seconds": float(np.mean([r["train_seconds"] for r in rows])),
               "train_cpu_seconds": float(np.mean([r.get("train_cpu_seconds", math.nan) for r in rows])),
               "epochs_run": [r.get("epochs_run") for r in rows],
               "best_epoch": [r.get("best_epoch") for r in rows],
               "gpu": any(str(r.get("device", "")).startswith("cuda") for r in rows)}
        for m in METRICS:
            v = np.asarray([r[m] for r in rows], dtype=np.float64)
            row[m] = float(v.mean())
            row[m + "_sd"] = float(v.std(ddof=1)) if len(v) > 1 else math.nan
        for m in V11_METRICS:  # runs evaluated before these metrics existed have none
            if all(r.get(m) is not None for r in rows):
                row[m] = float(np.mean([r[m] for r in rows]))
        row["cross"] = _aggregate_cross(rows)
        row["not_converged"] = [(r.get("seed"), float(r["val_change_last"])) for r in rows
                                if r.get("val_change_last") is not None
                                and r["val_change_last"] >= CONVERGED_MM]
        out.append(row)
    return out


def _aggregate_cross(rows: list[dict]) -> dict | None:
    """Bandai2-Cross numbers of one (label, input) over the seeds that have them: ``{"seeds": [...],
    "in_view": {metric: mean, metric + "_sd": sample sd (NaN for one seed)}, "all": {...}}`` in test.json's
    units (mm, px; PCK and AUC as fractions), or ``None`` when no seed was scored there (runs finished before
    the cross set existed)."""
    scored = [r for r in rows if r.get("cross")]
    if not scored:
        return None
    out = {"seeds": [r.get("seed") for r in scored]}
    for part in ("in_view", "all"):
        stats = {}
        for m in scored[0]["cross"].get(part, {}):
            if all(r["cross"].get(part, {}).get(m) is not None for r in scored):
                v = np.asarray([r["cross"][part][m] for r in scored], dtype=np.float64)
                stats[m] = float(v.mean())
                stats[m + "_sd"] = float(v.std(ddof=1)) if len(v) > 1 else math.nan
        out[part] = stats
    return out


def paired_differences(results: list[dict], reference: str) -> list[dict]:
    """``reference`` minus every other run (comparison rows first, then ablation arms), per input and metric,
    over the seeds both finished.

    Each entry: label, input, seeds, and per metric the mean difference with its 95 % t interval
    (negative: the reference is better) and ``real`` = the interval excludes 0.
    """
    return _paired(results, reference, {m: (lambda r, m=m: r[m]) for m in METRICS})


def cross_paired_differences(results: list[dict], reference: str) -> list[dict]:
    """As :func:`paired_differences`, on the Bandai2-Cross in-view numbers (:data:`CROSS_METRICS`), over the
    seeds that both runs have scored there (``"cross"`` in their test.json). Differences in mm, PCK@150 in
    percentage points (reference minus run: negative is better for the reference in mm, positive for PCK).
    Entries with one shared seed have NaN bounds (no interval)."""
    scored = [r for r in results if (r.get("cross") or {}).get("in_view")]
    return _paired(scored, reference, {m: (lambda r, m=m, f=f: f * r["cross"]["in_view"][m])
                                       for m, (_, f) in _CROSS_NAMES.items()})


def _paired(results: list[dict], reference: str, metrics: dict) -> list[dict]:
    """``reference`` minus every other (label, input) over their shared seeds; ``metrics``: key -> the value
    of a run."""
    by = {(r["label"], r["input"], r.get("seed")): r for r in results}
    out = []
    ordered = sorted(results, key=lambda r: r["group"] != "main")  # stable: comparison rows, then ablations
    for (label, input_kind) in dict.fromkeys((r["label"], r["input"]) for r in ordered):
        if label == reference:
            continue
        seeds = sorted(s for (lb, i, s) in by if lb == label and i == input_kind and (reference, i, s) in by)
        if not seeds:
            continue
        entry = {"label": label, "input": input_kind, "reference": reference, "seeds": seeds,
                 "group": by[(label, input_kind, seeds[0])]["group"]}
        for m, value in metrics.items():
            d = [value(by[(reference, input_kind, s)]) - value(by[(label, input_kind, s)]) for s in seeds]
            mean, lo, hi = t_interval(d)
            entry[m] = {"mean": mean, "lo": lo, "hi": hi, "real": bool(lo > 0 or hi < 0)}
        out.append(entry)
    return out


def ablation_readings(results: list[dict], arms: dict[str, tuple[str | list[str], str]]) -> list[dict]:
    """The written reading of every ablation arm against each of its bases, per input, over the seeds both
    finished.

    ``arms`` maps an arm's label to (base label or list of base labels, note). Each entry: arm, base, note,
    input, seeds and, per metric, the mean of arm minus base (negative: the arm is better) with its 95 % t
    interval and ``real``. Pairs with fewer than two shared seeds get no reading (no interval can be formed).
    """
    out = []
    for arm, (bases, note) in arms.items():
        for base in ([bases] if isinstance(bases, str) else bases):
            for p in paired_differences([r for r in results if r["label"] in (arm, base)], arm):
                if len(p["seeds"]) < 2:
                    continue
                out.append({"arm": arm, "base": base, "note": note, "input": p["input"], "seeds": p["seeds"],
                            **{m: p[m] for m in METRICS}})
    return out


def reading_text(r: dict) -> str:
    """One markdown line: the arm's paired differences that exclude 0, and "no difference measured at this
    precision" for the others."""
    def cell(m):
        d = r[m]
        return f"{_METRIC_NAMES[m]} {d['mean']:+.1f} [{d['lo']:+.1f}, {d['hi']:+.1f}]"

    real = [m for m in METRICS if r[m]["real"]]
    rest = [m for m in METRICS if not r[m]["real"]]
    note = f" ({r['note']})" if r["note"] else ""
    seeds = ",".join(str(s) for s in r["seeds"])
    head = f"- **{r['arm']}**{note} minus **{r['base']}**, {r['input']}, seeds {seeds}: "
    if not real:
        return head + "no difference measured at this precision (" + "; ".join(cell(m) for m in rest) + ")."
    if all(r[m]["mean"] < 0 for m in real):
        verdict = "the arm is better"
    elif all(r[m]["mean"] > 0 for m in real):
        verdict = "the arm is worse"
    else:
        verdict = "mixed"
    text = head + verdict + ": " + "; ".join(cell(m) for m in real)
    if rest:
        text += "; no difference measured at this precision on " + ", ".join(_METRIC_NAMES[m] for m in rest)
    return text + "."


def _pm(row: dict, m: str) -> str:
    sd = row.get(m + "_sd", math.nan)
    return f"{row[m]:.1f}" if sd != sd else f"{row[m]:.1f} ± {sd:.1f}"


def results_markdown(summary: dict) -> str:
    """Tables per input setting (mean ± sd over seeds): main comparison, ablations, paired differences."""
    lines = ["# HDM05-Lift benchmark", "", f"Config: `{summary['config']}`", "", "Protocol:"]
    lines += [f"- {k}: {v}" for k, v in summary["protocol"].items()]
    devices = Counter(r.get("device", "not recorded") for r in summary["results"])
    if devices:
        lines.append("- devices: "
                     + "; ".join(f"{d} ({n} run{'s' if n > 1 else ''})" for d, n in devices.items())
                     + " (rows trained on a GPU are labelled (GPU))")
    if summary.get("missing"):
        lines += ["",
                  f"Not finished yet (rerun the benchmark to train them): {', '.join(summary['missing'])}"]
    columns = ["model", "params", "rf", "seeds", "epochs (best)", "train s", "CPU s",
               *(_METRIC_NAMES[m] for m in METRICS), *(_V11_NAMES[m] for m in V11_METRICS)]
    cross_columns = [f"{_CROSS_HEAD} {name}" for name, _ in _CROSS_NAMES.values()]
    aggregates = summary.get("aggregates") or aggregate(summary["results"])
    for input_kind in dict.fromkeys(r["input"] for r in aggregates):
        for group in ("main", "ablation"):
            rows = [r for r in aggregates if r["input"] == input_kind and r["group"] == group]
            if not rows:
                continue
            # Bandai2-Cross columns: always in the comparison tables, in an ablation table once one of its
            # rows has been scored there
            cross = group == "main" or any(r.get("cross") for r in rows)
            head = columns + (cross_columns if cross else [])
            lines += ["", f"## {input_kind} input — {'comparison' if group == 'main' else 'ablations'}", "",
                      "| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
            for r in rows:
                epochs = ("/".join(str(e) for e in r["epochs_run"])
                          + " (" + "/".join(str(e) for e in r["best_epoch"]) + ")")
                label = r["label"] + (" (GPU)" if r.get("gpu") else "")
                lines.append(f"| {label} | {r['parameters'] / 1e6:.2f} M | {r['receptive_field']} | "
                             f"{','.join(str(x) for x in r['seeds'])} | {epochs} | {r['train_seconds']:.0f} "
                             f"| {r['train_cpu_seconds']:.0f} | " + " | ".join(_pm(r,
                                                                                 m) for m in METRICS) + " | "
                             + " | ".join(_cell(r, k) for k in V11_METRICS)
                             + "".join(" | " + _cross_cell(r, m) for m in CROSS_METRICS if cross) + " |")
            caption = _cross_caption(rows) if cross else ""
            if caption:
                lines += ["", caption]
            moving = _convergence_caption(rows)
            if moving:
                lines += ["", moving]
    all_paired = summary.get("paired", [])
    for reference in dict.fromkeys(p["reference"] for p in all_paired):
        paired = [p for p in all_paired if p["reference"] == reference]
        lines += ["", f"## Paired differences, {reference} minus each model (same seeds; mm, "
                      "95 % t interval; negative = the reference is better; * = the interval excludes 0)", "",
                  "| model | input | seeds | " + " | ".join(_METRIC_NAMES[m] for m in METRICS) + " |",
                  "|---|---|---|" + "---|" * len(METRICS)]
        for p in paired:
            cells = []
            for m in METRICS:
                d = p[m]
                cells.append(f"{d['mean']:+.1f}" + ("" if d["lo"] != d["lo"] else
                                                    f" [{d['lo']:+.1f}, "
                                                    f"{d['hi']:+.1f}]{'*' if d['real'] else ''}"))
            lines.append(f"| {p['label']}{' (ablation)' if p.get('group') == 'ablation' else ''} | "
                         f"{p['input']} | {','.join(str(x) for x in p['seeds'])} | "
                         + " | ".join(cells) + " |")
    lines += _cross_paired_lines(summary)
    readings = summary.get("readings", [])
    if readings:
        lines += ["", "## Ablation readings (each arm minus its base, same seeds; mm, 95 % t interval; "
                      "negative = the arm is better; a difference is stated only where its interval excludes "
                      "0)", ""]
        lines += [reading_text(r) for r in readings]
    own = {r["label"]: r["train_overrides"] for r in summary["results"] if r.get("train_overrides")}
    if own:
        lines += ["", "Runs with their own training settings (over the shared budget):"]
        lines += [f"- {label}: " + ", ".join(f"train.{k} = {v!r}" for k, v in t.items())
                  for label, t in own.items()]
    return "\n".join(lines) + "\n"


# the results page (docs/results.md) holds results.md's tables between two marker lines
_PAGE_BEGIN = re.compile(r"^<!-- tables from (.+): begin -->$", re.MULTILINE)


def _page_span(page: str, where: str) -> tuple[int, int]:
    """Where the tables go in a results page: from the end of its begin marker line to the start of its end
    marker line (``<!-- tables from SOURCE: begin -->`` ... ``<!-- tables from SOURCE: end -->``)."""
    begin = _PAGE_BEGIN.search(page)
    end = page.find(f"<!-- tables from {begin.group(1)}: end -->", begin.end()) if begin else -1
    if end < 0:
        raise SkelgnnError(f"{where}: no marker lines for the tables; put "
                           "'<!-- tables from SOURCE: begin -->' and '<!-- tables from SOURCE: end -->' "
                           "(each on its own line) where they go")
    return begin.end(), end


def results_page(page: str, results_md: str, where: str = "results page") -> str:
    """``page`` with the tables of ``results_md`` (from its first section on, headings one level down) between
    its two marker lines; the rest of the page is kept as it is."""
    start, end = _page_span(page, where)
    body = results_md[results_md.index("\n## ") + 1:] if "\n## " in results_md else ""
    tables = "\n".join(f"#{ln}" if ln.startswith("## ") else ln for ln in body.splitlines()).rstrip() + "\n"
    return page[:start] + "\n\n" + tables + "\n" + page[end:]


def check_results_page(path: str | Path) -> None:
    """Raise :class:`SkelgnnError` unless ``path`` is a page with the two marker lines (checked before any
    training)."""
    path = Path(path)
    if not path.is_file():
        raise SkelgnnError(f"results page {path}: not a file")
    _page_span(path.read_text(encoding="utf-8"), str(path))


def write_results_page(path: str | Path, results_md: str) -> bool:
    """Put the tables of ``results_md`` into the page at ``path`` between its marker lines (atomically);
    returns whether the page changed."""
    path = Path(path)
    page = path.read_text(encoding="utf-8")
    new = results_page(page, results_md, str(path))
    if new != page:
        atomic_write_text(path, new)
    return new != page


def _cross_cell(row: dict, m: str) -> str:
    """A Bandai2-Cross in-view column: mean ± sd over the seeds scored there (PCK@150 in %), "–" without."""
    stats = (row.get("cross") or {}).get("in_view", {})
    if stats.get(m) is None:
        return "–"
    f = _CROSS_NAMES[m][1]
    sd = stats.get(m + "_sd", math.nan)
    return f"{f * stats[m]:.1f}" if math.isnan(sd) else f"{f * stats[m]:.1f} ± {f * sd:.1f}"


def _seed_text(seeds: list) -> str:
    return f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''} ({','.join(str(s) for s in seeds)})"


def _convergence_caption(rows: list[dict]) -> str:
    """The runs of a table that miss the converged criterion, with how far their best validation MPJPE
    still moved; "" when none does (or no run's log was read)."""
    moving = [(r["label"], seed, change) for r in rows for seed, change in r.get("not_converged") or ()]
    if not moving:
        return ""
    return (f"Not converged by the protocol's criterion (the best validation MPJPE still moved by "
            f"{CONVERGED_MM:g} mm or more over the last {CONVERGED_EPOCHS} epochs; their cells are the fixed "
            "budget's numbers): " + "; ".join(f"{label} seed {seed} ({change:.2f} mm)"
                                             for label, seed, change in moving) + ".")


def _cross_caption(rows: list[dict]) -> str:
    """What the Bandai2-Cross columns of a table cover, and which rows' cross cells cover other seeds than
    their HDM05-Lift cells; "" when no row of the table has been scored there."""
    scored = [r for r in rows if r.get("cross")]
    if not scored:
        return ""
    text = (f"{_CROSS_HEAD} = Bandai2-Cross (another studio's people, HDM05-Lift's camera ring), in-view "
            "samples, each run's own 2D input; mean ± sd over the seeds scored there; \"true height\": the "
            "output scaled to each clip's true standing height; \"reproj px\": the 2D reprojection error of "
            "the lifted pose on its least-squares trajectory, in pixels (how closely it follows its 2D "
            "input); – = not scored there yet.")
    other = [r for r in scored if list(r["cross"]["seeds"]) != list(r["seeds"])]
    if other:
        text += (" Seeds of the Bandai2-Cross cells where they differ from the HDM05-Lift cells: "
                 + "; ".join(f"{r['label']} {_seed_text(r['cross']['seeds'])}" for r in other) + ".")
    else:
        text += " Every Bandai2-Cross cell covers the same seeds as its row's HDM05-Lift cells."
    return text


def _cross_paired_lines(summary: dict) -> list[str]:
    """The Bandai2-Cross paired tables (one per reference), or, where no pair shares two seeds scored there,
    the statement that no interval exists yet; nothing when no run has been scored there."""
    if not any(r.get("cross") for r in summary["results"]):
        return []
    cross_paired = summary.get("cross_paired", [])
    references = summary.get("references") or list(dict.fromkeys(
        p["reference"] for p in summary.get("paired", []) + cross_paired))
    scored = {r["label"] for r in summary["results"] if r.get("cross")}
    lines = []
    for reference in references:
        pairs = [p for p in cross_paired if p["reference"] == reference]
        lines += ["", (f"## Bandai2-Cross paired differences, {reference} minus each model (in view, "
                       "each run's own 2D input; seeds scored there by both; mm, reprojection in px, PCK@150 "
                       "in points; "
                       "95 % t interval; negative = the reference is better, for PCK@150 positive; "
                       "* = the interval excludes 0)"), ""]
        intervals = [p for p in pairs if len(p["seeds"]) >= 2]
        if intervals:
            lines += ["| model | input | seeds | " + " | ".join(n for n, _ in _CROSS_NAMES.values()) + " |",
                      "|---|---|---|" + "---|" * len(CROSS_METRICS)]
            for p in intervals:
                cells = [f"{p[m]['mean']:+.1f} [{p[m]['lo']:+.1f}, {p[m]['hi']:+.1f}]"
                         + ("*" if p[m]["real"] else "") for m in CROSS_METRICS]
                arm = " (ablation)" if p.get("group") == "ablation" else ""
                lines.append(f"| {p['label']}{arm} | {p['input']} | {','.join(str(x) for x in p['seeds'])} | "
                             + " | ".join(cells) + " |")
        elif reference not in scored:
            lines.append(f"No interval exists yet: no run of {reference} has been scored on Bandai2-Cross.")
        else:
            lines.append("No interval exists yet: no model shares two or more seeds scored on Bandai2-Cross "
                         f"with {reference}.")
        single = [p for p in pairs if len(p["seeds"]) < 2]
        if single:
            lines += ["", "One shared seed (no interval yet): "
                      + "; ".join(f"{p['label']} {p['input']} (seed {p['seeds'][0]})" for p in single) + "."]
    return lines


def _cell(row: dict, key: str) -> str:
    """A v1.1 metric (docs/benchmarks.md) with 1 decimal (2 for Accel), or "–" for runs evaluated before it
    existed."""
    v = row.get(key)
    if v is None:
        return "–"
    return f"{v:.2f}" if key == "accel" else f"{v:.1f}"


def _plots(summary: dict, out: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("[benchmark] matplotlib is not installed (pip install 'skelgnn[viz]'): no plots",
              file=sys.stderr)
        return
    for input_kind in dict.fromkeys(r["input"] for r in summary["results"]):
        first = {}  # one run (the first seed) per label
        for r in summary["results"]:
            if r["input"] == input_kind and r["group"] == "main":
                first.setdefault(r["label"], r)
        rows = list(first.values())
        if not rows:
            continue
        classes = list(rows[0]["per_class"])
        order = sorted(classes, key=lambda c: np.mean([r["per_class"][c]["mpjpe"] for r in rows]))
        fig, ax = plt.subplots(figsize=(10, 4.5))
        for r in rows:
            ax.plot(range(len(order)), [r["per_class"][c]["mpjpe"] for c in order], marker="o",
                    label=r["label"])
        ax.set_xticks(range(len(order)), order, rotation=35, ha="right")
        ax.set_ylabel("MPJPE (mm)")
        ax.set_title(f"HDM05-Lift ({input_kind}): per-class MPJPE, classes sorted easy → hard")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / f"per_class_{input_kind}.png", dpi=110)
        plt.close(fig)

        fig, ax = plt.subplots(figsize=(6, 4.5))
        for r in rows:
            folder = run_folder(out, r["label"], input_kind, r.get("seed", 0))
            with np.load(folder / "sample_errors.npz") as f:
                e = np.sort(f["mpjpe"])
            ax.plot(e, np.arange(1, len(e) + 1) / len(e), label=r["label"])
        ax.set_xlabel("per-sample MPJPE (mm)")
        ax.set_ylabel("share of test samples")
        ax.set_title(f"HDM05-Lift ({input_kind}): error CDF")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(out / f"cdf_{input_kind}.png", dpi=110)
        plt.close(fig)

        joints = list(rows[0]["per_joint"])
        fig, ax = plt.subplots(figsize=(10, 4.5))
        width = 0.8 / len(rows)
        for i, r in enumerate(rows):
            ax.bar(np.arange(len(joints)) + i * width, [r["per_joint"][j] for j in joints], width,
                   label=r["label"])
        ax.set_xticks(np.arange(len(joints)) + 0.4 - width / 2, joints, rotation=45, ha="right")
        ax.set_ylabel("MPJPE (mm)")
        ax.set_title(f"HDM05-Lift ({input_kind}): per-joint MPJPE")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / f"per_joint_{input_kind}.png", dpi=110)
        plt.close(fig)
