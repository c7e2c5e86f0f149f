"""``skelgnn robustness CKPT --data DIR``: test-actor errors under changed focal length, distance, image size."""

from __future__ import annotations

import argparse

__all__ = ["add_subcommand"]


def _cmd_robustness(args: argparse.Namespace) -> int:
    import json

    from ..io import atomic_write_text
    from ..robustness import robustness_markdown, run_robustness
    from . import guard_outputs

    guard_outputs({"--json": args.json}, inputs=[args.checkpoint, args.data])
    report = run_robustness(args.checkpoint, args.data, input_kind=args.input, changes=args.changes,
                            seed=args.seed, tta=args.tta)
    print(robustness_markdown(report), end="")
    if args.json:
        atomic_write_text(args.json, json.dumps(report, indent=1) + "\n")
        print(f"Wrote {args.json}")
    return 0


def _seed(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer between 0 and 2**63 - 1, got {s!r}") from None
    if not 0 <= v < 2**63:
        raise argparse.ArgumentTypeError(f"expected an integer between 0 and 2**63 - 1, got {s!r}")
    return v


def add_subcommand(sub) -> None:
    """Add ``robustness`` to the ``skelgnn`` sub-parsers ``sub``."""
    from ..robustness import CAMERA_CHANGES

    p = sub.add_parser(
        "robustness", help="errors on HDM05-Lift's test actors under changed virtual cameras",
        description="Re-project HDM05-Lift's held-out test actors (mm, tr) through changed virtual cameras "
                    "(focal length x0.5/x2, distance 3/8 m, image 640x480/1920x1080 with the same focal length) "
                    "and report MPJPE and P-MPJPE per change. The 2D is normalised as the checkpoint was trained "
                    "(screen or bbox).")
    p.add_argument("checkpoint", help="a .pt checkpoint written by skelgnn train")
    p.add_argument("--data", required=True, help="folder written by `skelgnn data hdm05`")
    p.add_argument("--input", choices=("noisy", "gt"), default="noisy",
                   help="2D: noisy as in the benchmark, scaled to the image (default), or exact")
    p.add_argument("--changes", nargs="+", metavar="NAME", choices=[c.name for c in CAMERA_CHANGES],
                   help=f"only these ({', '.join(c.name for c in CAMERA_CHANGES)}; default all)")
    p.add_argument("--seed", type=_seed, default=0, help="noise seed (default 0 = the benchmark's noise)")
    p.add_argument("--tta", action=argparse.BooleanOptionalAction, default=False,
                   help="test-time flip augmentation (default off)")
    p.add_argument("--json", help="write the report as JSON here")
    p.set_defaults(func=_cmd_robustness)
