"""Lifted joints → a Biovision BVH animation (a fixed skeleton driven by joint rotations).

What the file holds (:func:`joints_to_bvh`):

* **Skeleton**: the 17 Human3.6M joints as 17 BVH joints and 5 End Sites::

      Hips ┬ RHipJoint ─ RightUpLeg ─ RightLeg ─ (End Site: right ankle)
           ├ LHipJoint ─ LeftUpLeg ─ LeftLeg ─ (End Site: left ankle)
           └ LowerBack ─ Spine ─ Chest ┬ LowerNeck ─ Neck ─ (End Site: head)
                                       ├ LeftShoulder ─ LeftArm ─ LeftForeArm ─ (End Site: left wrist)
                                       └ RightShoulder ─ RightArm ─ RightForeArm ─ (End Site: right wrist)

  (``Hips`` = pelvis, ``*UpLeg`` = hip, ``*Leg`` = knee, ``Spine`` = spine, ``Chest`` = thorax,
  ``Neck`` = neck/nose, ``*Arm`` = shoulder, ``*ForeArm`` = elbow.) ``RHipJoint``, ``LHipJoint`` and
  ``LowerBack`` sit at the pelvis and ``LowerNeck``, ``*Shoulder`` at the thorax (offset 0, as in the CMU
  BVH conversions): each branch has its own rotation, so a lifted pose whose hips, spine and shoulders do
  not keep a rigid arrangement is still reproduced. Bone lengths are the clip's **median** over frames.
  The rest pose is a T-pose facing +Z: legs straight down, spine and head straight up, arms along ±X;
  the hips around the pelvis and the neck and shoulders around the thorax are placed as the clip's
  median arrangement in the pelvis / chest frame.
* **Axes and units**: right-handed, **Y up**, the character's rest pose faces **+Z** with its left
  side at +X; values in **centimetres** by default (``unit="m"`` or ``"mm"`` possible). The axes are
  the camera's turned 180° about its x axis: ``(X, Y, Z) = (x, −y, −z)`` of the camera frame
  (x right, y down, z forward), so the camera sits at the origin looking along −Z, as a Blender
  camera does. Blender's BVH importer with its defaults (Forward −Z, Up Y) shows the person standing
  upright on its Z-up floor; use Scale 0.01 for a centimetre file to get metres.
* **Channels**: ``Hips`` has ``Xposition Yposition Zposition Zrotation Xrotation Yrotation``, every other
  joint ``Zrotation Xrotation Yrotation``; degrees; the local rotation is ``Rz · Rx · Ry`` (intrinsic
  Z, then X, then Y, acting on column vectors), each channel unwrapped over time (no ±180° jumps).
  Root position: the camera-frame pelvis trajectory when given (:mod:`skelgnn.lifting.trajectory`), else 0.
* **Frame time** = 1 / fps.

Inverse kinematics, per frame: ``Hips`` and ``Chest`` get the rotation that best maps the rest
arrangement of their three children onto the observed one (Kabsch: the hips / shoulders plane and the
spine / neck); every other joint gets the shortest-arc swing from its parent's frame towards the observed
joint (aimed from where the rigid skeleton has placed the bone's start, so that length errors do not
add up along a limb), i.e. **no twist relative to its parent**: the twist is fixed by the hips and
shoulders planes and carried down each limb. A rigid skeleton is reproduced exactly; a lifted one up
to its bone-length variation (``bench/bvh_roundtrip.py`` measures the round trip on HDM05-Lift).

Shape letters: ``T`` frames, ``J`` = 17 joints.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..core.errors import ShapeError, SkelgnnError
from ..core.io import atomic_write_text
from ..core.skeleton import H36M_17
from ..data.bvh import bvh_forward_kinematics, read_bvh

__all__ = ["BVH_JOINT_NAMES", "BVH_READ_NAMES", "UNITS", "joints_to_bvh", "write_bvh", "read_bvh_h36m"]

# (BVH name, the Human3.6M joint it sits at, BVH parent, the Human3.6M joint its rotation aims at or None)
_JOINTS = (
    ("Hips", 0, -1, None),
    ("RHipJoint", 0, 0, 1), ("RightUpLeg", 1, 1, 2), ("RightLeg", 2, 2, 3),
    ("LHipJoint", 0, 0, 4), ("LeftUpLeg", 4, 4, 5), ("LeftLeg", 5, 5, 6),
    ("LowerBack", 0, 0, 7), ("Spine", 7, 7, 8), ("Chest", 8, 8, None),
    ("LowerNeck", 8, 9, 9), ("Neck", 9, 10, 10),
    ("LeftShoulder", 8, 9, 11), ("LeftArm", 11, 12, 12), ("LeftForeArm", 12, 13, 13),
    ("RightShoulder", 8, 9, 14), ("RightArm", 14, 15, 15), ("RightForeArm", 15, 16, 16),
)
_LEAVES = (3, 6, 10, 13, 16)  # Human3.6M joints written as End Sites

BVH_JOINT_NAMES = tuple(j[0] for j in _JOINTS)
"""The BVH joints in file order."""

BVH_READ_NAMES = tuple(
    next(f"{n}_end" if j in _LEAVES else n
         for n, at, _, aim in _JOINTS if (aim == j if j in _LEAVES else at == j))
    for j in range(17))
"""Name per Human3.6M joint as :func:`skelgnn.data.bvh.read_bvh` reports it (End Sites as
``<parent>_end``)."""

UNITS = {"cm": 0.1, "m": 0.001, "mm": 1.0}
"""File units and the factor from millimetres."""

_CAM_TO_BVH = np.diag([1.0, -1.0, -1.0])
_UP, _DOWN, _LEFT, _RIGHT = (0.0, 1.0, 0.0), (0.0, -1.0, 0.0), (1.0, 0.0, 0.0), (-1.0, 0.0, 0.0)
# rest direction of the bone ending at each joint (parent → joint); pelvis/thorax children use the data
_REST_DIR = {2: _DOWN, 3: _DOWN, 5: _DOWN, 6: _DOWN, 8: _UP, 10: _UP, 12: _LEFT, 13: _LEFT, 15: _RIGHT,
             16: _RIGHT}
_MULTI = {0: (1, 4, 7), 8: (9, 11, 14)}  # joints with three children: (children)
_FRAME_OF = {0: (4, 1, 7), 8: (11, 14, 9)}  # (left child, right child, up child) spanning their frame


def _unit(v: np.ndarray, fallback) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(n > 1e-9, v / np.maximum(n, 1e-12), np.asarray(fallback, dtype=np.float64))


def _body_frame(p: np.ndarray, j: int) -> np.ndarray:
    """(T, 3, 3) orthonormal frame of a three-child joint: columns left (+X), up (+Y), forward (+Z)."""
    left, right, up = _FRAME_OF[j]
    x = _unit(p[:, left] - p[:, right], _LEFT)
    y = p[:, up] - p[:, j]
    y = _unit(y - (y * x).sum(-1, keepdims=True) * x, _UP)
    z = np.cross(x, y)
    return np.stack([x, y, z], axis=-1)


def _kabsch(rest: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations G minimising Σ_i ‖G·rest_i − obs_i‖²; rest (K, 3), obs (T, K, 3)."""
    h = np.einsum("tki,kj->tij", obs, rest)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(u @ vt))
    d = np.where(d == 0, 1.0, d)
    u = u.copy()
    u[:, :, 2] *= d[:, None]
    return u @ vt


def _shortest_arc(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations taking unit vectors a (T, 3) onto b (T, 3) by the smallest angle."""
    v = np.cross(a, b)
    c = (a * b).sum(-1)
    k = np.zeros(a.shape[:-1] + (3, 3))
    k[..., 0, 1], k[..., 0, 2], k[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    k[..., 1, 0], k[..., 2, 0], k[..., 2, 1] = v[..., 2], -v[..., 1], v[..., 0]
    eye = np.broadcast_to(np.eye(3), k.shape)
    opposite = c < -1.0 + 1e-9
    r = eye + k + (k @ k) / np.maximum(1.0 + c, 1e-9)[..., None, None]
    if opposite.any():  # half turn about any axis perpendicular to a
        aa = a[opposite]
        axis = np.cross(aa, np.where(np.abs(aa[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]]))
        axis = _unit(axis, _UP)
        r[opposite] = 2.0 * axis[:, :, None] * axis[:, None, :] - np.eye(3)
    return r


def _euler_zxy(r: np.ndarray) -> np.ndarray:
    """(T, 3) angles (z, x, y) in radians with r = Rz(z)·Rx(x)·Ry(y)."""
    x = np.arcsin(np.clip(r[:, 2, 1], -1.0, 1.0))
    lock = np.abs(r[:, 2, 1]) > 1.0 - 1e-10
    z = np.where(lock, np.arctan2(r[:, 1, 0], r[:, 0, 0]), np.arctan2(-r[:, 0, 1], r[:, 1, 1]))
    y = np.where(lock, 0.0, np.arctan2(-r[:, 2, 0], r[:, 2, 2]))
    return np.stack([z, x, y], axis=-1)


def _check(joints_3d, root) -> tuple[np.ndarray, np.ndarray | None]:
    p = np.asarray(joints_3d, dtype=np.float64)
    if p.ndim != 3 or p.shape[1:] != (17, 3) or len(p) == 0:
        raise ShapeError("joints_3d must have shape (T, 17, 3) (Human3.6M joints, mm) with T >= 1, got "
                         f"{p.shape}")
    if not np.isfinite(p).all():
        raise SkelgnnError("joints_3d contains NaN or infinite values")
    r = None
    if root is not None:
        r = np.asarray(root, dtype=np.float64)
        if r.shape != (len(p), 3):
            raise ShapeError(f"root must have shape ({len(p)}, 3) (camera-frame pelvis per frame, mm), got "
                             f"{r.shape}")
        if not np.isfinite(r).all():
            raise SkelgnnError("root contains NaN or infinite values")
    return p - p[:, :1], r


def _rest_offsets(p: np.ndarray) -> np.ndarray:
    """(17, 3) rest offset of each joint from its parent (BVH axes, mm); row 0 is 0."""
    parents = H36M_17.parents
    lengths = np.array([0.0] + [float(np.median(np.linalg.norm(p[:, j] - p[:, q], axis=-1)))
                                for j, q in enumerate(parents) if q >= 0])
    off = np.zeros((17, 3))
    for j, d in _REST_DIR.items():
        off[j] = lengths[j] * np.asarray(d)
    for j, children in _MULTI.items():
        frame = _body_frame(p, j)
        for c in children:
            local = np.median(np.einsum("tij,ti->tj", frame, p[:, c] - p[:, j]), axis=0)
            off[c] = lengths[c] * _unit(local, _UP if c in (7, 9) else (_LEFT if c in (4, 11) else _RIGHT))
    return off


def joints_to_bvh(joints_3d, *, fps: float, root=None, unit: str = "cm") -> str:
    """The BVH text of a lifted clip (module docstring for the skeleton, axes and channels).

    Args:
        joints_3d: (T, 17, 3) Human3.6M joints, mm, camera frame (x right, y down, z forward); the pelvis
            is subtracted if it is not 0.
        fps: frame rate (frame time = 1 / fps).
        root: optional (T, 3) camera-frame pelvis positions, mm (the root trajectory).
        unit: ``"cm"`` (default), ``"m"`` or ``"mm"``.

    Returns:
        the file's text.

    Raises:
        ShapeError: wrong shapes.
        SkelgnnError: NaN values, a non-positive fps or an unknown unit.
    """
    if unit not in UNITS:
        raise SkelgnnError(f"unit must be one of {sorted(UNITS)}, got {unit!r}")
    if not fps or not np.isfinite(fps) or fps <= 0:
        raise SkelgnnError(f"the BVH frame time needs a positive fps, got {fps!r}")
    frame_time = f"{1.0 / float(fps):.8f}"
    if float(frame_time) <= 0 or not np.isfinite(float(frame_time)):  # printed as 0.00000000: unreadable
        raise SkelgnnError(f"fps {fps!r} gives a BVH frame time of {1.0 / float(fps):.3g} s, which the "
                           f"file's 8 decimals print as {frame_time}; use an fps of at most 10000000")
    rel, root_cam = _check(joints_3d, root)
    p = rel @ _CAM_TO_BVH.T  # BVH axes, mm
    T = len(p)
    rest = _rest_offsets(p)  # rest vector of each Human3.6M bone, parent → joint
    glob: list[np.ndarray] = []
    placed = np.zeros_like(p)  # joint positions of the rigid skeleton so far (forward kinematics)
    for _name, at, parent, aim in _JOINTS:
        if aim is None:  # Hips, Chest: the frame that best fits their three children
            kids = list(_MULTI[at])
            glob.append(_kabsch(rest[kids], p[:, kids] - placed[:, at:at + 1]))
        else:  # the parent's frame swung towards the observed joint: no twist relative to the parent
            a = _unit(np.einsum("tij,j->ti", glob[parent], rest[aim]), _DOWN)
            # aim from where the joint really is: errors do not add up
            b = _unit(p[:, aim] - placed[:, at], a)
            glob.append(_shortest_arc(a, b) @ glob[parent])
            placed[:, aim] = placed[:, at] + np.einsum("tij,j->ti", glob[-1], rest[aim])
    scale = UNITS[unit]
    columns = [np.zeros((T, 3)) if root_cam is None else root_cam @ _CAM_TO_BVH.T * scale]
    for g, (_name, _at, parent, _aim) in zip(glob, _JOINTS):
        local = g if parent < 0 else np.swapaxes(glob[parent], -1, -2) @ g
        columns.append(np.degrees(np.unwrap(_euler_zxy(local), axis=0)))
    motion = np.concatenate(columns, axis=1)

    def fmt(v: np.ndarray) -> str:
        v = v * scale + 0.0  # no "-0.000000"
        return f"{v[0]:.6f} {v[1]:.6f} {v[2]:.6f}"

    lines = ["HIERARCHY"]

    def block(b: int, depth: int) -> None:
        name, at, parent, aim = _JOINTS[b]
        pad = "  " * depth
        offset = np.zeros(3) if parent < 0 or _JOINTS[parent][1] == at else rest[at]
        lines.append(f"{pad}{'ROOT' if parent < 0 else 'JOINT'} {name}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {fmt(offset)}")
        pos = "Xposition Yposition Zposition " if parent < 0 else ""
        lines.append(f"{pad}  CHANNELS {6 if parent < 0 else 3} {pos}Zrotation Xrotation Yrotation")
        for c in (c for c in range(len(_JOINTS)) if _JOINTS[c][2] == b):
            block(c, depth + 1)
        if aim in _LEAVES:
            lines.extend([f"{pad}  End Site", f"{pad}  {{", f"{pad}    OFFSET {fmt(rest[aim])}",
                          f"{pad}  }}"])
        lines.append(f"{pad}}}")

    block(0, 0)
    lines += ["MOTION", f"Frames: {T}", f"Frame Time: {frame_time}"]
    lines += [" ".join(f"{v:.5f}" for v in row) for row in motion]
    return "\n".join(lines) + "\n"


def write_bvh(path: str | os.PathLike, joints_3d, *, fps: float, root=None, unit: str = "cm") -> Path:
    """Write :func:`joints_to_bvh`'s text to ``path`` atomically; returns the path."""
    return atomic_write_text(path, joints_to_bvh(joints_3d, fps=fps, root=root, unit=unit))


def read_bvh_h36m(path: str | os.PathLike, unit: str = "cm") -> np.ndarray:
    """Read a BVH written by :func:`write_bvh` back through :mod:`skelgnn.data.bvh`'s forward kinematics.

    Args:
        path: the ``.bvh`` file.
        unit: the unit it was written in.

    Returns:
        (T, 17, 3) float64 Human3.6M joints, mm, camera frame (the root trajectory included when the
        file has one, else pelvis at 0).

    Raises:
        FormatError: the file is malformed.
        SkelgnnError: it lacks one of the joints :func:`write_bvh` writes, or an unknown unit.
    """
    if unit not in UNITS:
        raise SkelgnnError(f"unit must be one of {sorted(UNITS)}, got {unit!r}")
    pos = bvh_forward_kinematics(read_bvh(path))
    missing = [n for n in BVH_READ_NAMES if n not in pos]
    if missing:
        raise SkelgnnError(f"{path}: no joint(s) {missing}; expected a BVH written by skelgnn (write_bvh)")
    p = np.stack([pos[n] for n in BVH_READ_NAMES], axis=1) / UNITS[unit]
    return p @ _CAM_TO_BVH  # _CAM_TO_BVH is its own inverse
