"""The ``skelgnn`` command line: parse arguments, call one library function, print.

Every subcommand is a ``_cmd_<name>(args)`` here that checks the output paths
(:func:`skelgnn.outputs.check_outputs`), calls one library function and prints what it returned; the
argument parsers are built by :func:`_parser`, one block per subcommand, in the order ``skelgnn --help``
lists them. The library's own errors (:class:`skelgnn.errors.SkelgnnError`) print as one line
``skelgnn: error: ...`` with exit status 2 instead of a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from . import __version__
from .benchmark import run_benchmark
from .config import load_config
from .data.h36m import ALL_SUBJECTS
from .data.h36m_cdf import convert_h36m_cdf, write_gt_2d_file
from .data.hdm05 import build_benchmark, format_sanity, sanity_figures
from .data.hdm05_files import OUTPUT_FILES as HDM05_FILES
from .data.hdm05_files import save_benchmark
from .demo import OUTPUT_FILES as DEMO_FILES
from .demo import run_demo
from .distributed import is_main_process
from .errors import SkelgnnError
from .evaluate import evaluate
from .export import TOLERANCE, check_export, export_checkpoint
from .io import atomic_write_text
from .keypoints import MIN_TRACK_LENGTH
from .models import build, names
from .outputs import check_outputs
from .predict import (OUTSIDE_MARGIN, check_image_size, check_pictures, default_checkpoint, predict_file,
                      unknown_meta, write_pictures)
from .robustness import CAMERA_CHANGES, robustness_markdown, run_robustness
from .skeleton import H36M_17
from .speed import run_speed, speed_markdown
from .train import run_training
from .validate import check_model_kwargs

__all__ = ["main"]

ALLOW_PICKLE_HELP = ("read files in a pickled layout (the VideoPose3D npz files; 3DHP's data_test_3dhp.npz). "
                     "Unpickling a file can run arbitrary code: pass this only for files you trust")

_PREDICT_EPILOG = """\
INPUT is an OpenPose output folder (*_keypoints.json), a .json file (plain [T][K][x, y, c]
frame lists, mmpose inferencer/demo output, generic frames, COCO/AlphaPose results), an .npz
(skelgnn's or VideoPose3D's custom-video file), an .npy array (T, K, 2|3) or a .csv file
(COCO-17, Halpe-26, OpenPose BODY_25/COCO-18, MediaPipe-33 or H36M-17; see skelgnn.keypoints
and examples/), or, with `pip install "skelgnn[detect]"`, an image or a video.
Without CKPT the bundled checkpoint is used. OUT.npz holds joints_3d (P, T, 17, 3) in mm,
camera frame (x right, y down, z forward), pelvis-relative, plus joints_2d, flags (filled
joints), track_ids and metadata; OUT.csv holds one row per track and frame.
"""


def _guard_outputs(files=None, *, inputs=(), folders=None) -> None:
    """:func:`skelgnn.outputs.check_outputs` before any work; say which existing files will be replaced."""
    for path in check_outputs(files, inputs=inputs, folders=folders):
        print(f"skelgnn: note: {path} exists and will be replaced", file=sys.stderr)


def _write_json(path, text: str) -> None:
    if path:
        atomic_write_text(path, text)
        print(f"Wrote {path}")


# ---------------------------------------------------------------------------------------- data, train, evaluate
def _cmd_data_hdm05(args: argparse.Namespace) -> int:
    _guard_outputs(inputs=[args.src, Path(args.src) / "asf", Path(args.src) / "amc"],
                   folders={"--out": (args.out, HDM05_FILES)})
    t0 = time.perf_counter()
    bench = build_benchmark(args.src, progress=not args.quiet)
    fig = sanity_figures(bench)
    paths = save_benchmark(bench, args.out, sanity=fig)
    print(format_sanity(fig))
    print(f"Wrote {len(paths)} files to {Path(args.out).resolve()} in {time.perf_counter() - t0:.1f} s:")
    for p in paths:
        print(f"  {p.name}")
    return 0


def _cmd_data_h36m_cdf(args: argparse.Namespace) -> int:
    out = Path(args.out)
    _guard_outputs(inputs=[args.src], folders={"--out": (out, ("data_3d_h36m.npz", "data_2d_h36m_gt.npz"))})
    p3 = convert_h36m_cdf(args.src, out / "data_3d_h36m.npz", subjects=tuple(args.subjects or ALL_SUBJECTS))
    print(f"Wrote {p3} (32-joint world poses in metres, VideoPose3D layout; S11 'Directions' kept, the "
          "evaluation protocol excludes it)")
    if args.gt_2d:
        # the file was just written by us, so reading it back (pickled layout) is safe
        p2 = write_gt_2d_file(p3, out / "data_2d_h36m_gt.npz", allow_pickle=True)
        print(f"Wrote {p2} (ground-truth 2D: projection through the built-in Human3.6M cameras, distortion "
              "included)")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, args.set or [])
    _guard_outputs(inputs=[args.config, cfg.data.path], folders={"--out": (args.out, ("last.pt", "best.pt",
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
    _guard_outputs({"--json": args.json, "--save-predictions": args.save_predictions},
                   inputs=[args.checkpoint, args.data])
    ev = evaluate(args.checkpoint, args.data, input=args.input, split=args.split, tta=args.tta,
                  allow_pickle=args.allow_pickle, joints=args.joints, keep_s11_directions=args.keep_s11_directions,
                  test_downsample=args.test_downsample, rare=args.rare)
    print(ev.report.to_markdown(), end="\n" if ev.kind == "hdm05" else "")
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
                            by_run=args.by_run)
    print((Path(args.out) / "results.md").read_text(encoding="utf-8"))
    print(f"Wrote results.md, results.json and plots to {Path(args.out).resolve()} "
          f"({summary['wall_seconds_this_call']:.0f} s this call)")
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    for name in names():
        model = build(name, H36M_17)
        n = sum(p.numel() for p in model.parameters())
        print(f"{name:28s} receptive field {model.receptive_field:3d}   {n / 1e6:7.3f} M parameters")
    return 0


# ---------------------------------------------------------------------------------------- predict, demo
def _cmd_predict(args: argparse.Namespace) -> int:
    if len(args.paths) == 1:
        ckpt, inp = None, args.paths[0]
    elif len(args.paths) == 2:
        ckpt, inp = args.paths
    else:
        raise SkelgnnError(f"expected [CKPT] INPUT (one or two paths), got {len(args.paths)}: {' '.join(args.paths)}")
    if (args.width is None) != (args.height is None):
        raise SkelgnnError("give both --width and --height (the image size in pixels), or neither")
    check_image_size(args.width, args.height)
    if (args.focal is not None or args.fov is not None) and not args.trajectory:
        raise SkelgnnError("--focal and --fov set the camera of the root trajectory: add --trajectory")
    smooth = {"default": "default", "none": None, "savgol": "savgol", "one-euro": "one_euro"}[args.smooth]
    _guard_outputs({"-o/--out": args.out, "--png": args.png, "--gif": args.gif, "--html": args.html,
                    "--bvh": args.bvh}, inputs=[ckpt if ckpt is not None else default_checkpoint(), inp])
    check_pictures(args.png, args.gif)
    pred = predict_file(ckpt, inp, args.out, layout=args.layout, width=args.width, height=args.height,
                        fps=args.fps, conf_threshold=args.conf_threshold, tta=args.tta,
                        min_track_length=args.min_track_length, smooth=smooth,
                        bones=args.bone_lengths, trajectory=args.trajectory, focal_px=args.focal, fov_deg=args.fov,
                        bvh_path=args.bvh, bvh_unit=args.bvh_unit, bvh_track=args.track)
    P, T = pred.joints_3d.shape[:2]
    how = "guessed from the keypoints; pass --layout to change it" if pred.layout_guessed else "given"
    print(f"Read {inp}: {P} track(s) x {T} frame(s), layout {pred.layout} ({how}).")
    if pred.short_tracks:
        print(f"Dropped {pred.short_tracks} short-lived track(s): detected in fewer than {args.min_track_length} "
              "frames (--min-track-length).")
    if pred.dropped_tracks:
        print(f"Skipped track(s) {pred.dropped_tracks}: no joint above the confidence threshold (and inside the "
              "image) in any frame.")
    if pred.outside is not None and pred.outside.any():
        print(f"skelgnn: warning: {int(pred.outside.sum())} joint(s) in {int(pred.outside.any(-1).sum())} "
              f"track-frame(s) lie more than {OUTSIDE_MARGIN:g} image size beyond the {pred.width}x{pred.height} "
              "image; they were treated as missing, filled and flagged (npz 'outside', 'flags')", file=sys.stderr)
    print(f"Filled {int(pred.flags.sum())} of {pred.flags.size} joints ({100 * pred.filled_fraction:.1f} %) "
          f"that were missing or below confidence {args.conf_threshold}.")
    print(f"Lifted with {pred.model} from {pred.checkpoint}{' with test-time flip' if args.tta else ''}.")
    unknown = unknown_meta(pred)
    if "width" in unknown or "height" in unknown:
        print("Image size: unknown (not in the input; this checkpoint does not need it); recorded as unknown.")
    if "fps" in unknown:
        print("Frame rate: unknown (not in the input; pass --fps); recorded as unknown"
              + ("; the GIF/HTML play at 30 fps (assumed)." if args.gif or args.html else "."))
    print(f"Post-filter: {pred.postfilter}.")
    print(f"Wrote {pred.out_path}: 3D joints in mm, camera frame, pelvis-relative.")
    if pred.root_3d is not None:
        k = pred.intrinsics
        print(f"Root trajectory: root_3d and joints_3d_camera (mm, camera frame) with fx={k.fx:.1f}, fy={k.fy:.1f}, "
              f"cx={k.cx:.1f}, cy={k.cy:.1f} px ({k.source}).")
    if args.bvh:
        print(f"Wrote {args.bvh}: BVH in {args.bvh_unit}, Y up, ZXY rotations, "
              f"{'with' if pred.root_3d is not None else 'without'} the root trajectory.")
    if args.png or args.gif or args.html:
        for line in write_pictures(pred, Path(inp).name, png=args.png, gif=args.gif, html=args.html,
                                   track=args.track, frame=args.frame):
            print(line)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    _guard_outputs(inputs=[args.checkpoint], folders={"--out": (args.out, DEMO_FILES)})
    r = run_demo(args.out, args.checkpoint, frame=args.frame)
    print(f"Sample: HDM05-Lift test clip {r.clip} (actor {r.actor}, held out from training; motion "
          f"{r.motion_class}), camera {r.camera}, {r.frames} frames at {r.fps:g} fps; input: the benchmark's "
          f"{r.input} 2D keypoints (H36M-17, pixels, {r.width}x{r.height} image).")
    print(f"Lifted with {r.model} from {r.checkpoint} (2D normalised by {r.input_norm}) "
          f"in {r.seconds:.2f} s.")
    print(f"Error against the sample's 3D ground truth (17 joints, mm, camera frame, pelvis-relative): "
          f"MPJPE {r.mpjpe:.1f} mm, P-MPJPE {r.p_mpjpe:.1f} mm (post-filter: {r.postfilter}).")
    print(f"Root trajectory (least squares with the sample's focal length): pelvis error {r.root_error:.0f} mm, "
          f"{r.root_error_pct:.1f} % of the camera distance.")
    what = {"npz": "3D joints (mm, camera frame, pelvis-relative), 2D input and metadata",
            "png": f"2D input beside the lifted 3D pose and the ground truth, frame {r.png_frame + 1} of "
                   f"{r.frames} (the middle one unless --frame), MPJPE {r.png_mpjpe:.1f} mm in that frame",
            "gif": "the whole clip with its ground truth, animated",
            "html": "interactive 3D viewer with a ground-truth toggle; open it in a browser, it needs no network",
            "bvh": "BVH animation (cm, Y up, ZXY rotations, root trajectory included; Blender: File > Import > BVH)",
            "trajectory_html": "the viewer in the camera frame: the body moving along its fitted trajectory"}
    print(f"Wrote to {args.out}/:")
    for k, p in r.files.items():
        print(f"  {p}  ({what[k]})")
    print("Data: HDM05 (CC BY-SA 3.0). The data used in this project was obtained from HDM05.")
    return 0


# ---------------------------------------------------------------------------------------- export, speed, robustness
def _cmd_export(args: argparse.Namespace) -> int:
    _guard_outputs({"-o/--output": args.output}, inputs=[args.checkpoint])
    model, meta, path = export_checkpoint(args.checkpoint, args.output, frames=args.frames, opset=args.opset,
                                          exporter=args.exporter)
    time_axis = "dynamic (T >= receptive field)" if args.frames is None else f"fixed T = {args.frames}"
    print(f"Wrote {path} ({path.stat().st_size / 1e6:.2f} MB): {meta['model']['name']}, "
          f"receptive field {int(model.receptive_field)}, "
          f"input joints_2d (B, T, {model.num_joints}, 2) with dynamic batch, time {time_axis}")
    if not args.check:
        return 0
    worst = check_export(model, path, frames=args.frames, progress=print)
    if not worst <= TOLERANCE:  # NaN compares false: a NaN difference fails (the file was removed)
        print(f"skelgnn: error: the ONNX output differs from PyTorch by {worst:.3g} > {TOLERANCE:g}; "
              f"{path} was removed", file=sys.stderr)
        return 1
    return 0


def _cmd_speed(args: argparse.Namespace) -> int:
    _guard_outputs({"--json": args.json, "--markdown": args.markdown})
    if args.threads:
        torch.set_num_threads(args.threads)
    kwargs = json.loads(args.model_kwargs) if args.model_kwargs else None
    if kwargs:  # before any measurement: channels, dropout, ... in range (skelgnn.validate)
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


# ---------------------------------------------------------------------------------------- argument types
def _number(kind, s: str, ok, expected: str):
    try:
        v = kind(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {s!r}") from None
    if not ok(v):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {s!r}")
    return v


def _positive_int(s: str) -> int:
    return _number(int, s, lambda v: v > 0, "a positive integer")


def _positive_float(s: str) -> float:
    return _number(float, s, lambda v: v > 0 and v != float("inf"), "a positive number")


def _confidence(s: str) -> float:
    return _number(float, s, lambda v: 0.0 <= v <= 1.0, "a number between 0 and 1")  # NaN fails too


def _seed(s: str) -> int:
    return _number(int, s, lambda v: 0 <= v < 2**63, "an integer between 0 and 2**63 - 1")


def _shard(text: str) -> tuple[int, int]:
    k, sep, n = text.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N (e.g. 2/4), got {text!r}")
    return int(k), int(n)


def _json_object(text: str) -> str:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"not JSON: {e}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object, e.g. '{\"channels\": 64}'")
    return text


# ---------------------------------------------------------------------------------------- the parser
def _add_data_hdm05(data_sub) -> None:
    h = data_sub.add_parser("hdm05", help="build HDM05-Lift from the HDM05 ASF/AMC files")
    h.add_argument("--src", required=True, help="folder with asf/, amc/ and MANIFEST.tsv")
    h.add_argument("--out", required=True, help="output folder")
    h.add_argument("--quiet", action="store_true", help="no progress bar")
    h.set_defaults(func=_cmd_data_hdm05)


def _add_train(sub) -> None:
    t = sub.add_parser("train", help="train a lifter on HDM05-Lift or Human3.6M (resumes from OUT/last.pt)")
    t.add_argument("config", help="TOML config (see configs/)")
    t.add_argument("--out", required=True, help="run folder for checkpoints and the JSONL log")
    t.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config value, e.g. train.epochs=5")
    t.add_argument("--allow-pickle", action="store_true", help=ALLOW_PICKLE_HELP + " (data.kind = 'h36m')")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=_cmd_train)


def _add_evaluate(sub) -> None:
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
    g = e.add_argument_group("Human3.6M-layout checkpoints (trained with data.kind = 'h36m'); the protocol is "
                             "read from the checkpoint's config and these flags override it")
    g.add_argument("--allow-pickle", action="store_true", help=ALLOW_PICKLE_HELP)
    g.add_argument("--joints", type=int, choices=(16, 17),
                   help="17 or 16 joints; must match the checkpoint's skeleton (a 17-joint model is not scored "
                        "on 16 joints: train with data.joints=16 for the 16-joint protocol)")
    g.add_argument("--keep-s11-directions", action="store_true",
                   help="keep S11 'Directions' in the test set (excluded by default, as VideoPose3D does)")
    g.add_argument("--test-downsample", type=_positive_int, metavar="K",
                   help="evaluate every K-th test frame (default: the config's data.test_downsample, 1)")
    g.add_argument("--rare", action="store_true",
                   help="also report rare poses (test frames farthest from their nearest training pose; slow)")
    e.set_defaults(func=_cmd_evaluate)


def _add_benchmark(sub) -> None:
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
    b.add_argument("--only", action="append", metavar="LABEL",
                   help="train only the run with this label (repeat for several; sharded among themselves); "
                        "the report still covers every finished run")
    b.add_argument("--by-run", action="store_true",
                   help="train run by run (all seeds and inputs of one run, then the next; sharded as listed) "
                        "instead of seed round by seed round, so an early stop leaves whole runs finished")
    b.set_defaults(func=_cmd_benchmark)


def _add_models(sub) -> None:
    m = sub.add_parser("models", help="list the registered models with their parameter counts")
    m.set_defaults(func=_cmd_models)


def _add_predict(sub) -> None:
    p = sub.add_parser("predict", help="lift your own 2D keypoints (or an image/video) to 3D",
                       usage="skelgnn predict [-h] [CKPT] INPUT -o OUT [options]",
                       description="Lift 2D keypoints to 3D joints (mm, camera frame, pelvis-relative).",
                       epilog=_PREDICT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="[CKPT] INPUT",
                   help="optional checkpoint (.pt; default: the bundled one), then the input")
    p.add_argument("-o", "--out", required=True, help="output .npz (default format) or .csv")
    p.add_argument("--layout", help="input keypoint layout: h36m17, coco17, openpose18, body25, halpe26, "
                                    "blazepose33 (default: guessed; 17 keypoints read as coco17)")
    p.add_argument("--width", type=_positive_int, help="image width in pixels (if the input does not say)")
    p.add_argument("--height", type=_positive_int, help="image height in pixels (if the input does not say)")
    p.add_argument("--fps", type=_positive_float, help="frame rate (recorded in the output; playback speed)")
    p.add_argument("--conf-threshold", type=_confidence, default=0.3,
                   help="joints below this confidence are filled by interpolation (default 0.3)")
    p.add_argument("--min-track-length", type=_positive_int, default=MIN_TRACK_LENGTH, metavar="N",
                   help=f"drop tracks detected in fewer than N frames (default {MIN_TRACK_LENGTH}; inputs shorter "
                        "than 2N frames need half their frames, so a single image keeps everyone)")
    p.add_argument("--tta", action=argparse.BooleanOptionalAction, default=False,
                   help="test-time flip augmentation (default off)")
    p.add_argument("--track", type=int, help="track id to draw with --png/--gif/--html and to write with --bvh "
                                             "(default: the first)")
    p.add_argument("--frame", type=_positive_int, metavar="N",
                   help="frame drawn by --png, 1-based (default: the middle frame)")
    p.add_argument("--png", help="also write a picture of the 2D input beside the 3D pose, in the format its "
                                 "suffix names (.png, .jpg, .svg, .pdf)")
    p.add_argument("--gif", help="also write an animation (.gif, or .mp4 when ffmpeg is installed)")
    p.add_argument("--html", help="also write a self-contained interactive 3D viewer (.html)")
    p.add_argument("--smooth", choices=("default", "savgol", "one-euro", "none"), default="default",
                   help="temporal post-filter: Savitzky-Golay (offline), One-Euro (causal) or none; default: "
                        "savgol for single-frame models, none for multi-frame ones")
    p.add_argument("--bone-lengths", action=argparse.BooleanOptionalAction, default=True,
                   help="rescale every bone to the track's median length (rigid skeleton; default on)")
    p.add_argument("--trajectory", action="store_true",
                   help="also fit the pelvis position in the camera frame (root_3d, joints_3d_camera)")
    p.add_argument("--focal", type=_positive_float, help="focal length in pixels for --trajectory "
                                                         "(default: assumed from the image size and --fov)")
    p.add_argument("--fov", type=_positive_float, help="field of view in degrees across the larger image side, "
                                                       "used when --focal is not given (default 55)")
    p.add_argument("--bvh", help="also write the track (--track, default the first) as a BVH animation")
    p.add_argument("--bvh-unit", choices=("cm", "m", "mm"), default="cm", help="BVH length unit (default cm)")
    p.set_defaults(func=_cmd_predict)


def _add_export(sub) -> None:
    x = sub.add_parser("export", help="export a checkpoint's lifter to ONNX (needs skelgnn[export])")
    x.add_argument("checkpoint", help="a .pt checkpoint written by skelgnn train")
    x.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    x.add_argument("--frames", type=int, default=None,
                   help="fix the time axis to this many frames (default: dynamic)")
    x.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    x.add_argument("--exporter", choices=("torchscript", "dynamo"), default="torchscript",
                   help="PyTorch exporter (default torchscript: fast; dynamo needs onnxscript)")
    x.add_argument("--check", action="store_true",
                   help=f"run the file with onnxruntime on random inputs; fail if it differs by "
                        f"> {TOLERANCE:g}")
    x.set_defaults(func=_cmd_export)


def _add_speed(sub) -> None:
    s = sub.add_parser("speed",
                       help="benchmark the registered lifters: latency, throughput, FLOPs (eval, no grad); "
                            "--train adds training throughput. Valid only on an idle machine")
    s.add_argument("--models", nargs="+", metavar="NAME", help="registry names (default: all)")
    s.add_argument("--batch", type=int, default=1024, help="samples per call for throughput (default 1024)")
    s.add_argument("--repeats", type=int, default=10, help="timed calls per measurement (default 10)")
    s.add_argument("--frames", type=int, default=1,
                   help="output poses per sample; input frames = receptive field + frames - 1 (default 1)")
    s.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    s.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    s.add_argument("--matmul-size", type=int, default=2048,
                   help="side of the reference matmul (default 2048)")
    s.add_argument("--budget", type=float, default=20.0,
                   help="seconds per throughput measurement; fewer calls if slower (default 20)")
    s.add_argument("--model-kwargs", type=_json_object, metavar="JSON",
                   help="builder keyword arguments for every model, e.g. '{\"channels\": 64}' "
                        "(default: none)")
    s.add_argument("--train", action="store_true",
                   help="also time training: forward + backward + Adam step (train_samples_per_s, "
                        "train_fraction_of_matmul)")
    s.add_argument("--train-batch", type=int, default=256,
                   help="samples per training step with --train (default 256, the benchmark's batch)")
    s.add_argument("--json", help="write the full report here")
    s.add_argument("--markdown", help="write the Markdown table here")
    s.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    s.set_defaults(func=_cmd_speed)


def _add_demo(sub) -> None:
    d = sub.add_parser(
        "demo", help="lift the bundled HDM05 sample with the bundled model and draw it (offline)",
        description="Lift the bundled sample (real 2D keypoints of a held-out HDM05-Lift clip) with the bundled "
                    "default checkpoint, print its MPJPE against the sample's 3D ground truth, and write an npz, "
                    "a PNG, a GIF, an HTML viewer, a BVH and a trajectory view.")
    d.add_argument("--out", default="skelgnn_demo", help="output folder (default skelgnn_demo)")
    d.add_argument("--frame", type=int, metavar="N", help="frame drawn in pose.png, 1-based (default: the middle one)")
    d.add_argument("--checkpoint",
                   help="a checkpoint to use instead of the bundled default (e.g. runs/x/best.pt)")
    d.set_defaults(func=_cmd_demo)


def _add_robustness(sub) -> None:
    r = sub.add_parser(
        "robustness", help="errors on HDM05-Lift's test actors under changed virtual cameras",
        description="Re-project HDM05-Lift's held-out test actors (mm, tr) through changed virtual cameras "
                    "(focal length x0.5/x2, distance 3/8 m, camera height 0.5/3 m, image 640x480/1920x1080 with the same focal length) "
                    "and report MPJPE and P-MPJPE per change. The 2D is normalised as the checkpoint was trained "
                    "(screen or bbox).")
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
    q = sub.add_parser("evaluate-3dhp", help="cross-dataset PCK@150mm / AUC of a checkpoint on the MPI-INF-3DHP "
                                             "test set (TS1-TS6)")
    q.add_argument("checkpoint", help="a .pt checkpoint written by skelgnn train")
    q.add_argument("--data", required=True, help="data_test_3dhp.npz (P-STMO layout: a pickled dict)")
    q.add_argument("--allow-pickle", action="store_true", help=ALLOW_PICKLE_HELP)
    q.add_argument("--tta", action=argparse.BooleanOptionalAction, default=None,
                   help="test-time flip (default: the checkpoint's data.test_flip for Human3.6M checkpoints, "
                        "else off)")
    q.add_argument("--order", choices=("mpi", "h36m"), default="mpi",
                   help="joint order of the file: mpi (the 3DHP test order, default) or h36m (already remapped)")
    q.add_argument("--json", help="write the report as JSON here")
    q.set_defaults(func=_cmd_evaluate_3dhp)


def _add_data_h36m_cdf(data_sub) -> None:
    c = data_sub.add_parser(
        "h36m-cdf", help="convert the official Human3.6M CDF files to the VideoPose3D layout (needs skelgnn[h36m])")
    c.add_argument("--src", required=True, help="folder with S1, S5, ... as extracted from the official archives "
                                                "(S*/MyPoseFeatures/D3_Positions/*.cdf)")
    c.add_argument("--out", required=True, help="output folder: writes data_3d_h36m.npz there")
    c.add_argument("--gt-2d", action="store_true",
                   help="also write data_2d_h36m_gt.npz (ground-truth 2D through the built-in cameras)")
    c.add_argument("--subjects", nargs="+", metavar="S", help="subjects to convert (default: all 7)")
    c.set_defaults(func=_cmd_data_h36m_cdf)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="skelgnn", description="Skeletal GNN 2D→3D human pose lifting.")
    p.add_argument("--version", action="version", version=f"skelgnn {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="build benchmark data")
    data_sub = data.add_subparsers(dest="dataset", required=True)
    _add_data_hdm05(data_sub)
    _add_train(sub)
    _add_evaluate(sub)
    _add_benchmark(sub)
    _add_models(sub)
    _add_predict(sub)
    _add_export(sub)
    _add_speed(sub)
    _add_demo(sub)
    _add_robustness(sub)
    _add_evaluate_3dhp(sub)
    _add_data_h36m_cdf(data_sub)
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
