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

For each run and input, the model is trained into ``OUT/runs/<label>__<input>/`` (resumable) and its
validation-selected checkpoint is evaluated on the test actors with that input. Finished pieces are
skipped when the command is run again, so an interrupted benchmark resumes where it stopped.
Outputs: ``results.json``, ``results.md`` and plots (per-class MPJPE sorted easy→hard, error CDF,
per-joint MPJPE) in ``OUT``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import time
from dataclasses import fields
from pathlib import Path

import numpy as np

from .config import DataConfig, ModelSpec, RunConfig, TrainConfig, _number, check_train_config
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
        extra = set(r) - {"label", "model", "kwargs", "group", "inputs", "train"}
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
        r.setdefault("inputs", list(inputs))
        if not r["inputs"] or not isinstance(r["inputs"], list) or any(x not in inputs for x in r["inputs"]):
            raise SkelgnnError(f"{path}: runs[{i}] inputs must be a non-empty subset of benchmark.inputs "
                               f"{inputs!r}, got {r['inputs']!r}")
    return {"data": str(bench.get("data", "data/hdm05")), "inputs": list(inputs),
            "train": TrainConfig(**train), "runs": runs}


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


def _run_one(run: dict, input_kind: str, cfg: dict, out: Path, progress: bool) -> dict:
    from .evaluate import evaluate_checkpoint, stack_targets
    from .metrics import mpjpe
    from .train import run_training

    folder = out / "runs" / f"{run['label']}__{input_kind}"
    result_path = folder / "test.json"
    if result_path.exists():
        return json.loads(result_path.read_text())
    rc = RunConfig(model=ModelSpec(run["model"], dict(run["kwargs"])),
                   data=DataConfig(path=cfg["data"], input=input_kind),
                   train=dataclasses.replace(cfg["train"], **run["train"]))
    history = run_training(rc, folder, progress=progress)
    report, preds, seqs = evaluate_checkpoint(folder / "best.pt", cfg["data"], input_kind=input_kind)
    errors = mpjpe(*stack_targets(preds, seqs)).float().numpy()
    atomic_save_npz(folder / "sample_errors.npz", mpjpe=errors)
    report.update(label=run["label"], group=run["group"], input=input_kind, kwargs=run["kwargs"],
                  train_overrides=run["train"],
                  train_seconds=round(sum(r["seconds"] for r in history), 1), epochs_run=len(history),
                  best_epoch=int(min(history, key=lambda r: r["val_mpjpe"])["epoch"]),
                  best_val_mpjpe=float(min(r["val_mpjpe"] for r in history)))
    atomic_write_text(result_path, json.dumps(report, indent=1))
    return report


def run_benchmark(config_path: str | Path, out: str | Path, *, overrides: list[str] = (),
                  progress: bool = True, plots: bool = True, train: bool = True) -> dict:
    """Train and evaluate every run of the config for every input; write results and plots into ``out``.

    With ``train=False`` nothing is trained: the tables are made from the runs already finished, and
    the unfinished ones are listed under ``"missing"`` (a partial report of an interrupted benchmark).
    """
    cfg = load_benchmark_config(config_path, overrides)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results, missing = [], []
    for group in ("main", "ablation"):  # the comparison first, then the ablations; runs in config order
        for run in (r for r in cfg["runs"] if r["group"] == group):
            for input_kind in (i for i in cfg["inputs"] if i in run["inputs"]):
                if not train and not (out / "runs" / f"{run['label']}__{input_kind}" / "test.json").exists():
                    missing.append(f"{run['label']}__{input_kind}")
                    continue
                if progress:
                    print(f"[benchmark] {run['label']} on {input_kind}", file=sys.stderr, flush=True)
                results.append(_run_one(run, input_kind, cfg, out, progress))
    summary = {
        "protocol": {"benchmark": "HDM05-Lift (spec v1)", "train actors": "bd, bk, dg (validation: every 10th clip)",
                     "test actors": "mm, tr", "test-time flip": "off", "seed": cfg["train"].seed,
                     "budget": f"{cfg['train'].epochs} epochs max, batch {cfg['train'].batch_size}, "
                               f"lr {cfg['train'].lr} x{cfg['train'].lr_decay}/epoch, selection on validation MPJPE",
                     "joints": "17, pelvis included (error 0)", "frames": "every 30 fps test frame x 4 cameras"},
        "config": str(config_path), "wall_seconds_this_call": round(time.perf_counter() - t0, 1),
        "results": [{k: v for k, v in r.items() if k not in ("protocol",)} for r in results],
        "missing": missing,
    }
    atomic_write_text(out / "results.json", json.dumps(summary, indent=1))
    atomic_write_text(out / "results.md", results_markdown(summary))
    if plots:
        _plots(summary, out)
    return summary


def results_markdown(summary: dict) -> str:
    """Tables per input setting: main comparison and ablations."""
    lines = ["# HDM05-Lift benchmark", "", f"Config: `{summary['config']}`", "", "Protocol:"]
    lines += [f"- {k}: {v}" for k, v in summary["protocol"].items()]
    if summary.get("missing"):
        lines += ["", f"Not finished yet (rerun the benchmark to train them): {', '.join(summary['missing'])}"]
    head = ("| model | params | rf | train s | MPJPE | class-wise | P-MPJPE | HT10 | Rare20 |\n"
            "|---|---|---|---|---|---|---|---|---|")
    for input_kind in dict.fromkeys(r["input"] for r in summary["results"]):
        for group in ("main", "ablation"):
            rows = [r for r in summary["results"] if r["input"] == input_kind and r["group"] == group]
            if not rows:
                continue
            lines += ["", f"## {input_kind} input — {'comparison' if group == 'main' else 'ablations'}", "", head]
            for r in rows:
                lines.append(f"| {r['label']} | {r['parameters'] / 1e6:.2f} M | {r['receptive_field']} | "
                             f"{r['train_seconds']:.0f} | {r['mpjpe']:.1f} | {r['mpjpe_classwise']:.1f} | "
                             f"{r['p_mpjpe']:.1f} | {r['ht10']:.1f} | {r['rare20']:.1f} |")
    own = {r["label"]: r["train_overrides"] for r in summary["results"] if r.get("train_overrides")}
    if own:
        lines += ["", "Runs with their own training settings (over the shared budget):"]
        lines += [f"- {label}: " + ", ".join(f"train.{k} = {v!r}" for k, v in t.items()) for label, t in own.items()]
    return "\n".join(lines) + "\n"


def _plots(summary: dict, out: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("[benchmark] matplotlib is not installed (pip install 'skelgnn[viz]'): no plots", file=sys.stderr)
        return
    for input_kind in dict.fromkeys(r["input"] for r in summary["results"]):
        rows = [r for r in summary["results"] if r["input"] == input_kind and r["group"] == "main"]
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
            folder = out / "runs" / f"{r['label']}__{input_kind}"
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
