"""``skelgnn export CKPT -o model.onnx [--check]``: a checkpoint's lifter as an ONNX file."""

from __future__ import annotations

import argparse

__all__ = ["add_subcommand"]

TOLERANCE = 1e-4
"""``--check`` fails when the ONNX output differs from PyTorch's by more than this (float32)."""


def _cmd_export(args: argparse.Namespace) -> int:
    import json
    import sys

    import torch

    from ..checkpoint import load_checkpoint
    from ..export import check_onnx, export_onnx
    from . import guard_outputs

    guard_outputs({"-o/--output": args.output}, inputs=[args.checkpoint])
    model, meta = load_checkpoint(args.checkpoint)
    rf = int(model.receptive_field)
    metadata = {
        "skelgnn.model": str(meta["model"]["name"]),
        "skelgnn.model_kwargs": json.dumps(meta["model"].get("kwargs", {}), default=str),
        "skelgnn.skeleton": json.dumps(meta["skeleton"]),
        "skelgnn.normalization": json.dumps(meta.get("normalization", {}), default=str),
        "skelgnn.package_version": str(meta.get("package_version", "")),
    }
    path = export_onnx(model, args.output, frames=args.frames, opset=args.opset, exporter=args.exporter,
                       metadata=metadata)
    time_axis = "dynamic (T >= receptive field)" if args.frames is None else f"fixed T = {args.frames}"
    print(f"Wrote {path} ({path.stat().st_size / 1e6:.2f} MB): {meta['model']['name']}, "
          f"receptive field {rf}, "
          f"input joints_2d (B, T, {model.num_joints}, 2) with dynamic batch, time {time_axis}")
    if not args.check:
        return 0
    generator = torch.Generator().manual_seed(0)
    shapes = [(1, rf), (4, rf + 2)] if args.frames is None else [(1, args.frames), (4, args.frames)]
    worst = 0.0
    try:
        for batch, frames in shapes:
            x = torch.randn(batch, frames, model.num_joints, 2, generator=generator) * 0.5
            diff = check_onnx(model, path, x)
            worst = diff if diff != diff else max(worst, diff)  # keep a NaN
            print(f"check (B={batch}, T={frames}): max |onnxruntime - torch| = {diff:.3g}")
    except BaseException:
        path.unlink(missing_ok=True)  # a file that failed its check is not left behind
        raise
    if not worst <= TOLERANCE:  # NaN compares false: a NaN difference fails
        path.unlink(missing_ok=True)
        print(f"skelgnn: error: the ONNX output differs from PyTorch by {worst:.3g} > {TOLERANCE:g}; "
              f"{path} was removed", file=sys.stderr)
        return 1
    return 0


def add_subcommand(sub) -> None:
    """Add ``export`` to the ``skelgnn`` sub-parsers ``sub``."""
    p = sub.add_parser("export", help="export a checkpoint's lifter to ONNX (needs skelgnn[export])")
    p.add_argument("checkpoint", help="a .pt checkpoint written by skelgnn train")
    p.add_argument("-o", "--output", required=True, help="the .onnx file to write")
    p.add_argument("--frames", type=int, default=None,
                   help="fix the time axis to this many frames (default: dynamic)")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    p.add_argument("--exporter", choices=("torchscript", "dynamo"), default="torchscript",
                   help="PyTorch exporter (default torchscript: fast; dynamo needs onnxscript)")
    p.add_argument("--check", action="store_true",
                   help=f"run the file with onnxruntime on random inputs; fail if it differs by "
                        f"> {TOLERANCE:g}")
    p.set_defaults(func=_cmd_export)
