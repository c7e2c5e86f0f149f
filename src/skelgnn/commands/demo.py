"""``skelgnn demo``: lift the bundled HDM05 sample with the bundled default checkpoint (offline)."""

from __future__ import annotations

import argparse

__all__ = ["add_subcommand"]


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import OUTPUT_FILES, run_demo
    from . import guard_outputs

    guard_outputs(inputs=[args.checkpoint], folders={"--out": (args.out, OUTPUT_FILES)})
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


def add_subcommand(sub) -> None:
    """Add ``demo`` to the ``skelgnn`` sub-parsers ``sub``."""
    p = sub.add_parser(
        "demo", help="lift the bundled HDM05 sample with the bundled model and draw it (offline)",
        description="Lift the bundled sample (real 2D keypoints of a held-out HDM05-Lift clip) with the bundled "
                    "default checkpoint, print its MPJPE against the sample's 3D ground truth, and write an npz, "
                    "a PNG, a GIF, an HTML viewer, a BVH and a trajectory view.")
    p.add_argument("--out", default="skelgnn_demo", help="output folder (default skelgnn_demo)")
    p.add_argument("--frame", type=int, metavar="N", help="frame drawn in pose.png, 1-based (default: the middle one)")
    p.add_argument("--checkpoint",
                   help="a checkpoint to use instead of the bundled default (e.g. runs/x/best.pt)")
    p.set_defaults(func=_cmd_demo)
