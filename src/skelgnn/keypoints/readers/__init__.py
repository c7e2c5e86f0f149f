"""Parsers for keypoint files that other tools write, below :mod:`skelgnn.keypoints.files`.

Each module turns one format into plain arrays and never builds a :class:`skelgnn.keypoints.Keypoints`
itself (``keypoints.read_keypoints`` does that), so the imports run one way: ``keypoints.files`` → here →
``errors``/``io``.

* :mod:`.arrays` — plain JSON frame lists ``[T][K][2|3]`` / ``[T][P][K][2|3]`` and ``.npy`` arrays
  ``(T, K, 2|3)`` / ``(P, T, K, 2|3)``;
* :mod:`.mmpose` — mmpose's inferencer and demo JSON (``frame_id``, ``instances`` with ``keypoints`` +
  ``keypoint_scores``, ``bbox``, ``track_id``);
* :mod:`.vp3d_custom` — VideoPose3D's custom-video npz (``positions_2d`` + ``metadata``);
* :mod:`.csv_columns` — CSV columns taken by position when the layout is given.

Shape letters: ``P`` people (tracks), ``T`` frames, ``K`` keypoints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Dense", "Detection"]

Detection = tuple
"""``(track id or None, float64 array (K, 3) of x, y, confidence)``: one person in one frame."""


@dataclass
class Dense:
    """Keypoints as one array, as a parser found them.

    Args:
        points: float64 (P, T, K, 3): x, y, confidence (1 where the file has none); NaN where missing.
        meta: ``width``/``height``/``fps``/``layout`` found in the file (absent keys: unknown).
        track_ids: int (P,) or ``None`` (0..P-1).
        frames: int (T,) or ``None`` (0..T-1).
    """

    points: np.ndarray
    meta: dict = field(default_factory=dict)
    track_ids: np.ndarray | None = None
    frames: np.ndarray | None = None


def with_confidence(k: np.ndarray) -> np.ndarray:
    """(…, 2|3) → (…, 3) float64: a 2-column array gets confidence 1 where finite, 0 elsewhere."""
    k = np.asarray(k, dtype=np.float64)
    if k.shape[-1] == 3:
        return k
    return np.concatenate([k, np.isfinite(k).all(-1, keepdims=True).astype(np.float64)], -1)
