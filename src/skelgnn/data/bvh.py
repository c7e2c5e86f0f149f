"""Biovision BVH motion-capture reader with forward kinematics.

Conventions of :func:`bvh_forward_kinematics`:

* Each joint's rotation channels are composed in the order the file lists them, as intrinsic
  rotations acting on column vectors: ``CHANNELS 3 Yrotation Xrotation Zrotation`` gives
  ``R = Ry·Rx·Rz``.
* A joint's local translation is its ``OFFSET``; a position channel (``Xposition`` etc., on the
  root or on any other joint) replaces the matching ``OFFSET`` component for that frame, so the
  channel holds the joint's position in its parent's frame (the root's in the world frame).
* ``p_j = p_parent + M_parent · t_j`` and ``M_j = M_parent · R_j``.
* ``End Site`` blocks become channel-less joints named ``<parent>_end``.

Shape letters: ``F`` frames, ``J`` joints, ``C`` channels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike

import numpy as np

from ..core.errors import FormatError
from ..core.io import read_text_lines
from ..core.skeleton import Skeleton
from .asf_amc import MAX_ABS_VALUE, elementary_rotation
from .mocap_joints import bone_end_points_to_joints

__all__ = ["BvhMotion", "read_bvh", "bvh_forward_kinematics", "read_bvh_joints"]

PathType = str | PathLike

_CHANNELS = ("Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation")
_CHANNEL_BY_LOWER = {c.lower(): c for c in _CHANNELS}


@dataclass(frozen=True, eq=False)
class BvhMotion:
    """A parsed BVH file.

    Args:
        path: the file read.
        joint_names: one name per joint (End Sites included, as ``<parent>_end``), parents first.
        parents: parent index per joint, ``-1`` for a root.
        offsets: ``OFFSET`` per joint in file units, float64, shape (J, 3).
        channels: channel names per joint in file order (empty for End Sites), e.g.
            ``("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation")``.
        frame_time: seconds per frame.
        motion: channel values, one row per frame, channels of joint 0 first, float64,
            shape (F, C). Rotations in degrees.
    """

    path: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray
    channels: tuple[tuple[str, ...], ...]
    frame_time: float
    motion: np.ndarray

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def channel_offsets(self) -> tuple[int, ...]:
        """Column of ``motion`` where each joint's channels start."""
        out, k = [], 0
        for ch in self.channels:
            out.append(k)
            k += len(ch)
        return tuple(out)


class _Tokens:
    """Whitespace tokens of the hierarchy with their 1-based line numbers."""

    def __init__(self, path: PathType, lines: list[str], start: int, stop: int) -> None:
        self.path = path
        self.items: list[tuple[str, int]] = []
        for lineno in range(start, stop):
            s = lines[lineno].replace("{", " { ").replace("}", " } ")
            self.items.extend((t, lineno + 1) for t in s.split())
        self.pos = 0
        self.end_line = stop + 1  # 1-based number of the line that ends the section (MOTION)

    def peek(self) -> str | None:
        return self.items[self.pos][0] if self.pos < len(self.items) else None

    def line(self) -> int:
        return self.items[self.pos][1] if self.pos < len(self.items) else self.end_line

    def next(self, expected: str) -> str:
        if self.pos >= len(self.items):
            raise FormatError(self.path, f"hierarchy ends early: expected {expected}", self.end_line)
        tok = self.items[self.pos][0]
        self.pos += 1
        return tok

    def expect(self, word: str) -> None:
        line = self.line()
        tok = self.next(repr(word))
        if tok.upper() != word.upper():
            raise FormatError(self.path, f"expected {word!r}, got {tok!r}", line)

    def number(self, what: str) -> float:
        line = self.line()
        tok = self.next(what)
        try:
            v = float(tok)
        except ValueError:
            raise FormatError(self.path, f"expected a number for {what}, got {tok!r}", line) from None
        if not np.isfinite(v) or abs(v) > MAX_ABS_VALUE:
            raise FormatError(self.path, f"expected a finite number of at most {MAX_ABS_VALUE:g} in "
                                         f"magnitude for {what}, got {tok!r}", line)
        return v


def read_bvh(path: PathType) -> BvhMotion:
    """Read a BVH file.

    Args:
        path: the ``.bvh`` file.

    Returns:
        The hierarchy and the motion.

    Raises:
        FormatError: malformed HIERARCHY or MOTION section, bad numbers, wrong number of values on
            a frame line, or a frame count that disagrees with ``Frames:``.
        FileNotFoundError: the file does not exist.
    """
    lines = read_text_lines(path, "a BVH file")
    first = next((i for i, s in enumerate(lines) if s), None)
    if first is None or lines[first].upper() != "HIERARCHY":
        raise FormatError(path, "expected 'HIERARCHY' as the first line", 1 if first is None else first + 1)
    motion_at = next((i for i in range(first + 1, len(lines)) if lines[i].upper() == "MOTION"), None)
    if motion_at is None:
        raise FormatError(path, "no 'MOTION' line (file truncated?)", len(lines))

    tokens = _Tokens(path, lines, first + 1, motion_at)
    names: list[str] = []
    parents: list[int] = []
    offsets: list[tuple[float, float, float]] = []
    channels: list[tuple[str, ...]] = []
    name_line: dict[str, int] = {}

    def add(name: str, parent: int, line: int) -> int:
        if name in name_line:
            raise FormatError(path, f"joint name {name!r} used twice (first on line {name_line[name]})", line)
        name_line[name] = line
        names.append(name)
        parents.append(parent)
        offsets.append((0.0, 0.0, 0.0))
        channels.append(())
        return len(names) - 1

    def offset(j: int) -> None:
        tokens.expect("OFFSET")
        offsets[j] = tuple(tokens.number(f"OFFSET {a} of {names[j]!r}") for a in "xyz")

    def joint_block(parent: int) -> None:
        tok_line = tokens.line()
        name = tokens.next("a joint name")
        if name in ("{", "}"):
            raise FormatError(path, f"expected a joint name, got {name!r}", tok_line)
        j = add(name, parent, tok_line)
        tokens.expect("{")
        offset(j)
        ch_line = tokens.line()
        tokens.expect("CHANNELS")
        count_tok = tokens.next("a channel count")
        # not "²", not 5000 digits
        if not (count_tok.isascii() and count_tok.isdigit()) or len(count_tok) > 9:
            raise FormatError(path, f"expected a channel count after CHANNELS, got {count_tok!r}", ch_line)
        chans = []
        for _ in range(int(count_tok)):
            c_line = tokens.line()
            c = tokens.next(f"{count_tok} channel names for {name!r}")
            canon = _CHANNEL_BY_LOWER.get(c.lower())
            if canon is None:
                raise FormatError(path, f"expected a channel name from {_CHANNELS}, got {c!r}", c_line)
            if canon in chans:
                raise FormatError(path, f"channel {canon} listed twice for {name!r}", c_line)
            chans.append(canon)
        channels[j] = tuple(chans)
        while True:
            t_line = tokens.line()
            tok = tokens.next(f"JOINT, End Site or '}}' closing {name!r}")
            up = tok.upper()
            if up == "}":
                return
            if up == "JOINT":
                joint_block(j)
            elif up == "END":
                site_line = tokens.line()
                if (tokens.next("'Site'")).upper() != "SITE":
                    raise FormatError(path, "expected 'End Site'", site_line)
                base = f"{name}_end"
                site_name, k = base, 1
                while site_name in name_line:
                    site_name, k = f"{base}{k}", k + 1
                e = add(site_name, j, t_line)
                tokens.expect("{")
                offset(e)
                tokens.expect("}")
            else:
                raise FormatError(path, f"expected JOINT, End Site or '}}' in {name!r}, got {tok!r}", t_line)

    while tokens.peek() is not None:
        line = tokens.line()
        tok = tokens.next("ROOT")
        if tok.upper() != "ROOT":
            raise FormatError(path, f"expected 'ROOT', got {tok!r}", line)
        if names:
            raise FormatError(path, "a second ROOT: expected one skeleton (one ROOT) in the hierarchy", line)
        joint_block(-1)
    if not names:
        raise FormatError(path, "the hierarchy has no ROOT", motion_at + 1)

    # ---- MOTION
    n_channels = sum(len(c) for c in channels)
    i = motion_at + 1
    header: dict[str, tuple[str, int]] = {}
    for key in ("FRAMES:", "FRAME TIME:"):
        while i < len(lines) and not lines[i]:
            i += 1
        if i >= len(lines):
            raise FormatError(path, f"expected '{key.title()} <value>' after MOTION (file truncated?)",
                              len(lines))
        s = lines[i]
        if not s.upper().startswith(key):
            raise FormatError(path, f"expected '{key.title()} <value>', got {s!r}", i + 1)
        header[key] = (s[len(key):].strip(), i + 1)
        i += 1
    n_tok, n_line = header["FRAMES:"]
    if not (n_tok.isascii() and n_tok.isdigit()) or len(n_tok) > 18:  # not "²", not 5000 digits
        raise FormatError(path, f"expected a frame count after 'Frames:', got {n_tok!r}", n_line)
    n_frames = int(n_tok)
    t_tok, t_line = header["FRAME TIME:"]
    try:
        frame_time = float(t_tok)
    except ValueError:
        raise FormatError(path, f"expected a number after 'Frame Time:', got {t_tok!r}", t_line) from None
    if not frame_time > 0 or not np.isfinite(frame_time):
        raise FormatError(path, f"expected a positive frame time, got {t_tok!r}", t_line)

    rows: list[list[str]] = []
    row_lines: list[int] = []
    for k in range(i, len(lines)):
        s = lines[k]
        if not s:
            continue
        parts = s.split()
        if len(parts) != n_channels:
            raise FormatError(path, f"expected {n_channels} values on frame line {len(rows) + 1}, "
                                    f"got {len(parts)}", k + 1)
        rows.append(parts)
        row_lines.append(k + 1)
    if len(rows) != n_frames:
        raise FormatError(path, f"'Frames: {n_frames}' but {len(rows)} frame lines follow", len(lines) if
                          len(rows) < n_frames else row_lines[n_frames])
    try:
        data = np.array(rows, dtype=np.float64).reshape(n_frames, n_channels)
        ok = np.isfinite(data) & (np.abs(data) <= MAX_ABS_VALUE)
        bad_row = None if np.all(ok) else int(np.flatnonzero(~ok.all(1))[0])
    except ValueError:
        bad_row = next(r for r, parts in enumerate(rows) if not _all_floats(parts))
    if bad_row is not None:
        raise FormatError(path, f"expected {n_channels} finite numbers on frame line {bad_row + 1} (at most "
                                f"{MAX_ABS_VALUE:g} in magnitude)",
                          row_lines[bad_row])

    offs = np.array(offsets, dtype=np.float64).reshape(-1, 3)
    offs.setflags(write=False)
    data.setflags(write=False)
    return BvhMotion(path=str(path), joint_names=tuple(names), parents=tuple(parents), offsets=offs,
                     channels=tuple(channels), frame_time=frame_time, motion=data)


def _all_floats(parts: list[str]) -> bool:
    try:
        [float(p) for p in parts]
    except ValueError:
        return False
    return True


def bvh_forward_kinematics(motion: BvhMotion, frames=None) -> dict[str, np.ndarray]:
    """World position of every joint origin (and End Site), in file units.

    Args:
        motion: a parsed BVH file.
        frames: optional frame selection (index array, boolean mask or slice); ``None`` = all.

    Returns:
        joint name -> float64 array of shape (F, 3), in hierarchy order.
    """
    data = motion.motion
    if frames is not None:
        if not isinstance(frames, slice):
            frames = np.asarray(frames)
            if frames.ndim == 0:
                frames = frames.reshape(1)
        data = data[frames]
    F = data.shape[0]
    pos: list[np.ndarray] = []
    rot: list[np.ndarray] = []
    col = 0
    for j, (chans, parent) in enumerate(zip(motion.channels, motion.parents)):
        t = np.broadcast_to(motion.offsets[j], (F, 3)).copy()
        r = None
        for c in chans:
            v = data[:, col]
            col += 1
            axis = "XYZ".index(c[0])
            if c.endswith("position"):
                t[:, axis] = v
            else:
                e = elementary_rotation(c[0], np.deg2rad(v))
                r = e if r is None else r @ e  # intrinsic, listed order: R = R_c1 · R_c2 · R_c3
        if parent < 0:
            p, m = t, r
        else:
            pm = rot[parent]
            p = pos[parent] + (t if pm is None else np.einsum("fij,fj->fi", pm, t))
            m = pm if r is None else (r if pm is None else pm @ r)
        pos.append(p)
        rot.append(m)
    return dict(zip(motion.joint_names, pos))


def read_bvh_joints(path: PathType, skeleton: Skeleton, mapping: Mapping[str, str | tuple[str, ...]],
                    scale: float = 1.0) -> np.ndarray:
    """Read a BVH file and return mapped joint positions.

    Args:
        path: the ``.bvh`` file.
        skeleton: target skeleton.
        mapping: joint name -> BVH joint name, or tuple of BVH joint names (their mean).
        scale: multiplies every position (e.g. 10.0 for centimetre files to millimetres).

    Returns:
        float64 array, shape (F, J, 3).

    Raises:
        FormatError: the file is malformed.
        MappingError: the mapping misses a joint or names a BVH joint that does not exist.
    """
    motion = read_bvh(path)
    pos = bvh_forward_kinematics(motion)
    return bone_end_points_to_joints(pos, skeleton, mapping, source=str(path)) * float(scale)
