"""Camera-space root trajectory: place a lifted, pelvis-relative skeleton in the camera frame.

A lifter predicts joints relative to the pelvis. Given the camera intrinsics and the 2D keypoints
the pose was lifted from, the pelvis position ``r`` (camera frame: x right, y down, z forward, mm)
is the translation that makes the projection of ``joints_rel + r`` match the 2D keypoints. Per frame
this module solves it by least squares:

1. the linear (algebraic) solution: with ``x̃ = (u − cx) / fx`` and ``ỹ = (v − cy) / fy`` each joint
   gives ``r_x − x̃ · r_z = x̃ · Z − X`` and ``r_y − ỹ · r_z = ỹ · Z − Y`` (2J equations, 3 unknowns);
2. a few Gauss–Newton steps on the squared reprojection error itself (pixels), kept only where they
   lower it and every joint stays in front of the camera.

The depth follows the size of the lifted skeleton: a skeleton predicted 5 % too small is placed
about 5 % too close. Intrinsics are given, or assumed from the image size with
:data:`DEFAULT_FOV_DEG` on the larger image side and the principal point at the image centre
(:func:`intrinsics_from_image`); the result records which.

Shape letters: ``T`` frames, ``J`` joints.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..core.errors import ShapeError, SkelgnnError

__all__ = ["DEFAULT_FOV_DEG", "Intrinsics", "intrinsics_from_image", "fit_root", "place_in_camera",
           "reprojection_error"]

DEFAULT_FOV_DEG = 55.0
"""Field of view (degrees, across the larger image side) assumed when the focal length is unknown:
``f = max(width, height) / (2 · tan(55° / 2)) ≈ 0.96 · max(width, height)`` pixels, a typical
phone or webcam main camera."""

_MIN_DEPTH_MM = 100.0


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics in pixels, and where they came from.

    Attributes:
        fx, fy: focal lengths, px.
        cx, cy: principal point, px.
        source: ``"given"`` or a sentence saying how they were assumed.
    """

    fx: float
    fy: float
    cx: float
    cy: float
    source: str = "given"

    def __post_init__(self) -> None:
        for name in ("fx", "fy", "cx", "cy"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v):
                raise SkelgnnError(f"intrinsics: {name} must be a finite number of pixels, got {v!r}")
        if self.fx <= 0 or self.fy <= 0:
            raise SkelgnnError(f"intrinsics: focal lengths must be > 0 px, got fx={self.fx}, fy={self.fy}")

    def to_dict(self) -> dict:
        return asdict(self)


def intrinsics_from_image(width: int, height: int, fov_deg: float = DEFAULT_FOV_DEG,
                          focal_px: float | None = None) -> Intrinsics:
    """Intrinsics for an image of ``width`` × ``height`` pixels, principal point at its centre.

    Args:
        width: image width, px.
        height: image height, px.
        fov_deg: field of view across the larger side, degrees (used when ``focal_px`` is None).
        focal_px: the focal length, px, when known (then ``fov_deg`` is ignored).

    Raises:
        SkelgnnError: a non-positive image size, focal length, or a field of view outside (0, 180).
    """
    if not width or not height or width <= 0 or height <= 0:
        raise SkelgnnError("the root trajectory needs the image size (--width/--height) or the intrinsics; "
                           f"got width={width!r}, height={height!r}")
    if focal_px is not None:
        if not focal_px > 0 or not math.isfinite(focal_px):
            raise SkelgnnError(f"focal length must be a positive number of pixels, got {focal_px!r}")
        return Intrinsics(float(focal_px), float(focal_px), width / 2.0, height / 2.0,
                          source=f"focal length {focal_px:g} px given, principal point at the image centre")
    if not 0.0 < fov_deg < 180.0:
        raise SkelgnnError(f"field of view must be in (0, 180) degrees, got {fov_deg!r}")
    f = max(width, height) / (2.0 * math.tan(math.radians(fov_deg) / 2.0))
    return Intrinsics(f, f, width / 2.0, height / 2.0,
                      source=f"assumed: {fov_deg:g} deg field of view across the larger side of the "
                             f"{width}x{height} image, principal point at its centre")


def _check(joints_rel: np.ndarray, joints_2d: np.ndarray, weights) -> tuple[np.ndarray, np.ndarray,
                                                                            np.ndarray]:
    p = np.asarray(joints_rel, dtype=np.float64)
    uv = np.asarray(joints_2d, dtype=np.float64)
    if p.ndim != 3 or p.shape[-1] != 3 or len(p) == 0:
        raise ShapeError(f"joints_rel must have shape (T, J, 3) with T >= 1, got {p.shape}")
    if uv.shape != p.shape[:2] + (2,):
        raise ShapeError(f"joints_2d must have shape {p.shape[:2] + (2,)} to match joints_rel, "
                         f"got {uv.shape}")
    w = np.ones(p.shape[:2]) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != p.shape[:2]:
        raise ShapeError(f"weights must have shape {p.shape[:2]}, got {w.shape}")
    for name, a in (("joints_rel", p), ("joints_2d", uv), ("weights", w)):
        if not np.isfinite(a).all():
            raise SkelgnnError(f"{name} contains NaN or infinite values; fill the missing joints first")
    if (w < 0).any():
        raise SkelgnnError("weights must be >= 0")
    if (w.sum(-1) <= 0).any():
        raise SkelgnnError("every frame needs at least one joint with a positive weight")
    return p, uv, w


def _normalised(uv: np.ndarray, k: Intrinsics) -> np.ndarray:
    return np.stack([(uv[..., 0] - k.cx) / k.fx, (uv[..., 1] - k.cy) / k.fy], axis=-1)


def _residual(p: np.ndarray, xy: np.ndarray, r: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reprojection residual (T, J, 2) in pixels (``f`` = (fx, fy)) and the depths (T, J)."""
    q = p + r[:, None, :]
    z = q[..., 2]
    return (q[..., :2] / np.maximum(z, 1e-9)[..., None] - xy) * f, z


def reprojection_error(joints_camera: np.ndarray, joints_2d: np.ndarray,
                       intrinsics: Intrinsics) -> np.ndarray:
    """Per-frame mean distance (px) between the projection of camera-frame joints and the 2D joints.

    Args:
        joints_camera: (T, J, 3) mm, camera frame (z > 0).
        joints_2d: (T, J, 2) px.
        intrinsics: the camera.

    Returns:
        (T,) pixels.
    """
    q = np.asarray(joints_camera, dtype=np.float64)
    uv = np.asarray(joints_2d, dtype=np.float64)
    z = np.maximum(q[..., 2], 1e-9)
    proj = np.stack([intrinsics.fx * q[..., 0] / z + intrinsics.cx,
                     intrinsics.fy * q[..., 1] / z + intrinsics.cy], -1)
    return np.linalg.norm(proj - uv, axis=-1).mean(-1)


def fit_root(joints_rel: np.ndarray, joints_2d: np.ndarray, intrinsics: Intrinsics, *,
             weights: np.ndarray | None = None, iterations: int = 5, strict: bool = True) -> np.ndarray:
    """Least-squares camera-frame pelvis position per frame (module docstring).

    Args:
        joints_rel: (T, J, 3) lifted joints, mm, camera-frame axes, pelvis-relative.
        joints_2d: (T, J, 2) the 2D keypoints they were lifted from, px.
        intrinsics: the camera.
        weights: (T, J) per-joint weights ≥ 0 (e.g. detector confidence); default all 1.
        iterations: Gauss–Newton steps after the linear solution (0 = linear only).
        strict: raise when no frame has a solution in front of the camera; False: NaN rows instead
            (evaluation of any model, however poor, reports NaN instead of stopping).

    Returns:
        (T, 3) float64 pelvis positions, mm, camera frame.

    Raises:
        ShapeError: mismatched shapes.
        SkelgnnError: NaN input, negative weights, a frame without weight, or no solution in front
            of the camera.
    """
    p, uv, w = _check(joints_rel, joints_2d, weights)
    xy = _normalised(uv, intrinsics)
    T, J = p.shape[:2]
    # linear solution: rows [1, 0, -x̃] r = x̃ Z − X and [0, 1, -ỹ] r = ỹ Z − Y
    a = np.zeros((T, J, 2, 3))
    a[..., 0, 0] = 1.0
    a[..., 1, 1] = 1.0
    a[..., :, 2] = -xy
    b = xy * p[..., 2:3] - p[..., :2]
    sw = np.sqrt(w)[..., None]
    a = (a * sw[..., None]).reshape(T, 2 * J, 3)
    b = (b * sw).reshape(T, 2 * J)
    r = _damped_solve(a.transpose(0, 2, 1) @ a, a.transpose(0, 2, 1) @ b[..., None])
    # Gauss-Newton on the squared pixel reprojection error, accepted per frame only where it improves
    f = np.array([intrinsics.fx, intrinsics.fy])
    res, z = _residual(p, xy, r, f)
    cost = (w * (res ** 2).sum(-1)).sum(-1)
    for _ in range(iterations):
        q = p + r[:, None, :]
        zi = 1.0 / np.maximum(q[..., 2], 1e-9)
        jac = np.zeros((T, J, 2, 3))
        jac[..., 0, 0] = zi
        jac[..., 1, 1] = zi
        jac[..., :, 2] = -q[..., :2] * (zi ** 2)[..., None]
        jac *= f[:, None]
        jw = (jac * sw[..., None]).reshape(T, 2 * J, 3)
        rw = (res * sw).reshape(T, 2 * J)
        step = _damped_solve(jw.transpose(0, 2, 1) @ jw, jw.transpose(0, 2, 1) @ rw[..., None])
        r_new = r - step
        res_new, z_new = _residual(p, xy, r_new, f)
        cost_new = (w * (res_new ** 2).sum(-1)).sum(-1)
        ok = (cost_new < cost) & (z_new.min(-1) > _MIN_DEPTH_MM) & np.isfinite(cost_new)
        r = np.where(ok[:, None], r_new, r)
        res = np.where(ok[:, None, None], res_new, res)
        cost = np.where(ok, cost_new, cost)
    z = (p + r[:, None, :])[..., 2]
    valid = np.isfinite(r).all(-1) & (np.median(z, axis=-1) > 0)
    if not valid.any() and not strict:
        return np.full_like(r, np.nan)
    if not valid.any():
        raise SkelgnnError("the root trajectory has no solution in front of the camera in any frame; "
                           "are the 2D keypoints and the intrinsics from the same image?")
    if not valid.all():  # degenerate frames (e.g. a collapsed pose): interpolate from the others
        t = np.arange(T)
        r = np.stack([np.interp(t, t[valid], r[valid, i]) for i in range(3)], axis=-1)
    return r


def _damped_solve(ata: np.ndarray, atb: np.ndarray) -> np.ndarray:
    """Batched ``(AᵀA + λI)⁻¹ Aᵀb`` with a tiny λ relative to the trace: (T, 3, 3), (T, 3, 1) → (T, 3)."""
    lam = 1e-9 * np.trace(ata, axis1=-2, axis2=-1)[:, None, None] + 1e-12
    return np.linalg.solve(ata + lam * np.eye(3), atb)[..., 0]


def place_in_camera(joints_rel: np.ndarray, root: np.ndarray) -> np.ndarray:
    """``joints_rel + root``: (T, J, 3) pelvis-relative joints and (T, 3) roots → (T, J, 3) camera frame."""
    p = np.asarray(joints_rel, dtype=np.float64)
    r = np.asarray(root, dtype=np.float64)
    if p.ndim != 3 or r.shape != (p.shape[0], 3):
        raise ShapeError(f"expected joints (T, J, 3) and roots (T, 3), got {p.shape} and {r.shape}")
    return p - p[:, :1] + r[:, None, :]
