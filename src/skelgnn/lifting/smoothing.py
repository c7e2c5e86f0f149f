"""Post-filters for lifted motion: temporal smoothing and bone-length consistency.

* :func:`savgol_smooth` — Savitzky–Golay: each frame is replaced by the value at that frame of the
  least-squares polynomial of degree ``order`` fitted over the ``window`` frames around it. Zero lag,
  for whole clips (files, offline). Near the clip's ends the polynomial of the first / last full
  window is evaluated at the frame (no padding). Written with numpy; no scipy needed.
* :func:`one_euro` — the One-Euro filter (Casiez, Roussel, Vogel, CHI 2012): an exponential
  low-pass whose cutoff rises with speed (``min_cutoff + beta · |speed|``), so slow motion is
  smoothed hard and fast motion follows with little lag. Causal (frame by frame), for streams.
* :func:`enforce_bone_lengths` — every bone rescaled, along its predicted direction, to the clip's
  median length, from the root outwards; the skeleton becomes rigid (bone-length sd 0).

The defaults (:data:`DEFAULT_SAVGOL`, :data:`DEFAULT_ONE_EURO`) were chosen on the validation clips of
HDM05-Lift's training actors, never on the test actors (``bench/smoothing.py``).

Shape letters: ``T`` frames, ``J`` joints, ``D`` coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..core.errors import ShapeError, SkelgnnError

__all__ = ["DEFAULT_SAVGOL", "DEFAULT_ONE_EURO", "savgol_smooth", "one_euro", "OneEuroStream",
           "enforce_bone_lengths", "median_bone_lengths", "postprocess"]

DEFAULT_SAVGOL = {"window": 15, "order": 2}
"""Savitzky–Golay window (frames at 30 fps) and polynomial degree chosen on validation clips
(``bench/smoothing.py``: lowest acceleration error with validation MPJPE at most 0.5 mm above unfiltered)."""

DEFAULT_ONE_EURO = {"min_cutoff": 0.5, "beta": 0.01, "d_cutoff": 1.0}
"""One-Euro parameters (Hz, s/mm, Hz) chosen on validation clips (poses in mm)."""


def _sequence(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim < 1 or len(a) == 0:
        raise ShapeError(f"{name} must have shape (T, ...) with T >= 1, got {a.shape}")
    if not np.isfinite(a).all():
        raise SkelgnnError(f"{name} contains NaN or infinite values")
    return a


def _savgol_matrix(window: int, order: int) -> np.ndarray:
    """(window, window): row i gives the smoothed value at position i of the window from its samples."""
    half = window // 2
    t = np.arange(window, dtype=np.float64) - half
    vander = t[:, None] ** np.arange(order + 1)[None, :]  # (window, order + 1)
    return vander @ np.linalg.pinv(vander)  # fit then evaluate at every position


def savgol_smooth(x, window: int = DEFAULT_SAVGOL["window"],
                  order: int = DEFAULT_SAVGOL["order"]) -> np.ndarray:
    """Savitzky–Golay smoothing along the first axis (module docstring).

    Args:
        x: (T, ...) values, e.g. (T, J, 3) joints.
        window: odd window length in frames, > ``order``; shortened to the largest odd ≤ T for short clips.
        order: polynomial degree ≥ 0.

    Returns:
        float64 array shaped like ``x``. Polynomials of degree ≤ ``order`` pass unchanged.

    Raises:
        SkelgnnError: an even or too short window, a negative order, NaN input.
    """
    a = _sequence(x, "x")
    if window < 1 or window % 2 == 0:
        raise SkelgnnError(f"savgol window must be an odd number of frames >= 1, got {window}")
    if order < 0 or order >= window:
        raise SkelgnnError(f"savgol order must be in [0, window), got order {order} with window {window}")
    T = len(a)
    if window > T:
        window = T if T % 2 == 1 else T - 1
        order = min(order, window - 1)
    if window <= 1:
        return a.copy()
    m = _savgol_matrix(window, order)
    half = window // 2
    flat = a.reshape(T, -1)
    out = np.empty_like(flat)
    # interior: the centre row as a correlation over time
    centre = m[half]
    windows = np.lib.stride_tricks.sliding_window_view(flat, window, axis=0)  # (T - window + 1, C, window)
    out[half: T - half] = windows @ centre
    out[:half] = m[:half] @ flat[:window]
    out[T - half:] = m[half + 1:] @ flat[T - window:]
    return out.reshape(a.shape)


def one_euro(x, fps: float, min_cutoff: float = DEFAULT_ONE_EURO["min_cutoff"],
             beta: float = DEFAULT_ONE_EURO["beta"],
             d_cutoff: float = DEFAULT_ONE_EURO["d_cutoff"]) -> np.ndarray:
    """One-Euro filter along the first axis, causal (module docstring).

    The speed that raises the cutoff is the Euclidean norm over the last axis (one speed per point,
    e.g. per joint of (T, J, 3) poses), in units per second.

    Args:
        x: (T, ..., D) values.
        fps: frame rate, Hz.
        min_cutoff: cutoff at rest, Hz (> 0); lower = smoother.
        beta: cutoff increase per unit of speed (≥ 0); higher = less lag in fast motion.
        d_cutoff: cutoff of the speed estimate, Hz (> 0).

    Returns:
        float64 array shaped like ``x``.

    Raises:
        SkelgnnError: a non-positive fps or cutoff, a negative beta, NaN input.
    """
    a = _sequence(x, "x")
    if not fps > 0 or not math.isfinite(fps):
        raise SkelgnnError(f"one_euro needs a positive frame rate, got fps={fps!r}")
    if not min_cutoff > 0 or not d_cutoff > 0 or beta < 0:
        raise SkelgnnError(f"one_euro: min_cutoff and d_cutoff must be > 0 and beta >= 0, got "
                           f"{min_cutoff}, {d_cutoff}, {beta}")
    te = 1.0 / fps

    def alpha(cutoff):
        tau = 1.0 / (2.0 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / te)

    out = np.empty_like(a)
    out[0] = a[0]
    dx_hat = np.zeros_like(a[0])
    a_d = alpha(d_cutoff)
    for t in range(1, len(a)):
        dx = (a[t] - out[t - 1]) * fps
        dx_hat = a_d * dx + (1.0 - a_d) * dx_hat
        speed = np.linalg.norm(dx_hat, axis=-1, keepdims=True) if a.ndim > 1 else np.abs(dx_hat)
        al = alpha(min_cutoff + beta * speed)
        out[t] = al * a[t] + (1.0 - al) * out[t - 1]
    return out


class OneEuroStream:
    """:func:`one_euro` one frame at a time, for live use: :meth:`step` takes frame t and returns its
    filtered value, the same as ``one_euro`` on frames 0..t (tests/test_causal.py).

    Args:
        fps, min_cutoff, beta, d_cutoff: as :func:`one_euro`.

    Shapes:
        :meth:`step`: x (..., D) -> float64 (..., D); the speed is the norm over the last axis.
    """

    def __init__(self, fps: float, min_cutoff: float = DEFAULT_ONE_EURO["min_cutoff"],
                 beta: float = DEFAULT_ONE_EURO["beta"],
                 d_cutoff: float = DEFAULT_ONE_EURO["d_cutoff"]) -> None:
        one_euro(np.zeros(1), fps, min_cutoff, beta, d_cutoff)  # the same checks and messages
        self.fps, self.min_cutoff, self.beta = float(fps), float(min_cutoff), float(beta)
        self._te = 1.0 / self.fps
        self._a_d = self._alpha(d_cutoff)
        self._out: np.ndarray | None = None
        self._dx_hat: np.ndarray | None = None

    def _alpha(self, cutoff):
        tau = 1.0 / (2.0 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / self._te)

    def reset(self) -> None:
        """Start a new sequence with the next :meth:`step`."""
        self._out = self._dx_hat = None

    def step(self, x) -> np.ndarray:
        a = np.asarray(x, dtype=np.float64)
        if not np.isfinite(a).all():
            raise SkelgnnError("OneEuroStream.step: x contains NaN or infinite values")
        if self._out is None:
            self._out, self._dx_hat = a.copy(), np.zeros_like(a)
            return a.copy()
        if a.shape != self._out.shape:
            raise ShapeError(f"OneEuroStream.step: x has shape {a.shape}, the stream's frames "
                             f"{self._out.shape}")
        dx = (a - self._out) * self.fps
        self._dx_hat = self._a_d * dx + (1.0 - self._a_d) * self._dx_hat
        speed = np.linalg.norm(self._dx_hat, axis=-1, keepdims=True) if a.ndim > 0 else np.abs(self._dx_hat)
        al = self._alpha(self.min_cutoff + self.beta * speed)
        self._out = al * a + (1.0 - al) * self._out
        return self._out.copy()


def _check_poses(joints, parents: Sequence[int]) -> np.ndarray:
    p = _sequence(joints, "joints")
    if p.ndim != 3 or p.shape[1:] != (len(parents), 3):
        raise ShapeError(f"joints must have shape (T, {len(parents)}, 3), got {p.shape}")
    for j, q in enumerate(parents):
        if q >= j:
            raise SkelgnnError(f"parents must list every parent before its child; joint {j} has parent {q}")
    return p


def median_bone_lengths(joints, parents: Sequence[int]) -> np.ndarray:
    """Median over frames of each joint's distance to its parent: (J,) with 0 for the root."""
    p = _check_poses(joints, parents)
    out = np.zeros(len(parents))
    for j, q in enumerate(parents):
        if q >= 0:
            out[j] = float(np.median(np.linalg.norm(p[:, j] - p[:, q], axis=-1)))
    return out


def enforce_bone_lengths(joints, parents: Sequence[int], lengths=None) -> np.ndarray:
    """Rescale every bone to a fixed length along its direction, from the root outwards.

    Args:
        joints: (T, J, 3) poses.
        parents: parent per joint (``-1`` for the root), every parent before its children.
        lengths: (J,) target length of the bone ending at each joint; default the clip's medians
            (:func:`median_bone_lengths`).

    Returns:
        (T, J, 3) float64 poses with the root where it was and every bone of the given length. A bone
        predicted with zero length keeps the clip's median direction of that bone.
    """
    p = _check_poses(joints, parents)
    L = median_bone_lengths(p, parents) if lengths is None else np.asarray(lengths, dtype=np.float64)
    if L.shape != (len(parents),) or not np.isfinite(L).all() or (L < 0).any():
        raise ShapeError(f"lengths must be (J,) = ({len(parents)},) finite values >= 0, got {L.shape}")
    out = p.copy()
    for j, q in enumerate(parents):
        if q < 0:
            continue
        d = p[:, j] - p[:, q]
        n = np.linalg.norm(d, axis=-1, keepdims=True)
        fallback = np.median(d, axis=0)
        fallback = fallback / max(np.linalg.norm(fallback), 1e-12) if np.linalg.norm(fallback) > 0 else \
            np.array([0.0, -1.0, 0.0])
        u = np.where(n > 1e-9, d / np.maximum(n, 1e-12), fallback)
        out[:, j] = out[:, q] + L[j] * u
    return out


def postprocess(joints, parents: Sequence[int], *, smooth: str | None = "savgol", bones: bool = False,
                fps: float = 30.0) -> np.ndarray:
    """The post-filter chain of ``predict``: optional smoothing, then optional bone-length consistency.

    Args:
        joints: (T, J, 3) pelvis-relative poses, mm.
        parents: parent per joint.
        smooth: ``"savgol"`` (:data:`DEFAULT_SAVGOL`), ``"one_euro"`` (:data:`DEFAULT_ONE_EURO`) or None.
        bones: rescale bones to the clip's median lengths after smoothing.
        fps: frame rate (One-Euro only; the Savitzky–Golay window is in frames, chosen at 30 fps).

    Returns:
        (T, J, 3) float64, the root kept at 0 when it was 0.
    """
    x = _check_poses(joints, parents)
    if smooth == "savgol":
        x = savgol_smooth(x)
    elif smooth == "one_euro":
        x = one_euro(x, fps)
    elif smooth is not None:
        raise SkelgnnError(f"unknown smoothing {smooth!r}; use 'savgol', 'one_euro' or none")
    if bones:
        x = enforce_bone_lengths(x, parents)
    return x
