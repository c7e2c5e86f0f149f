"""The ``skelgnn`` command line: parse arguments, call one library function, print.

Every subcommand catches the library's own errors (:class:`skelgnn.errors.SkelgnnError`) and prints
one line ``skelgnn: error: ...`` with exit status 2 instead of a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .errors import SkelgnnError

__all__ = ["main"]


def _cmd_data_hdm05(args: argparse.Namespace) -> int:
    from .data.hdm05 import build_benchmark, format_sanity, sanity_figures
    from .commands import guard_outputs
    from .data.hdm05_files import OUTPUT_FILES, save_benchmark

    guard_outputs(inputs=[args.src, Path(args.src) / "asf", Path(args.src) / "amc"],
                  folders={"--out": (args.out, OUTPUT_FILES)})
    t0 = time.perf_counter()
    bench = build_benchmark(args.src, progress=not args.quiet)
    fig = sanity_figures(bench)
    paths = save_benchmark(bench, args.out, sanity=fig)
    fig_text = format_sanity(fig)
    print(fig_text)
    print(f"Wrote {len(paths)} files to {Path(args.out).resolve()} in {time.perf_counter() - t0:.1f} s:")
    for p in paths:
        print(f"  {p.name}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    from .commands import guard_outputs
    from .config import load_config
    from .distributed import is_main_process
    from .train import run_training

    cfg = load_config(args.config, args.set or [])
    guard_outputs(inputs=[args.config, cfg.data.path], folders={"--out": (args.out, ("last.pt", "best.pt",
                                                                                     "log.jsonl"))})
    if cfg.data.allow_pickle and not args.allow_pickle:
        raise SkelgnnError("data.allow_pickle = true in the config does not open pickled files on the command line; "
                           "pass --allow-pickle (unpickling can run code: trusted files only)")
    cfg.data.allow_pickle = bool(args.allow_pickle)
    t0 = time.perf_counter()
    history = run_training(cfg, args.out, progress=not args.quiet)
    if not is_main_process():  # torchrun: rank 0 reports for all
        return 0
    if history:
        best = min(history, key=lambda r: r["val_mpjpe"])
        print(f"Trained {cfg.model.name} for {len(history)} epochs in {time.perf_counter() - t0:.0f} s (this call); "
              f"best validation MPJPE {best['val_mpjpe']:.2f} mm at epoch {best['epoch']}.")
    print(f"Checkpoints: {Path(args.out) / 'best.pt'} (selected on validation), {Path(args.out) / 'last.pt'}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    import numpy as np

    from .commands import guard_outputs
    from .evaluate import checkpoint_data_kind, evaluate_checkpoint, report_markdown
    from .io import atomic_save_npz, atomic_write_text

    guard_outputs({"--json": args.json, "--save-predictions": args.save_predictions},
                  inputs=[args.checkpoint, args.data])
    if checkpoint_data_kind(args.checkpoint) == "h36m":  # VideoPose3D layout: the protocol comes from the config
        from .commands.h36m import evaluate_h36m_command

        return evaluate_h36m_command(args)
    h36m_only = [flag for flag, v in (("--joints", args.joints), ("--keep-s11-directions", args.keep_s11_directions),
                                      ("--test-downsample", args.test_downsample), ("--rare", args.rare)) if v]
    if h36m_only:
        raise SkelgnnError(f"{', '.join(h36m_only)}: only for checkpoints trained with data.kind = 'h36m'; "
                           f"{args.checkpoint} was trained on HDM05-Lift")
    input_kind, split = args.input or "gt", args.split or "test"
    report, preds, seqs = evaluate_checkpoint(args.checkpoint, args.data, input_kind=input_kind,
                                              split=split, tta=bool(args.tta))
    print(report_markdown(report, title=f"{report['model']} on HDM05-Lift {input_kind}"))
    if args.json:
        atomic_write_text(args.json, json.dumps(report, indent=1))
        print(f"Wrote {args.json}")
    if args.save_predictions:
        atomic_save_npz(args.save_predictions, **{k: p.astype(np.float32) for k, p in zip(seqs.keys, preds)})
        print(f"Wrote {args.save_predictions}: {len(preds)} arrays (T, 17, 3), camera frame, pelvis-relative, mm")
    return 0


def _shard(text: str) -> tuple[int, int]:
    k, sep, n = text.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N (e.g. 2/4), got {text!r}")
    return int(k), int(n)


def _cmd_benchmark(args: argparse.Namespace) -> int:
    from .benchmark import run_benchmark
    from .commands import guard_outputs

    guard_outputs(inputs=[args.config], folders={"--out": (args.out, ("results.md", "results.json"))})
    summary = run_benchmark(args.config, args.out, overrides=args.set or [], progress=not args.quiet,
                            train=not args.report_only, shard=args.shard)
    print((Path(args.out) / "results.md").read_text(encoding="utf-8"))
    print(f"Wrote results.md, results.json and plots to {Path(args.out).resolve()} "
          f"({summary['wall_seconds_this_call']:.0f} s this call)")
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from .models import build, names
    from .skeleton import H36M_17

    for name in names():
        model = build(name, H36M_17)
        n = sum(p.numel() for p in model.parameters())
        print(f"{name:28s} receptive field {model.receptive_field:3d}   {n / 1e6:7.3f} M parameters")
    return 0


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="skelgnn", description="Skeletal GNN 2D→3D human pose lifting.")
    p.add_argument("--version", action="version", version=f"skelgnn {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="build benchmark data")
    data_sub = data.add_subparsers(dest="dataset", required=True)
    h = data_sub.add_parser("hdm05", help="build HDM05-Lift from the HDM05 ASF/AMC files (BENCHMARK.md)")
    h.add_argument("--src", required=True, help="folder with asf/, amc/ and MANIFEST.tsv")
    h.add_argument("--out", required=True, help="output folder")
    h.add_argument("--quiet", action="store_true", help="no progress bar")
    h.set_defaults(func=_cmd_data_hdm05)

    from .commands.h36m import ALLOW_PICKLE_HELP, add_evaluate_arguments

    t = sub.add_parser("train", help="train a lifter on HDM05-Lift or Human3.6M (resumes from OUT/last.pt)")
    t.add_argument("config", help="TOML config (see configs/)")
    t.add_argument("--out", required=True, help="run folder for checkpoints and the JSONL log")
    t.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config value, e.g. train.epochs=5")
    t.add_argument("--allow-pickle", action="store_true", help=ALLOW_PICKLE_HELP + " (data.kind = 'h36m')")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=_cmd_train)

    e = sub.add_parser("evaluate", help="evaluate a checkpoint on HDM05-Lift, or on Human3.6M under its protocol")
    e.add_argument("checkpoint", help="a .pt checkpoint written by skelgnn train")
    e.add_argument("--data", required=True, help="folder written by `skelgnn data hdm05`, or the folder holding "
                                                 "the VideoPose3D-layout npz files (data.kind = 'h36m')")
    e.add_argument("--input", choices=("gt", "noisy"), default=None, help="HDM05-Lift 2D input setting (default gt)")
    e.add_argument("--split", choices=("test", "val", "train"), default=None, help="HDM05-Lift split (default test)")
    e.add_argument("--tta", action=argparse.BooleanOptionalAction, default=None,
                   help="test-time flip augmentation (default: off for HDM05-Lift; the config's data.test_flip "
                        "for Human3.6M-layout checkpoints)")
    e.add_argument("--json", help="write the report as JSON here")
    e.add_argument("--save-predictions", help="write predictions (npz, one (T,17,3) array per clip/camera)")
    add_evaluate_arguments(e)
    e.set_defaults(func=_cmd_evaluate)

    b = sub.add_parser("benchmark", help="train and evaluate every model of a benchmark config (resumable)")
    b.add_argument("config", help="benchmark TOML (see configs/benchmark_*.toml)")
    b.add_argument("--out", required=True, help="output folder (rerun to resume)")
    b.add_argument("--set", action="append", metavar="KEY=VALUE", help="override, e.g. train.epochs=5")
    b.add_argument("--quiet", action="store_true", help="no progress bars")
    b.add_argument("--report-only", action="store_true",
                   help="train nothing: tables and plots from the runs already finished (lists the others)")
    b.add_argument("--shard", type=_shard, default=(1, 1), metavar="K/N",
                   help="train only every N-th run starting at the K-th, so N processes or machines share the "
                        "benchmark (default 1/1: all); --report-only merges what any shard finished")
    b.set_defaults(func=_cmd_benchmark)

    m = sub.add_parser("models", help="list the registered models with their parameter counts")
    m.set_defaults(func=_cmd_models)

    import importlib

    from .commands import MODULES

    for name in MODULES:
        importlib.import_module(f".commands.{name}", __package__).add_subcommand(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser()
    if not argv:  # bare `skelgnn`: the help, not a usage error
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SkelgnnError as e:
        print(f"skelgnn: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("skelgnn: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
