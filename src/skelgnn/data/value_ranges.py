"""Value ranges of the built benchmark files (``hdm05_lift.npz``, ``bandai2_cross.npz``).

A finite but absurd value (a 2D coordinate of 1e30 px in a test clip) used to run through the model
and come out as a metric of 1e28 mm or NaN, printed with exit status 0. The readers refuse it instead,
naming the array, the clip, the camera and the frame: 2D coordinates must lie within
:data:`MAX_IMAGE_SIDES` image sides of the image, world joints and camera centres within
:data:`MAX_WORLD_MM` of the origin, focal lengths and principal points within the same image range.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import FormatError

__all__ = ["MAX_IMAGE_SIDES", "MAX_WORLD_MM", "check_value_ranges"]

MAX_IMAGE_SIDES = 100
"""2D coordinates (and focal lengths, principal points) may lie this many image sides from the origin."""
MAX_WORLD_MM = 1e6
"""World joints and camera centres may lie this far (1 km) from the origin, in millimetres."""


def check_value_ranges(path, f: dict, width: int, height: int, command: str) -> None:
    """Raise :class:`FormatError` for the first value of ``f`` out of its range (NaN and infinities
    included), naming the array and where it is; ``command`` (e.g. ``"skelgnn data hdm05"``) rebuilds it.

    ``f`` holds ``clip_length`` (C,), ``joints_2d_gt``/``joints_2d_noisy`` (4, N, J, 2), ``joints_world``
    (N, J, 3), ``cam_center`` (C, 4, 3), ``cam_f``/``cam_c`` (C, 4, 2) and optionally ``clip_keys`` (C,).
    """
    side = MAX_IMAGE_SIDES * max(int(width), int(height))
    image = f"pixels within {MAX_IMAGE_SIDES} image sides (|v| <= {side:g}) of the {width}x{height} image"
    world = f"millimetres within {MAX_WORLD_MM:g} mm of the origin"
    limits = {"joints_2d_gt": (side, image, "camera frame"), "joints_2d_noisy": (side, image, "camera frame"),
              "joints_world": (MAX_WORLD_MM, world, "frame"),
              "cam_center": (MAX_WORLD_MM, world, "clip camera"),
              "cam_f": (side, image, "clip camera"), "cam_c": (side, image, "clip camera")}
    ends = np.cumsum(np.asarray(f["clip_length"], dtype=np.int64))
    keys = f.get("clip_keys")
    for key, (limit, expected, axes) in limits.items():
        a = np.asarray(f[key])
        bad = ~(np.abs(a) <= limit)  # NaN too
        if not bad.any():
            continue
        idx = [int(i) for i in np.argwhere(bad)[0]]
        value = float(a[tuple(idx)])
        if axes == "clip camera":
            clip, where = idx[0], f"camera {idx[1]}"
        else:
            frame = idx[1] if axes == "camera frame" else idx[0]
            clip = int(np.searchsorted(ends, frame, side="right"))
            start = int(ends[clip - 1]) if clip else 0
            camera = f"camera {idx[0]}, " if axes == "camera frame" else ""
            where = f"{camera}frame {frame - start} of the clip"
        name = f"clip {str(keys[clip])!r}" if keys is not None and clip < len(keys) else f"clip {clip}"
        raise FormatError(path, f"array {key!r} holds {value:.6g} at {name} ({where}); expected {expected}. "
                                f"The file is damaged: rebuild it with `{command}`")
