"""Bare arrays of keypoints: plain JSON frame lists and ``.npy`` files.

* JSON: a list of frames, each a list of ``K`` keypoints ``[x, y]`` or ``[x, y, confidence]`` (one
  person: ``[T][K][2|3]``), or a list of frames, each a list of people (``[T][P][K][2|3]``, the
  same number of people in every frame; person ``p`` of every frame is track ``p``; with a varying
  number of people the generic reader tracks them instead); ``null`` for a missing keypoint. The same
  list may sit in the ``frames`` entry of an object with ``layout``/``width``/``height``/``fps``.
* ``.npy``: a numeric array ``(T, K, 2|3)`` (one person) or ``(P, T, K, 2|3)`` (P people).

The layout comes from the keypoint count (17 → COCO-17) or from ``--layout``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...core.errors import FormatError
from . import Dense, with_confidence

__all__ = ["dense_array", "dense_json", "read_npy"]


def _depth(obj) -> int:
    d = 0
    while isinstance(obj, list) and obj:
        obj = next((o for o in obj if o is not None), None)
        d += 1
    return d


def dense_json(items, path) -> Dense | None:
    """A JSON list of frames as a dense array, or ``None`` when it is no bare numeric array.

    Returns ``None`` for frame objects, people objects and flat ``[x, y, c, …]`` people (those are
    the generic format's); raises when the list looks like an array but is ragged.
    """
    if not isinstance(items, list) or not items or _depth(items) not in (3, 4):
        return None
    if any(isinstance(v, (dict, str, bool)) for v in _leaves(items)):
        return None
    depth = _depth(items)
    first_row = items[0]
    for _ in range(depth - 2):
        first_row = first_row[0] if isinstance(first_row, list) and first_row else None
    if not isinstance(first_row, list) or len(first_row) not in (2, 3):
        return None  # e.g. [T][P][3K] flat people: the generic reader's
    try:
        a = np.array(items, dtype=np.float64)
    except OverflowError:
        raise FormatError(path, "a keypoint value is an integer beyond the range of a float (over 308 "
                                "digits); expected pixel coordinates and confidences") from None
    except (ValueError, TypeError):
        if depth == 4:
            return None  # people per frame vary: the generic reader's
        shape = "[T][K][2|3]" if depth == 3 else "[T][P][K][2|3]"
        raise FormatError(path, f"a list of frames of {depth - 1}-deep lists, but not a rectangular array; "
                                f"expected {shape} with the same number of keypoints (and people) in every "
                                f"frame and [x, y] or [x, y, confidence] per keypoint") from None
    if a.ndim != depth or a.shape[-1] not in (2, 3):
        raise FormatError(path, f"keypoint rows must be [x, y] or [x, y, confidence]; got an array of shape "
                                f"{a.shape}")
    if np.isinf(a).any():  # 1e400 or Infinity (NaN and null are missing values)
        at = "".join(f"[{i}]" for i in np.argwhere(np.isinf(a))[0])
        raise FormatError(path, f"the keypoint value at {at} is beyond the range of a number; expected a "
                                "finite number (NaN or null for a missing value)")
    a = with_confidence(a)
    return Dense(a[None] if depth == 3 else np.moveaxis(a, 1, 0))


def _leaves(obj, limit: int = 64):
    """A few leaves of a nested list (enough to tell numbers from objects)."""
    stack, n = [obj], 0
    while stack and n < limit:
        o = stack.pop()
        if isinstance(o, list):
            stack.extend(o[:3])
        else:
            n += 1
            yield o


def read_npy(path: Path) -> Dense:
    """A ``.npy`` array ``(T, K, 2|3)`` or ``(P, T, K, 2|3)`` (never unpickled)."""
    try:
        a = np.load(path, allow_pickle=False)
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise FormatError(path, "holds pickled Python objects, which are not read; expected a numeric "
                                    "array (T, K, 2|3) or (P, T, K, 2|3)") from None
        raise FormatError(path, f"not a readable .npy array ({str(e).splitlines()[0] if str(e) else e!r})") \
            from None
    except Exception as e:  # a decoding boundary: report, never crash
        raise FormatError(path, f"not a readable .npy array ({type(e).__name__})") from None
    return dense_array(a, path)


def dense_array(a, path) -> Dense:
    """A numeric array ``(T, K, 2|3)`` or ``(P, T, K, 2|3)`` of pixels as :class:`Dense` (``path``: its name
    in errors)."""
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "iuf" or a.ndim not in (3, 4) \
            or a.shape[-1] not in (2, 3):
        got = f"{a.dtype} {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
        raise FormatError(path, "expected a numeric array of shape (T, K, 2|3) (one person) or (P, T, K, "
                                f"2|3) (P people), got {got}")
    if 0 in a.shape:
        raise FormatError(path, f"the array is empty: shape {a.shape}")
    a = with_confidence(a)
    return Dense(a[None] if a.ndim == 3 else a)
