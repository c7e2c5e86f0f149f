"""Cameras: the pinhole (and Human3.6M distortion) model, screen normalisation, virtual cameras.

Conventions (see ``docs/CONVENTIONS.md`` §1.6, §2.6 and ``BENCHMARK.md`` §2):

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

import math
from collections.abc import Sequence
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
    """Cameras on a horizontal circle around ``target``, all looking at it (BENCHMARK.md §2).

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
# Transcribed from docs/CONVENTIONS.md §2.6 (the published Human3.6M calibration as listed by
# VideoPose3D). Intrinsics in pixels; extrinsics: camera→world quaternion (w, x, y, z) and the
# camera centre in world coordinates (mm). S2, S3 and S4 have no calibration in these tables.
H36M_INTRINSICS: list[dict] = [
    {
        "id": "54138969",
        "center": [512.54150390625, 515.4514770507812],
        "focal_length": [1145.0494384765625, 1143.7811279296875],
        "radial_distortion": [-0.20709891617298126, 0.24777518212795258, -0.0030751503072679043],
        "tangential_distortion": [-0.0009756988729350269, -0.00142447161488235],
        "res_w": 1000,
        "res_h": 1002,
        "azimuth": 70,
    },
    {
        "id": "55011271",
        "center": [508.8486328125, 508.0649108886719],
        "focal_length": [1149.6756591796875, 1147.5916748046875],
        "radial_distortion": [-0.1942136287689209, 0.2404085397720337, 0.006819975562393665],
        "tangential_distortion": [-0.0016190266469493508, -0.0027408944442868233],
        "res_w": 1000,
        "res_h": 1000,
        "azimuth": -70,
    },
    {
        "id": "58860488",
        "center": [519.8158569335938, 501.40264892578125],
        "focal_length": [1149.1407470703125, 1148.7989501953125],
        "radial_distortion": [-0.2083381861448288, 0.25548800826072693, -0.0024604974314570427],
        "tangential_distortion": [0.0014843869721516967, -0.0007599993259645998],
        "res_w": 1000,
        "res_h": 1000,
        "azimuth": 110,
    },
    {
        "id": "60457274",
        "center": [514.9682006835938, 501.88201904296875],
        "focal_length": [1145.5113525390625, 1144.77392578125],
        "radial_distortion": [-0.198384091258049, 0.21832367777824402, -0.008947807364165783],
        "tangential_distortion": [-0.0005872055771760643, -0.0018133620033040643],
        "res_w": 1000,
        "res_h": 1002,
        "azimuth": -110,
    },
]

H36M_EXTRINSICS: dict[str, list[dict]] = {
    "S1": [
        {
            "orientation": [0.1407056450843811, -0.1500701755285263, -0.755240797996521, 0.6223280429840088],
            "translation": [1841.1070556640625, 4955.28466796875, 1563.4454345703125],
        },
        {
            "orientation": [
                0.6157187819480896,
                -0.764836311340332,
                -0.14833825826644897,
                0.11794740706682205,
            ],
            "translation": [1761.278564453125, -5078.0068359375, 1606.2650146484375],
        },
        {
            "orientation": [
                0.14651472866535187,
                -0.14647851884365082,
                0.7653023600578308,
                -0.6094175577163696,
            ],
            "translation": [-1846.7777099609375, 5215.04638671875, 1491.972412109375],
        },
        {
            "orientation": [
                0.5834008455276489,
                -0.7853162288665771,
                0.14548823237419128,
                -0.14749594032764435,
            ],
            "translation": [-1794.7896728515625, -3722.698974609375, 1574.8927001953125],
        },
    ],
    "S5": [
        {
            "orientation": [0.1467377245426178, -0.162370964884758, -0.7551892995834351, 0.6178938746452332],
            "translation": [2097.3916015625, 4880.94482421875, 1605.732421875],
        },
        {
            "orientation": [
                0.6159758567810059,
                -0.7626792192459106,
                -0.15728192031383514,
                0.1189815029501915,
            ],
            "translation": [2031.7008056640625, -5167.93310546875, 1612.923095703125],
        },
        {
            "orientation": [
                0.14291371405124664,
                -0.12907841801643372,
                0.7678384780883789,
                -0.6110143065452576,
            ],
            "translation": [-1620.5948486328125, 5171.65869140625, 1496.43701171875],
        },
        {
            "orientation": [
                0.5920479893684387,
                -0.7814217805862427,
                0.1274748593568802,
                -0.15036417543888092,
            ],
            "translation": [-1637.1737060546875, -3867.3173828125, 1547.033203125],
        },
    ],
    "S6": [
        {
            "orientation": [
                0.1337897777557373,
                -0.15692396461963654,
                -0.7571090459823608,
                0.6198879480361938,
            ],
            "translation": [1935.4517822265625, 4950.24560546875, 1618.0838623046875],
        },
        {
            "orientation": [
                0.6147197484970093,
                -0.7628812789916992,
                -0.16174767911434174,
                0.11819244921207428,
            ],
            "translation": [1969.803955078125, -5128.73876953125, 1632.77880859375],
        },
        {
            "orientation": [
                0.1529948115348816,
                -0.13529130816459656,
                0.7646096348762512,
                -0.6112781167030334,
            ],
            "translation": [-1769.596435546875, 5185.361328125, 1476.993408203125],
        },
        {
            "orientation": [
                0.5916101336479187,
                -0.7804774045944214,
                0.12832270562648773,
                -0.1561593860387802,
            ],
            "translation": [-1721.668701171875, -3884.13134765625, 1540.4879150390625],
        },
    ],
    "S7": [
        {
            "orientation": [0.1435241848230362, -0.1631336808204651, -0.7548328638076782, 0.6188824772834778],
            "translation": [1974.512939453125, 4926.3544921875, 1597.8326416015625],
        },
        {
            "orientation": [0.6141672730445862, -0.7638262510299683, -0.1596645563840866, 0.1177929937839508],
            "translation": [1937.0584716796875, -5119.7900390625, 1631.5665283203125],
        },
        {
            "orientation": [
                0.14550060033798218,
                -0.12874816358089447,
                0.7660516500473022,
                -0.6127139329910278,
            ],
            "translation": [-1741.8111572265625, 5208.24951171875, 1464.8245849609375],
        },
        {
            "orientation": [
                0.5912848114967346,
                -0.7821764349937439,
                0.12445473670959473,
                -0.15196487307548523,
            ],
            "translation": [-1734.7105712890625, -3832.42138671875, 1548.5830078125],
        },
    ],
    "S8": [
        {
            "orientation": [
                0.14110587537288666,
                -0.15589867532253265,
                -0.7561917304992676,
                0.619644045829773,
            ],
            "translation": [2150.65185546875, 4896.1611328125, 1611.9046630859375],
        },
        {
            "orientation": [
                0.6169601678848267,
                -0.7647668123245239,
                -0.14846350252628326,
                0.11158157885074615,
            ],
            "translation": [2219.965576171875, -5148.453125, 1613.0440673828125],
        },
        {
            "orientation": [
                0.1471444070339203,
                -0.13377119600772858,
                0.7670128345489502,
                -0.6100369691848755,
            ],
            "translation": [-1571.2215576171875, 5137.0185546875, 1498.1761474609375],
        },
        {
            "orientation": [
                0.5927824378013611,
                -0.7825870513916016,
                0.12147816270589828,
                -0.14631995558738708,
            ],
            "translation": [-1476.913330078125, -3896.7412109375, 1547.97216796875],
        },
    ],
    "S9": [
        {
            "orientation": [
                0.15540587902069092,
                -0.15548215806484222,
                -0.7532095313072205,
                0.6199594736099243,
            ],
            "translation": [2044.45849609375, 4935.1171875, 1481.2275390625],
        },
        {
            "orientation": [
                0.618784487247467,
                -0.7634735107421875,
                -0.14132238924503326,
                0.11933968216180801,
            ],
            "translation": [1990.959716796875, -5123.810546875, 1568.8048095703125],
        },
        {
            "orientation": [
                0.13357827067375183,
                -0.1367100477218628,
                0.7689454555511475,
                -0.6100738644599915,
            ],
            "translation": [-1670.9921875, 5211.98583984375, 1528.387939453125],
        },
        {
            "orientation": [
                0.5879399180412292,
                -0.7823407053947449,
                0.1427614390850067,
                -0.14794869720935822,
            ],
            "translation": [-1696.04345703125, -3827.099853515625, 1591.4127197265625],
        },
    ],
    "S11": [
        {
            "orientation": [
                0.15232472121715546,
                -0.15442320704460144,
                -0.7547563314437866,
                0.6191070079803467,
            ],
            "translation": [2098.440185546875, 4926.5546875, 1500.278564453125],
        },
        {
            "orientation": [
                0.6189449429512024,
                -0.7600917220115662,
                -0.15300633013248444,
                0.1255258321762085,
            ],
            "translation": [2083.182373046875, -4912.1728515625, 1561.07861328125],
        },
        {
            "orientation": [
                0.14943228662014008,
                -0.15650227665901184,
                0.7681233882904053,
                -0.6026304364204407,
            ],
            "translation": [-1609.8153076171875, 5177.3359375, 1537.896728515625],
        },
        {
            "orientation": [
                0.5894251465797424,
                -0.7818877100944519,
                0.13991211354732513,
                -0.14715361595153809,
            ],
            "translation": [-1590.738037109375, -3854.1689453125, 1578.017578125],
        },
    ],
}

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
