"""What the subcommands share: output-path guards, JSON writing, and the argument types (positive
numbers, confidences, seeds, shards, JSON objects) of the parsers."""

from __future__ import annotations

import argparse
import json
import sys

from ..core.io import atomic_write_text
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


def _batch(s: str) -> int:
    return _number(int, s, lambda v: 1 <= v <= 1 << 20, "an integer between 1 and 1048576")


def _threads(s: str) -> int:
    return _number(int, s, lambda v: 0 <= v <= 4096, "an integer between 0 (torch's choice) and 4096")


def _seconds(s: str) -> float:
    # NaN fails
    return _number(float, s, lambda v: 0 < v <= 86400, "a number of seconds above 0 and at most 86400")


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
