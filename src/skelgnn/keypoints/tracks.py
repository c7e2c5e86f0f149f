"""People over time: the :class:`Keypoints` container, tracking detections into tracks, and gap filling.

Detections of one frame are matched to the open tracks by
:class:`~skelgnn.keypoints.tracker.OnlineTracker` (body-size-normalised
distance within a gate of a few body sizes, an optimal assignment per frame; a track unseen for
a number of frames is closed), in time and memory linear in the detections; tracks seen in fewer
than ``min_len`` frames are dropped, for every reader; more than :data:`MAX_TRACK_FRAMES` tracks × frames
is an error.

Shape letters: ``P`` tracks (people), ``T`` frames, ``K`` keypoints of the layout, ``J`` joints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.errors import FormatError, ShapeError, SkelgnnError
from ..core.skeleton import H36M_17, Skeleton
from .layouts import get_layout, map_to_h36m, resolve_layout
from .readers import Dense
from .tracker import MIN_TRACK_LENGTH, OnlineTracker, clean_points

__all__ = ["Keypoints", "OnlineTracker", "to_h36m", "fill_missing", "MIN_TRACK_LENGTH", "MAX_TRACK_FRAMES",
           "MAX_IMAGE_SIDE", "MAX_FPS"]


Detection = tuple  # (track id or None, float64 array (K, 3))
MAX_NUMBER = 10 ** 18  # frame numbers and track ids: int64 holds them with room to spare


def short_repr(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def check_number(n: int, path, what: str, line: int | None = None) -> int:
    if not -MAX_NUMBER < n < MAX_NUMBER:
        raise FormatError(path, f"{what} {short_repr(n)} is out of range; expected an integer of at most 18 "
                                f"digits", line=line)
    return n


@dataclass
class Keypoints:
    """Keypoints of ``P`` tracked people over ``T`` frames in one layout.

    Args:
        xy: pixel coordinates, float64 shape (P, T, K, 2); ``NaN`` where missing.
        conf: confidences, float64 shape (P, T, K); 0 where missing.
        layout: the layout's name (see :data:`LAYOUTS`).
        track_ids: one id per track, int64 shape (P,).
        frames: the frame number of each frame, int64 shape (T,).
        width: image width in pixels, if known.
        height: image height in pixels, if known.
        fps: frame rate, if known.
        source: the file it was read from.
        layout_guessed: the layout was guessed from the keypoint count or column names.
        short_tracks: tracks dropped on reading because they were detected in too few frames.
    """

    xy: np.ndarray
    conf: np.ndarray
    layout: str
    track_ids: np.ndarray
    frames: np.ndarray
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    source: str = ""
    layout_guessed: bool = False
    short_tracks: int = 0

    def __post_init__(self) -> None:
        self.xy = np.asarray(self.xy, dtype=np.float64)
        self.conf = np.asarray(self.conf, dtype=np.float64)
        self.track_ids = np.asarray(self.track_ids, dtype=np.int64).reshape(-1)
        self.frames = np.asarray(self.frames, dtype=np.int64).reshape(-1)
        lay = get_layout(self.layout)
        self.layout = lay.name
        if self.xy.ndim != 4 or self.xy.shape[2:] != (lay.num_keypoints, 2):
            raise ShapeError(f"Keypoints.xy must have shape (P, T, {lay.num_keypoints}, 2) for layout "
                             f"{lay.name!r}, got {self.xy.shape}")
        if self.conf.shape != self.xy.shape[:3]:
            raise ShapeError(f"Keypoints.conf must have shape {self.xy.shape[:3]}, got {self.conf.shape}")
        if self.track_ids.shape != (self.xy.shape[0],):
            raise ShapeError(f"Keypoints.track_ids must have shape ({self.xy.shape[0]},), got "
                             f"{self.track_ids.shape}")
        if self.frames.shape != (self.xy.shape[1],):
            raise ShapeError(f"Keypoints.frames must have shape ({self.xy.shape[1]},), got "
                             f"{self.frames.shape}")

    @property
    def num_tracks(self) -> int:
        return int(self.xy.shape[0])

    @property
    def num_frames(self) -> int:
        return int(self.xy.shape[1])


def to_h36m(kp: Keypoints) -> tuple[np.ndarray, np.ndarray]:
    """:func:`map_to_h36m` of a :class:`Keypoints`: shapes (P, T, 17, 2) and (P, T, 17)."""
    return map_to_h36m(kp.xy, kp.conf, kp.layout)


# ---------------------------------------------------------------------------------------- filling
def fill_missing(joints: np.ndarray, conf: np.ndarray | None = None, threshold: float = 0.3, *,
                 skeleton: Skeleton = H36M_17, what: str = "the sequence") -> tuple[np.ndarray, np.ndarray]:
    """Fill missing and low-confidence joints by linear interpolation over time.

    A joint is missing in a frame when its coordinates are not finite or its confidence is below
    ``threshold``. Each joint is interpolated linearly between its valid frames; before the first
    and after the last valid frame it holds the nearest valid value. A frame where every joint is
    missing is filled the same way. A joint that is never valid takes, in every frame, the position
    of the nearest joint (bones along ``skeleton`` when it has ``J`` joints) that is.

    Args:
        joints: (T, J, 2) coordinates (pixels or anything else), ``NaN`` where missing.
        conf: (T, J) confidences, or ``None`` (only non-finite values are missing).
        threshold: minimum confidence of a valid joint.
        skeleton: used to find the nearest joint for never-seen joints.
        what: names the sequence in error messages.

    Returns:
        ``(filled, flags)``: float64 (T, J, 2) with no ``NaN``, and bool (T, J), True where filled.

    Raises:
        ShapeError: wrong shapes.
        SkelgnnError: no frames, or no joint valid in any frame.
    """
    x = np.asarray(joints, dtype=np.float64)
    if x.ndim != 3 or x.shape[-1] != 2:
        raise ShapeError(f"{what}: joints must have shape (T, J, 2), got {x.shape}")
    T, J = x.shape[:2]
    if T == 0:
        raise SkelgnnError(f"{what}: no frames")
    valid = np.isfinite(x).all(-1)
    if conf is not None:
        c = np.asarray(conf, dtype=np.float64)
        if c.shape != (T, J):
            raise ShapeError(f"{what}: confidences must have shape ({T}, {J}), got {c.shape}")
        valid &= np.nan_to_num(c, nan=-np.inf) >= threshold
    if not valid.any():
        raise SkelgnnError(f"{what}: no joint is valid in any of its {T} frames (all missing or with "
                           f"confidence below {threshold}); nothing to lift")
    t = np.arange(T, dtype=np.float64)
    out = np.zeros_like(x)
    seen = valid.any(0)
    for j in np.flatnonzero(seen):
        v = valid[:, j]
        for d in range(2):
            out[:, j, d] = np.interp(t, t[v], x[v, j, d])
    if not seen.all():
        if skeleton.num_joints == J:
            dist = skeleton.hop_distances.astype(np.float64)
        else:
            dist = np.abs(np.subtract.outer(np.arange(J), np.arange(J))).astype(np.float64)
        for j in np.flatnonzero(~seen):
            d = np.where(seen, dist[j], np.inf)
            out[:, j] = out[:, int(np.argmin(d))]
    return out, ~valid


# ---------------------------------------------------------------------------------------- assembly
MAX_TRACK_FRAMES = 2_000_000
"""Hard cap on tracks × frames of one input (dense arrays of that size are built), beyond it a clear error."""


def _sparse_tracks(ordered: list[list[Detection]], path, min_len: int, per_file: dict, first: int):
    """``({track id: {frame index: keypoints}}, dropped)``: the file's ids when every detection has one,
    one track when there is at most one person per frame, else :class:`OnlineTracker`."""
    dets = [d for fr in ordered for d in fr]
    if dets and all(tid is not None for tid, _ in dets):
        tracks: dict[int, dict[int, np.ndarray]] = {}
        for t, fr in enumerate(ordered):
            for tid, pts in fr:
                tr = tracks.setdefault(int(tid), {})
                if t in tr:
                    raise FormatError(per_file.get(first + t, path), f"track {tid} appears twice in frame "
                                                                     f"{first + t}")
                tr[t] = pts
    elif all(len(fr) <= 1 for fr in ordered):  # one person at a time: one track
        tracks = {0: {t: fr[0][1] for t, fr in enumerate(ordered) if fr}}
    else:
        tracker = OnlineTracker(min_len)
        for t, fr in enumerate(ordered):
            tracker.step(t, [pts for _, pts in fr])
        return tracker.finish()
    kept = {tid: tr for tid, tr in sorted(tracks.items()) if len(tr) >= min_len}
    if not kept and tracks:
        tid = max(tracks, key=lambda i: (len(tracks[i]), -i))
        kept = {tid: tracks[tid]}
    return kept, len(tracks) - len(kept)


def assemble(frames: dict[int, list[Detection]], path, layout, per_file: dict | None = None, *,
              min_len: int = 1) -> Keypoints:
    """Per-frame detections → :class:`Keypoints` (missing frame numbers become empty frames).

    Tracks detected in fewer than ``min(min_len, half the frames with detections)`` frames are dropped (the
    longest track is kept if none is that long) before any dense array is built; more than
    :data:`MAX_TRACK_FRAMES` tracks × frames left is a :class:`FormatError`.
    """
    per_file = per_file or {}
    counts = {}
    for n, dets in frames.items():
        for _, pts in dets:
            counts.setdefault(len(pts), n)
    if len(counts) > 1:
        (k0, n0), (k1, n1) = sorted(counts.items(), key=lambda kv: kv[1])[:2]
        where = per_file.get(n1, path)
        raise FormatError(where, f"{k1} keypoints per person in frame {n1}, but {k0} in frame {n0}; "
                                 f"every person must have the same number")
    if not counts:
        raise FormatError(path, "no person in any frame; nothing to read")
    K = next(iter(counts))
    if K == 0:
        raise FormatError(path, "the people have no keypoints")
    lay, guessed = resolve_layout(layout, K, path)
    nums = sorted(frames)
    first, last = nums[0], nums[-1]
    for n in (first, last):
        check_number(n, per_file.get(n, path), "frame number")
    T = last - first + 1
    limit = 50 * len(nums) + 10_000
    if limit < T:
        raise FormatError(path, f"frame numbers run from {first} to {last} for only {len(nums)} frames; "
                                f"expected consecutive frame numbers")
    ordered = [frames.get(n, []) for n in range(first, last + 1)]
    need = min(min_len, (sum(1 for fr in ordered if fr) + 1) // 2)  # short inputs: half their frames
    tracks, short = _sparse_tracks(ordered, path, max(need, 1), per_file, first)
    uniq = list(tracks)
    if len(uniq) * T > MAX_TRACK_FRAMES:
        raise FormatError(path, f"{len(uniq)} tracks over {T} frames ({len(uniq) * T} track-frames) exceed "
                                f"the limit of {MAX_TRACK_FRAMES}; drop short tracks with a larger "
                                f"--min-track-length (now {min_len}) or split the input into shorter pieces")
    if len(uniq) == 0:
        raise FormatError(path, "no person with a single detected keypoint in any frame")
    for tid in uniq[:1] + uniq[-1:]:
        check_number(tid, path, "track id")
    k = np.full((len(uniq), T, K, 3), np.nan)
    k[..., 2] = 0.0
    for p, tid in enumerate(uniq):
        for t, pts in tracks[tid].items():
            k[p, t] = pts
    xy, conf = clean_points(k)
    return Keypoints(xy, conf, lay.name, np.asarray(uniq), np.arange(first, last + 1), source=str(path),
                     layout_guessed=guessed, short_tracks=short)


# ---------------------------------------------------------------------------------------- from files
def _from_dense(d: Dense, path, layout) -> Keypoints:
    """A parser's dense (P, T, K, 3) array → :class:`Keypoints` (layout from ``layout`` or the file)."""
    if layout is None and d.meta.get("layout"):
        layout = str(d.meta["layout"])
    P, T, K = d.points.shape[:3]
    lay, guessed = resolve_layout(layout, K, path)
    xy, conf = clean_points(d.points)
    kp = Keypoints(xy, conf, lay.name, np.arange(P) if d.track_ids is None else d.track_ids,
                   np.arange(T) if d.frames is None else d.frames, source=str(path), layout_guessed=guessed)
    _apply_meta(kp, d.meta, path)
    return kp





def _meta_number(v) -> float | None:
    """A JSON number (or numeric string, or one-element list) or a one-element numeric array, as a float."""
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "iuf" or v.size != 1:
            return None
        v = v.reshape(-1)[0].item()
    if isinstance(v, list) and len(v) == 1:
        v = v[0]
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        return float(v)
    except OverflowError:  # an int beyond float range
        return math.inf


MAX_IMAGE_SIDE = 100_000
"""Largest image width or height in pixels that inputs and options may state."""
MAX_FPS = 100_000.0


def _apply_meta(kp: Keypoints, meta: dict, path) -> None:
    for key, cast, top in (("width", int, MAX_IMAGE_SIDE), ("height", int, MAX_IMAGE_SIDE),
                           ("fps", float, MAX_FPS)):
        if key not in meta or meta[key] is None:
            continue
        v = _meta_number(meta[key])
        if v is None:
            raise FormatError(path, f"'{key}' must be a number, got {short_repr(meta[key])}")
        if not (math.isfinite(v) and 0 < v <= top) or (cast is int and v < 1):
            raise FormatError(path, f"'{key}' must be a positive number of at most {top:g}, got "
                                    f"{short_repr(meta[key])}")
        setattr(kp, key, cast(v))
