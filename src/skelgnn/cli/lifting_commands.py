"""``skelgnn models``, ``predict``, ``demo`` and ``export``: running a lifter on your own data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..core.errors import SkelgnnError
from ..core.height import check_subject_height
from ..core.io import one_line
from ..core.skeleton import H36M_17
from ..keypoints import MIN_TRACK_LENGTH
from ..lifting.api import predict_file
from ..lifting.export import TOLERANCE, check_export, export_checkpoint
from ..lifting.predict import (
    check_pictures,
    default_checkpoint,
    prediction_warnings,
    size_statement,
    unknown_meta,
    write_pictures,
)
from ..models import build, names
from ..tools.demo import OUTPUT_FILES as DEMO_FILES
from ..tools.demo import run_demo
from .common import _any_int, _confidence, _focal, _fov, _fps, _guard_outputs, _pixels, _positive_int


def _subject_height(s: str) -> float:
    try:
        return check_subject_height(float(s), "the subject's height")
    except (ValueError, SkelgnnError) as e:
        msg = (str(e) if isinstance(e, SkelgnnError)
               else f"the subject's height must be a number of metres, got {s!r}")
        raise argparse.ArgumentTypeError(msg) from None


_PREDICT_EPILOG = """\
INPUT is an OpenPose output folder (*_keypoints.json), a .json file (plain [T][K][x, y, c]
frame lists, mmpose inferencer/demo output, generic frames, COCO/AlphaPose results), an .npz
(skelgnn's or VideoPose3D's custom-video file), an .npy array (T, K, 2|3) or a .csv file
(COCO-17, Halpe-26, OpenPose BODY_25/COCO-18, MediaPipe-33 or H36M-17; see skelgnn.keypoints
and examples/), or, with `pip install "skelgnn[detect]"`, an image or a video.
Without CKPT the bundled checkpoint is used. OUT.npz holds joints_3d (P, T, 17, 3) in mm,
camera frame (x right, y down, z forward), pelvis-relative, plus joints_2d, flags (filled
joints), track_ids and metadata; OUT.csv holds one row per track and frame. The body size is
a typical adult's as learned from the training data unless --subject-height gives the person's
standing height (joints, trajectory and BVH are then scaled to it; docs/data.md says how the
height is measured on the 17 joints).
"""


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
        raise SkelgnnError(f"expected [CKPT] INPUT (one or two paths), got {len(args.paths)}: "
                           f"{' '.join(args.paths)}")
    smooth = {"default": "default", "none": None, "savgol": "savgol", "one-euro": "one_euro"}[args.smooth]
    _guard_outputs({"-o/--out": args.out, "--png": args.png, "--gif": args.gif, "--html": args.html,
                    "--bvh": args.bvh}, inputs=[ckpt if ckpt is not None else default_checkpoint(), inp])
    check_pictures(args.png, args.gif)
    pred = predict_file(ckpt, inp, args.out, layout=args.layout, width=args.width, height=args.height,
                        fps=args.fps, conf_threshold=args.conf_threshold, tta=args.tta,
                        min_track_length=args.min_track_length, smooth=smooth,
                        bones=args.bone_lengths, trajectory=args.trajectory, focal_px=args.focal,
                        fov_deg=args.fov, subject_height=args.subject_height, bvh_path=args.bvh,
                        bvh_unit=args.bvh_unit, bvh_track=args.track, frame=args.frame, causal=args.causal)
    P, T = pred.joints_3d.shape[:2]
    how = "guessed from the keypoints; pass --layout to change it" if pred.layout_guessed else "given"
    print(f"Read {one_line(inp)}: {P} track(s) x {T} frame(s), layout {pred.layout} ({how}).")
    if pred.short_tracks:
        print(f"Dropped {pred.short_tracks} short-lived track(s): detected in fewer than "
              f"{args.min_track_length} frames (--min-track-length).")
    if pred.dropped_tracks:
        print(f"Skipped track(s) {pred.dropped_tracks}: no joint above the confidence threshold (and inside "
              "the image) in any frame.")
    for line in prediction_warnings(pred):
        print(f"skelgnn: warning: {line}", file=sys.stderr)
    print(f"Filled {int(pred.flags.sum())} of {pred.flags.size} joints ({100 * pred.filled_fraction:.1f} %) "
          f"that were missing or below confidence {args.conf_threshold}.")
    print(f"Lifted with {pred.model} from {pred.checkpoint}{' with test-time flip' if args.tta else ''}.")
    if args.causal:
        rf = int(pred.receptive_field or 1)
        what = ("a single-frame model, causal by construction" if rf == 1 else
                f"a causal model: each pose from its frame and the {rf - 1} before it")
        print(f"Causal: streamed one frame at a time (batch 1) through {what}; gaps hold the last valid "
              "joint.")
    unknown = unknown_meta(pred)
    if "width" in unknown or "height" in unknown:
        print("Image size: unknown (not in the input; this checkpoint does not need it); recorded as "
              "unknown.")
    if "fps" in unknown:
        print("Frame rate: unknown (not in the input; pass --fps); recorded as unknown"
              + ("; the GIF/HTML play at 30 fps (assumed)." if args.gif or args.html else "."))
    print(f"Post-filter: {pred.postfilter}.")
    print(f"Size: {size_statement(pred)}.")
    print(f"Wrote {pred.out_path}: 3D joints in mm, camera frame, pelvis-relative.")
    if pred.root_3d is not None:
        k = pred.intrinsics
        print(f"Root trajectory: root_3d and joints_3d_camera (mm, camera frame) with fx={k.fx:.1f}, "
              f"fy={k.fy:.1f}, cx={k.cx:.1f}, cy={k.cy:.1f} px ({k.source}).")
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
    print(f"Root trajectory (least squares with the sample's focal length): pelvis error {r.root_error:.0f} "
          f"mm, {r.root_error_pct:.1f} % of the camera distance.")
    what = {"npz": "3D joints (mm, camera frame, pelvis-relative), 2D input and metadata",
            "png": f"2D input beside the lifted 3D pose and the ground truth, frame {r.png_frame + 1} of "
                   f"{r.frames} (the middle one unless --frame), MPJPE {r.png_mpjpe:.1f} mm in that frame",
            "gif": "the whole clip with its ground truth, animated",
            "html": "interactive 3D viewer with a ground-truth toggle; open it in a browser, it needs no "
                    "network",
            "bvh": "BVH animation (cm, Y up, ZXY rotations, root trajectory included; Blender: File > Import "
                   "> BVH)",
            "trajectory_html": "the viewer in the camera frame: the body moving along its fitted trajectory"}
    print(f"Wrote to {args.out}/:")
    for k, p in r.files.items():
        print(f"  {p}  ({what[k]})")
    print("Data: HDM05 (CC BY-SA 3.0). The data used in this project was obtained from HDM05.")
    return 0


# ---------------------------------------------------------------------------------------- export
def _cmd_export(args: argparse.Namespace) -> int:
    _guard_outputs({"-o/--output": args.output}, inputs=[args.checkpoint])
    lifter, path = export_checkpoint(args.checkpoint, args.output, frames=args.frames, opset=args.opset,
                                     exporter=args.exporter)
    model = lifter.model
    time_axis = "dynamic (T >= receptive field)" if args.frames is None else f"fixed T = {args.frames}"
    print(f"Wrote {path} ({path.stat().st_size / 1e6:.2f} MB): {lifter.name}, "
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
    p.add_argument("--width", type=_pixels, help="image width in pixels (if the input does not say)")
    p.add_argument("--height", type=_pixels, help="image height in pixels (if the input does not say)")
    p.add_argument("--fps", type=_fps, help="frame rate (recorded in the output; playback speed)")
    p.add_argument("--conf-threshold", type=_confidence, default=0.3,
                   help="joints below this confidence are filled by interpolation (default 0.3)")
    p.add_argument("--min-track-length", type=_positive_int, default=MIN_TRACK_LENGTH, metavar="N",
                   help=f"drop tracks detected in fewer than N frames (default {MIN_TRACK_LENGTH}; inputs "
                        "shorter than 2N frames need half their frames, so a single image keeps everyone)")
    p.add_argument("--tta", action=argparse.BooleanOptionalAction, default=False,
                   help="test-time flip augmentation (default off)")
    p.add_argument("--track", type=_any_int,
                   help="track id to draw with --png/--gif/--html and to write with --bvh (default: the "
                        "first)")
    p.add_argument("--frame", type=_positive_int, metavar="N",
                   help="frame drawn by --png, 1-based (default: the middle frame)")
    p.add_argument("--png", help="also write a picture of the 2D input beside the 3D pose, in the format its "
                                 "suffix names (.png, .jpg, .svg, .pdf)")
    p.add_argument("--gif", help="also write an animation (.gif, or .mp4 when ffmpeg is installed)")
    p.add_argument("--html", help="also write a self-contained interactive 3D viewer (.html)")
    p.add_argument("--smooth", choices=("default", "savgol", "one-euro", "none"), default="default",
                   help="temporal post-filter: Savitzky-Golay (offline), One-Euro (causal) or none; default: "
                        "savgol for single-frame models, none for multi-frame ones")
    p.add_argument("--bone-lengths", action=argparse.BooleanOptionalAction, default=None,
                   help="rescale every bone to the track's median length (rigid skeleton; default on, off "
                        "with --causal)")
    p.add_argument("--causal", action="store_true",
                   help="live use: stream every track one frame at a time (batch 1) through a causal model "
                        "(model.kwargs causal = true, or a single-frame model); each pose uses its frame and "
                        "earlier ones only; gaps hold the last valid joint; --smooth one-euro or none "
                        "(default: one-euro for single-frame models when the fps is known)")
    p.add_argument("--trajectory", action="store_true",
                   help="also fit the pelvis position in the camera frame (root_3d, joints_3d_camera)")
    p.add_argument("--focal", type=_focal, help="focal length in pixels for --trajectory "
                                                         "(default: assumed from the image size and --fov)")
    p.add_argument("--fov", type=_fov, help="field of view in degrees across the larger image "
                                                       "side, used when --focal is not given (default 55)")
    p.add_argument("--subject-height", type=_subject_height, metavar="METRES",
                   help="the person's standing height in metres (e.g. 1.72): joints, root trajectory and "
                        "BVH are scaled to it (default: the typical adult size the model learned, recorded "
                        "as such)")
    p.add_argument("--bvh", help="also write the track (--track, default the first) as a BVH animation")
    p.add_argument("--bvh-unit", choices=("cm", "m", "mm"), default="cm", help="BVH length unit (default cm)")
    p.set_defaults(func=_cmd_predict)


def _add_export(sub) -> None:
    x = sub.add_parser("export", help="export a checkpoint's lifter to ONNX (needs skelgnn[export])")
    x.add_argument("checkpoint", help="a .pt checkpoint written by skelgnn train")
    x.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    x.add_argument("--frames", type=_any_int, default=None,
                   help="fix the time axis to this many frames (default: dynamic)")
    x.add_argument("--opset", type=_any_int, default=17, help="ONNX opset (default 17)")
    x.add_argument("--exporter", choices=("torchscript", "dynamo"), default="torchscript",
                   help="PyTorch exporter (default torchscript: fast; dynamo needs onnxscript)")
    x.add_argument("--check", action="store_true",
                   help=f"run the file with onnxruntime on random inputs; fail if it differs by "
                        f"> {TOLERANCE:g}")
    x.set_defaults(func=_cmd_export)


def _add_demo(sub) -> None:
    d = sub.add_parser(
        "demo", help="lift the bundled HDM05 sample with the bundled model and draw it (offline)",
        description="Lift the bundled sample (real 2D keypoints of a held-out HDM05-Lift clip) with the "
                    "bundled default checkpoint, print its MPJPE against the sample's 3D ground truth, and "
                    "write an npz, a PNG, a GIF, an HTML viewer, a BVH and a trajectory view.")
    d.add_argument("--out", default="skelgnn_demo", help="output folder (default skelgnn_demo)")
    d.add_argument("--frame", type=_any_int, metavar="N",
                   help="frame drawn in pose.png, 1-based (default: the middle one)")
    d.add_argument("--checkpoint",
                   help="a checkpoint to use instead of the bundled default (e.g. runs/x/best.pt)")
    d.set_defaults(func=_cmd_demo)
