"""Placing cameras: look-at rotations, quaternions, rings of virtual cameras, the Human3.6M calibration.

The camera model itself (:class:`~skelgnn.core.cameras.Camera`, projection, screen normalisation) and
its conventions are in :mod:`skelgnn.core.cameras`; this module builds :class:`Camera` values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from importlib.resources import files
from typing import Any

import numpy as np
import torch

from .cameras import ArrayT, Camera, _as_float, _check_last, _is_torch, _like
from .errors import ShapeError, SkelgnnError

__all__ = [
    "look_at",
    "ring_cameras",
    "quaternion_to_matrix",
    "H36M_INTRINSICS",
    "H36M_EXTRINSICS",
    "H36M_SUBJECTS",
    "h36m_camera",
]


# ---------------------------------------------------------------------------------------- rotations
def _normalize_vec(v: ArrayT, what: str) -> ArrayT:
    if _is_torch(v):
        n = torch.linalg.vector_norm(v, dim=-1, keepdim=True)
        bad = bool((n <= 1e-12).any())
    else:
        n = np.linalg.norm(v, axis=-1, keepdims=True)
        bad = bool(np.any(n <= 1e-12))
    if bad:
        raise SkelgnnError(f"look_at: {what}")
    return v / n


def _cross(a: ArrayT, b: ArrayT) -> ArrayT:
    if _is_torch(a):
        return torch.linalg.cross(*torch.broadcast_tensors(a, b), dim=-1)
    return np.cross(a, b)


def look_at(eye: ArrayT, target: Any, up: Any = (0.0, 1.0, 0.0)) -> ArrayT:
    """World→camera rotation of a camera at ``eye`` looking at ``target``.

    The camera frame has x right, y down, z forward: ``z = unit(target − eye)``,
    ``x = unit(z × up)``, ``y = z × x``; the rows of ``R`` are x, y, z. ``R`` is a proper rotation
    (det +1), ``target`` lands on the optical axis, and ``up`` points to image up (negative y).

    Args:
        eye: camera centre, shape (..., 3).
        target: point looked at, shape (..., 3) (broadcast against ``eye``).
        up: world up direction, shape (3,) or (..., 3); must not be parallel to the view direction.

    Returns:
        R, shape (..., 3, 3), the same kind as ``eye``.

    Raises:
        SkelgnnError: ``eye == target`` or the view direction is parallel to ``up``.
    """
    _check_last(eye, 3, "eye")
    eye = _as_float(eye)
    target, up = _like(target, eye), _like(up, eye)
    _check_last(target, 3, "target")
    _check_last(up, 3, "up")
    z = _normalize_vec(target - eye, "eye and target coincide")
    x = _normalize_vec(_cross(z, up), "the view direction is parallel to up")
    y = _cross(z, x)
    if _is_torch(eye):
        return torch.stack(torch.broadcast_tensors(x, y, z), dim=-2)
    return np.stack(np.broadcast_arrays(x, y, z), axis=-2)


def quaternion_to_matrix(q: ArrayT) -> ArrayT:
    """Rotation matrix of a quaternion ``(w, x, y, z)`` (normalised first).

    The matrix rotates a column vector the way the quaternion does: ``R @ v = q v q*``.

    Args:
        q: quaternions, shape (..., 4), scalar first.

    Returns:
        rotation matrices, shape (..., 3, 3), the same kind as ``q``.

    Raises:
        SkelgnnError: a quaternion has (near) zero norm.
    """
    _check_last(q, 4, "q")
    q = _as_float(q)
    if _is_torch(q):
        n = torch.linalg.vector_norm(q, dim=-1, keepdim=True)
        bad = bool((n <= 1e-12).any())
    else:
        n = np.linalg.norm(q, axis=-1, keepdims=True)
        bad = bool(np.any(n <= 1e-12))
    if bad:
        raise SkelgnnError("quaternion_to_matrix: zero quaternion")
    q = q / n
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    rows = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ]
    if _is_torch(q):
        return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


# ---------------------------------------------------------------------------------------- virtual rigs
def ring_cameras(
    target: Any,
    *,
    radius: float,
    height: float,
    yaws_deg: Sequence[float],
    f: float | Sequence[float],
    c: Sequence[float],
    width: int,
    height_px: int,
    name_prefix: str = "cam",
) -> list[Camera]:
    """Cameras on a horizontal circle around ``target``, all looking at it (docs/benchmarks.md).

    Camera ``i`` sits at ``(t_x + radius·cos yaw_i, height, t_z + radius·sin yaw_i)`` (yaw measured
    from +X towards +Z, world up +Y) and looks at ``target`` with :func:`look_at`; no distortion.

    Args:
        target: look-at point in world coordinates, shape (3,) (for HDM05-Lift ``(x̄, 900, z̄)``).
        radius: circle radius, world units (mm).
        height: world height (Y) of the camera centres.
        yaws_deg: one yaw per camera, degrees.
        f: focal length in pixels (scalar, or ``(fx, fy)``).
        c: principal point ``(cx, cy)`` in pixels.
        width: image width in pixels.
        height_px: image height in pixels.
        name_prefix: cameras are named ``f"{name_prefix}{i}"``.

    Returns:
        one :class:`Camera` per yaw, in order.
    """
    if _is_torch(target):
        target = target.detach().cpu().numpy()
    t = np.asarray(target, dtype=np.float64)
    if t.shape != (3,):
        raise ShapeError(f"target must have shape (3,), got {t.shape}")
    if not radius > 0:
        raise SkelgnnError(f"radius must be positive, got {radius}")
    cams = []
    for i, yaw in enumerate(yaws_deg):
        a = math.radians(float(yaw))
        eye = np.array([t[0] + radius * math.cos(a), float(height), t[2] + radius * math.sin(a)])
        R = look_at(eye, t, (0.0, 1.0, 0.0))
        name = f"{name_prefix}{i}"
        cams.append(Camera(R=R, center=eye, f=f, c=c, width=width, height=height_px, name=name))
    return cams


# ---------------------------------------------------------------------------------------- Human3.6M
def _h36m_tables() -> dict:
    return json.loads(files("skelgnn").joinpath("assets/h36m_cameras.json").read_text(encoding="utf-8"))


_H36M = _h36m_tables()
H36M_INTRINSICS: list[dict] = _H36M["intrinsics"]
"""The four Human3.6M cameras' intrinsics (pixels) and distortion, in the order of
:data:`skelgnn.data.h36m.CAMERA_IDS`; read from ``skelgnn/assets/h36m_cameras.json``, the published
calibration as listed by VideoPose3D (the ``h36m_cameras.json`` asset)."""

H36M_EXTRINSICS: dict[str, list[dict]] = _H36M["extrinsics"]
"""Per subject, the four cameras' camera→world quaternion ``orientation`` (w, x, y, z) and centre
``translation`` in world coordinates (mm); S2, S3 and S4 have no calibration. Same file."""

H36M_SUBJECTS: tuple[str, ...] = tuple(H36M_EXTRINSICS)


def h36m_camera(subject: str, index: int) -> Camera:
    """The Human3.6M camera ``index`` (0..3) of ``subject`` (``"S1"``, ``"S5"``…``"S11"``).

    ``R = quaternion_to_matrix(orientation)ᵀ`` (the quaternion rotates camera→world),
    ``center = translation`` (mm), intrinsics and distortion from :data:`H36M_INTRINSICS`.
    The camera is named ``f"{subject}/{id}"``.

    Raises:
        SkelgnnError: unknown subject (S2, S3 and S4 have no calibration) or index.
    """
    if subject not in H36M_EXTRINSICS:
        raise SkelgnnError(
            f"no Human3.6M calibration for subject {subject!r} (camera index {index}); "
            f"known subjects: {list(H36M_EXTRINSICS)} (S2, S3 and S4 have none)"
        )
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < 4:
        raise SkelgnnError(f"Human3.6M subject {subject!r} has cameras 0..3, got index {index!r}")
    index = int(index)
    intr, extr = H36M_INTRINSICS[index], H36M_EXTRINSICS[subject][index]
    R = quaternion_to_matrix(np.asarray(extr["orientation"], dtype=np.float64)).T
    return Camera(
        R=R,
        center=extr["translation"],
        f=intr["focal_length"],
        c=intr["center"],
        width=intr["res_w"],
        height=intr["res_h"],
        k=intr["radial_distortion"],
        p=intr["tangential_distortion"],
        name=f"{subject}/{intr['id']}",
    )
