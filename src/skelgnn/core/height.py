"""The standing height of a Human3.6M-17 pose, and a pose scaled to a person's height.

A box-normalised 2D pose carries no size, so a lifter draws a typical body; a user who knows the person's
height can say so (``skelgnn predict --subject-height``). The rule, used for predictions and ground truth
alike:

* per bone, the **median length over the frames** (robust to a bent pose in some frames);
* the chain from the ankle to the top of the head: ``shin + thigh`` (mean of left and right) plus
  ``pelvis→spine + spine→thorax + thorax→neck/nose + neck/nose→head``;
* standing height = chain × 1.10 (:data:`STATURE_PER_CHAIN`, the feet below the ankles and the head
  above the head joint): on HDM05-Lift's training actors (bd, bk, dg) the head joint's height above the
  floor while standing is 1.10 × the chain (median over their clips; ``python bench/height/calibrate.py``).

Shape letters: ``T`` frames, ``J`` = 17 joints.
"""

from __future__ import annotations

import numpy as np

from .errors import SkelgnnError

__all__ = ["STATURE_PER_CHAIN", "SUBJECT_HEIGHT_RANGE_M", "chain_length", "check_subject_height",
           "standing_height",
           "scale_to_height"]

STATURE_PER_CHAIN = 1.10
SUBJECT_HEIGHT_RANGE_M = (0.5, 2.5)
"""The standing heights (metres) a subject may be given: anything outside is a typo (or centimetres)."""
# (joint, parent) pairs of the chain, Human3.6M-17 order
_LEGS = (((3, 2), (2, 1)), ((6, 5), (5, 4)))
_TRUNK = ((7, 0), (8, 7), (9, 8), (10, 9))


def chain_length(joints: np.ndarray) -> float:
    """The ankle-to-head chain (same unit as ``joints``) of (T, 17, 3) or (17, 3) joints (module rule).

    Raises:
        SkelgnnError: not 17 joints of 3 coordinates, or non-finite.
    """
    x = np.asarray(joints, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1:] != (17, 3):
        raise SkelgnnError(f"standing height needs (T, 17, 3) Human3.6M-17 joints, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise SkelgnnError("standing height: the joints hold non-finite values")

    def bone(a: int, b: int) -> float:
        return float(np.median(np.linalg.norm(x[:, a] - x[:, b], axis=-1)))

    leg = float(np.mean([sum(bone(a, b) for a, b in side) for side in _LEGS]))
    trunk = sum(bone(a, b) for a, b in _TRUNK)
    return leg + trunk


def standing_height(joints: np.ndarray) -> float:
    """Standing height (same unit as ``joints``) of one person's (T, 17, 3) or (17, 3) joints (module rule).

    Raises:
        SkelgnnError: not 17 joints of 3 coordinates, or non-finite.
    """
    return STATURE_PER_CHAIN * chain_length(joints)


def scale_to_height(joints_rel: np.ndarray, height: float) -> tuple[np.ndarray, float]:
    """Scale root-relative joints (T, 17, 3) so that their :func:`standing_height` is ``height``.

    Returns:
        ``(scaled joints, factor)``; a fitted root trajectory scales by the same factor (the projection of a
        body scaled about the camera centre is unchanged).

    Raises:
        SkelgnnError: ``height`` is not a positive finite number, or the pose has no size.
    """
    if isinstance(height, bool) or not np.isfinite(height) or height <= 0:
        raise SkelgnnError(f"subject height must be a positive number, got {height!r}")
    h = standing_height(joints_rel)
    if h <= 0:
        raise SkelgnnError("the lifted pose has zero size; it cannot be scaled to a height")
    factor = float(height) / h
    return np.asarray(joints_rel, dtype=np.float64) * factor, factor


def check_subject_height(height, what: str = "subject_height") -> float:
    """A subject's standing height in metres: a finite number in :data:`SUBJECT_HEIGHT_RANGE_M`, as a float.

    Raises:
        SkelgnnError: one line naming ``what`` (the parameter or option), the range and the value.
    """
    lo, hi = SUBJECT_HEIGHT_RANGE_M
    try:
        h = float(height) if not isinstance(height, (bool, str)) else float("nan")
    except (TypeError, ValueError, OverflowError):
        h = float("nan")
    if not np.isfinite(h) or not lo <= h <= hi:
        hint = f" (centimetres? give metres, e.g. {h / 100:g})" if np.isfinite(h) and 50 <= h <= 250 else ""
        raise SkelgnnError(f"{what} must be the subject's standing height in metres, a number between {lo:g} "
                           f"and {hi:g}; got {height!r}{hint}")
    return h
