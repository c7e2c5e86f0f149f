"""2D input normalisations, named in every checkpoint (``normalization["input"]``).

* ``"screen"`` — VideoPose3D's ``u/w·2 − 1, v/w·2 − h/w`` with the image size (needs the camera's
  image; the model then depends on the benchmark's focal length and image size).
* ``"bbox"`` — per frame, the pose is centred on its pelvis (joint 0) and divided by half the larger
  side of its 2D bounding box, so that image size, focal length and person distance mostly cancel
  out. Used for the bundled in-the-wild default.
"""

from __future__ import annotations

import numpy as np

from .cameras import normalize_screen
from .errors import ShapeError, SkelgnnError

__all__ = ["INPUT_NORMALIZATIONS", "normalize_bbox", "normalize_input"]

INPUT_NORMALIZATIONS = ("screen", "bbox")


def normalize_bbox(joints_2d: np.ndarray) -> np.ndarray:
    """Pelvis-centred, box-scaled 2D joints.

    Args:
        joints_2d: (..., J, 2) pixel coordinates; joint 0 is the pelvis.

    Returns:
        (..., J, 2) float, ``(uv − uv_pelvis) / (max(box w, box h) / 2)``; a frame whose box is a single
        point is only centred.
    """
    x = np.asarray(joints_2d, dtype=np.float64)
    if x.ndim < 2 or x.shape[-1] != 2:
        raise ShapeError(f"joints_2d has shape {x.shape}, expected (..., J, 2)")
    side = np.max(x.max(axis=-2) - x.min(axis=-2), axis=-1)  # (...)
    half = np.where(side > 1e-9, side / 2.0, 1.0)
    return (x - x[..., :1, :]) / half[..., None, None]


def normalize_input(joints_2d_px: np.ndarray, mode: str, width: float, height: float) -> np.ndarray:
    """Apply the named normalisation to pixel joints (..., J, 2); returns float64."""
    if mode == "screen":
        return normalize_screen(np.asarray(joints_2d_px, dtype=np.float64), width, height)
    if mode == "bbox":
        return normalize_bbox(joints_2d_px)
    raise SkelgnnError(f"unknown input normalisation {mode!r}; known: {list(INPUT_NORMALIZATIONS)}")
