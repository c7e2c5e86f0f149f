"""Online multi-person tracking: detections of one frame matched to the open tracks, in O(detections).

:class:`OnlineTracker` matches by body-size-normalised centroid distance within a gate of :data:`_GATE` body
sizes (an optimal assignment per frame, per independent block of the gated cost matrix); a track unseen for
:data:`_MAX_GAP` frames is closed, and tracks seen in fewer than ``min_len`` frames are dropped.

Shape letters: ``N`` detections, ``K`` keypoints of the layout.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["OnlineTracker", "MIN_TRACK_LENGTH", "clean_points", "centroids_scales"]


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
_NEIGHBOURS = 16  # open tracks looked at per detection and body-size octave: the nearest (k-d tree)
_SCALE_RATIO = 3.0  # ... nor one whose body size differs from the track's by more than this factor
# frames: a track unseen for longer is closed (never continued), so tracking costs O(detections)
_MAX_GAP = 30
MIN_TRACK_LENGTH = 5
"""Default minimum number of frames a track must be detected in (``predict --min-track-length``)."""


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
    tracks, among each detection's :data:`_NEIGHBOURS` nearest tracks per body-size octave (so a dense
    crowd costs a bounded number of pairs per detection, not one per track in reach); the gated cost
    matrix (distance / body size) falls apart into independent blocks
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
        # (the _NEIGHBOURS nearest within the octave's largest gate: a bounded number of pairs per detection
        # however dense the crowd, so a frame costs O(detections log tracks))
        tb = np.floor(np.log2(self._s + 1.0)).astype(np.int64)
        db = np.floor(np.log2(s + 1.0)).astype(np.int64)
        span = math.ceil(math.log2(self.ratio))
        rows_l, cols_l = [], []
        for b in np.unique(tb).tolist():
            dets = np.flatnonzero(np.abs(db - b) <= span)
            if not len(dets):
                continue
            members = np.flatnonzero(tb == b)
            gate_max = min(self.gate, _STEP_GATE * float(t - self._last[members].min()))
            radius = gate_max * max(float(s[dets].max()) + 1.0, 2.0 ** (b + 1))
            k = min(_NEIGHBOURS, len(members))
            dist, near = cKDTree(self._c[members]).query(c[dets], k=k, distance_upper_bound=radius)
            i, j = np.nonzero(np.isfinite(dist.reshape(len(dets), k)))
            rows_l.append(dets[i])
            cols_l.append(members[near.reshape(len(dets), k)[i, j]])
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
