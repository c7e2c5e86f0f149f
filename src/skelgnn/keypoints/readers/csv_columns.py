"""CSV keypoint columns taken by position, for a CSV whose column names are not the layout's.

With an explicit layout of ``K`` keypoints, the columns other than the frame and track columns are
read in header order as ``x, y, confidence`` triples (``3K`` columns, e.g. ``x0,y0,c0,x1,y1,c1,…``)
or as ``x, y`` pairs (``2K`` columns, confidence 1), whatever their names. The frame column
(``frame``, ``frame_id``, ``frame_index``, ``image_id``) is optional (without it each row is the next
frame); so is the track column (``track``, ``track_id``, ``person``, ``person_id``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core.errors import FormatError

__all__ = ["FRAME_NAMES", "TRACK_NAMES", "Columns", "positional_columns"]

FRAME_NAMES = ("frame", "frame_id", "frame_index", "image_id")
TRACK_NAMES = ("track", "track_id", "person", "person_id")


@dataclass(frozen=True)
class Columns:
    """Column indices: ``frame``/``track`` (or ``None``), and per keypoint ``x``, ``y``, ``c``
    (``None``: 1)."""

    frame: int | None
    track: int | None
    x: list[int]
    y: list[int]
    c: list[int | None]


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    low = [h.strip().lower() for h in header]
    return next((low.index(n) for n in names if n in low), None)


def positional_columns(header: list[str], num_keypoints: int, layout: str, path) -> Columns:
    """The columns of ``header`` by position for a layout of ``num_keypoints`` keypoints."""
    frame, track = _find(header, FRAME_NAMES), _find(header, TRACK_NAMES)
    rest = [i for i in range(len(header)) if i not in (frame, track)]
    K = num_keypoints
    if len(rest) == 3 * K:
        return Columns(frame, track, rest[0::3], rest[1::3], list(rest[2::3]))
    if len(rest) == 2 * K:
        return Columns(frame, track, rest[0::2], rest[1::2], [None] * K)
    raise FormatError(path, f"layout {layout!r} has {K} keypoints: expected {3 * K} columns (x, y, "
                            f"confidence per keypoint, in the layout's order) or {2 * K} (x, y) besides the "
                            f"frame and track columns, got {len(rest)}", line=1)
