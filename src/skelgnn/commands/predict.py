"""``skelgnn predict [CKPT] INPUT -o OUT``: lift a user's own 2D keypoints (or image/video) to 3D."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SkelgnnError

_EPILOG = """\
INPUT is an OpenPose output folder (*_keypoints.json), a .json file (plain [T][K][x, y, c]
frame lists, mmpose inferencer/demo output, generic frames, COCO/AlphaPose results), an .npz
(skelgnn's or VideoPose3D's custom-video file), an .npy array (T, K, 2|3) or a .csv file
(COCO-17, Halpe-26, OpenPose BODY_25/COCO-18, MediaPipe-33 or H36M-17; see skelgnn.keypoints
and examples/), or, with `pip install "skelgnn[detect]"`, an image or a video.
Without CKPT the bundled checkpoint is used. OUT.npz holds joints_3d (P, T, 17, 3) in mm,
camera frame (x right, y down, z forward), pelvis-relative, plus joints_2d, flags (filled
joints), track_ids and metadata; OUT.csv holds one row per track and frame.
"""


def _positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    return v


def _positive_float(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {s!r}") from None
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {s!r}")
    return v


def _confidence(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {s!r}") from None
    if not 0.0 <= v <= 1.0:  # NaN fails too
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {s!r}")
    return v


def _check_pictures(args: argparse.Namespace) -> None:
    """Refuse unwritable picture formats (and MP4 without ffmpeg) before any work."""
    from .. import viz

    if args.png:
        viz.check_image_path(args.png)
    if args.gif:
        viz.check_animation_path(args.gif)
    if args.png or args.gif:
        viz.check_matplotlib()


def _cmd_predict(args: argparse.Namespace) -> int:
    from ..predict import predict_file, unknown_meta

    if len(args.paths) == 1:
        ckpt, inp = None, args.paths[0]
    elif len(args.paths) == 2:
        ckpt, inp = args.paths
    else:
        raise SkelgnnError(f"expected [CKPT] INPUT (one or two paths), got {len(args.paths)}: {' '.join(args.paths)}")
    if (args.width is None) != (args.height is None):
        raise SkelgnnError("give both --width and --height (the image size in pixels), or neither")
    from ..predict import check_image_size, default_checkpoint
    from . import guard_outputs

    check_image_size(args.width, args.height)
    if (args.focal is not None or args.fov is not None) and not args.trajectory:
        raise SkelgnnError("--focal and --fov set the camera of the root trajectory: add --trajectory")
    smooth = {"default": "default", "none": None, "savgol": "savgol", "one-euro": "one_euro"}[args.smooth]
    guard_outputs({"-o/--out": args.out, "--png": args.png, "--gif": args.gif, "--html": args.html, "--bvh": args.bvh},
                  inputs=[ckpt if ckpt is not None else default_checkpoint(), inp])
    _check_pictures(args)
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
        import sys

        from ..predict import OUTSIDE_MARGIN

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
        import numpy as np

        matches = np.flatnonzero(pred.track_ids == args.track) if args.track is not None else np.array([0])
        if len(matches) == 0:
            raise SkelgnnError(f"--track {args.track}: no such track; tracks: {pred.track_ids.tolist()}")
        if args.frame is not None and args.frame > T:
            raise SkelgnnError(f"--frame {args.frame}: the input has {T} frame(s) (1..{T})")
        p = int(matches[0])
        tid = int(pred.track_ids[p])
        j2, j3, fl = pred.joints_2d[p], pred.joints_3d[p], pred.flags[p]
        j3_view = pred.joints_3d_camera[p] if pred.joints_3d_camera is not None else j3
        fps = pred.fps or 30.0
        name = Path(inp).name
        from .. import viz

        if args.png:
            t = (args.frame - 1) if args.frame is not None else (T - 1) // 2
            viz.plot_pair(j2[t], j3[t], args.png, flags=fl[t], title=f"{name}, track {tid}, frame {t + 1} of {T}")
            print(f"Wrote {args.png} (frame {t + 1} of {T}, track {tid}; --frame N picks another).")
        if args.gif:
            viz.animate(j2, j3, args.gif, fps=fps, flags=fl, title=f"{name}, track {tid}")
            _, step = viz.animation_frames(T)
            shown = f"1 frame in {step} of {T}: at most 300 are drawn" if step > 1 else f"all {T} frames"
            print(f"Wrote {args.gif} (track {tid}, {shown}).")
        if args.html:
            viz.write_html_viewer(j3_view, args.html, fps=pred.fps, title=f"{name}, track {tid}", joints_2d=j2, flags=fl,
                                  frame_numbers=pred.frames)
            print(f"Wrote {args.html} (track {tid}; open it in a browser, it needs no network).")
    return 0


def add_subcommand(sub) -> None:
    """Add ``predict`` to the ``skelgnn`` sub-parsers."""
    from ..keypoints import MIN_TRACK_LENGTH

    p = sub.add_parser("predict", help="lift your own 2D keypoints (or an image/video) to 3D",
                       usage="skelgnn predict [-h] [CKPT] INPUT -o OUT [options]",
                       description="Lift 2D keypoints to 3D joints (mm, camera frame, pelvis-relative).",
                       epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
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
