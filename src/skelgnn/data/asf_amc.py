"""Acclaim ASF/AMC motion-capture reader with forward kinematics.

An ASF file describes a skeleton (bones with a rest direction, length, local axis and degrees of
freedom); an AMC file holds one line of dof values per bone per frame. :func:`forward_kinematics`
turns the two into bone end points in millimetres, vectorised over frames.

Forward kinematics follow the Acclaim convention (``docs/benchmarks.md``). For bone ``b``
with parent ``p``::

    M_b = M_p · C_b · R_b · C_b⁻¹
    e_b = e_p + M_b · (direction_b · length_b)

``C_b`` is built from the ASF ``axis`` angles and ``R_b = Rz·Ry·Rx`` from the AMC dof values
(dofs a bone does not list are zero). The root's end point is the AMC root translation and its
rotation follows the same rule with the root ``orientation`` angles as ``C_root``. Rotations act
on column vectors; Y is up.

Shape letters: ``F`` frames, ``J`` joints, ``D`` dofs of one bone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike

import numpy as np

from ..core.errors import FormatError
from ..core.io import read_text_lines

__all__ = [
    "AsfBone",
    "AsfSkeleton",
    "AmcMotion",
    "read_asf",
    "euler_to_matrix",
]

PathType = str | PathLike
MappingType = Mapping[str, str | tuple[str, ...]]

_MM_PER_INCH = 25.4
_BONE_DOFS = ("rx", "ry", "rz")
_ROOT_CHANNELS = ("TX", "TY", "TZ", "RX", "RY", "RZ")

# ---------------------------------------------------------------------------------------- data types
@dataclass(frozen=True, eq=False)
class AsfBone:
    """One bone of an ASF skeleton.

    Args:
        name: bone name.
        parent: parent bone name, ``"root"`` for the root's children.
        direction: rest direction in the world frame, shape (3,).
        length: length in ASF length units.
        axis: local-axis angles about x, y, z, in the ASF angle unit, shape (3,).
        axis_order: order in which the axis rotations are applied, e.g. ``"XYZ"``
            (``C = Rz·Ry·Rx`` for ``"XYZ"``).
        dofs: the bone's degrees of freedom in AMC order, a subset of ``("rx", "ry", "rz")``.
            Whatever the order, the forward kinematics use ``R = Rz·Ry·Rx`` (missing dofs 0).
    """

    name: str
    parent: str
    direction: np.ndarray
    length: float
    axis: np.ndarray
    axis_order: str
    dofs: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class AsfSkeleton:
    """A parsed ASF file.

    Args:
        name: the ``:name`` value.
        length_unit_mm: millimetres per ASF length unit (``25.4 / (:units length)``).
        angle_unit: ``"deg"`` or ``"rad"`` (``:units angle``).
        root_order: AMC root channel order, e.g. ``("TX", "TY", "TZ", "RX", "RY", "RZ")``.
        root_axis_order: order of the root orientation rotations, e.g. ``"XYZ"``.
        root_axis: root ``orientation`` angles about x, y, z, shape (3,).
        root_position: root ``position`` (ASF units, not used by the forward kinematics),
            shape (3,).
        bones: bones by name, in file order.
        path: the file read.
    """

    name: str
    length_unit_mm: float
    angle_unit: str
    root_order: tuple[str, ...]
    root_axis_order: str
    root_axis: np.ndarray
    root_position: np.ndarray
    bones: dict[str, AsfBone]
    path: str


@dataclass(frozen=True, eq=False)
class AmcMotion:
    """A parsed AMC file.

    Args:
        path: the file read.
        frame_numbers: the frame number written before each frame, int64, shape (F,).
        channels: dof values per bone, float64, shape (F, D) with the bone's dofs in ASF order
            (D may be 0), and ``"root"`` with shape (F, len(root_order)) in ``root_order``.
            Values are as written (ASF length units, ``angle_unit`` angles).
        angle_unit: ``"deg"`` or ``"rad"`` when the AMC header says ``:DEGREES`` or ``:RADIANS``,
            else ``None`` (the ASF unit applies).
    """

    path: str
    frame_numbers: np.ndarray
    channels: dict[str, np.ndarray]
    angle_unit: str | None = field(default=None)

    @property
    def num_frames(self) -> int:
        return int(self.frame_numbers.shape[0])


# ---------------------------------------------------------------------------------------- helpers
MAX_ABS_VALUE = 1e9
"""Largest magnitude of a number in an ASF, AMC or BVH file (lengths, offsets, translations, angles):
larger ones would overflow forward kinematics to infinite joint positions."""


def _read_lines(path: PathType) -> list[str]:
    """Lines of a text file, any line ends, Latin-1 decoded, stripped."""
    return read_text_lines(path, "a motion-capture text file")


def _floats(path: PathType, tokens: list[str], lineno: int, what: str, n: int | None = None) -> np.ndarray:
    if n is not None and len(tokens) != n:
        raise FormatError(path, f"expected {n} numbers for {what}, got {len(tokens)}: {' '.join(tokens)!r}",
                          lineno)
    try:
        out = np.array([float(t) for t in tokens], dtype=np.float64)
    except ValueError:
        raise FormatError(path, f"expected numbers for {what}, got {' '.join(tokens)!r}", lineno) from None
    if not np.all(np.isfinite(out)):
        raise FormatError(path, f"non-finite number in {what}: {' '.join(tokens)!r}", lineno)
    if np.any(np.abs(out) > MAX_ABS_VALUE):
        raise FormatError(path, f"number too large in {what}: {' '.join(tokens)!r} (at most "
                                f"{MAX_ABS_VALUE:g} in magnitude)", lineno)
    return out


def _axis_order(path: PathType, token: str, lineno: int) -> str:
    order = token.upper()
    if sorted(order) != ["X", "Y", "Z"]:
        raise FormatError(path, f"expected an axis order such as XYZ, got {token!r}", lineno)
    return order


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def elementary_rotation(axis: str, angle: np.ndarray) -> np.ndarray:
    """Rotation about one coordinate axis (column vectors), shape (..., 3, 3)."""
    c, s = np.cos(angle), np.sin(angle)
    i, j = {"X": (1, 2), "Y": (2, 0), "Z": (0, 1)}[axis]
    k = 3 - i - j
    out = np.zeros(angle.shape + (3, 3))
    out[..., k, k] = 1.0
    out[..., i, i] = c
    out[..., j, j] = c
    out[..., i, j] = -s
    out[..., j, i] = s
    return out


def euler_to_matrix(angles: np.ndarray, order: str = "XYZ") -> np.ndarray:
    """Rotation matrix from angles about x, y, z applied in ``order``.

    The rotation about ``order[0]`` is applied first, so ``"XYZ"`` gives ``Rz·Ry·Rx`` (column
    vectors).

    Args:
        angles: radians, shape (..., 3), always (about x, about y, about z) whatever ``order``.
        order: a permutation of ``"XYZ"``.

    Returns:
        float64 array, shape (..., 3, 3).
    """
    angles = np.asarray(angles, dtype=np.float64)
    return compose_rotations({ax: angles[..., i] for i, ax in enumerate("XYZ")}, order, angles.shape[:-1])


def compose_rotations(angles: dict[str, np.ndarray], order: str, shape: tuple[int, ...]) -> np.ndarray:
    """Product of the elementary rotations present in ``angles`` (axis letter -> radians, shape
    ``shape``), the first of ``order`` applied first; identity when ``angles`` is empty."""
    out = None
    for ax in order.upper():
        if ax in angles:
            r = elementary_rotation(ax, angles[ax])
            out = r if out is None else r @ out
    return np.broadcast_to(np.eye(3), shape + (3, 3)).copy() if out is None else out


def radians_per_unit(unit: str) -> float:
    return np.pi / 180.0 if unit == "deg" else 1.0


# ---------------------------------------------------------------------------------------- ASF
_BONE_KEYS = {"id", "name", "direction", "length", "axis", "dof", "limits", "bodymass", "cofmass"}


def read_asf(path: PathType) -> AsfSkeleton:
    """Read an Acclaim ASF skeleton.

    Args:
        path: the ``.asf`` file.

    Returns:
        The skeleton, bones in file order with their parents from ``:hierarchy``.

    Raises:
        FormatError: the file is not a valid ASF (message names the line and what was expected).
        FileNotFoundError: the file does not exist.
    """
    lines = _read_lines(path)
    name = ""
    length_per_unit = 1.0
    angle_unit = "deg"
    root_order: tuple[str, ...] | None = None
    root_axis_order = "XYZ"
    root_axis = np.zeros(3)
    root_position = np.zeros(3)
    raw_bones: dict[str, dict] = {}
    bone_line: dict[str, int] = {}
    parents: dict[str, str] = {}
    seen_sections: set[str] = set()

    section = ""
    bone: dict | None = None  # bone block being read
    bone_start = 0
    in_limits = False
    hierarchy_open = False
    hierarchy_closed = False

    for lineno, s in enumerate(lines, 1):
        if not s or s.startswith("#"):
            continue
        parts = s.split()
        if s.startswith(":"):
            if bone is not None:
                raise FormatError(path, f"bone block opened on line {bone_start} has no 'end'", lineno)
            if section == ":hierarchy" and hierarchy_open and not hierarchy_closed:
                raise FormatError(path, "':hierarchy' block has no 'end'", lineno)
            section = parts[0].lower()
            seen_sections.add(section)
            if section == ":name":
                name = " ".join(parts[1:])
            elif section == ":units" and len(parts) > 1:
                raise FormatError(path, "expected ':units' alone on its line", lineno)
            continue
        key = parts[0].lower()

        if section == ":units":
            if len(parts) != 2:
                raise FormatError(path, f"expected '<name> <value>' in ':units', got {s!r}", lineno)
            if key == "length":
                length_per_unit = float(_floats(path, parts[1:], lineno, "units length", 1)[0])
                if length_per_unit <= 0:
                    raise FormatError(path, f"units length must be > 0, got {parts[1]}", lineno)
            elif key == "angle":
                unit = parts[1].lower()
                if unit in ("deg", "degree", "degrees"):
                    angle_unit = "deg"
                elif unit in ("rad", "radian", "radians"):
                    angle_unit = "rad"
                else:
                    raise FormatError(path, f"expected 'angle deg' or 'angle rad', got {s!r}", lineno)
            # mass and other units do not matter here

        elif section == ":root":
            if key == "order":
                order = tuple(p.upper() for p in parts[1:])
                bad = [p for p in order if p not in _ROOT_CHANNELS]
                if bad or len(set(order)) != len(order) or not order:
                    raise FormatError(path, f"expected root order channels from {_ROOT_CHANNELS} without "
                                            f"repeats, got {' '.join(parts[1:])!r}", lineno)
                root_order = order
            elif key == "axis":
                if len(parts) != 2:
                    raise FormatError(path, f"expected 'axis <order>' for the root, got {s!r}", lineno)
                root_axis_order = _axis_order(path, parts[1], lineno)
            elif key == "position":
                root_position = _floats(path, parts[1:], lineno, "root position", 3)
            elif key == "orientation":
                root_axis = _floats(path, parts[1:], lineno, "root orientation", 3)
            else:
                raise FormatError(path, f"unknown ':root' entry {parts[0]!r}; expected order, axis, "
                                        "position or orientation", lineno)

        elif section == ":bonedata":
            if bone is None:
                if key != "begin" or len(parts) != 1:
                    raise FormatError(path, f"expected 'begin' of a bone block, got {s!r}", lineno)
                bone, bone_start, in_limits = {}, lineno, False
                continue
            if key == "end":
                for required in ("name", "direction", "length", "axis"):
                    if required not in bone:
                        raise FormatError(path, f"bone block from line {bone_start} has no {required!r}",
                                          lineno)
                if bone["name"] in raw_bones or bone["name"] == "root":
                    raise FormatError(path, f"bone {bone['name']!r} defined twice", bone_start)
                raw_bones[bone["name"]] = bone
                bone_line[bone["name"]] = bone_start
                bone = None
                continue
            if s.startswith("(") and in_limits:
                continue  # continuation line of a limits block
            if key == "begin":
                raise FormatError(path, f"bone block opened on line {bone_start} has no 'end'", lineno)
            if key not in _BONE_KEYS:
                raise FormatError(path, f"unknown bone entry {parts[0]!r}; expected one of "
                                        f"{sorted(_BONE_KEYS | {'end'})}", lineno)
            in_limits = key == "limits"
            if key == "name":
                if len(parts) != 2:
                    raise FormatError(path, f"expected 'name <bone>', got {s!r}", lineno)
                bone["name"] = parts[1]
            elif key == "direction":
                bone["direction"] = _floats(path, parts[1:], lineno, "direction", 3)
            elif key == "length":
                bone["length"] = float(_floats(path, parts[1:], lineno, "length", 1)[0])
            elif key == "axis":
                if len(parts) != 5:
                    raise FormatError(path, f"expected 'axis <x> <y> <z> <order>', got {s!r}", lineno)
                bone["axis"] = _floats(path, parts[1:4], lineno, "axis", 3)
                bone["axis_order"] = _axis_order(path, parts[4], lineno)
            elif key == "dof":
                dofs = tuple(p.lower() for p in parts[1:])
                bad = [d for d in dofs if d not in _BONE_DOFS]
                if bad or len(set(dofs)) != len(dofs):
                    raise FormatError(path, f"expected dofs from {_BONE_DOFS} without repeats (translation "
                                            "and length dofs are not supported), got "
                                            f"{' '.join(parts[1:])!r}", lineno)
                bone["dofs"] = dofs
            # id, limits, bodymass, cofmass: not needed

        elif section == ":hierarchy":
            if hierarchy_closed:
                raise FormatError(path, f"unexpected {s!r} after the ':hierarchy' block's 'end'", lineno)
            if not hierarchy_open:
                if key != "begin" or len(parts) != 1:
                    raise FormatError(path, f"expected 'begin' of the ':hierarchy' block, got {s!r}", lineno)
                hierarchy_open = True
                continue
            if key == "end" and len(parts) == 1:
                hierarchy_closed = True
                continue
            if len(parts) < 2:
                raise FormatError(path, f"expected '<parent> <child> ...', got {s!r}", lineno)
            parent = parts[0]
            if parent != "root" and parent not in raw_bones:
                raise FormatError(path, f"hierarchy names unknown bone {parent!r}", lineno)
            for child in parts[1:]:
                if child not in raw_bones:
                    raise FormatError(path, f"hierarchy names unknown bone {child!r}", lineno)
                if child in parents:
                    raise FormatError(path, f"bone {child!r} is given two parents", lineno)
                parents[child] = parent
        # other sections (:version, :documentation, :skin, ...) are ignored

    end_line = max(len(lines), 1)
    if bone is not None:
        raise FormatError(path, f"bone block opened on line {bone_start} has no 'end' (file truncated?)",
                          end_line)
    if ":root" not in seen_sections:
        raise FormatError(path, "missing ':root' section", end_line)
    if root_order is None:
        raise FormatError(path, "':root' has no 'order' line", end_line)
    if ":bonedata" not in seen_sections:
        raise FormatError(path, "missing ':bonedata' section", end_line)
    if ":hierarchy" not in seen_sections:
        raise FormatError(path, "missing ':hierarchy' section", end_line)
    if not hierarchy_closed:
        raise FormatError(path, "':hierarchy' block has no 'end' (file truncated?)", end_line)
    orphans = [b for b in raw_bones if b not in parents]
    if orphans:
        raise FormatError(path, f"bones missing from ':hierarchy': {orphans}", bone_line[orphans[0]])
    # every bone must reach the root (no cycles)
    for b in raw_bones:
        seen, k = set(), b
        while k != "root":
            if k in seen:
                raise FormatError(path, f"':hierarchy' has a cycle through bone {k!r}", bone_line[k])
            seen.add(k)
            k = parents[k]

    bones = {
        n: AsfBone(
            name=n,
            parent=parents[n],
            direction=_readonly(b["direction"]),
            length=b["length"],
            axis=_readonly(b["axis"]),
            axis_order=b["axis_order"],
            dofs=b.get("dofs", ()),
        )
        for n, b in raw_bones.items()
    }
    return AsfSkeleton(
        name=name,
        length_unit_mm=_MM_PER_INCH / length_per_unit,
        angle_unit=angle_unit,
        root_order=root_order,
        root_axis_order=root_axis_order,
        root_axis=_readonly(root_axis),
        root_position=_readonly(root_position),
        bones=bones,
        path=str(path),
    )
