"""Side-by-side benchmark: every listed model, same data, seed, epoch budget and selection rule.

A benchmark config (TOML) lists runs and one shared training budget::

    [benchmark]
    data = "data/hdm05"
    inputs = ["gt", "noisy"]      # each model is trained and tested once per input setting
    cross = "data/bandai2"        # optional: Bandai2-Cross, scored by every run when it finishes

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

For each run, input and seed, the model is trained into ``OUT/runs/<label>__<input>__s<seed>/``
(resumable) and its validation-selected checkpoint is evaluated on the test actors with that input and,
when ``benchmark.cross`` names a folder written by ``skelgnn data bandai2``, on Bandai2-Cross with the
same input (``cross.json`` beside ``test.json``, its in-view numbers under ``"cross"``; a finished run
without them is scored when its ``best.pt`` is still there). Finished pieces are skipped when the command
is run again, so an interrupted benchmark resumes where it stopped.
Outputs: ``results.json``, ``results.md`` and plots (per-class MPJPE sorted easy→hard, error CDF,
per-joint MPJPE) in ``OUT``, and with ``results_page`` (``--results-page docs/results.md``) the same tables in
that page between its marker lines. The tables give mean ± sd over the seeds (the comparison tables also the
Bandai2-Cross in-view numbers, over the seeds scored there), and ``benchmark.reference``
(a label, default ``skeletal_gnn``, or a list of labels: one paired table each) is compared with every other
main run by seed-paired differences with a 95 % t interval: a difference is called real only when that
interval excludes 0; the same on the Bandai2-Cross numbers wherever two runs share two or more seeds scored
there. Every ablation arm with two or more seeds shared with a ``base`` gets a written reading
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
from dataclasses import fields
from pathlib import Path

from ..core.distributed import describe_device, resolve_device
from ..core.errors import SkelgnnError
from ..core.io import atomic_save_npz, atomic_write_text
from ..core.validate import check_model_kwargs, seed, show
from ..training.config import (
    DataConfig,
    ModelSpec,
    RunConfig,
    TrainConfig,
    _number,
    check_train_config,
    unknown_keys,
)
from .benchmark_summary import (
    CONVERGED_EPOCHS,
    _plots,
    ablation_readings,
    aggregate,
    check_results_page,
    cross_paired_differences,
    paired_differences,
    results_markdown,
    run_folder,
    validation_move,
    write_results_page,
)

__all__ = ["load_benchmark_config", "run_benchmark", "results_markdown", "validation_change"]

_LABEL = re.compile(r"^[A-Za-z0-9_.=+-]+$")
_BENCHMARK_KEYS = ("data", "inputs", "cross", "reference")
_RUN_KEYS = ("label", "model", "kwargs", "group", "inputs", "train", "seeds", "base", "note", "data")
# [data] keys a run may set (training-set switches; the data folder, input and split stay the benchmark's)
_RUN_DATA_KEYS = ("extra_views", "view_seed", "bone_jitter", "joint_jitter", "view_max_height",
                  "target_height", "input_norm")


def load_benchmark_config(path: str | Path, overrides: list[str] = ()) -> dict:
    """Read and check a benchmark config; returns ``{"data", "inputs", "train": TrainConfig, "runs"}``."""
    from ..training.config import apply_overrides, read_toml

    path = Path(path)
    d = read_toml(path, "benchmark config")
    d = apply_overrides(d, list(overrides))
    unknown_keys(d, ("benchmark", "train", "runs"), str(path), "section")
    bench = d.get("benchmark", {})
    if not isinstance(bench, dict):
        raise SkelgnnError(f"{path}: [benchmark] must be a table, got {bench!r}")
    unknown_keys(bench, _BENCHMARK_KEYS, f"{path}: [benchmark]")
    inputs = bench.get("inputs", ["gt", "noisy"])
    if (not isinstance(inputs, list) or not inputs or any(i not in ("gt", "noisy") for i in inputs)
            or len(set(inputs)) != len(inputs)):
        raise SkelgnnError(f"{path}: benchmark.inputs must list 'gt' and/or 'noisy', got {inputs!r}")
    if not isinstance(bench.get("data", ""), str):
        raise SkelgnnError(f"{path}: benchmark.data must be the folder of `skelgnn data hdm05` (a string), "
                           f"got {bench['data']!r}")
    train = _train_values(d.get("train", {}), f"{path}: [train]")
    runs = d.get("runs", [])
    if isinstance(runs, dict):
        raise SkelgnnError(f"{path}: [runs] is a single table; write each run as [[runs]] (an array of "
                           "tables)")
    if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        raise SkelgnnError(f"{path}: runs must be a list of [[runs]] tables, got {type(runs).__name__}")
    if not runs:
        raise SkelgnnError(f"{path}: no [[runs]] listed")
    labels = set()
    for i, r in enumerate(runs):
        for key in ("label", "model"):
            if not isinstance(r.get(key), str):
                raise SkelgnnError(f"{path}: runs[{i}] needs a string {key!r}")
        if not _LABEL.match(r["label"]) or r["label"] in labels:
            raise SkelgnnError(f"{path}: runs[{i}] label {r['label']!r} must be unique and use A-Z a-z 0-9 _ "
                               ". = + -")
        unknown_keys(r, _RUN_KEYS, f"{path}: runs[{i}] ({r['label']})")
        labels.add(r["label"])
        r["train"] = _train_values(r.get("train", {}), f"{path}: runs[{i}].train")
        r["data"] = _data_values(r.get("data", {}), f"{path}: runs[{i}].data")
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
                raise SkelgnnError(f"{path}: runs[{i}] base must be a run label or a list of distinct run "
                                   f"labels, got {b!r}")
            r["bases"] = [b] if isinstance(b, str) else list(b)  # every run the arm is read against
        if "base" in r and r["group"] != "ablation":
            raise SkelgnnError(f"{path}: runs[{i}] ({r['label']}): only ablation arms take a base")
        seeds = r.setdefault("seeds", [int(train.get("seed", TrainConfig().seed))])
        if not isinstance(seeds, list) or not seeds:
            raise SkelgnnError(f"{path}: runs[{i}] seeds must be a non-empty list, got {show(seeds)}")
        r["seeds"] = [seed(x, f"{path}: runs[{i}] seeds[{k}]") for k, x in enumerate(seeds)]
        if len(set(r["seeds"])) != len(seeds):
            raise SkelgnnError(f"{path}: runs[{i}] seeds must be distinct, got {show(seeds)}")
        r.setdefault("inputs", list(inputs))
        if not r["inputs"] or not isinstance(r["inputs"], list) or any(x not in inputs for x in r["inputs"]):
            raise SkelgnnError(f"{path}: runs[{i}] inputs must be a non-empty subset of benchmark.inputs "
                               f"{inputs!r}, got {r['inputs']!r}")
    reference = bench.get("reference", "skeletal_gnn")
    references = [reference] if isinstance(reference, str) else reference
    if (not isinstance(references, list) or not references
            or any(not isinstance(x, str) for x in references) or len(set(references)) != len(references)):
        raise SkelgnnError(f"{path}: benchmark.reference must be a run label or a list of distinct run "
                           f"labels, got {reference!r}")
    for i, r in enumerate(runs):
        for b in r.get("bases", []):
            if b not in labels or b == r["label"]:
                raise SkelgnnError(f"{path}: runs[{i}] ({r['label']}) base {b!r} must be the label of "
                                   "another run")
        if r["group"] == "ablation" and "bases" not in r and references[0] in labels:
            r["bases"] = [references[0]]
        if "bases" in r:
            r["base"] = r["bases"][0]  # the main base
    cross = bench.get("cross", "")
    if not isinstance(cross, str):
        raise SkelgnnError(f"{path}: benchmark.cross must be the folder of `skelgnn data bandai2` (a "
                           f"string), got {cross!r}")
    return {"data": str(bench.get("data", "data/hdm05")), "inputs": list(inputs), "cross": cross,
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


def _data_values(table, where: str) -> dict:
    """Check a run's table of training-set switches (:data:`_RUN_DATA_KEYS`); returns the values to apply."""
    from ..training.config import check_data_config

    if not isinstance(table, dict):
        raise SkelgnnError(f"{where} must be a table of training-set settings, got {table!r}")
    unknown_keys(table, _RUN_DATA_KEYS, where)
    check_data_config(DataConfig(**table), where)
    return dict(table)


def _train_values(table, where: str) -> dict:
    """Check a table of TrainConfig keys (types as the defaults); returns the values to apply."""
    if not isinstance(table, dict):
        raise SkelgnnError(f"{where} must be a table of training settings, got {table!r}")
    unknown_keys(table, [f.name for f in fields(TrainConfig)], where)
    out = {}
    for k, v in table.items():
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


CROSS_KEYS = ("mpjpe", "p_mpjpe", "n_mpjpe", "ht10", "pck150", "auc", "mpjpe13", "mpjpe_height",
              "pck150_height", "reproj_px", "samples")


def _score_cross(folder: Path, input_kind: str, cfg: dict) -> dict | None:
    """Bandai2-Cross numbers of a run's ``best.pt`` (in view and all), written to ``cross.json``; ``None``
    when the benchmark names no cross set or it is not built."""
    from ..data.bandai2_files import is_cross_folder
    from ..evaluation.evaluate import evaluate_cross_checkpoint

    cross = cfg.get("cross")
    if not cross or not is_cross_folder(cross) or not (folder / "best.pt").exists():
        return None
    report, _, _ = evaluate_cross_checkpoint(folder / "best.pt", cross, input_kind=input_kind)
    atomic_write_text(folder / "cross.json", report.to_json())
    return {part: {k: report[part][k] for k in CROSS_KEYS} for part in ("in_view", "all")}


def validation_change(folder: Path, last: int = CONVERGED_EPOCHS) -> float | None:
    """How far a run's best validation MPJPE moved over its last ``last`` epochs (mm, from ``log.jsonl``),
    or ``None`` without a log or with no more than ``last`` epochs logged."""
    log = Path(folder) / "log.jsonl"
    if not log.exists():
        return None
    best = [json.loads(line).get("best_val_mpjpe") for line in log.read_text().splitlines() if line.strip()]
    return validation_move([b for b in best if b is not None], last)


def _run_one(run: dict, input_kind: str, seed: int, cfg: dict, out: Path, progress: bool) -> dict:
    """The run's ``test.json`` (trained and scored first where unfinished), plus ``val_change_last``: the
    move of its best validation MPJPE over the last epochs (:func:`validation_change`; not stored)."""
    folder = run_folder(out, run["label"], input_kind, seed)
    return {**_finished_report(run, input_kind, seed, cfg, folder, progress),
            "val_change_last": validation_change(folder)}


def _finished_report(run: dict, input_kind: str, seed: int, cfg: dict, folder: Path, progress: bool) -> dict:
    from ..core.io import folder_lock

    result_path = folder / "test.json"
    # finished: read it without a lock unless it still has to be scored on the cross set
    if result_path.exists():
        report = json.loads(result_path.read_text())
        if "cross" in report or not cfg.get("cross") or not (folder / "best.pt").exists():
            return report
    with folder_lock(folder):  # one writer per run folder (shards and second calls included)
        return _run_one_locked(run, input_kind, seed, cfg, folder, progress)


def _run_one_locked(run: dict, input_kind: str, seed: int, cfg: dict, folder: Path, progress: bool) -> dict:
    from ..core.metrics import mpjpe
    from ..evaluation.evaluate import evaluate_checkpoint
    from ..evaluation.report import stack_targets
    from ..training.train import run_training

    result_path = folder / "test.json"
    if result_path.exists():
        report = json.loads(result_path.read_text())
        if "cross" not in report:  # finished before the cross set existed: score it if the checkpoint is kept
            cross = _score_cross(folder, input_kind, cfg)
            if cross is not None:
                report["cross"] = cross
                atomic_write_text(result_path, json.dumps(report, indent=1))
        return report
    rc = RunConfig(model=ModelSpec(run["model"], dict(run["kwargs"])),
                   data=DataConfig(path=cfg["data"], input=input_kind, **run.get("data", {})),
                   train=dataclasses.replace(cfg["train"], **{**run["train"], "seed": seed}))
    device = describe_device(resolve_device(rc.train.device))
    history = run_training(rc, folder, progress=progress)
    report, preds, seqs = evaluate_checkpoint(folder / "best.pt", cfg["data"], input_kind=input_kind)
    errors = mpjpe(*stack_targets(preds, seqs)).float().numpy()
    atomic_save_npz(folder / "sample_errors.npz", mpjpe=errors)
    report.update(label=run["label"], group=run["group"], input=input_kind, seed=seed, kwargs=run["kwargs"],
                  data_overrides=run.get("data", {}),
                  train_overrides=run["train"], device=device,
                  train_seconds=round(sum(r["seconds"] for r in history), 1),
                  train_cpu_seconds=round(sum(r.get("cpu_seconds", math.nan) for r in history), 1),
                  epochs_run=len(history),
                  best_epoch=int(min(history, key=lambda r: r["val_mpjpe"])["epoch"]),
                  best_val_mpjpe=float(min(r["val_mpjpe"] for r in history)))
    cross = _score_cross(folder, input_kind, cfg)
    if cross is not None:
        report["cross"] = cross
    atomic_write_text(result_path, json.dumps(report, indent=1))
    return report


def run_benchmark(config_path: str | Path, out: str | Path, *, overrides: list[str] = (),
                  progress: bool = True, plots: bool = True, train: bool = True,
                  shard: tuple[int, int] = (1, 1), only: list[str] = (), by_run: bool = False,
                  seeds: list[int] = (), inputs: list[str] = (),
                  results_page: str | Path | None = None) -> dict:
    """Train and evaluate every run of the config for every input and seed; write results and plots into
    ``out``.

    With ``train=False`` nothing is trained: the tables are made from the runs already finished, and
    the unfinished ones are listed under ``"missing"`` (a partial report of an interrupted benchmark).
    ``shard=(k, N)`` trains only jobs k-1, k-1+N, k-1+2N, … of :func:`jobs` (1 <= k <= N); the report then
    covers every job finished so far, by any shard. ``only`` (labels) restricts training to those runs (before
    sharding); the report still covers every finished run. ``by_run`` trains the chosen jobs run by run (every
    seed and input of one run, then the next) instead of seed round by seed round, so that a session that
    stops early leaves whole runs (all their seeds) finished rather than one seed of each. ``seeds`` restricts
    training to those seeds of each run (e.g. seed 0 of every row first), ``inputs`` to those 2D inputs.
    ``results_page`` (a markdown page such as ``docs/results.md``): also put ``results.md``'s tables into that
    page between its two marker lines (``<!-- tables from SOURCE: begin -->`` / ``... end -->``), the rest of
    the page kept; checked before anything trains.
    """
    k, n = shard
    if not 1 <= k <= n:
        raise SkelgnnError(f"shard must be K/N with 1 <= K <= N, got {k}/{n}")
    cfg = load_benchmark_config(config_path, overrides)
    if results_page is not None:
        check_results_page(results_page)
    labels = [r["label"] for r in cfg["runs"]]
    unknown = [x for x in only if x not in labels]
    if unknown:
        raise SkelgnnError(f"{config_path}: no run labelled {', '.join(map(repr, unknown))}; labels: "
                           f"{labels}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    chosen = [j for j in jobs(cfg) if (not only or j[0]["label"] in only) and (not seeds or j[2] in seeds)
              and (not inputs or j[1] in inputs)]
    if by_run:  # every seed and input of a run before the next run (stable: seeds stay in round order)
        chosen.sort(key=lambda j: labels.index(j[0]["label"]))

    def done(job):
        return (run_folder(out, job[0]["label"], job[1], job[2]) / "test.json").exists()

    if train:
        for index, job in enumerate(chosen):
            if index % n == k - 1 and not done(job):
                if progress:
                    print(f"[benchmark] {job[0]['label']} on {job[1]}, seed {job[2]}", file=sys.stderr,
                          flush=True)
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
        "protocol": {"benchmark": "HDM05-Lift (spec v1.1)", "train actors": "bd, bk, dg (validation: every "
                                                                            "10th clip)",
                     "test actors": "mm, tr", "test-time flip": "off",
                     "budget": f"{t.epochs} epochs, batch {t.batch_size}, "
                               f"Adam{' (amsgrad)' if t.amsgrad else ''} "
                               f"{schedule}, loss {t.loss}, train-time flip {'on' if t.flip else 'off'}, "
                               "selection on validation MPJPE",
                     "joints": "17, pelvis included (error 0)", "frames": "every 30 fps test frame x 4 "
                                                                          "cameras"},
        "config": str(config_path), "wall_seconds_this_call": round(time.perf_counter() - t0, 1),
        "results": [{k: v for k, v in r.items() if k not in ("protocol",)} for r in results],
        "aggregates": aggregate(results),
        "references": cfg["references"],
        "paired": [p for ref in cfg["references"] for p in paired_differences(results, ref)],
        "cross_paired": [p for ref in cfg["references"] for p in cross_paired_differences(results, ref)],
        "readings": ablation_readings(results, {r["label"]: (r["bases"], r.get("note", ""))
                                                for r in cfg["runs"] if r.get("bases")}),
        "missing": missing,
    }
    atomic_write_text(out / "results.json", json.dumps(summary, indent=1))
    markdown = results_markdown(summary)
    atomic_write_text(out / "results.md", markdown)
    if results_page is not None:
        write_results_page(results_page, markdown)
    if plots:
        _plots(summary, out)
    return summary

