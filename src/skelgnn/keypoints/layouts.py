"""Keypoint layouts of other tools (COCO-17, OpenPose, Halpe-26, BlazePose-33, …) and their mapping onto
our 17 Human3.6M joints (the table and the rules are in :mod:`skelgnn.keypoints`).

Shape letters: ``T`` frames, ``K`` keypoints of the layout, ``J`` joints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..core.errors import FormatError, ShapeError, SkelgnnError
from ..core.skeleton import H36M_17

__all__ = ["LAYOUTS", "Layout", "get_layout", "layout_for_count", "map_to_h36m"]


@dataclass(frozen=True)
class Layout:
    """A 2D keypoint layout and its rules onto :data:`~skelgnn.core.skeleton.H36M_17`.

    Args:
        name: short identifier, e.g. ``"coco17"``.
        keypoint_names: one name per keypoint, in the tool's order.
        to_h36m: for each of the 17 joints, the names of the keypoints it is the mean of.
        description: one line for messages and docs.
    """

    name: str
    keypoint_names: tuple[str, ...]
    to_h36m: tuple[tuple[str, ...], ...]
    description: str = ""

    def __post_init__(self) -> None:
        if len(self.to_h36m) != H36M_17.num_joints:
            raise SkelgnnError(f"layout {self.name!r}: {len(self.to_h36m)} rules for 17 joints")
        for rule in self.to_h36m:
            for n in rule:
                if n not in self.keypoint_names:
                    raise SkelgnnError(f"layout {self.name!r}: rule names unknown keypoint {n!r}")

    @property
    def num_keypoints(self) -> int:
        return len(self.keypoint_names)

    @cached_property
    def weights(self) -> np.ndarray:
        """Averaging matrix, float64 shape (17, K): ``joints = weights @ keypoints``."""
        w = np.zeros((H36M_17.num_joints, self.num_keypoints))
        for j, rule in enumerate(self.to_h36m):
            for n in rule:
                w[j, self.keypoint_names.index(n)] += 1.0 / len(rule)
        w.setflags(write=False)
        return w


_COCO = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
         "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
         "right_knee", "left_ankle", "right_ankle")
_OPENPOSE18 = ("nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
               "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
               "right_eye", "left_eye", "right_ear", "left_ear")
_BODY25 = ("nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow",
           "left_wrist", "mid_hip", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee",
           "left_ankle", "right_eye", "left_eye", "right_ear", "left_ear", "left_big_toe", "left_small_toe",
           "left_heel", "right_big_toe", "right_small_toe", "right_heel")
_HALPE26 = _COCO + ("head", "neck", "hip", "left_big_toe", "right_big_toe", "left_small_toe",
                    "right_small_toe", "left_heel", "right_heel")
_BLAZEPOSE33 = ("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
                "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
                "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
                "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
                "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
                "right_heel", "left_foot_index", "right_foot_index")

_LIMBS = {n: (n,) for n in ("right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
                            "left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow",
                            "right_wrist")}
_HIPS = ("left_hip", "right_hip")
_SHOULDERS = ("left_shoulder", "right_shoulder")
_EARS = ("left_ear", "right_ear")


def _rules(pelvis, spine, thorax, neck, head) -> tuple[tuple[str, ...], ...]:
    derived = {"pelvis": pelvis, "spine": spine, "thorax": thorax, "neck": neck, "head": head}
    return tuple(tuple(derived.get(j) or _LIMBS[j]) for j in H36M_17.joint_names)


LAYOUTS: dict[str, Layout] = {
    lay.name: lay
    for lay in (
        Layout("h36m17", H36M_17.joint_names, tuple((n,) for n in H36M_17.joint_names),
               "Human3.6M 17 joints (skelgnn's own order)"),
        Layout("coco17", _COCO, _rules(_HIPS, _HIPS + _SHOULDERS, _SHOULDERS, ("nose",), _EARS),
               "COCO 17 keypoints"),
        Layout("openpose18", _OPENPOSE18,
               _rules(_HIPS, _HIPS + ("neck", "neck"), ("neck",), ("nose",), _EARS), "OpenPose COCO-18"),
        Layout("body25", _BODY25, _rules(("mid_hip",), ("mid_hip", "neck"), ("neck",), ("nose",), _EARS),
               "OpenPose BODY_25"),
        Layout("halpe26", _HALPE26, _rules(("hip",), ("hip", "neck"), ("neck",), ("nose",), ("head",)),
               "Halpe 26 (AlphaPose)"),
        Layout("blazepose33", _BLAZEPOSE33,
               _rules(_HIPS, _HIPS + _SHOULDERS, _SHOULDERS, ("nose",), _EARS), "MediaPipe BlazePose 33"),
    )
}
"""Every known layout by name."""

_ALIASES = {"h36m": "h36m17", "coco": "coco17", "coco18": "openpose18", "openpose": "body25",
            "openpose_body25": "body25", "body_25": "body25", "halpe": "halpe26", "mediapipe": "blazepose33",
            "blazepose": "blazepose33", "mediapipe33": "blazepose33"}
_BY_COUNT = {17: "coco17", 18: "openpose18", 25: "body25", 26: "halpe26", 33: "blazepose33"}


def get_layout(name: str | Layout) -> Layout:
    """A layout by name or alias (case-insensitive); a :class:`Layout` is returned as is."""
    if isinstance(name, Layout):
        return name
    key = str(name).strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in LAYOUTS:
        raise SkelgnnError(f"unknown keypoint layout {name!r}; known: {sorted(LAYOUTS)} "
                           f"(aliases {sorted(_ALIASES)})")
    return LAYOUTS[key]


def _expected_counts() -> str:
    return ", ".join(f"{k} ({v})" for k, v in sorted(_BY_COUNT.items()))


def layout_for_count(num_keypoints: int, path: str | os.PathLike | None = None) -> Layout:
    """The layout guessed from the number of keypoints per person (17 → COCO-17).

    Raises:
        FormatError: no layout has that many keypoints (the message lists the known counts).
    """
    if num_keypoints not in _BY_COUNT:
        raise FormatError(path, f"{num_keypoints} keypoints per person match no known layout; expected "
                                f"{_expected_counts()} keypoints, or pass the layout explicitly")
    return LAYOUTS[_BY_COUNT[num_keypoints]]


def resolve_layout(layout: str | Layout | None, num_keypoints: int, path) -> tuple[Layout, bool]:
    """(layout, guessed?) for data with ``num_keypoints`` keypoints per person."""
    if layout is None:
        return layout_for_count(num_keypoints, path), True
    lay = get_layout(layout)
    if lay.num_keypoints != num_keypoints:
        fits = (f" ({num_keypoints} fits --layout {_BY_COUNT[num_keypoints]})" if num_keypoints in _BY_COUNT
                else "")
        raise FormatError(path, f"layout {lay.name!r} has {lay.num_keypoints} keypoints but the file has "
                                f"{num_keypoints} per person{fits}")
    return lay, False


# ---------------------------------------------------------------------------------------- mapping
def map_to_h36m(xy: np.ndarray, conf: np.ndarray | None,
                layout: str | Layout) -> tuple[np.ndarray, np.ndarray]:
    """Map keypoints of ``layout`` onto the 17 H36M joints (rules in the module docstring).

    Args:
        xy: pixel coordinates, shape (..., K, 2); ``NaN`` where missing.
        conf: confidences, shape (..., K), or ``None`` (1 wherever ``xy`` is finite).
        layout: layout name or :class:`Layout`.

    Returns:
        ``(joints, conf)``: float64 shapes (..., 17, 2) and (..., 17). A joint is ``NaN`` when any
        of its sources is; its confidence is the minimum of its sources' (missing counts as 0).
    """
    lay = get_layout(layout)
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim < 2 or xy.shape[-2:] != (lay.num_keypoints, 2):
        raise ShapeError(f"keypoints for layout {lay.name!r} must have shape (..., {lay.num_keypoints}, 2), "
                         f"got {xy.shape}")
    finite = np.isfinite(xy).all(-1)
    if conf is None:
        c = finite.astype(np.float64)
    else:
        c = np.asarray(conf, dtype=np.float64)
        if c.shape != xy.shape[:-1]:
            raise ShapeError(f"confidences must have shape {xy.shape[:-1]}, got {c.shape}")
        c = np.where(finite, np.nan_to_num(c, nan=0.0), 0.0)
    joints = np.einsum("jk,...kd->...jd", lay.weights, np.where(finite[..., None], xy, 0.0))
    out_conf = np.empty(xy.shape[:-2] + (H36M_17.num_joints,))
    bad = np.zeros(out_conf.shape, dtype=bool)
    for j, rule in enumerate(lay.to_h36m):
        idx = [lay.keypoint_names.index(n) for n in rule]
        out_conf[..., j] = c[..., idx].min(-1)
        bad[..., j] = ~finite[..., idx].all(-1)
    joints[bad] = np.nan
    return joints, out_conf
