"""From mocap bones to our joints: forward kinematics of an ASF/AMC motion, and bone end points mapped onto a
:class:`~skelgnn.core.skeleton.Skeleton` (used for ASF/AMC here and for BVH in :mod:`skelgnn.data.bvh`).

Shape letters: ``T`` frames, ``J`` joints.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..core.errors import MappingError, ShapeError
from ..core.skeleton import Skeleton
from .amc import read_amc
from .asf_amc import (
    AmcMotion,
    AsfSkeleton,
    MappingType,
    PathType,
    compose_rotations,
    euler_to_matrix,
    radians_per_unit,
    read_asf,
)

__all__ = ["forward_kinematics", "bone_end_points_to_joints", "read_asf_amc_joints", "HDM05_TO_H36M17"]

HDM05_TO_H36M17: dict[str, str | tuple[str, ...]] = {
    "pelvis": "root",
    "right_hip": "rhipjoint",
    "right_knee": "rfemur",
    "right_ankle": "rtibia",
    "left_hip": "lhipjoint",
    "left_knee": "lfemur",
    "left_ankle": "ltibia",
    "spine": ("lowerback", "upperback"),
    "thorax": "thorax",
    "neck": "upperneck",
    "head": "head",
    "left_shoulder": "lclavicle",
    "left_elbow": "lhumerus",
    "left_wrist": "lradius",
    "right_shoulder": "rclavicle",
    "right_elbow": "rhumerus",
    "right_wrist": "rradius",
}
"""HDM05 (CMU-style ASF) bone whose end point is each :data:`~skelgnn.core.skeleton.H36M_17` joint."""


# ---------------------------------------------------------------------------------------- FK
def _bone_order(asf: AsfSkeleton) -> list[str]:
    """Bones ordered so that every parent comes before its children."""
    children: dict[str, list[str]] = {}
    for n, b in asf.bones.items():
        children.setdefault(b.parent, []).append(n)
    order, stack = [], list(reversed(children.get("root", [])))
    while stack:
        n = stack.pop()
        order.append(n)
        stack.extend(reversed(children.get(n, [])))
    return order


def _select(a: np.ndarray, frames) -> np.ndarray:
    return a if frames is None else a[frames]


def forward_kinematics(asf: AsfSkeleton, motion: AmcMotion, frames=None) -> dict[str, np.ndarray]:
    """End point of every bone, in millimetres.

    Args:
        asf: the skeleton.
        motion: its motion (from :func:`read_amc` with the same skeleton).
        frames: optional frame selection (index array, boolean mask or slice) along the motion's
            frame axis; ``None`` means every frame.

    Returns:
        ``"root"`` (the root position) and every bone name, in file order, mapped to float64
        arrays of shape (F, 3), F the number of selected frames.
    """
    if frames is not None and not isinstance(frames, slice):
        frames = np.asarray(frames)
        if frames.ndim == 0:
            frames = frames.reshape(1)
    for name, width in [("root", len(asf.root_order))] + [(n, len(b.dofs)) for n, b in asf.bones.items()]:
        if width and name not in motion.channels:
            raise MappingError(f"{motion.path}: no channels for bone {name!r} of {asf.path}; "
                               "read the motion with read_amc(path, asf) for this skeleton")
        if width and np.shape(motion.channels[name])[1:] != (width,):
            raise ShapeError(f"{motion.path}: channels of bone {name!r} have shape "
                             f"{np.shape(motion.channels[name])}, expected (F, {width}) for {asf.path}")
    to_rad = radians_per_unit(motion.angle_unit or asf.angle_unit)
    asf_to_rad = radians_per_unit(asf.angle_unit)
    mm = asf.length_unit_mm

    root = _select(np.asarray(motion.channels["root"], dtype=np.float64), frames)
    F = root.shape[0]
    col = {c: i for i, c in enumerate(asf.root_order)}
    pos = np.zeros((F, 3))
    ang = np.zeros((F, 3))
    for k, c in enumerate(("TX", "TY", "TZ")):
        if c in col:
            pos[:, k] = root[:, col[c]] * mm
    for k, c in enumerate(("RX", "RY", "RZ")):
        if c in col:
            ang[:, k] = root[:, col[c]] * to_rad
    c_root = euler_to_matrix(asf.root_axis * asf_to_rad, asf.root_axis_order)
    rot = {"root": c_root @ euler_to_matrix(ang, "XYZ") @ c_root.T}
    ends = {"root": pos}

    for name in _bone_order(asf):
        bone = asf.bones[name]
        c = euler_to_matrix(bone.axis * asf_to_rad, bone.axis_order)
        parent_rot = rot[bone.parent]
        if bone.dofs:
            vals = _select(motion.channels[name], frames)
            r = compose_rotations({d[1].upper(): vals[:, k] * to_rad for k, d in enumerate(bone.dofs)}, "XYZ",
                                  (F,))
            m = parent_rot @ (c @ r @ c.T)
        else:
            m = parent_rot  # C·I·C⁻¹ = I
        rot[name] = m
        offset = np.asarray(bone.direction, dtype=np.float64) * (bone.length * mm)
        ends[name] = ends[bone.parent] + np.einsum("...ij,j->...i", m, offset)
    return {"root": ends["root"], **{n: ends[n] for n in asf.bones}}


# ---------------------------------------------------------------------------------------- mapping
def bone_end_points_to_joints(ends: Mapping[str, np.ndarray], skeleton: Skeleton, mapping: MappingType,
                              *, source: str) -> np.ndarray:
    """Gather named points into the joints of a skeleton.

    Args:
        ends: point name -> positions, shape (F, 3) each (e.g. from :func:`forward_kinematics`).
        skeleton: the target skeleton.
        mapping: joint name -> point name, or tuple of point names whose mean is the joint. Must
            cover every joint of ``skeleton``; entries for other joints are ignored.
        source: where ``ends`` came from (a file name), for error messages.

    Returns:
        float64 array, shape (F, J, 3).

    Raises:
        MappingError: a joint has no entry, or an entry names a point that does not exist.
    """
    out = []
    for joint in skeleton.joint_names:
        if joint not in mapping:
            raise MappingError(f"{source}: the mapping has no entry for joint {joint!r} of skeleton "
                               f"{skeleton.name!r}")
        names = mapping[joint]
        names = (names,) if isinstance(names, str) else tuple(names)
        if not names:
            raise MappingError(f"{source}: the mapping entry for joint {joint!r} names no bone")
        pts = []
        for n in names:
            if n not in ends:
                raise MappingError(f"{source}: joint {joint!r} maps to bone {n!r}, which does not exist; "
                                   f"known: {sorted(ends)}")
            pts.append(np.asarray(ends[n], dtype=np.float64))
        out.append(pts[0] if len(pts) == 1 else np.mean(pts, axis=0))
    shapes = {p.shape for p in out}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2 or next(iter(shapes))[1] != 3:
        raise MappingError(f"{source}: mapped points disagree in shape or are not (F, 3): {sorted(shapes)}")
    return np.stack(out, axis=1)


def read_asf_amc_joints(asf_path: PathType, amc_path: PathType, skeleton: Skeleton, mapping: MappingType,
                        frames=None) -> np.ndarray:
    """Read an ASF/AMC pair and return the mapped joints in millimetres.

    Args:
        asf_path: the skeleton file.
        amc_path: the motion file.
        skeleton: target skeleton (e.g. :data:`~skelgnn.core.skeleton.H36M_17`).
        mapping: joint name -> bone name or tuple of bone names (e.g. :data:`HDM05_TO_H36M17`).
        frames: optional frame selection, as in :func:`forward_kinematics`.

    Returns:
        float64 array, shape (F, J, 3).
    """
    asf = read_asf(asf_path)
    motion = read_amc(amc_path, asf)
    ends = forward_kinematics(asf, motion, frames)
    return bone_end_points_to_joints(ends, skeleton, mapping, source=str(amc_path))

