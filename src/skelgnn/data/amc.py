"""Acclaim AMC motions: the per-frame channel values of the bones of an ASF skeleton
(:func:`read_amc`); the skeleton, the value types and the rotation helpers are in
:mod:`skelgnn.data.asf_amc`."""

from __future__ import annotations

import numpy as np

from ..core.errors import FormatError
from .asf_amc import MAX_ABS_VALUE, AmcMotion, AsfSkeleton, PathType, _read_lines, _readonly

__all__ = ["read_amc"]


def read_amc(path: PathType, asf: AsfSkeleton) -> AmcMotion:
    """Read an Acclaim AMC motion for a skeleton.

    Every frame is a frame-number line followed by one line per bone that has dofs (and the root),
    in any order; bones without dofs may be absent.

    Args:
        path: the ``.amc`` file (any extension case).
        asf: the skeleton the motion was recorded for.

    Returns:
        The motion, one row per frame.

    Raises:
        FormatError: bad header, bad number, wrong number of values, unknown bone, a frame with a
            bone missing or repeated, or no frames at all.
        FileNotFoundError: the file does not exist.
    """
    lines = _read_lines(path)
    ndof = {"root": len(asf.root_order)}
    ndof.update({n: len(b.dofs) for n, b in asf.bones.items()})
    required = frozenset(n for n, d in ndof.items() if d > 0)
    values: dict[str, list[list[str]]] = {n: [] for n in ndof}
    where: dict[str, list[int]] = {n: [] for n in ndof}
    frame_numbers: list[int] = []
    frame_lines: list[int] = []
    angle_unit: str | None = None
    seen: set[str] = set()

    def close_frame(lineno: int) -> None:
        if not frame_numbers:
            return
        missing = required - seen
        if missing:
            order = [n for n in ndof if n in missing]
            raise FormatError(path, f"frame {frame_numbers[-1]} (line {frame_lines[-1]}) has no line for "
                                    f"bone(s) {', '.join(order)}", lineno)

    for lineno, s in enumerate(lines, 1):
        if not s or s[0] == "#":
            continue
        if s[0] == ":":
            if frame_numbers:
                raise FormatError(path, f"header line {s!r} after the first frame", lineno)
            word = s.split()[0].upper()
            if word == ":DEGREES":
                angle_unit = "deg"
            elif word == ":RADIANS":
                angle_unit = "rad"
            continue  # :FULLY-SPECIFIED and others
        parts = s.split()
        head = parts[0]
        if len(parts) == 1 and head.isascii() and head.isdigit():  # not "²" (Latin-1 superscripts)
            if len(head) > 18:  # int() refuses > 4300 digits; frame numbers are int64
                raise FormatError(path, f"frame number {head[:20]}... has more than 18 digits", lineno)
            close_frame(lineno)
            if frame_numbers and int(head) != frame_numbers[-1] + 1:
                raise FormatError(path, f"frame number {int(head)} follows frame {frame_numbers[-1]}; "
                                        f"expected {frame_numbers[-1] + 1} (frames skipped or repeated)",
                                  lineno)
            frame_numbers.append(int(head))
            frame_lines.append(lineno)
            seen = set()
            continue
        n = ndof.get(head)
        if n is None:
            raise FormatError(path, f"expected a frame number or a bone name of skeleton {asf.path}, got "
                              f"{head!r}", lineno)
        if not frame_numbers:
            raise FormatError(path, f"expected a frame number before bone line {head!r}", lineno)
        if len(parts) - 1 != n:
            names = asf.root_order if head == "root" else asf.bones[head].dofs
            what = f"{n} value{'' if n == 1 else 's'} ({' '.join(names) or 'no dofs'})"
            raise FormatError(path, f"bone {head!r}: expected {what}, got {len(parts) - 1}", lineno)
        if head in seen:
            raise FormatError(path, f"bone {head!r} appears twice in frame {frame_numbers[-1]}", lineno)
        seen.add(head)
        if n:
            values[head].append(parts[1:])
            where[head].append(lineno)
    if not frame_numbers:
        raise FormatError(path, "no frames found (expected a frame number line after the header)",
                          max(len(lines), 1))
    close_frame(len(lines))

    F = len(frame_numbers)
    channels: dict[str, np.ndarray] = {}
    for name, n in ndof.items():
        if n == 0:
            channels[name] = _readonly(np.zeros((F, 0)))
            continue
        try:
            arr = np.array(values[name], dtype=np.float64)
        except ValueError:
            arr = None
        bad = None
        if arr is None:
            for rows, ln in zip(values[name], where[name]):
                try:
                    [float(t) for t in rows]
                except ValueError:
                    bad = (ln, rows)
                    break
        elif not np.all(np.isfinite(arr) & (np.abs(arr) <= MAX_ABS_VALUE)):
            i = int(np.flatnonzero(~np.all(np.isfinite(arr) & (np.abs(arr) <= MAX_ABS_VALUE), axis=1))[0])
            bad = (where[name][i], values[name][i])
        if bad is not None:
            raise FormatError(path, f"bone {name!r}: expected finite numbers of at most {MAX_ABS_VALUE:g} in "
                                    f"magnitude, got {' '.join(bad[1])!r}", bad[0])
        channels[name] = _readonly(arr)
    return AmcMotion(path=str(path), frame_numbers=_readonly(np.array(frame_numbers, dtype=np.int64)),
                     channels=channels, angle_unit=angle_unit)
