"""Side-by-side benchmark: every listed model, same data, seed, epoch budget and selection rule.

A benchmark config (TOML) lists runs and one shared training budget::

    [benchmark]
    data = "data/hdm05"
    inputs = ["gt", "noisy"]      # each model is trained and tested once per input setting

    [train]                      # the shared budget: any TrainConfig key
    epochs = 20

    [[runs]]
    label = "fc"                 # unique; used for folder names and tables
    model = "fc"
    kwargs = {}
    group = "main"               # "main" (the comparison table) or "ablation"
    inputs = ["gt"]              # optional: a subset of benchmark.inputs for this run only
    train = { strided = true }   # optional: training settings of this run only, over [train]
    seeds = [0, 1, 2]            # optional: one training per seed (default: [train] seed)
    base = "skeletal_gnn"        # ablation arms only, optional: the run the arm is read against
                                 # (default: the first benchmark.reference, when it is a run), or a list
                                 # of runs: one reading against each (base = ["skeletal_gnn", "sgnn_M_only"])
    note = "d = 1"               # optional: what the arm changes, printed with its reading

For each run, input and seed, the model is trained into ``OUT/runs/<label>__<input>__s<seed>/`` (resumable) and its
validation-selected checkpoint is evaluated on the test actors with that input. Finished pieces are
skipped when the command is run again, so an interrupted benchmark resumes where it stopped.
Outputs: ``results.json``, ``results.md`` and plots (per-class MPJPE sorted easy→hard, error CDF,
per-joint MPJPE) in ``OUT``. The tables give mean ± sd over the seeds, and ``benchmark.reference``
(a label, default ``skeletal_gnn``, or a list of labels: one paired table each) is compared with every other
main run by seed-paired differences with a 95 % t interval: a difference is called real only when that
interval excludes 0. Every ablation arm with two or more seeds shared with a ``base`` gets a written reading
per metric (arm minus base): the difference and its interval where the interval excludes 0, otherwise "no
difference measured at this precision".

The runs are independent, so N processes (or machines) can share them: ``shard=(k, N)`` trains only
every N-th job (run × input × seed) starting at the k-th; ``train=False`` merges what is finished.
Every run records its CPU seconds beside its wall seconds, so tables stay honest on a shared machine.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
import time
from collections import Counter
from dataclasses import fields
from pathlib import Path

import numpy as np

from .config import DataConfig, ModelSpec, RunConfig, TrainConfig, _number, check_train_config
from .distributed import describe_device, resolve_device
from .errors import SkelgnnError
from .io import atomic_save_npz, atomic_write_text
from .validate import check_model_kwargs

__all__ = ["load_benchmark_config", "run_benchmark", "results_markdown"]

_LABEL = re.compile(r"^[A-Za-z0-9_.=+-]+$")


def load_benchmark_config(path: str | Path, overrides: list[str] = ()) -> dict:
    """Read and check a benchmark config; returns ``{"data", "inputs", "train": TrainConfig, "runs"}``."""
    from .config import apply_overrides, read_toml

    path = Path(path)
    d = read_toml(path, "benchmark config")
    d = apply_overrides(d, list(overrides))
    unknown = set(d) - {"benchmark", "train", "runs"}
    if unknown:
        raise SkelgnnError(f"{path}: unknown section(s) {sorted(unknown)}; expected benchmark, train, runs")
    bench = d.get("benchmark", {})
    inputs = bench.get("inputs", ["gt", "noisy"])
    if not inputs or any(i not in ("gt", "noisy") for i in inputs):
        raise SkelgnnError(f"{path}: benchmark.inputs must list 'gt' and/or 'noisy', got {inputs!r}")
    train = _train_values(d.get("train", {}), f"{path}: [train]")
    runs = d.get("runs", [])
    if not runs:
        raise SkelgnnError(f"{path}: no [[runs]] listed")
    labels = set()
    for i, r in enumerate(runs):
        for key in ("label", "model"):
            if not isinstance(r.get(key), str):
                raise SkelgnnError(f"{path}: runs[{i}] needs a string {key!r}")
        if not _LABEL.match(r["label"]) or r["label"] in labels:
            raise SkelgnnError(f"{path}: runs[{i}] label {r['label']!r} must be unique and use A-Z a-z 0-9 _ . = + -")
        extra = set(r) - {"label", "model", "kwargs", "group", "inputs", "train", "seeds", "base", "note"}
        if extra:
            raise SkelgnnError(f"{path}: runs[{i}] has unknown key(s) {sorted(extra)}")
        labels.add(r["label"])
        r["train"] = _train_values(r.get("train", {}), f"{path}: runs[{i}].train")
        r.setdefault("kwargs", {})
        check_train_config(dataclasses.replace(TrainConfig(**train), **r["train"]), f"{path}: runs[{i}]")
        check_model_kwargs(r["model"], r["kwargs"], f"{path}: runs[{i}].kwargs")
        r.setdefault("group", "main")
        if r["group"] not in ("main", "ablation"):
            raise SkelgnnError(f"{path}: runs[{i}] group must be 'main' or 'ablation', got {r['group']!r}")
        if "note" in r and not isinstance(r["note"], str):
            raise SkelgnnError(f"{path}: runs[{i}] note must be a string, got {r['note']!r}")
        if "base" in r:
            b = r["base"]
            if not (isinstance(b, str) or (isinstance(b, list) and b and all(isinstance(x, str) for x in b)
                                           and len(set(b)) == len(b))):
                raise SkelgnnError(f"{path}: runs[{i}] base must be a run label or a list of distinct run labels, "
                                   f"got {b!r}")
            r["bases"] = [b] if isinstance(b, str) else list(b)  # every run the arm is read against
        if "base" in r and r["group"] != "ablation":
            raise SkelgnnError(f"{path}: runs[{i}] ({r['label']}): only ablation arms take a base")
        seeds = r.setdefault("seeds", [int(train.get("seed", TrainConfig().seed))])
        if (not isinstance(seeds, list) or not seeds or len(set(seeds)) != len(seeds)
                or any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in seeds)):
            raise SkelgnnError(f"{path}: runs[{i}] seeds must be a non-empty list of distinct integers >= 0, "
                               f"got {seeds!r}")
        r.setdefault("inputs", list(inputs))
        if not r["inputs"] or not isinstance(r["inputs"], list) or any(x not in inputs for x in r["inputs"]):
            raise SkelgnnError(f"{path}: runs[{i}] inputs must be a non-empty subset of benchmark.inputs "
                               f"{inputs!r}, got {r['inputs']!r}")
    reference = bench.get("reference", "skeletal_gnn")
    references = [reference] if isinstance(reference, str) else reference
    if (not isinstance(references, list) or not references
            or any(not isinstance(x, str) for x in references) or len(set(references)) != len(references)):
        raise SkelgnnError(f"{path}: benchmark.reference must be a run label or a list of distinct run labels, "
                           f"got {reference!r}")
    for i, r in enumerate(runs):
        for b in r.get("bases", []):
            if b not in labels or b == r["label"]:
                raise SkelgnnError(f"{path}: runs[{i}] ({r['label']}) base {b!r} must be the label of "
                                   "another run")
        if r["group"] == "ablation" and "bases" not in r and references[0] in labels:
            r["bases"] = [references[0]]
        if "bases" in r:
            r["base"] = r["bases"][0]  # the main base
    return {"data": str(bench.get("data", "data/hdm05")), "inputs": list(inputs),
            "train": TrainConfig(**train), "runs": runs, "reference": references[0], "references": references}


def jobs(cfg: dict) -> list[tuple[dict, str, int]]:
    """Every (run, input, seed) of a loaded config, in the order they train.

    Main runs before ablations; within a group, in rounds: round r holds the r-th seed of every run, with
    runs of fewer seeds aligned to the last rounds (a one-seed row trains in the final round), so that an
    interrupted benchmark has the seeds of its repeated rows first; inside a round, config order, then inputs.
    """
    out = []
    for group in ("main", "ablation"):
        runs = [r for r in cfg["runs"] if r["group"] == group]
        rounds = max((len(r["seeds"]) for r in runs), default=0)
        for rnd in range(rounds):
            for run in runs:
                position = rnd - (rounds - len(run["seeds"]))
                if position >= 0:
                    out += [(run, i, run["seeds"][position]) for i in cfg["inputs"] if i in run["inputs"]]
    return out


def run_folder(out: Path, label: str, input_kind: str, seed: int) -> Path:
    """Where one run trains and writes its ``test.json``."""
    return Path(out) / "runs" / f"{label}__{input_kind}__s{seed}"


def _train_values(table, where: str) -> dict:
    """Check a table of TrainConfig keys (types as the defaults); returns the values to apply."""
    if not isinstance(table, dict):
        raise SkelgnnError(f"{where} must be a table of training settings, got {table!r}")
    allowed = {f.name for f in fields(TrainConfig)}
    out = {}
    for k, v in table.items():
        if k not in allowed:
            raise SkelgnnError(f"{where}: unknown key {k!r}; allowed: {sorted(allowed)}")
        default = getattr(TrainConfig(), k)
        if isinstance(default, bool):
            if not isinstance(v, bool):
                raise SkelgnnError(f"{where}: {k} must be true or false, got {v!r}")
        elif isinstance(default, str):
            if not isinstance(v, str):
                raise SkelgnnError(f"{where}: {k} must be a string, got {v!r}")
        else:
            v = _number(v, type(default), f"{where}: {k}")
        out[k] = v
    return out


def _run_one(run: dict, input_kind: str, seed: int, cfg: dict, out: Path, progress: bool) -> dict:
    from .evaluate import evaluate_checkpoint
    from .report import stack_targets
    from .metrics import mpjpe
    from .train import run_training

    folder = run_folder(out, run["label"], input_kind, seed)
    result_path = folder / "test.json"
    if result_path.exists():
        return json.loads(result_path.read_text())
    rc = RunConfig(model=ModelSpec(run["model"], dict(run["kwargs"])),
                   data=DataConfig(path=cfg["data"], input=input_kind),
                   train=dataclasses.replace(cfg["train"], **{**run["train"], "seed": seed}))
    device = describe_device(resolve_device(rc.train.device))
    history = run_training(rc, folder, progress=progress)
    report, preds, seqs = evaluate_checkpoint(folder / "best.pt", cfg["data"], input_kind=input_kind)
    errors = mpjpe(*stack_targets(preds, seqs)).float().numpy()
    atomic_save_npz(folder / "sample_errors.npz", mpjpe=errors)
    report.update(label=run["label"], group=run["group"], input=input_kind, seed=seed, kwargs=run["kwargs"],
                  train_overrides=run["train"], device=device,
                  train_seconds=round(sum(r["seconds"] for r in history), 1),
                  train_cpu_seconds=round(sum(r.get("cpu_seconds", math.nan) for r in history), 1),
                  epochs_run=len(history),
                  best_epoch=int(min(history, key=lambda r: r["val_mpjpe"])["epoch"]),
                  best_val_mpjpe=float(min(r["val_mpjpe"] for r in history)))
    atomic_write_text(result_path, json.dumps(report, indent=1))
    return report


def run_benchmark(config_path: str | Path, out: str | Path, *, overrides: list[str] = (),
                  progress: bool = True, plots: bool = True, train: bool = True,
                  shard: tuple[int, int] = (1, 1), only: list[str] = (), by_run: bool = False) -> dict:
    """Train and evaluate every run of the config for every input and seed; write results and plots into ``out``.

    With ``train=False`` nothing is trained: the tables are made from the runs already finished, and
    the unfinished ones are listed under ``"missing"`` (a partial report of an interrupted benchmark).
    ``shard=(k, N)`` trains only jobs k-1, k-1+N, k-1+2N, … of :func:`jobs` (1 <= k <= N); the report then
    covers every job finished so far, by any shard. ``only`` (labels) restricts training to those runs (before
    sharding); the report still covers every finished run. ``by_run`` trains the chosen jobs run by run (every
    seed and input of one run, then the next) instead of seed round by seed round, so that a session that
    stops early leaves whole runs (all their seeds) finished rather than one seed of each.
    """
    k, n = shard
    if not 1 <= k <= n:
        raise SkelgnnError(f"shard must be K/N with 1 <= K <= N, got {k}/{n}")
    cfg = load_benchmark_config(config_path, overrides)
    labels = [r["label"] for r in cfg["runs"]]
    unknown = [x for x in only if x not in labels]
    if unknown:
        raise SkelgnnError(f"{config_path}: no run labelled {', '.join(map(repr, unknown))}; labels: {labels}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    chosen = [j for j in jobs(cfg) if not only or j[0]["label"] in only]
    if by_run:  # every seed and input of a run before the next run (stable: seeds stay in round order)
        chosen.sort(key=lambda j: labels.index(j[0]["label"]))

    def done(job):
        return (run_folder(out, job[0]["label"], job[1], job[2]) / "test.json").exists()

    if train:
        for index, job in enumerate(chosen):
            if index % n == k - 1 and not done(job):
                if progress:
                    print(f"[benchmark] {job[0]['label']} on {job[1]}, seed {job[2]}", file=sys.stderr, flush=True)
                _run_one(*job, cfg, out, progress)
    results, missing = [], []
    for job in jobs(cfg):
        if done(job):
            results.append(_run_one(*job, cfg, out, progress))  # reads its test.json
        else:
            missing.append(f"{job[0]['label']}__{job[1]}__s{job[2]}")
    t = cfg["train"]
    schedule = (f"cosine from lr {t.lr} to 0" if t.schedule == "cosine" else f"lr {t.lr} x{t.lr_decay}/epoch")
    summary = {
        "protocol": {"benchmark": "HDM05-Lift (spec v1.1)", "train actors": "bd, bk, dg (validation: every 10th clip)",
                     "test actors": "mm, tr", "test-time flip": "off",
                     "budget": f"{t.epochs} epochs, batch {t.batch_size}, Adam{' (amsgrad)' if t.amsgrad else ''} "
                               f"{schedule}, loss {t.loss}, train-time flip {'on' if t.flip else 'off'}, "
                               "selection on validation MPJPE",
                     "joints": "17, pelvis included (error 0)", "frames": "every 30 fps test frame x 4 cameras"},
        "config": str(config_path), "wall_seconds_this_call": round(time.perf_counter() - t0, 1),
        "results": [{k: v for k, v in r.items() if k not in ("protocol",)} for r in results],
        "aggregates": aggregate(results),
        "paired": [p for ref in cfg["references"] for p in paired_differences(results, ref)],
        "readings": ablation_readings(results, {r["label"]: (r["bases"], r.get("note", ""))
                                                for r in cfg["runs"] if r.get("bases")}),
        "missing": missing,
    }
    atomic_write_text(out / "results.json", json.dumps(summary, indent=1))
    atomic_write_text(out / "results.md", results_markdown(summary))
    if plots:
        _plots(summary, out)
    return summary


# display names of the metrics: the tables' column heads and the readings' text
_METRIC_NAMES = {"mpjpe": "MPJPE", "mpjpe_classwise": "class-wise", "p_mpjpe": "P-MPJPE", "ht10": "HT10",
                 "rare20": "Rare20"}
METRICS = tuple(_METRIC_NAMES)  # with a paired 95 % interval
_V11_NAMES = {"accel": "Accel", "mpjve": "MPJVE", "bone_std": "bone sd", "root_error": "root err",
              "abs_mpjpe": "abs MPJPE"}
V11_METRICS = tuple(_V11_NAMES)  # docs/benchmarks.md, Metrics (mean over seeds, no interval)

# two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom (t_{0.975, df})
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
         2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


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
        row = {"label": label, "input": input_kind, "group": rows[0]["group"], "seeds": [r.get("seed") for r in rows],
               "parameters": rows[0]["parameters"], "receptive_field": rows[0]["receptive_field"],
               "train_seconds": float(np.mean([r["train_seconds"] for r in rows])),
               "train_cpu_seconds": float(np.mean([r.get("train_cpu_seconds", math.nan) for r in rows])),
               "epochs_run": [r.get("epochs_run") for r in rows], "best_epoch": [r.get("best_epoch") for r in rows],
               "gpu": any(str(r.get("device", "")).startswith("cuda") for r in rows)}
        for m in METRICS:
            v = np.asarray([r[m] for r in rows], dtype=np.float64)
            row[m] = float(v.mean())
            row[m + "_sd"] = float(v.std(ddof=1)) if len(v) > 1 else math.nan
        for m in V11_METRICS:  # runs evaluated before these metrics existed have none
            if all(r.get(m) is not None for r in rows):
                row[m] = float(np.mean([r[m] for r in rows]))
        out.append(row)
    return out


def paired_differences(results: list[dict], reference: str) -> list[dict]:
    """``reference`` minus every other run (comparison rows first, then ablation arms), per input and metric,
    over the seeds both finished.

    Each entry: label, input, seeds, and per metric the mean difference with its 95 % t interval
    (negative: the reference is better) and ``real`` = the interval excludes 0.
    """
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
        for m in METRICS:
            d = [by[(reference, input_kind, s)][m] - by[(label, input_kind, s)][m] for s in seeds]
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
    return f"{row[m]:.1f}" if not sd == sd else f"{row[m]:.1f} ± {sd:.1f}"


def results_markdown(summary: dict) -> str:
    """Tables per input setting (mean ± sd over seeds): main comparison, ablations, paired differences."""
    lines = ["# HDM05-Lift benchmark", "", f"Config: `{summary['config']}`", "", "Protocol:"]
    lines += [f"- {k}: {v}" for k, v in summary["protocol"].items()]
    devices = Counter(r.get("device", "not recorded") for r in summary["results"])
    if devices:
        lines.append("- devices: " + "; ".join(f"{d} ({n} run{'s' if n > 1 else ''})" for d, n in devices.items())
                     + " (rows trained on a GPU are labelled (GPU))")
    if summary.get("missing"):
        lines += ["", f"Not finished yet (rerun the benchmark to train them): {', '.join(summary['missing'])}"]
    columns = ["model", "params", "rf", "seeds", "epochs (best)", "train s", "CPU s",
               *(_METRIC_NAMES[m] for m in METRICS), *(_V11_NAMES[m] for m in V11_METRICS)]
    head = "| " + " | ".join(columns) + " |\n" + "|---" * len(columns) + "|"
    aggregates = summary.get("aggregates") or aggregate(summary["results"])
    for input_kind in dict.fromkeys(r["input"] for r in aggregates):
        for group in ("main", "ablation"):
            rows = [r for r in aggregates if r["input"] == input_kind and r["group"] == group]
            if not rows:
                continue
            lines += ["", f"## {input_kind} input — {'comparison' if group == 'main' else 'ablations'}", "", head]
            for r in rows:
                epochs = "/".join(str(e) for e in r["epochs_run"]) + " (" + "/".join(str(e) for e in r["best_epoch"]) + ")"
                label = r["label"] + (" (GPU)" if r.get("gpu") else "")
                lines.append(f"| {label} | {r['parameters'] / 1e6:.2f} M | {r['receptive_field']} | "
                             f"{','.join(str(x) for x in r['seeds'])} | {epochs} | {r['train_seconds']:.0f} | "
                             f"{r['train_cpu_seconds']:.0f} | " + " | ".join(_pm(r, m) for m in METRICS) + " | "
                             + " | ".join(_cell(r, k) for k in V11_METRICS) + " |")
    all_paired = summary.get("paired", [])
    for reference in dict.fromkeys(p["reference"] for p in all_paired):
        paired = [p for p in all_paired if p["reference"] == reference]
        lines += ["", f"## Paired differences, {reference} minus each model (same seeds; mm, "
                      "95 % t interval; negative = the reference is better; * = the interval excludes 0)", "",
                  "| model | input | seeds | " + " | ".join(_METRIC_NAMES[m] for m in METRICS) + " |", "|---|---|---|" + "---|" * len(METRICS)]
        for p in paired:
            cells = []
            for m in METRICS:
                d = p[m]
                cells.append(f"{d['mean']:+.1f}" + ("" if d["lo"] != d["lo"] else
                                                    f" [{d['lo']:+.1f}, {d['hi']:+.1f}]{'*' if d['real'] else ''}"))
            lines.append(f"| {p['label']}{' (ablation)' if p.get('group') == 'ablation' else ''} | {p['input']} | {','.join(str(x) for x in p['seeds'])} | "
                         + " | ".join(cells) + " |")
    readings = summary.get("readings", [])
    if readings:
        lines += ["", "## Ablation readings (each arm minus its base, same seeds; mm, 95 % t interval; negative = "
                      "the arm is better; a difference is stated only where its interval excludes 0)", ""]
        lines += [reading_text(r) for r in readings]
    own = {r["label"]: r["train_overrides"] for r in summary["results"] if r.get("train_overrides")}
    if own:
        lines += ["", "Runs with their own training settings (over the shared budget):"]
        lines += [f"- {label}: " + ", ".join(f"train.{k} = {v!r}" for k, v in t.items()) for label, t in own.items()]
    return "\n".join(lines) + "\n"


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
        print("[benchmark] matplotlib is not installed (pip install 'skelgnn[viz]'): no plots", file=sys.stderr)
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
            ax.plot(range(len(order)), [r["per_class"][c]["mpjpe"] for c in order], marker="o", label=r["label"])
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
            ax.bar(np.arange(len(joints)) + i * width, [r["per_joint"][j] for j in joints], width, label=r["label"])
        ax.set_xticks(np.arange(len(joints)) + 0.4 - width / 2, joints, rotation=45, ha="right")
        ax.set_ylabel("MPJPE (mm)")
        ax.set_title(f"HDM05-Lift ({input_kind}): per-joint MPJPE")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / f"per_joint_{input_kind}.png", dpi=110)
        plt.close(fig)
