"""People over time: the :class:`Keypoints` container, tracking detections into tracks, and gap filling.

Detections of one frame are matched to the open tracks by :class:`OnlineTracker` (body-size-normalised
distance within a gate of :data:`_GATE` body sizes, an optimal assignment per frame; a track unseen for
:data:`_MAX_GAP` frames is closed), in time and memory linear in the detections; tracks seen in fewer
than ``min_len`` frames are dropped, for every reader; more than :data:`MAX_TRACK_FRAMES` tracks × frames
is an error.

Shape letters: ``P`` tracks (people), ``T`` frames, ``K`` keypoints of the layout, ``J`` joints.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ..core.errors import FormatError, ShapeError, SkelgnnError
from ..core.skeleton import H36M_17, Skeleton
from .layouts import get_layout, map_to_h36m, resolve_layout
from .readers import Dense

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
def clean_points(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(…, K, 3) x, y, c → xy with NaN where missing, conf with 0 there."""
    xy = k[..., :2].copy()
    conf = np.nan_to_num(k[..., 2].copy(), nan=0.0)
    missing = ~np.isfinite(xy).all(-1) | ((conf <= 0) & (xy == 0).all(-1))
    xy[missing] = np.nan
    conf[missing] = 0.0
    return xy, conf


def centroids_scales(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, K, 3) detections → centroids (N, 2), body sizes (N,) (bounding-box diagonal) and a mask (N,)
    of the detections with at least one valid keypoint (finite, confidence > 0)."""
    xy, conf = clean_points(pts)
    ok = np.isfinite(xy).all(-1) & (conf > 0)
    n = ok.sum(1)
    z = np.where(ok[..., None], xy, 0.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        c = z.sum(1) / np.maximum(n, 1)[:, None]
        hi = np.where(ok[..., None], xy, -np.inf).max(1)
        lo = np.where(ok[..., None], xy, np.inf).min(1)
        s = np.linalg.norm(np.where(n[:, None] > 0, hi - lo, 0.0), axis=-1)
    valid = (n > 0) & np.isfinite(c).all(-1) & np.isfinite(s)
    return c, np.where(valid, s, 0.0), valid


_GATE = 2.0  # a detection farther than this many body sizes from a track never continues it
_STEP_GATE = 0.5  # ... nor one farther than this many body sizes per frame since the track was last seen
_NO_PAIR = 1e6  # cost of a pair outside the gate
_TENTATIVE_GAP = 3  # frames: a track not yet min_len frames long is closed when unseen for longer
_DENSE_BLOCK = 256  # blocks up to this many detections + tracks: linear_sum_assignment, larger ones sparse
_CANDIDATES = 3  # pairs kept per detection and per track (their cheapest)
_SCALE_RATIO = 3.0  # ... nor one whose body size differs from the track's by more than this factor
# frames: a track unseen for longer is closed (never continued), so tracking costs O(detections)
_MAX_GAP = 30
MIN_TRACK_LENGTH = 5
"""Default minimum number of frames a track must be detected in (``predict --min-track-length``)."""
MAX_TRACK_FRAMES = 2_000_000
"""Hard cap on tracks × frames of one input (dense arrays of that size are built), beyond it a clear error."""


class OnlineTracker:
    """Online multi-person tracking by body-size-normalised centroid distance, in O(detections).

    Frames are fed in order (:meth:`step`). Each track is stored sparsely (frame index → keypoints);
    a track unseen for more than ``max_gap`` frames (:data:`_TENTATIVE_GAP` while it is shorter than
    ``min_len``) is closed and, when detected in fewer than
    ``min_len`` frames, dropped at once (only the longest dropped one is remembered, see
    :meth:`finish`), so memory holds the open tracks and the kept ones only.

    Per frame, the pairs (detection, open track) within the gate (centroid distance at most
    :data:`_STEP_GATE` body sizes per frame since the track was last seen and at most ``gate`` body
    sizes, body sizes within a factor ``scale_ratio``) are found with a k-d tree over the open
    tracks; the gated cost matrix (distance / body size) falls apart into independent blocks
    (connected components), and each block with more than one pair is solved by
    :func:`scipy.optimize.linear_sum_assignment` (blocks of more than :data:`_DENSE_BLOCK` detections
    and tracks, found in dense crowds, by its sparse counterpart
    :func:`scipy.sparse.csgraph.min_weight_full_bipartite_matching`, the same problem). A detection that
    continues no track opens one.
    """

    def __init__(self, min_len: int = 1, *, gate: float = _GATE, scale_ratio: float = _SCALE_RATIO,
                 max_gap: int = _MAX_GAP) -> None:
        self.min_len, self.gate = int(min_len), float(gate)
        self.ratio, self.max_gap = float(scale_ratio), int(max_gap)
        self._ids = np.zeros(0, np.int64)  # open tracks: id, centroid, body size, last frame seen
        self._c = np.zeros((0, 2))
        self._s = np.zeros(0)
        self._last = np.zeros(0, np.int64)
        self._n = np.zeros(0, np.int64)  # frames each open track was seen in
        self._points: dict[int, dict[int, np.ndarray]] = {}  # open track id -> {frame index: (K, 3)}
        self.kept: dict[int, dict[int, np.ndarray]] = {}
        self.dropped = 0
        self._longest_dropped: tuple[int, int, dict] | None = None  # (-length, id, points)
        self._next = 0

    def _close(self, mask: np.ndarray) -> None:
        for tid in self._ids[mask].tolist():
            pts = self._points.pop(tid)
            if len(pts) >= self.min_len:
                self.kept[tid] = pts
            else:
                self.dropped += 1
                key = (-len(pts), tid)
                if self._longest_dropped is None or key < self._longest_dropped[:2]:
                    self._longest_dropped = (*key, pts)
        keep = ~mask
        self._ids, self._c = self._ids[keep], self._c[keep]
        self._s, self._last = self._s[keep], self._last[keep]
        self._n = self._n[keep]

    def _pairs(self, t: int, c: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The gated (detection, open track) pairs and their costs in (0, 1] (distance in gates and body-size
        difference in ``scale_ratio`` factors, averaged, square root)."""
        if not len(self._ids) or not len(c):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        from scipy.spatial import cKDTree

        # k-d trees over the open tracks by body-size octave: a detection looks only into the octaves its
        # body size is compatible with, within the largest gate there
        tb = np.floor(np.log2(self._s + 1.0)).astype(np.int64)
        db = np.floor(np.log2(s + 1.0)).astype(np.int64)
        span = math.ceil(math.log2(self.ratio))
        gate_max = min(self.gate, _STEP_GATE * float(t - self._last.min()))
        rows_l, cols_l = [], []
        for b in np.unique(tb).tolist():
            dets = np.flatnonzero(np.abs(db - b) <= span)
            if not len(dets):
                continue
            members = np.flatnonzero(tb == b)
            radius = gate_max * np.maximum(s[dets] + 1.0, 2.0 ** (b + 1))
            hits = cKDTree(self._c[members]).query_ball_point(c[dets], radius, return_sorted=False)
            lens = np.fromiter((len(h) for h in hits), np.int64, len(hits))
            rows_l.append(np.repeat(dets, lens))
            cols_l.append(members[np.fromiter(itertools.chain.from_iterable(hits), np.int64,
                                              int(lens.sum()))])
        if not rows_l:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        rows, cols = np.concatenate(rows_l), np.concatenate(cols_l)
        si, st = s[rows] + 1.0, self._s[cols] + 1.0
        big = np.maximum(si, st)
        # the gate widens with the frames since the track was last seen, up to self.gate body sizes
        gate = np.minimum(self.gate, _STEP_GATE * (t - self._last[cols])) * big
        d = np.linalg.norm(c[rows] - self._c[cols], axis=-1)
        size = np.abs(np.log(si / st)) / math.log(self.ratio)  # 0: the same body size, 1: the limit
        ok = (d <= gate) & (size <= 1.0)
        # in (0, 1]: concave, so one close pair outweighs two mediocre ones (never swap a good match)
        rows, cols = rows[ok], cols[ok]
        cost = np.sqrt(np.maximum((d[ok] / gate[ok] + size[ok]) / 2, 1e-12))
        # keep each detection's and each track's _CANDIDATES cheapest pairs: small independent blocks
        keep = np.zeros(len(rows), bool)
        for key in (rows, cols):
            order = np.lexsort((cost, key))
            k = key[order]
            start = np.r_[0, np.flatnonzero(np.diff(k)) + 1]
            rank = np.arange(len(k)) - np.repeat(start, np.diff(np.r_[start, len(k)]))
            keep[order[rank < _CANDIDATES]] = True
        return rows[keep], cols[keep], cost[keep]

    def _assign(self, n_det: int, rows, cols, cost) -> np.ndarray:
        """Track index (into the open tracks) for every detection, -1 for none.

        Within a block, leaving a detection or a track unmatched costs 1/2 each, so a pair is matched only
        when that lowers the total (never forced, as plain rectangular assignment would).
        """
        match = np.full(n_det, -1, np.int64)
        if not len(rows):
            return match
        from scipy.optimize import linear_sum_assignment
        from scipy.sparse import coo_matrix, csr_matrix
        from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

        m = len(self._ids)
        g = coo_matrix((np.ones(len(rows)), (rows, n_det + cols)), shape=(n_det + m, n_det + m))
        _, label = connected_components(g, directed=False)
        comp = label[rows]
        sizes = np.bincount(comp)
        single = sizes[comp] == 1  # a block of one pair: nothing to decide
        match[rows[single]] = cols[single]
        multi = np.flatnonzero(~single)
        if len(multi):
            order = multi[np.argsort(comp[multi], kind="stable")]
            bounds = np.flatnonzero(np.diff(comp[order])) + 1
            for block in np.split(order, bounds):
                r, ri = np.unique(rows[block], return_inverse=True)
                k, ki = np.unique(cols[block], return_inverse=True)
                nr, nk = len(r), len(k)
                if nr + nk <= _DENSE_BLOCK:
                    mat = np.full((nr + nk, nk + nr), _NO_PAIR)
                    mat[ri, ki] = cost[block]
                    mat[np.arange(nr), nk + np.arange(nr)] = 0.5  # detection unmatched
                    mat[nr + np.arange(nk), np.arange(nk)] = 0.5  # track unmatched
                    mat[nr:, nk:] = 0.0
                    a, b = linear_sum_assignment(mat)
                    good = (a < nr) & (b < nk)
                    good &= mat[a, b] < _NO_PAIR
                else:  # the same problem, sparse: pairs, 'unmatched' edges, and the pairs' mirror images
                    e = len(block)
                    mat = csr_matrix((np.r_[cost[block], np.full(nr + nk, 0.5), np.full(e, 1e-9)],
                                      (np.r_[ri, np.arange(nr), nr + np.arange(nk), nr + ki],
                                       np.r_[ki, nk + np.arange(nr), np.arange(nk), nk + ri])),
                                     shape=(nr + nk, nk + nr))
                    a, b = min_weight_full_bipartite_matching(mat)
                    good = (a < nr) & (b < nk)
                match[r[a[good]]] = k[b[good]]
        return match

    def step(self, t: int, detections: list[np.ndarray]) -> None:
        """Feed frame ``t`` (increasing): its detections, each (K, 3) x, y, confidence."""
        gap = t - self._last
        stale = (gap > self.max_gap) | ((gap > _TENTATIVE_GAP) & (self._n < self.min_len))
        if stale.any():
            self._close(stale)
        if not detections:
            return
        pts = np.stack([np.asarray(p, dtype=np.float64) for p in detections])
        c, s, valid = centroids_scales(pts)
        idx = np.flatnonzero(valid)  # detections without a valid keypoint stay out of the tracks
        c, s = c[idx], s[idx]
        match = self._assign(len(idx), *self._pairs(t, c, s))
        hit = match >= 0
        tr = match[hit]
        self._c[tr], self._s[tr], self._last[tr] = c[hit], s[hit], t
        self._n[tr] += 1
        for i, j in zip(idx[hit].tolist(), tr.tolist()):
            self._points[int(self._ids[j])][t] = pts[i]
        new = np.flatnonzero(~hit)
        if len(new):
            ids = np.arange(self._next, self._next + len(new))
            self._next += len(new)
            for tid, i in zip(ids.tolist(), idx[new].tolist()):
                self._points[tid] = {t: pts[i]}
            self._ids = np.concatenate([self._ids, ids])
            self._c = np.concatenate([self._c, c[new]])
            self._s = np.concatenate([self._s, s[new]])
            self._last = np.concatenate([self._last, np.full(len(new), t)])
            self._n = np.concatenate([self._n, np.ones(len(new), np.int64)])

    def finish(self) -> tuple[dict[int, dict[int, np.ndarray]], int]:
        """Close every track: ``({track id: {frame index: keypoints}}, number of tracks dropped)``.

        When no track is long enough, the longest (earliest on ties) is kept rather than none.
        """
        self._close(np.ones(len(self._ids), bool))
        if not self.kept and self._longest_dropped is not None:
            _, tid, pts = self._longest_dropped
            self.kept[tid] = pts
            self.dropped -= 1
        return dict(sorted(self.kept.items())), self.dropped


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
