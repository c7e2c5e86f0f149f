"""Cameras: the pinhole (and Human3.6M distortion) model, screen normalisation, virtual cameras.

Conventions (see ``docs/benchmarks.md``, HDM05-Lift: Cameras):

* A :class:`Camera` stores the world→camera rotation ``R`` and the camera centre ``center`` in
  world coordinates, so ``X_cam = R · (X − center)``. Points are in millimetres.
* The camera frame has x to the right, y down and z forward (depth); pixels are ``(u, v)`` with
  ``v`` growing downwards.
* Every function accepts a numpy array or a torch tensor and returns the same kind (with the
  input's floating dtype and device; integer input is computed in float64 for numpy and the
  default float dtype for torch). Camera parameters are float64 numpy arrays and are converted to
  the input's kind on the fly, so torch calls stay differentiable in the points.

Shape letters: ``...`` any leading dimensions.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any, TypeVar

import numpy as np
import torch

from .errors import ShapeError, SkelgnnError

__all__ = [
    "Camera",
    "world_to_camera",
    "camera_to_world",
    "project",
    "project_world",
    "normalize_screen",
    "denormalize_screen",
    "look_at",
    "ring_cameras",
    "quaternion_to_matrix",
    "H36M_INTRINSICS",
    "H36M_EXTRINSICS",
    "H36M_SUBJECTS",
    "h36m_camera",
]

ArrayT = TypeVar("ArrayT", np.ndarray, torch.Tensor)


# ---------------------------------------------------------------------------------------- helpers
def _is_torch(x: Any) -> bool:
    return isinstance(x, torch.Tensor)


def _as_float(x: Any) -> np.ndarray | torch.Tensor:
    """``x`` as a floating array of its own kind (numpy for anything that is not a tensor)."""
    if _is_torch(x):
        return x if x.is_floating_point() else x.to(torch.get_default_dtype())
    a = np.asarray(x)
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64)
    return a


def _like(value: Any, ref: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """A constant (camera parameter) as the same kind, dtype and device as ``ref``."""
    if _is_torch(ref):
        if _is_torch(value):
            return value.to(dtype=ref.dtype, device=ref.device)
        # np.array copies: the camera's arrays are read-only, which torch warns about
        return torch.as_tensor(np.array(value, dtype=np.float64), dtype=ref.dtype, device=ref.device)
    if _is_torch(value):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=ref.dtype)


def _check_last(x: Any, size: int, name: str) -> None:
    shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
    if len(shape) < 1 or shape[-1] != size:
        raise ShapeError(f"{name} must have shape (..., {size}), got {shape}")


def _param(value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    if _is_torch(value):
        value = value.detach().cpu().numpy()
    a = np.array(value, dtype=np.float64)
    if a.shape != shape:
        if a.size == 1 and shape == (2,):  # a single focal length means fx = fy
            a = np.full(shape, float(a.reshape(())), dtype=np.float64)
        else:
            raise ShapeError(f"camera {name} must have shape {shape}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise SkelgnnError(f"camera {name} must be finite, got {a.tolist()}")
    a.setflags(write=False)
    return a


# ---------------------------------------------------------------------------------------- camera
@dataclass(frozen=True)
class Camera:
    """One calibrated camera.

    Args:
        R: world→camera rotation, shape (3, 3); ``X_cam = R · (X − center)``.
        center: camera centre in world coordinates, shape (3,), same unit as the points (mm).
        f: focal lengths ``(fx, fy)`` in pixels, shape (2,) (a scalar means fx = fy).
        c: principal point ``(cx, cy)`` in pixels, shape (2,).
        width: image width in pixels.
        height: image height in pixels.
        k: radial distortion ``(k1, k2, k3)``, shape (3,); zeros for none.
        p: tangential distortion ``(p1, p2)``, shape (2,); zeros for none.
        name: free-form label, e.g. ``"S1/54138969"``.

    The arrays are stored as read-only float64 numpy arrays. Two cameras compare equal when all
    their fields are equal.
    """

    R: np.ndarray
    center: np.ndarray
    f: np.ndarray
    c: np.ndarray
    width: int
    height: int
    k: np.ndarray = field(default_factory=lambda: np.zeros(3))
    p: np.ndarray = field(default_factory=lambda: np.zeros(2))
    name: str = ""

    def __post_init__(self) -> None:
        shapes = {"R": (3, 3), "center": (3,), "f": (2,), "c": (2,), "k": (3,), "p": (2,)}
        for fname, shape in shapes.items():
            object.__setattr__(self, fname, _param(getattr(self, fname), shape, fname))
        if not np.allclose(self.R @ self.R.T, np.eye(3), atol=1e-5) or np.linalg.det(self.R) <= 0:
            raise SkelgnnError(f"camera {self.name!r}: R must be a rotation matrix (orthonormal, det +1)")
        for fname in ("width", "height"):
            v = getattr(self, fname)
            if int(v) != v or int(v) <= 0:
                raise SkelgnnError(f"camera {self.name!r}: {fname} must be a positive integer, got {v!r}")
            object.__setattr__(self, fname, int(v))
        object.__setattr__(self, "name", str(self.name))

    # dataclass' generated __eq__/__hash__ would compare arrays element-wise; define them properly
    def _key(self) -> tuple:
        return (
            tuple(self.R.ravel().tolist()),
            tuple(self.center.tolist()),
            tuple(self.f.tolist()),
            tuple(self.c.tolist()),
            self.width,
            self.height,
            tuple(self.k.tolist()),
            tuple(self.p.tolist()),
            self.name,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Camera):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def has_distortion(self) -> bool:
        """True when any radial or tangential coefficient is non-zero."""
        return bool(np.any(self.k != 0) or np.any(self.p != 0))

    @property
    def translation(self) -> np.ndarray:
        """The extrinsic translation ``t = −R · center`` (so ``X_cam = R · X + t``), shape (3,)."""
        return -self.R @ self.center

    @property
    def K(self) -> np.ndarray:
        """The 3×3 intrinsic matrix (no skew), float64."""
        return np.array([[self.f[0], 0.0, self.c[0]], [0.0, self.f[1], self.c[1]], [0.0, 0.0, 1.0]])

    def to_dict(self) -> dict:
        """A JSON-friendly dict of plain lists, floats, ints and a string (see :meth:`from_dict`)."""
        return {
            "name": self.name,
            "R": self.R.tolist(),
            "center": self.center.tolist(),
            "f": self.f.tolist(),
            "c": self.c.tolist(),
            "width": self.width,
            "height": self.height,
            "k": self.k.tolist(),
            "p": self.p.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Camera:
        """Inverse of :meth:`to_dict`; ``k``, ``p`` and ``name`` are optional."""
        missing = [key for key in ("R", "center", "f", "c", "width", "height") if key not in d]
        if missing:
            raise SkelgnnError(f"camera dict lacks {missing}; keys present: {sorted(d)}")
        return cls(
            R=d["R"],
            center=d["center"],
            f=d["f"],
            c=d["c"],
            width=d["width"],
            height=d["height"],
            k=d.get("k", (0.0, 0.0, 0.0)),
            p=d.get("p", (0.0, 0.0)),
            name=d.get("name", ""),
        )


# ---------------------------------------------------------------------------------------- transforms
def world_to_camera(X: ArrayT, cam: Camera) -> ArrayT:
    """World points to the camera frame: ``R · (X − center)``.

    Args:
        X: world points, shape (..., 3).
        cam: the camera.

    Returns:
        camera-frame points (x right, y down, z = depth), shape (..., 3).
    """
    _check_last(X, 3, "X")
    X = _as_float(X)
    return (X - _like(cam.center, X)) @ _like(cam.R, X).T


def camera_to_world(X_cam: ArrayT, cam: Camera) -> ArrayT:
    """Inverse of :func:`world_to_camera`: ``Rᵀ · X_cam + center``.

    Args:
        X_cam: camera-frame points, shape (..., 3).
        cam: the camera.

    Returns:
        world points, shape (..., 3).
    """
    _check_last(X_cam, 3, "X_cam")
    X_cam = _as_float(X_cam)
    return X_cam @ _like(cam.R, X_cam) + _like(cam.center, X_cam)


def project(X_cam: ArrayT, cam: Camera, distort: bool | None = None) -> ArrayT:
    """Camera-frame points to pixels.

    Without distortion this is the pinhole projection ``f · (x, y) / z + c`` (no clamping).
    With distortion it is the Human3.6M model as VideoPose3D describes it (CONVENTIONS §2.6):
    ``XX = clamp((x, y) / z, −1, 1)``, ``r² = ‖XX‖²``, ``radial = 1 + k1 r² + k2 r⁴ + k3 r⁶``,
    ``tan = p1 XX_x + p2 XX_y``, ``XXX = XX · (radial + tan) + p · r²``, ``uv = f · XXX + c``.

    Args:
        X_cam: camera-frame points, shape (..., 3); depths should be positive.
        cam: the camera.
        distort: ``True`` for the distortion model, ``False`` for the pinhole model, ``None`` for
            "distortion iff ``cam.has_distortion``".

    Returns:
        pixel coordinates ``(u, v)``, shape (..., 2).
    """
    _check_last(X_cam, 3, "X_cam")
    X_cam = _as_float(X_cam)
    if distort is None:
        distort = cam.has_distortion
    f, c = _like(cam.f, X_cam), _like(cam.c, X_cam)
    xy = X_cam[..., :2] / X_cam[..., 2:3]
    if not distort:
        return f * xy + c
    k, p = _like(cam.k, X_cam), _like(cam.p, X_cam)
    xx = xy.clip(-1.0, 1.0)
    r2 = (xx * xx).sum(-1)[..., None]
    radial = 1.0 + k[0] * r2 + k[1] * r2**2 + k[2] * r2**3
    tan = (p * xx).sum(-1)[..., None]
    xxx = xx * (radial + tan) + p * r2
    return f * xxx + c


def project_world(X: ArrayT, cam: Camera, distort: bool | None = None) -> ArrayT:
    """World points straight to pixels: ``project(world_to_camera(X, cam), cam, distort)``.

    Args:
        X: world points, shape (..., 3).
        cam: the camera.
        distort: as in :func:`project`.

    Returns:
        pixels, shape (..., 2).
    """
    return project(world_to_camera(X, cam), cam, distort)


def normalize_screen(uv: ArrayT, width: int, height: int) -> ArrayT:
    """Pixels to VideoPose3D screen coordinates: ``uv / w · 2 − [1, h / w]``.

    ``u = 0 → −1``, ``u = w → 1``, ``v = h / 2 → 0``; the aspect ratio is kept (CONVENTIONS §1.6).

    Args:
        uv: pixel coordinates, shape (..., 2).
        width: image width ``w`` in pixels.
        height: image height ``h`` in pixels.

    Returns:
        normalised coordinates, shape (..., 2).
    """
    _check_last(uv, 2, "uv")
    uv = _as_float(uv)
    return uv / width * 2 - _like([1.0, height / width], uv)


def denormalize_screen(x: ArrayT, width: int, height: int) -> ArrayT:
    """Inverse of :func:`normalize_screen`: ``(x + [1, h / w]) · w / 2``.

    Args:
        x: normalised coordinates, shape (..., 2).
        width: image width in pixels.
        height: image height in pixels.

    Returns:
        pixel coordinates, shape (..., 2).
    """
    _check_last(x, 2, "x")
    x = _as_float(x)
    return (x + _like([1.0, height / width], x)) * width / 2


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
