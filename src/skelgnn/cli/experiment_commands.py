"""``skelgnn train``, ``evaluate``, ``evaluate-3dhp``, ``benchmark``, ``speed`` and ``robustness``:
training and measuring lifters."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from ..core.distributed import is_main_process
from ..core.errors import ParameterError, SkelgnnError
from ..core.io import atomic_write_text
from ..core.validate import check_model_kwargs
from ..evaluation.evaluate import evaluate
from ..evaluation.robustness import CAMERA_CHANGES, robustness_markdown, run_robustness
from ..evaluation.speed import run_speed, speed_markdown
from ..models import names
from ..tools.benchmark import run_benchmark
from ..training.config import load_config
from ..training.train import run_training
from .common import (
    ALLOW_PICKLE_HELP,
    _any_int,
    _batch,
    _frames,
    _guard_outputs,
    _json_object,
    _matmul,
    _positive_int,
    _repeats,
    _seconds,
    _seed,
    _shard,
    _threads,
    _write_json,
)


def _cmd_train(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, args.set or [])
    _guard_outputs(inputs=[args.config, cfg.data.path], folders={"--out": (args.out, ("last.pt", "best.pt",
                                                                                      "log.jsonl"))})
    if cfg.data.allow_pickle and not args.allow_pickle:
        raise SkelgnnError("data.allow_pickle = true in the config does not open pickled files on the "
                           "command line; pass --allow-pickle (unpickling can run code: trusted files only)")
    cfg.data.allow_pickle = bool(args.allow_pickle)
    t0 = time.perf_counter()
    history = run_training(cfg, args.out, progress=not args.quiet)
    if not is_main_process():  # torchrun: rank 0 reports for all
        return 0
    if history:
        best = min(history, key=lambda r: r["val_mpjpe"])
        print(f"Trained {cfg.model.name} for {len(history)} epochs in {time.perf_counter() - t0:.0f} s (this "
              f"call); best validation MPJPE {best['val_mpjpe']:.2f} mm at epoch {best['epoch']}.")
    print(f"Checkpoints: {Path(args.out) / 'best.pt'} (selected on validation), {Path(args.out) / 'last.pt'}")
    return 0


_EVALUATE_OPTIONS = {"input": "--input", "split": "--split", "joints": "--joints",
                     "keep_s11_directions": "--keep-s11-directions", "test_downsample": "--test-downsample",
                     "rare": "--rare", "tta": "--tta", "allow_pickle": "--allow-pickle"}


def _cmd_evaluate(args: argparse.Namespace) -> int:
    _guard_outputs({"--json": args.json, "--save-predictions": args.save_predictions},
                   inputs=[args.checkpoint, args.data])
    try:
        ev = evaluate(args.checkpoint, args.data, input=args.input, split=args.split, tta=args.tta,
                      allow_pickle=args.allow_pickle, joints=args.joints,
                      keep_s11_directions=args.keep_s11_directions, test_downsample=args.test_downsample,
                      rare=args.rare)
    except ParameterError as e:  # the library names its parameters; say the options that set them
        raise e.renamed(_EVALUATE_OPTIONS) from None
    print(ev.report.to_markdown(), end="\n" if ev.kind in ("hdm05", "bandai2") else "")
    _write_json(args.json, ev.report.to_json())
    if args.save_predictions:
        print(f"Wrote {args.save_predictions}: {ev.save_predictions(args.save_predictions)}")
    return 0


def _cmd_evaluate_3dhp(args: argparse.Namespace) -> int:
    _guard_outputs({"--json": args.json}, inputs=[args.checkpoint, args.data])
    ev = evaluate(args.checkpoint, args.data, kind="3dhp", allow_pickle=args.allow_pickle, tta=args.tta,
                  order=args.order)
    print(ev.report.to_markdown(), end="")
    _write_json(args.json, ev.report.to_json())
    return 0


def _cmd_benchmark(args: argparse.Namespace) -> int:
    _guard_outputs(inputs=[args.config], folders={"--out": (args.out, ("results.md", "results.json"))})
    summary = run_benchmark(args.config, args.out, overrides=args.set or [], progress=not args.quiet,
                            train=not args.report_only, shard=args.shard, only=args.only or [],
                            by_run=args.by_run, seeds=args.seed or [], inputs=args.input or [],
                            results_page=args.results_page)
    print((Path(args.out) / "results.md").read_text(encoding="utf-8"))
    print(f"Wrote results.md, results.json and plots to {Path(args.out).resolve()} "
          f"({summary['wall_seconds_this_call']:.0f} s this call)")
    if args.results_page:
        print(f"Wrote the tables into {args.results_page}")
    return 0


def _cmd_speed(args: argparse.Namespace) -> int:
    _guard_outputs({"--json": args.json, "--markdown": args.markdown})
    if args.threads:
        torch.set_num_threads(args.threads)
    kwargs = json.loads(args.model_kwargs) if args.model_kwargs else None
    if kwargs:  # before any measurement: channels, dropout, ... in range (skelgnn.core.validate)
        for name in args.models or names():
            check_model_kwargs(name, kwargs, "--model-kwargs")
    report = run_speed(args.models, batch=args.batch, repeats=args.repeats, frames=args.frames,
                       device=args.device, matmul_size=args.matmul_size, budget_s=args.budget,
                       model_kwargs=kwargs, train=args.train, train_batch=args.train_batch,
                       progress=None if args.quiet else lambda s: print(s, file=sys.stderr))
    text = speed_markdown(report)
    print(text, end="")
    _write_json(args.json, json.dumps(report, indent=1) + "\n")
    if args.markdown:
        atomic_write_text(args.markdown, text)
        print(f"Wrote {args.markdown}")
    return 0


def _cmd_robustness(args: argparse.Namespace) -> int:
    _guard_outputs({"--json": args.json}, inputs=[args.checkpoint, args.data])
    report = run_robustness(args.checkpoint, args.data, input_kind=args.input, changes=args.changes,
                            seed=args.seed, tta=args.tta)
    print(robustness_markdown(report), end="")
    _write_json(args.json, json.dumps(report, indent=1) + "\n")
    return 0


def _add_train(sub) -> None:
    t = sub.add_parser("train", help="train a lifter on HDM05-Lift or Human3.6M (resumes from OUT/last.pt)")
    t.add_argument("config", help="TOML config (see configs/)")
    t.add_argument("--out", required=True, help="run folder for checkpoints and the JSONL log")
    t.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config value, e.g. "
                                                                       "train.epochs=5")
    t.add_argument("--allow-pickle", action="store_true", help=ALLOW_PICKLE_HELP + " (data.kind = 'h36m')")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=_cmd_train)


def _add_evaluate(sub) -> None:
    e = sub.add_parser("evaluate", help="evaluate a checkpoint on HDM05-Lift, or on Human3.6M under its "
                                        "protocol")
    e.add_argument("checkpoint", help="a .pt checkpoint written by skelgnn train")
    e.add_argument("--data", required=True, help="folder written by `skelgnn data hdm05` or `skelgnn data "
                                                 "bandai2` (cross-dataset), or the folder holding the "
                                                 "VideoPose3D-layout npz files (data.kind = 'h36m')")
    e.add_argument("--input", choices=("gt", "noisy"), default=None, help="HDM05-Lift / Bandai2-Cross 2D "
                                                                          "input setting (default gt)")
    e.add_argument("--split", choices=("test", "val", "train"), default=None, help="HDM05-Lift split "
                                                                                   "(default test)")
    e.add_argument("--tta", action=argparse.BooleanOptionalAction, default=None,
                   help="test-time flip augmentation (default: off for HDM05-Lift; the config's "
                        "data.test_flip for Human3.6M-layout checkpoints)")
    e.add_argument("--json", help="write the report as JSON here")
    e.add_argument("--save-predictions", help="write predictions (npz, one (T,17,3) array per clip/camera)")
    g = e.add_argument_group("Human3.6M-layout checkpoints (trained with data.kind = 'h36m'); the protocol "
                             "is read from the checkpoint's config and these flags override it")
    g.add_argument("--allow-pickle", action="store_true", help=ALLOW_PICKLE_HELP)
    g.add_argument("--joints", type=_any_int, choices=(16, 17),
                   help="17 or 16 joints; must match the checkpoint's skeleton (a 17-joint model is not "
                        "scored on 16 joints: train with data.joints=16 for the 16-joint protocol)")
    g.add_argument("--keep-s11-directions", action="store_true",
                   help="keep S11 'Directions' in the test set (excluded by default, as VideoPose3D does)")
    g.add_argument("--test-downsample", type=_positive_int, metavar="K",
                   help="evaluate every K-th test frame (default: the config's data.test_downsample, 1)")
    g.add_argument("--rare", action="store_true",
                   help="also report rare poses (test frames farthest from their nearest training pose; "
                        "slow)")
    e.set_defaults(func=_cmd_evaluate)


def _add_benchmark(sub) -> None:
    b = sub.add_parser("benchmark", help="train and evaluate every model of a benchmark config (resumable)")
    b.add_argument("config", help="benchmark TOML (see configs/benchmark_*.toml)")
    b.add_argument("--out", required=True, help="output folder (rerun to resume)")
    b.add_argument("--set", action="append", metavar="KEY=VALUE", help="override, e.g. train.epochs=5")
    b.add_argument("--quiet", action="store_true", help="no progress bars")
    b.add_argument("--report-only", action="store_true",
                   help="train nothing: tables and plots from the runs already finished (lists the others)")
    b.add_argument("--results-page", metavar="PAGE",
                   help="also write the tables into this markdown page between its marker lines "
                        "('<!-- tables from SOURCE: begin -->' ... ': end -->'), e.g. docs/results.md")
    b.add_argument("--shard", type=_shard, default=(1, 1), metavar="K/N",
                   help="train only every N-th run starting at the K-th, so N processes or machines share "
                        "the benchmark (default 1/1: all); --report-only merges what any shard finished")
    b.add_argument("--only", action="append", metavar="LABEL",
                   help="train only the run with this label (repeat for several; sharded among themselves); "
                        "the report still covers every finished run")
    b.add_argument("--by-run", action="store_true",
                   help="train run by run (all seeds and inputs of one run, then the next; sharded as "
                        "listed) instead of seed round by seed round, so an early stop leaves whole runs "
                        "finished")
    b.add_argument("--seed", action="append", type=_seed, metavar="SEED",
                   help="train only this seed of each run (repeatable; e.g. seed 0 of every row first)")
    b.add_argument("--input", action="append", choices=("gt", "noisy"),
                   help="train only the runs' jobs on this 2D input (repeatable)")
    b.set_defaults(func=_cmd_benchmark)


def _add_speed(sub) -> None:
    s = sub.add_parser("speed",
                       help="benchmark the registered lifters: latency, throughput, FLOPs (eval, no grad); "
                            "--train adds training throughput. Valid only on an idle machine")
    s.add_argument("--models", nargs="+", metavar="NAME", help="registry names (default: all)")
    s.add_argument("--batch", type=_batch, default=1024, help="samples per call for throughput (default "
                                                              "1024)")
    s.add_argument("--repeats", type=_repeats, default=10, help="timed calls per measurement (default 10)")
    s.add_argument("--frames", type=_frames, default=1,
                   help="output poses per sample; input frames = receptive field + frames - 1 (default 1)")
    s.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    s.add_argument("--threads", type=_threads, default=0,
                   help="torch CPU threads, at most 1024 (default: torch's choice)")
    s.add_argument("--matmul-size", type=_matmul, default=2048,
                   help="side of the reference matmul (default 2048)")
    s.add_argument("--budget", type=_seconds, default=20.0,
                   help="seconds per throughput measurement; fewer calls if slower (default 20)")
    s.add_argument("--model-kwargs", type=_json_object, metavar="JSON",
                   help="builder keyword arguments for every model, e.g. '{\"channels\": 64}' "
                        "(default: none)")
    s.add_argument("--train", action="store_true",
                   help="also time training: forward + backward + Adam step (train_samples_per_s, "
                        "train_fraction_of_matmul)")
    s.add_argument("--train-batch", type=_batch, default=256,
                   help="samples per training step with --train (default 256, the benchmark's batch)")
    s.add_argument("--json", help="write the full report here")
    s.add_argument("--markdown", help="write the Markdown table here")
    s.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    s.set_defaults(func=_cmd_speed)


def _add_robustness(sub) -> None:
    r = sub.add_parser(
        "robustness", help="errors on HDM05-Lift's test actors under changed virtual cameras",
        description="Re-project HDM05-Lift's held-out test actors (mm, tr) through changed virtual cameras "
                    "(focal length x0.5/x2, distance 3/8 m, camera height 0.5/3 m, image 640x480/1920x1080 "
                    "with the same focal length) and report MPJPE and P-MPJPE per change. The 2D is "
                    "normalised as the checkpoint was trained (screen or bbox).")
    r.add_argument("checkpoint", help="a .pt checkpoint written by skelgnn train")
    r.add_argument("--data", required=True, help="folder written by `skelgnn data hdm05`")
    r.add_argument("--input", choices=("noisy", "gt"), default="noisy",
                   help="2D: noisy as in the benchmark, scaled to the image (default), or exact")
    r.add_argument("--changes", nargs="+", metavar="NAME", choices=[c.name for c in CAMERA_CHANGES],
                   help=f"only these ({', '.join(c.name for c in CAMERA_CHANGES)}; default all)")
    r.add_argument("--seed", type=_seed, default=0, help="noise seed (default 0 = the benchmark's noise)")
    r.add_argument("--tta", action=argparse.BooleanOptionalAction, default=False,
                   help="test-time flip augmentation (default off)")
    r.add_argument("--json", help="write the report as JSON here")
    r.set_defaults(func=_cmd_robustness)


def _add_evaluate_3dhp(sub) -> None:
    q = sub.add_parser("evaluate-3dhp", help="cross-dataset PCK@150mm / AUC of a checkpoint on the "
                                             "MPI-INF-3DHP test set (TS1-TS6)")
    q.add_argument("checkpoint", help="a .pt checkpoint written by skelgnn train")
    q.add_argument("--data", required=True, help="data_test_3dhp.npz (P-STMO layout: a pickled dict)")
    q.add_argument("--allow-pickle", action="store_true", help=ALLOW_PICKLE_HELP)
    q.add_argument("--tta", action=argparse.BooleanOptionalAction, default=None,
                   help="test-time flip (default: the checkpoint's data.test_flip for Human3.6M checkpoints, "
                        "else off)")
    q.add_argument("--order", choices=("mpi", "h36m"), default="mpi",
                   help="joint order of the file: mpi (the 3DHP test order, default) or h36m (already "
                        "remapped)")
    q.add_argument("--json", help="write the report as JSON here")
    q.set_defaults(func=_cmd_evaluate_3dhp)
