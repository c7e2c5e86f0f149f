"""What the subcommands share: output-path guards, JSON writing, and the argument types (positive
numbers, confidences, seeds, shards, JSON objects) of the parsers."""

from __future__ import annotations

import argparse
import json
import sys

from ..core.io import atomic_write_text
from ..core.validate import arg_type, integer, real, seed, threads
from ..keypoints.tracks import MAX_FPS
from ..lifting.outputs import check_outputs

ALLOW_PICKLE_HELP = ("read files in a pickled layout (the VideoPose3D npz files; 3DHP's data_test_3dhp.npz). "
                     "Unpickling a file can run arbitrary code: pass this only for files you trust")


def _guard_outputs(files=None, *, inputs=(), folders=None) -> None:
    """:func:`skelgnn.lifting.outputs.check_outputs` before any work; say which existing files will be
    replaced."""
    for path in check_outputs(files, inputs=inputs, folders=folders):
        print(f"skelgnn: note: {path} exists and will be replaced", file=sys.stderr)


def _write_json(path, text: str) -> None:
    if path:
        atomic_write_text(path, text)
        print(f"Wrote {path}")


# ---------------------------------------------------------------------------------------- argument types
# every numeric flag: a check of skelgnn.core.validate, refused as argparse's one-line usage error
_INT32 = 2 ** 31 - 1
_positive_int = arg_type(integer, 1, _INT32)
_pixels = arg_type(integer, 1)                           # upper limit: lifting.predict.check_image_size
_any_int = arg_type(integer, -(2 ** 63), 2 ** 63 - 1)  # track ids, frames: checked later against the input
_confidence = arg_type(real, 0.0, 1.0)
_batch = arg_type(integer, 1, 1 << 20)
_threads = arg_type(threads)
_seconds = arg_type(real, 0.0, 86400.0, lo_open=True)
_seed = arg_type(seed)
_fps = arg_type(real, 0.0, MAX_FPS, lo_open=True)        # the limit of the inputs' own 'fps'
_focal = arg_type(real, 0.0, 1e7, lo_open=True)          # pixels
_fov = arg_type(real, 0.0, 180.0, lo_open=True, hi_open=True)  # degrees across the larger image side
_repeats = arg_type(integer, 1, 100_000)
_frames = arg_type(integer, 1, 10_000)
_matmul = arg_type(integer, 1, 16_384)                   # 16384^2 float32 = 1 GiB per matrix


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
