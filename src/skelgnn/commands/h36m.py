"""Human3.6M and MPI-INF-3DHP on the command line (users bring the data; nothing is downloaded).

* ``skelgnn data h36m-cdf --src ROOT --out DIR [--gt-2d]``: the official CDF files → ``DIR/data_3d_h36m.npz``
  (and ``DIR/data_2d_h36m_gt.npz``), the VideoPose3D layout (needs ``pip install "skelgnn[h36m]"``);
* ``skelgnn evaluate-3dhp CKPT --data data_test_3dhp.npz --allow-pickle [--tta]``: cross-dataset PCK / AUC;
* :func:`evaluate_h36m_command`: the body of ``skelgnn evaluate`` for checkpoints trained with
  ``data.kind = "h36m"`` (called by :mod:`skelgnn.cli`).
"""

from __future__ import annotations

import argparse

__all__ = ["add_subcommand", "add_evaluate_arguments", "evaluate_h36m_command", "ALLOW_PICKLE_HELP"]

ALLOW_PICKLE_HELP = ("read files in a pickled layout (the VideoPose3D npz files; 3DHP's data_test_3dhp.npz). "
                     "Unpickling a file can run arbitrary code: pass this only for files you trust")


def evaluate_h36m_command(args: argparse.Namespace) -> int:
    """``skelgnn evaluate`` for a ``data.kind = "h36m"`` checkpoint: protocol first, then every number."""
    import json

    import numpy as np

    from ..errors import SkelgnnError
    from ..evaluate import evaluate_h36m_checkpoint
    from ..io import atomic_save_npz, atomic_write_text
    from ..protocol import format_protocol_report

    wrong = [flag for flag, v in (("--input", args.input), ("--split", args.split)) if v is not None]
    if wrong:
        raise SkelgnnError(f"{' and '.join(wrong)} apply to HDM05-Lift checkpoints; this checkpoint was trained with "
                           "data.kind = 'h36m': its 2D source is the config's data.input and it is evaluated on "
                           "the protocol's test subjects")
    report, preds, seqs, protocol = evaluate_h36m_checkpoint(
        args.checkpoint, args.data, allow_pickle=args.allow_pickle, tta=args.tta, joints=args.joints,
        keep_s11_directions=args.keep_s11_directions, test_downsample=args.test_downsample, rare=args.rare)
    print(format_protocol_report(report, title=f"{report['model']} on {protocol.dataset}, 2D {protocol.input_2d}"),
          end="")
    sel = report["selection"]
    if "val_mpjpe" in sel:
        print(f"\nCheckpoint {args.checkpoint}: epoch {sel.get('epoch')}, validation MPJPE {sel['val_mpjpe']:.2f} mm; "
              f"{report['parameters'] / 1e6:.3f} M parameters, receptive field {report['receptive_field']}.")
    if args.json:
        atomic_write_text(args.json, json.dumps(report, indent=1))
        print(f"Wrote {args.json}")
    if args.save_predictions:
        atomic_save_npz(args.save_predictions, **{k: p.astype(np.float32) for k, p in zip(seqs.keys, preds)})
        print(f"Wrote {args.save_predictions}: {len(preds)} arrays (T, {protocol.joints}, 3), one per "
              "subject/action/camera, camera frame, pelvis-relative, mm")
    return 0


def _cmd_evaluate_3dhp(args: argparse.Namespace) -> int:
    import json

    from ..data.mpi3dhp import format_3dhp_report
    from ..evaluate import evaluate_3dhp_checkpoint
    from ..io import atomic_write_text

    from . import guard_outputs

    guard_outputs({"--json": args.json}, inputs=[args.checkpoint, args.data])
    report = evaluate_3dhp_checkpoint(args.checkpoint, args.data, allow_pickle=args.allow_pickle, tta=args.tta,
                                      order=args.order)
    print(format_3dhp_report(report, title=f"{report['model']} on MPI-INF-3DHP (cross-dataset)"), end="")
    if args.json:
        atomic_write_text(args.json, json.dumps(report, indent=1))
        print(f"Wrote {args.json}")
    return 0


def _cmd_data_h36m_cdf(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..data.h36m import ALL_SUBJECTS, convert_h36m_cdf, write_gt_2d_file

    from . import guard_outputs

    out = Path(args.out)
    guard_outputs(inputs=[args.src], folders={"--out": (out, ("data_3d_h36m.npz", "data_2d_h36m_gt.npz"))})
    p3 = convert_h36m_cdf(args.src, out / "data_3d_h36m.npz", subjects=tuple(args.subjects or ALL_SUBJECTS))
    print(f"Wrote {p3} (32-joint world poses in metres, VideoPose3D layout; S11 'Directions' kept, the "
          "evaluation protocol excludes it)")
    if args.gt_2d:
        # the file was just written by us, so reading it back (pickled layout) is safe
        p2 = write_gt_2d_file(p3, out / "data_2d_h36m_gt.npz", allow_pickle=True)
        print(f"Wrote {p2} (ground-truth 2D: projection through the built-in Human3.6M cameras, distortion "
              "included)")
    return 0


def _positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    return v


def _data_subparsers(sub) -> argparse._SubParsersAction:
    data = sub.choices["data"]
    return next(a for a in data._actions if isinstance(a, argparse._SubParsersAction))


def add_evaluate_arguments(e: argparse.ArgumentParser) -> None:
    """The Human3.6M protocol switches of ``skelgnn evaluate`` (used by :mod:`skelgnn.cli`)."""
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


def add_subcommand(sub) -> None:
    """Add ``evaluate-3dhp`` and ``data h36m-cdf`` to the ``skelgnn`` sub-parsers ``sub``."""
    p = sub.add_parser("evaluate-3dhp", help="cross-dataset PCK@150mm / AUC of a checkpoint on the MPI-INF-3DHP "
                                             "test set (TS1-TS6)")
    p.add_argument("checkpoint", help="a .pt checkpoint written by skelgnn train")
    p.add_argument("--data", required=True, help="data_test_3dhp.npz (P-STMO layout: a pickled dict)")
    p.add_argument("--allow-pickle", action="store_true", help=ALLOW_PICKLE_HELP)
    p.add_argument("--tta", action=argparse.BooleanOptionalAction, default=None,
                   help="test-time flip (default: the checkpoint's data.test_flip for Human3.6M checkpoints, "
                        "else off)")
    p.add_argument("--order", choices=("mpi", "h36m"), default="mpi",
                   help="joint order of the file: mpi (the 3DHP test order, default) or h36m (already remapped)")
    p.add_argument("--json", help="write the report as JSON here")
    p.set_defaults(func=_cmd_evaluate_3dhp)

    c = _data_subparsers(sub).add_parser(
        "h36m-cdf", help="convert the official Human3.6M CDF files to the VideoPose3D layout (needs skelgnn[h36m])")
    c.add_argument("--src", required=True, help="folder with S1, S5, ... as extracted from the official archives "
                                                "(S*/MyPoseFeatures/D3_Positions/*.cdf)")
    c.add_argument("--out", required=True, help="output folder: writes data_3d_h36m.npz there")
    c.add_argument("--gt-2d", action="store_true",
                   help="also write data_2d_h36m_gt.npz (ground-truth 2D through the built-in cameras)")
    c.add_argument("--subjects", nargs="+", metavar="S", help="subjects to convert (default: all 7)")
    c.set_defaults(func=_cmd_data_h36m_cdf)
