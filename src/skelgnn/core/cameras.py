"""Cameras: the pinhole (and Human3.6M distortion) model and screen normalisation.

Placing cameras (look-at, rings of virtual cameras, the Human3.6M calibration) is in
:mod:`skelgnn.core.camera_rigs`.

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

from dataclasses import dataclass, field
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

