"""2D keypoints from other tools: layouts, their mapping onto our 17 joints, readers, gap filling.

A 2D detector (OpenPose, MediaPipe, mmpose, AlphaPose, detectron2, YOLO-pose …) writes keypoints in
its own *layout*. :func:`read_keypoints` reads them into a :class:`Keypoints` record (pixels, one
confidence per keypoint, one track per person), :func:`to_h36m` maps them onto the 17 Human3.6M
joints the lifters expect (:data:`skelgnn.skeleton.H36M_17`), and :func:`fill_missing` fills the
holes (missed detections, low confidence) by interpolating over time and flags what it filled.

Layouts (``name`` — keypoints — aliases):

* ``h36m17`` — 17 — ``h36m``: our own joint order (identity mapping).
* ``coco17`` — 17 — ``coco``: COCO (mmpose, detectron2, YOLO-pose, AlphaPose COCO models).
* ``openpose18`` — 18 — ``coco18``: OpenPose's older COCO-18 model (COCO + a neck).
* ``body25`` — 25 — ``openpose``, ``openpose_body25``: OpenPose BODY_25 (adds mid-hip and feet).
* ``halpe26`` — 26 — ``halpe``: Halpe full body as written by AlphaPose (adds head top, neck, hip, feet).
* ``blazepose33`` — 33 — ``mediapipe``, ``blazepose``: MediaPipe Pose / BlazePose landmarks.

When no layout is given it is guessed from the number of keypoints per person (17 → ``coco17``,
18 → ``openpose18``, 25 → ``body25``, 26 → ``halpe26``, 33 → ``blazepose33``), and for CSV files
from the column names. **17 keypoints are read as COCO**: data already in our H36M-17 order needs
``layout="h36m17"`` (``--layout h36m17``), or a ``layout`` entry in the npz/JSON file.

Mapping onto the 17 joints. Every joint is the mean of the listed source keypoints, and its
confidence is the **minimum** of theirs (a derived joint is only as good as its worst source):

============  ==============  ==============  ==============  ==============  ==============
joint         coco17          openpose18      body25          halpe26         blazepose33
============  ==============  ==============  ==============  ==============  ==============
0 pelvis      mid(hips)       mid(hips)       mid_hip         hip             mid(hips)
1–6 legs      same name       same name       same name       same name       same name
7 spine       mid(P, T)       mid(P, T)       mid(P, T)       mid(P, T)       mid(P, T)
8 thorax      mid(shoulders)  neck            neck            neck            mid(shoulders)
9 neck/nose   nose            nose            nose            nose            nose
10 head       mid(ears)       mid(ears)       mid(ears)       head (top)      mid(ears)
11–16 arms    same name       same name       same name       same name       same name
============  ==============  ==============  ==============  ==============  ==============

``mid(…)`` is the midpoint of the left and right keypoints (or of the two named ones); ``mid(P, T)`` is
the midpoint of that column's own pelvis and thorax (for COCO: the mean of both hips and both
shoulders); "same name": ``left_knee`` → ``left_knee`` and so on; "neck", "hip", "head" and "mid_hip" are
the layout's own keypoints of that name.
Human3.6M's joint 9 ("Neck/Nose") sits at the nose, so the nose is used; joint 10 ("Head") sits
above it. Layouts without a head top use the midpoint of the ears, which lies somewhat lower than the
Human3.6M head joint (the price of a layout without one). The Halpe rules follow MotionBERT's
``halpe2h36m`` and the COCO rules its ``coco2h36m`` (except the head, where it uses mid-eyes).
:data:`LAYOUTS` holds the same rules as data; ``Layout.to_h36m`` lists the source names per joint
(a name listed twice counts twice, which is how a midpoint of a midpoint is written).

Missing keypoints are ``NaN`` pixels with confidence 0. Readers turn the usual "not detected"
marker ``(0, 0, 0)`` (OpenPose, COCO) into that. Confidences are whatever the tool wrote
(MediaPipe: visibility; COCO ground truth: visibility flag 0/1/2); 2-column input gets confidence 1.

Files :func:`read_keypoints` understands:

* **OpenPose folder**: ``*_keypoints.json``, one per frame, each ``{"people": [{"pose_keypoints_2d":
  [x, y, c, …], "person_id": …}]}``. The frame number is the number before ``_keypoints.json``
  (a missing number is a missing frame; without numbers, sorted file order). A single such file is
  one frame.
* **Generic JSON**: ``{"layout": …, "width": …, "height": …, "fps": …, "frames": [frame, …]}`` where a
  frame is ``{"frame": n, "people": [person, …]}`` (or a bare list of people) and a person is
  ``{"keypoints": …, "track_id": …}`` or just the keypoints; keypoints are a flat ``[x, y, c, …]`` list
  or a list of ``[x, y]``/``[x, y, c]`` rows (``null`` = missing). A top-level list of frames also
  works, and so does a COCO/AlphaPose results list ``[{"image_id": …, "keypoints": [x, y, c, …],
  "idx"|"track_id": …}, …]``. A person's ``keypoint_scores`` (or ``scores``) list beside its keypoints
  gives the confidences.
* **Plain JSON arrays**: ``[T][K][2|3]`` (one person) or ``[T][P][K][2|3]`` (P people), ``null`` for a
  missing keypoint, as a top-level list or as ``frames`` (:mod:`skelgnn.keypoint_readers.arrays`).
* **mmpose JSON**: the inferencer's ``[{"frame_id": n, "instances": [{"keypoints": [[x, y], …],
  "keypoint_scores": […], "bbox": …, "track_id": …}]}]`` and the demos' ``{"meta_info": …,
  "instance_info": […]}`` (:mod:`skelgnn.keypoint_readers.mmpose`).
* **npy**: an array (T, K, 2|3) or (P, T, K, 2|3).
* **VideoPose3D custom npz**: ``positions_2d`` + ``metadata`` with the image size in
  ``video_metadata`` (:mod:`skelgnn.keypoint_readers.vp3d_custom`; its pickles are rebuilt by a
  restricted unpickler that makes only numpy arrays and plain data).
* **npz**: ``keypoints`` of shape (T, K, 2|3) (one person) or (P, T, K, 2|3) (P tracks), with optional
  ``track_id`` (P,) and ``frame`` (T,) numbers; or (N, K, 2|3) detections with a ``frame`` (N,) array
  and optional ``track_id`` (N,). Optional scalars: ``layout`` (string), ``width``, ``height``, ``fps``.
* **CSV**: one row per frame (and person). Header: ``frame`` (integer), optional ``track``, then per
  keypoint ``<name>_x``, ``<name>_y`` and optional ``<name>_c`` (confidence), for example
  ``frame,track,nose_x,nose_y,nose_c,left_eye_x,…``. Names are the layout's keypoint names
  (:attr:`Layout.keypoint_names`), which is also how the layout is recognised. With an explicit
  layout any names work: ``<name>_x``/``<name>_y`` columns are taken in header order, and columns of
  other names by position, ``x, y, c`` per keypoint in the layout's order (e.g. ``x0,y0,c0,x1,…``;
  ``x, y`` pairs without confidence), with an optional frame column (else one row per frame); see
  :mod:`skelgnn.keypoint_readers.csv_columns`. Empty cells are missing keypoints.

Frame numbers and track ids are integers of at most 18 digits (JSON may write them as ``3.0``); a JSON
frame or image id without an integer (``"frame_a.jpg"``, ``0.5``) numbers the frames in file order.

People are kept apart by their track id (``person_id``, ``track_id``, ``idx`` or ``id``) when every
detection has one; otherwise by nearest-centroid tracking from frame to frame (a person farther than
twice their size from every track starts a new track, and a track unseen for 30 frames is closed; with
at most one person per frame everything is one track). Short-lived tracks are dropped on reading: a
track must be detected in at least ``min_track_length`` frames (default :data:`MIN_TRACK_LENGTH` = 5;
inputs with fewer than twice that many frames need half their frames; if no track qualifies, the
longest is kept), so that false detections do not become tracks over every frame. More than
:data:`MAX_TRACK_FRAMES` tracks × frames is an error.

Shape letters: ``P`` tracks (people), ``T`` frames, ``K`` keypoints of the layout, ``J`` joints.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .errors import FormatError, ShapeError, SkelgnnError
from .keypoint_readers import Dense
from .keypoint_readers.arrays import dense_json, read_npy
from .keypoint_readers.csv_columns import Columns, positional_columns
from .keypoint_readers.mmpose import is_mmpose, parse_mmpose
from .keypoint_readers.vp3d_custom import is_vp3d_custom, read_vp3d_custom
from .skeleton import H36M_17, Skeleton

__all__ = [
    "LAYOUTS",
    "Keypoints",
    "Layout",
    "fill_missing",
    "get_layout",
    "layout_for_count",
    "map_to_h36m",
    "read_keypoints",
    "to_h36m",
    "write_keypoints",
]


# ---------------------------------------------------------------------------------------- layouts
@dataclass(frozen=True)
class Layout:
    """A 2D keypoint layout and its rules onto :data:`~skelgnn.skeleton.H36M_17`.

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


def _resolve_layout(layout: str | Layout | None, num_keypoints: int, path) -> tuple[Layout, bool]:
    """(layout, guessed?) for data with ``num_keypoints`` keypoints per person."""
    if layout is None:
        return layout_for_count(num_keypoints, path), True
    lay = get_layout(layout)
    if lay.num_keypoints != num_keypoints:
        fits = f" ({num_keypoints} fits --layout {_BY_COUNT[num_keypoints]})" if num_keypoints in _BY_COUNT else ""
        raise FormatError(path, f"layout {lay.name!r} has {lay.num_keypoints} keypoints but the file has "
                                f"{num_keypoints} per person{fits}")
    return lay, False


# ---------------------------------------------------------------------------------------- container
@dataclass
class Keypoints:
    """Keypoints of ``P`` tracked people over ``T`` frames in one layout.

    Args:
        xy: pixel coordinates, float64 shape (P, T, K, 2); ``NaN`` where missing.
        conf: confidences, float64 shape (P, T, K); 0 where missing.
        layout: the layout's name (see :data:`LAYOUTS`).
        track_ids: one id per track, int64 shape (P,).
        frames: the frame number of each frame, int64 shape (T,).
        width: image width in pixels, if known.
        height: image height in pixels, if known.
        fps: frame rate, if known.
        source: the file it was read from.
        layout_guessed: the layout was guessed from the keypoint count or column names.
        short_tracks: tracks dropped on reading because they were detected in too few frames.
    """

    xy: np.ndarray
    conf: np.ndarray
    layout: str
    track_ids: np.ndarray
    frames: np.ndarray
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    source: str = ""
    layout_guessed: bool = False
    short_tracks: int = 0

    def __post_init__(self) -> None:
        self.xy = np.asarray(self.xy, dtype=np.float64)
        self.conf = np.asarray(self.conf, dtype=np.float64)
        self.track_ids = np.asarray(self.track_ids, dtype=np.int64).reshape(-1)
        self.frames = np.asarray(self.frames, dtype=np.int64).reshape(-1)
        lay = get_layout(self.layout)
        self.layout = lay.name
        if self.xy.ndim != 4 or self.xy.shape[2:] != (lay.num_keypoints, 2):
            raise ShapeError(f"Keypoints.xy must have shape (P, T, {lay.num_keypoints}, 2) for layout "
                             f"{lay.name!r}, got {self.xy.shape}")
        if self.conf.shape != self.xy.shape[:3]:
            raise ShapeError(f"Keypoints.conf must have shape {self.xy.shape[:3]}, got {self.conf.shape}")
        if self.track_ids.shape != (self.xy.shape[0],):
            raise ShapeError(f"Keypoints.track_ids must have shape ({self.xy.shape[0]},), got {self.track_ids.shape}")
        if self.frames.shape != (self.xy.shape[1],):
            raise ShapeError(f"Keypoints.frames must have shape ({self.xy.shape[1]},), got {self.frames.shape}")

    @property
    def num_tracks(self) -> int:
        return int(self.xy.shape[0])

    @property
    def num_frames(self) -> int:
        return int(self.xy.shape[1])


# ---------------------------------------------------------------------------------------- mapping
def map_to_h36m(xy: np.ndarray, conf: np.ndarray | None, layout: str | Layout) -> tuple[np.ndarray, np.ndarray]:
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


def to_h36m(kp: Keypoints) -> tuple[np.ndarray, np.ndarray]:
    """:func:`map_to_h36m` of a :class:`Keypoints`: shapes (P, T, 17, 2) and (P, T, 17)."""
    return map_to_h36m(kp.xy, kp.conf, kp.layout)


# ---------------------------------------------------------------------------------------- filling
def fill_missing(joints: np.ndarray, conf: np.ndarray | None = None, threshold: float = 0.3, *,
                 skeleton: Skeleton = H36M_17, what: str = "the sequence") -> tuple[np.ndarray, np.ndarray]:
    """Fill missing and low-confidence joints by linear interpolation over time.

    A joint is missing in a frame when its coordinates are not finite or its confidence is below
    ``threshold``. Each joint is interpolated linearly between its valid frames; before the first
    and after the last valid frame it holds the nearest valid value. A frame where every joint is
    missing is filled the same way. A joint that is never valid takes, in every frame, the position
    of the nearest joint (bones along ``skeleton`` when it has ``J`` joints) that is.

    Args:
        joints: (T, J, 2) coordinates (pixels or anything else), ``NaN`` where missing.
        conf: (T, J) confidences, or ``None`` (only non-finite values are missing).
        threshold: minimum confidence of a valid joint.
        skeleton: used to find the nearest joint for never-seen joints.
        what: names the sequence in error messages.

    Returns:
        ``(filled, flags)``: float64 (T, J, 2) with no ``NaN``, and bool (T, J), True where filled.

    Raises:
        ShapeError: wrong shapes.
        SkelgnnError: no frames, or no joint valid in any frame.
    """
    x = np.asarray(joints, dtype=np.float64)
    if x.ndim != 3 or x.shape[-1] != 2:
        raise ShapeError(f"{what}: joints must have shape (T, J, 2), got {x.shape}")
    T, J = x.shape[:2]
    if T == 0:
        raise SkelgnnError(f"{what}: no frames")
    valid = np.isfinite(x).all(-1)
    if conf is not None:
        c = np.asarray(conf, dtype=np.float64)
        if c.shape != (T, J):
            raise ShapeError(f"{what}: confidences must have shape ({T}, {J}), got {c.shape}")
        valid &= np.nan_to_num(c, nan=-np.inf) >= threshold
    if not valid.any():
        raise SkelgnnError(f"{what}: no joint is valid in any of its {T} frames (all missing or with "
                           f"confidence below {threshold}); nothing to lift")
    t = np.arange(T, dtype=np.float64)
    out = np.zeros_like(x)
    seen = valid.any(0)
    for j in np.flatnonzero(seen):
        v = valid[:, j]
        for d in range(2):
            out[:, j, d] = np.interp(t, t[v], x[v, j, d])
    if not seen.all():
        if skeleton.num_joints == J:
            dist = skeleton.hop_distances.astype(np.float64)
        else:
            dist = np.abs(np.subtract.outer(np.arange(J), np.arange(J))).astype(np.float64)
        for j in np.flatnonzero(~seen):
            d = np.where(seen, dist[j], np.inf)
            out[:, j] = out[:, int(np.argmin(d))]
    return out, ~valid


# ---------------------------------------------------------------------------------------- readers
def read_keypoints(path: str | os.PathLike, *, layout: str | Layout | None = None,
                   min_track_length: int | None = None) -> Keypoints:
    """Read a keypoint file or an OpenPose folder (formats in the module docstring).

    Args:
        path: an OpenPose output folder, or a ``.json``, ``.npz``, ``.npy`` or ``.csv`` file.
        layout: the keypoint layout; guessed from the keypoint count (or CSV column names) if ``None``.
        min_track_length: tracks detected in fewer frames than this are dropped (counted in
            ``Keypoints.short_tracks``); ``None``: :data:`MIN_TRACK_LENGTH`. Short inputs need at most
            half their frames (rounded up), so a single image keeps everyone.

    Returns:
        the keypoints of every tracked person.

    Raises:
        FormatError: the file (or one file of the folder) does not follow its format; the message
            names the file, the field or line, and what was expected.
        SkelgnnError: the path does not exist or has an unknown extension.
    """
    p = Path(path)
    n = MIN_TRACK_LENGTH if min_track_length is None else int(min_track_length)
    if n < 1:
        raise SkelgnnError(f"min_track_length must be >= 1, got {min_track_length!r}")
    if p.is_dir():
        return _read_openpose_dir(p, layout, n)
    if not p.is_file():
        raise SkelgnnError(f"{p}: no such file or folder")
    suffix = p.suffix.lower()
    if suffix == ".json":
        return _read_json(p, layout, n)
    if suffix == ".npz":
        return _read_npz(p, layout, n)
    if suffix == ".csv":
        return _read_csv(p, layout, n)
    if suffix == ".npy":
        return _from_dense(read_npy(p), p, layout)
    raise FormatError(p, f"unknown keypoint file type {suffix or '(no extension)'!r}; expected an OpenPose "
                         f"folder of *_keypoints.json files, or a .json, .npz, .npy or .csv file")


def _from_dense(d: Dense, path, layout) -> Keypoints:
    """A parser's dense (P, T, K, 3) array → :class:`Keypoints` (layout from ``layout`` or the file)."""
    if layout is None and d.meta.get("layout"):
        layout = str(d.meta["layout"])
    P, T, K = d.points.shape[:3]
    lay, guessed = _resolve_layout(layout, K, path)
    xy, conf = _clean(d.points)
    kp = Keypoints(xy, conf, lay.name, np.arange(P) if d.track_ids is None else d.track_ids,
                   np.arange(T) if d.frames is None else d.frames, source=str(path), layout_guessed=guessed)
    _apply_meta(kp, d.meta, path)
    return kp


_Detection = tuple  # (track id or None, float64 array (K, 3))


def _number(x, path, where: str) -> float:
    if x is None:
        return math.nan
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise FormatError(path, f"{where}: expected a number, got {x!r}")
    return float(x)


def _parse_points(obj, path, where: str) -> np.ndarray:
    """Keypoints as a flat ``[x, y, c, …]`` list or rows ``[x, y(, c)]`` → (K, 3) float64."""
    if not isinstance(obj, list):
        raise FormatError(path, f"{where}: expected a list of keypoints ([x, y, c, ...] or [[x, y, c], ...]), "
                                f"got {type(obj).__name__}")
    if obj and all(isinstance(r, list) or r is None for r in obj):
        rows = []
        for i, r in enumerate(obj):
            if r is None:
                rows.append([math.nan, math.nan, 0.0])
                continue
            if len(r) not in (2, 3):
                raise FormatError(path, f"{where}[{i}]: expected [x, y] or [x, y, confidence], got {len(r)} values")
            vals = [_number(v, path, f"{where}[{i}]") for v in r]
            rows.append(vals if len(vals) == 3 else vals + [1.0])
        return np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    if len(obj) % 3:
        raise FormatError(path, f"{where} has {len(obj)} numbers; expected 3 per keypoint (x, y, confidence)")
    vals = [_number(v, path, f"{where}[{i}]") for i, v in enumerate(obj)]
    return np.asarray(vals, dtype=np.float64).reshape(-1, 3)


_ID_KEYS = ("track_id", "person_id", "idx", "id")
_MAX_NUMBER = 10 ** 18  # frame numbers and track ids: int64 holds them with room to spare


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def _integral(v) -> bool:
    """An int, or a finite float without a fractional part (JSON writes 3.0 for 3)."""
    return isinstance(v, int) or (isinstance(v, float) and math.isfinite(v) and v.is_integer())


def _check_number(n: int, path, what: str, line: int | None = None) -> int:
    if not -_MAX_NUMBER < n < _MAX_NUMBER:
        raise FormatError(path, f"{what} {_short(n)} is out of range; expected an integer of at most 18 "
                                f"digits", line=line)
    return n


def _parse_id(obj: dict, path, where: str) -> int | None:
    for key in _ID_KEYS:
        if key in obj:
            v = obj[key]
            if isinstance(v, list):
                v = v[0] if len(v) == 1 else None
            if v is None:
                return None
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not _integral(v):
                raise FormatError(path, f"{where}.{key}: expected an integer track id, got "
                                        f"{_short(obj[key])}")
            n = _check_number(int(v), path, f"{where}.{key}: track id")
            return None if n < 0 else n
    return None


def _parse_person(obj, path, where: str) -> _Detection:
    if isinstance(obj, dict):
        for key in ("keypoints", "pose_keypoints_2d"):
            if key in obj:
                pts = _parse_points(obj[key], path, f"{where}.{key}")
                scores = next((obj[s] for s in ("keypoint_scores", "scores") if s in obj), None)
                if scores is not None:  # confidences beside the keypoints replace the implicit 1
                    if not isinstance(scores, list) or len(scores) != len(pts):
                        raise FormatError(path, f"{where}.keypoint_scores: expected {len(pts)} scores (one "
                                                f"per keypoint), got {_short(scores)}")
                    pts[:, 2] = [_number(v, path, f"{where}.keypoint_scores[{i}]") for i, v in enumerate(scores)]
                return _parse_id(obj, path, where), pts
        raise FormatError(path, f"{where}: a person needs a 'keypoints' (or 'pose_keypoints_2d') entry; "
                                f"found keys {sorted(obj)}")
    return None, _parse_points(obj, path, where)


def _frame_number(v, path, where: str) -> int | None:
    """The frame number of a JSON frame/image id: an integer, or the last number in a file name.

    ``None`` when there is none (the caller then numbers frames in order).
    """
    if isinstance(v, bool):
        return None
    if _integral(v):
        return _check_number(int(v), path, f"{where}: frame number")
    if isinstance(v, str):
        digits = re.findall(r"\d+", Path(v).stem)
        if not digits:
            return None
        if len(digits[-1]) > 18:  # int() refuses more than 4300 digits; int64 holds 18
            raise FormatError(path, f"{where}: the frame number in {_short(v)} has {len(digits[-1])} digits; "
                                    f"expected at most 18")
        return int(digits[-1])
    return None


def _load_json(path: Path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as e:
        raise FormatError(path, f"not valid JSON: {e.msg} (column {e.colno})", line=e.lineno) from None
    except UnicodeDecodeError:
        raise FormatError(path, "not a UTF-8 text file (expected JSON)") from None
    except ValueError as e:  # an integer of more than 4300 digits
        raise FormatError(path, f"not readable JSON: {str(e).split(';')[0]}") from None
    except RecursionError:
        raise FormatError(path, "not readable JSON: lists/objects nested too deeply") from None
    except OSError as e:
        raise SkelgnnError(f"{path}: cannot read: {e.strerror or e}") from None


def _openpose_people(doc, path) -> list[_Detection]:
    if not isinstance(doc, dict) or not isinstance(doc.get("people"), list):
        raise FormatError(path, "expected an OpenPose frame: an object with a 'people' list")
    dets = []
    for i, person in enumerate(doc["people"]):
        if not isinstance(person, dict) or "pose_keypoints_2d" not in person:
            raise FormatError(path, f"people[{i}]: expected an object with 'pose_keypoints_2d'")
        pts = _parse_points(person["pose_keypoints_2d"], path, f"people[{i}].pose_keypoints_2d")
        if len(pts) == 0:  # OpenPose writes an empty list when the body model is off
            continue
        dets.append((_parse_id(person, path, f"people[{i}]"), pts))
    return dets


def _read_openpose_dir(folder: Path, layout, min_len: int = 1) -> Keypoints:
    files = sorted(folder.glob("*_keypoints.json"))
    if not files:
        raise FormatError(folder, "no *_keypoints.json files in this folder; expected OpenPose output "
                                  "(--write_json), one file per frame")
    numbers = []
    for f in files:
        m = re.search(r"(\d+)_keypoints\.json$", f.name)
        numbers.append(int(m.group(1)) if m else None)
    if any(n is None for n in numbers) or len(set(numbers)) != len(numbers):
        numbers = list(range(len(files)))
    else:
        files = [f for _, f in sorted(zip(numbers, files))]
        numbers = sorted(numbers)
    frames = {n: _openpose_people(_load_json(f), f) for n, f in zip(numbers, files)}
    return _assemble(frames, folder, layout, per_file=dict(zip(numbers, files)), min_len=min_len)


def _read_json(path: Path, layout, min_len: int = 1) -> Keypoints:
    doc = _load_json(path)
    meta: dict = {}
    if is_mmpose(doc):
        frames, meta = parse_mmpose(doc, path)
        return _assemble(frames, path, layout if layout is not None else meta.get("layout"))
    dense = dense_json(doc.get("frames") if isinstance(doc, dict) else doc, path)
    if dense is not None:
        if isinstance(doc, dict):
            dense.meta = {k: doc[k] for k in ("layout", "width", "height", "fps") if k in doc}
        return _from_dense(dense, path, layout)
    if isinstance(doc, dict) and "people" in doc and "frames" not in doc:  # a single OpenPose frame
        frames = {0: _openpose_people(doc, path)}
        return _assemble(frames, path, layout, min_len=min_len)
    if isinstance(doc, dict):
        if "frames" not in doc:
            raise FormatError(path, f"expected a 'frames' list (or an OpenPose 'people' list); found keys "
                                    f"{sorted(doc)}")
        meta = {k: doc[k] for k in ("layout", "width", "height", "fps") if k in doc}
        items = doc["frames"]
        if not isinstance(items, list):
            raise FormatError(path, "'frames' must be a list of frames")
    elif isinstance(doc, list):
        items = doc
    else:
        raise FormatError(path, "expected a JSON object with 'frames' or a list of frames/detections")

    frames: dict[int, list[_Detection]] = {}
    detection_list = bool(items) and all(isinstance(d, dict) and "keypoints" in d and "people" not in d
                                         for d in items)
    if detection_list:  # COCO / AlphaPose results: one entry per detected person
        keys = [d.get("image_id", d.get("frame", d.get("frame_index"))) for d in items]
        nums = [_frame_number(k, path, f"[{i}].image_id") for i, k in enumerate(keys)]
        if any(n is None for n in nums):  # frame names without numbers: order of first appearance
            order = {}
            for k in keys:
                order.setdefault(json.dumps(k), len(order))
            nums = [order[json.dumps(k)] for k in keys]
        for i, (n, d) in enumerate(zip(nums, items)):
            frames.setdefault(n, []).append(_parse_person(d, path, f"[{i}]"))
    else:
        nums = []
        for i, fr in enumerate(items):
            where = f"frames[{i}]" if isinstance(doc, dict) else f"[{i}]"
            if isinstance(fr, dict):
                n = _frame_number(fr.get("frame", fr.get("frame_index", fr.get("image_id"))), path,
                                  f"{where}.frame")
                if "people" in fr:
                    people = fr["people"]
                    if not isinstance(people, list):
                        raise FormatError(path, f"{where}.people: expected a list of people")
                    dets = [_parse_person(p, path, f"{where}.people[{k}]") for k, p in enumerate(people)]
                elif "keypoints" in fr:
                    dets = [_parse_person(fr, path, where)]
                else:
                    raise FormatError(path, f"{where}: expected 'people' (a list) or 'keypoints'; found keys "
                                            f"{sorted(fr)}")
            elif isinstance(fr, list):
                n = None
                dets = [_parse_person(p, path, f"{where}[{k}]") for k, p in enumerate(fr)]
            else:
                raise FormatError(path, f"{where}: expected a frame object or a list of people, got "
                                        f"{type(fr).__name__}")
            nums.append(n)
            frames[len(nums) - 1] = dets
        if all(n is not None for n in nums) and len(set(nums)) == len(nums):
            frames = {n: frames[i] for i, n in enumerate(nums)}
    if "layout" in meta and layout is None:
        layout = str(meta["layout"])
    kp = _assemble(frames, path, layout, min_len=min_len)
    _apply_meta(kp, meta, path)
    return kp


def _meta_number(v) -> float | None:
    """A JSON number (or numeric string, or one-element list) or a one-element numeric array, as a float."""
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "iuf" or v.size != 1:
            return None
        v = v.reshape(-1)[0].item()
    if isinstance(v, list) and len(v) == 1:
        v = v[0]
    if isinstance(v, str):
        try:
            v = float(v)
        except ValueError:
            return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        return float(v)
    except OverflowError:  # an int beyond float range
        return math.inf


MAX_IMAGE_SIDE = 100_000
"""Largest image width or height in pixels that inputs and options may state."""
MAX_FPS = 100_000.0


def _apply_meta(kp: Keypoints, meta: dict, path) -> None:
    for key, cast, top in (("width", int, MAX_IMAGE_SIDE), ("height", int, MAX_IMAGE_SIDE), ("fps", float, MAX_FPS)):
        if key not in meta or meta[key] is None:
            continue
        v = _meta_number(meta[key])
        if v is None:
            raise FormatError(path, f"'{key}' must be a number, got {_short(meta[key])}")
        if not (math.isfinite(v) and 0 < v <= top) or (cast is int and v < 1):
            raise FormatError(path, f"'{key}' must be a positive number of at most {top:g}, got {_short(meta[key])}")
        setattr(kp, key, cast(v))


def _npz_integers(a: np.ndarray, path, key: str) -> np.ndarray:
    """Frame numbers / track ids: integers (or floats without fractions) → int64, range checked."""
    if a.dtype.kind == "f":
        flat = a.reshape(-1)
        bad = ~(np.isfinite(flat) & (flat == np.round(flat)))
        if bad.any():
            raise FormatError(path, f"'{key}' must hold integers, got non-integral values such as "
                                    f"{flat[bad][0].item()!r}")
    elif a.dtype.kind not in "iu":
        raise FormatError(path, f"'{key}' must hold integers, got dtype {a.dtype}")
    flat = a.reshape(-1)
    bad = ~((flat > -_MAX_NUMBER) & (flat < _MAX_NUMBER))
    if bad.any():
        raise FormatError(path, f"'{key}' holds {flat[bad][0].item()!r}, out of range; expected integers "
                                f"of at most 18 digits")
    return a.astype(np.int64)


def _npz_string(a: np.ndarray, path, key: str) -> str | None:
    """A one-element string array → str (``None`` when empty)."""
    if a.size == 0:
        return None
    if a.dtype.kind not in "US" or a.size != 1:
        raise FormatError(path, f"'{key}' must be one string such as 'coco17', got {a.dtype} {a.shape}")
    v = a.reshape(-1)[0]
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError(path, f"'{key}' is not UTF-8 text: {_short(v)}") from None
    return str(v)


_NPZ_KEYS = ("keypoints", "track_id", "frame", "layout", "width", "height", "fps")


def _read_npz(path: Path, layout, min_len: int = 1) -> Keypoints:
    from .io import read_npz

    names, arrays = read_npz(path, _NPZ_KEYS)
    if is_vp3d_custom(names):
        return _from_dense(read_vp3d_custom(path), path, layout)
    if "keypoints" not in arrays:
        raise FormatError(path, f"no 'keypoints' array; expected 'keypoints' of shape (T, K, 2|3) or "
                                f"(P, T, K, 2|3); found {sorted(names)}")
    k = arrays["keypoints"]
    if not (k.dtype.kind in "iuf" and k.ndim in (3, 4) and k.shape[-1] in (2, 3)):
        raise FormatError(path, f"'keypoints' must be a numeric array of shape (T, K, 2|3) or (P, T, K, 2|3), "
                                f"got {k.dtype} {k.shape}")
    k = k.astype(np.float64)
    if k.shape[-1] == 2:
        k = np.concatenate([k, np.isfinite(k).all(-1, keepdims=True).astype(np.float64)], -1)
    if "layout" in arrays and layout is None:
        layout = _npz_string(arrays["layout"], path, "layout")
    meta = {key: arrays[key] for key in ("width", "height", "fps") if key in arrays}
    tid = arrays.get("track_id")
    frame = arrays.get("frame")
    rows = k.ndim == 3 and frame is not None and np.ndim(frame) == 1 and len(frame) == len(k)
    if rows:  # (N, K, 3) detections with a frame number (and a track id) each
        frame = _npz_integers(frame, path, "frame")
        if tid is not None:
            if np.shape(tid) != (len(k),):
                raise FormatError(path, f"'track_id' must have shape ({len(k)},) (one id per detection), got "
                                        f"{np.shape(tid)}")
            tid = _npz_integers(tid, path, "track_id")
        frames: dict[int, list[_Detection]] = {}
        for i in range(len(k)):
            frames.setdefault(int(frame[i]), []).append((None if tid is None else int(tid[i]), k[i]))
        kp = _assemble(frames, path, layout, min_len=min_len)
    else:
        if k.ndim == 3:
            k = k[None]
        P, T = k.shape[:2]
        if tid is None:
            ids = np.arange(P)
        else:
            ids = np.asarray(tid).reshape(-1)
            if ids.dtype.kind not in "iu":
                raise FormatError(path, f"'track_id' must hold integers, got {ids.dtype}")
            if ids.shape != (P,):
                raise FormatError(path, f"'track_id' must have shape ({P},) (one id per track), got {np.shape(tid)}")
            ids = _npz_integers(ids, path, "track_id")
        if frame is not None:
            if np.shape(frame) != (T,):
                raise FormatError(path, f"'frame' must have shape ({T},) (one number per frame), got "
                                        f"{np.shape(frame)}")
            frame = _npz_integers(frame, path, "frame")
        lay, guessed = _resolve_layout(layout, k.shape[2], path)
        xy, conf = _clean(k)
        kp = Keypoints(xy, conf, lay.name, ids, np.arange(T) if frame is None else frame, source=str(path),
                       layout_guessed=guessed)
    _apply_meta(kp, meta, path)
    return kp


_CONF_SUFFIXES = ("_c", "_conf", "_score")


def _read_csv(path: Path, layout, min_len: int = 1) -> Keypoints:
    reader = None
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            rows = list(reader)
    except UnicodeDecodeError:
        raise FormatError(path, "not a UTF-8 text file (expected CSV)") from None
    except csv.Error as e:  # e.g. a field over csv.field_size_limit()
        raise FormatError(path, f"not readable CSV: {e}", line=reader.line_num if reader else None) from None
    if not rows:
        raise FormatError(path, "empty file; expected a header 'frame,track,<name>_x,<name>_y,<name>_c,...'", line=1)
    header = [h.strip() for h in rows[0]]
    col = {h: i for i, h in enumerate(header)}
    if layout is not None:
        lay = get_layout(layout)
        named = [h[:-2] for h in header if h.endswith("_x")]
        if set(named) != set(lay.keypoint_names) and len(named) != lay.num_keypoints:
            cols = positional_columns(header, lay.num_keypoints, lay.name, path)
            return _csv_rows(rows, header, cols, path, lay, False, min_len)
    if not any(h.endswith("_x") for h in header):
        raise FormatError(path, "no '<name>_x' keypoint columns; name the columns '<name>_x', '<name>_y', "
                                "'<name>_c' with the layout's keypoint names, or pass the layout (--layout) "
                                "to read the columns by position (x, y, confidence per keypoint)", line=1)
    if "frame" not in col:
        raise FormatError(path, f"the header has no 'frame' column; expected 'frame,track,<name>_x,<name>_y,"
                                f"<name>_c,...', got {','.join(header[:6])}...", line=1)
    track_col = col.get("track", col.get("track_id"))
    names = [h[:-2] for h in header if h.endswith("_x")]
    for n in names:
        if f"{n}_y" not in col:
            raise FormatError(path, f"column '{n}_x' has no matching '{n}_y'", line=1)
    guessed = False
    if layout is None:
        match = [lay for lay in LAYOUTS.values() if set(lay.keypoint_names) == set(names)]
        if not match:
            raise FormatError(path, f"the columns name {len(names)} keypoints ({', '.join(names[:4])}, ...) that "
                                    f"match no layout's keypoint names; pass the layout explicitly", line=1)
        lay, guessed = match[0], True
    else:
        lay = get_layout(layout)
    # the layout's own names in its order; other names: the columns in header order
    order = list(lay.keypoint_names) if set(names) == set(lay.keypoint_names) else names
    cols_c = [next((col[n + s] for s in _CONF_SUFFIXES if n + s in col), None) for n in order]
    cols = Columns(col["frame"], track_col, [col[f"{n}_x"] for n in order], [col[f"{n}_y"] for n in order], cols_c)
    return _csv_rows(rows, header, cols, path, lay, guessed, min_len)


def _csv_rows(rows: list[list[str]], header: list[str], cols: Columns, path, lay: Layout, guessed: bool,
              min_len: int = 1) -> Keypoints:
    """The data rows of a CSV whose columns are known → :class:`Keypoints`."""

    def num(cell: str, line: int, name: str) -> float:
        cell = cell.strip()
        if cell == "" or cell.lower() == "nan":
            return math.nan
        try:
            return float(cell)
        except ValueError:
            raise FormatError(path, f"column {name!r}: {cell!r} is not a number", line=line) from None

    def whole(cell: str, line: int, name: str, what: str) -> int:
        """A frame number or track id: integer digits are read exactly (float() rounds beyond 2**53)."""
        text = cell.strip()
        if re.fullmatch(r"[+-]?[0-9]{1,40}", text):
            n = int(text)
        else:
            f = num(cell, line, name)
            if not math.isfinite(f) or f != int(f):
                raise FormatError(path, f"column {name!r}: expected an integer, got {_short(cell)}",
                                  line=line)
            n = int(f)
        return _check_number(n, path, f"column {name!r}: {what}", line)

    frames: dict[int, list[_Detection]] = {}
    K = len(cols.x)
    for ln, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise FormatError(path, f"{len(row)} fields, the header has {len(header)}", line=ln)
        f = len(frames) if cols.frame is None else whole(row[cols.frame], ln, header[cols.frame], "frame number")
        tid = None
        if cols.track is not None:
            tid = whole(row[cols.track], ln, header[cols.track], "track id")
        pts = np.empty((K, 3))
        for k in range(K):
            pts[k, 0] = num(row[cols.x[k]], ln, header[cols.x[k]])
            pts[k, 1] = num(row[cols.y[k]], ln, header[cols.y[k]])
            pts[k, 2] = 1.0 if cols.c[k] is None else num(row[cols.c[k]], ln, header[cols.c[k]])
        frames.setdefault(f, []).append((tid, pts))
    if not frames:
        raise FormatError(path, "no data rows after the header")
    kp = _assemble(frames, path, lay, min_len=min_len)
    kp.layout_guessed = guessed
    return kp


# ---------------------------------------------------------------------------------------- assembly
def _clean(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(…, K, 3) x, y, c → xy with NaN where missing, conf with 0 there."""
    xy = k[..., :2].copy()
    conf = np.nan_to_num(k[..., 2].copy(), nan=0.0)
    missing = ~np.isfinite(xy).all(-1) | ((conf <= 0) & (xy == 0).all(-1))
    xy[missing] = np.nan
    conf[missing] = 0.0
    return xy, conf


def _centroid_scale(pts: np.ndarray) -> tuple[np.ndarray, float] | None:
    xy, conf = _clean(pts)
    ok = np.isfinite(xy).all(-1) & (conf > 0)
    if not ok.any():
        return None
    v = xy[ok]
    return v.mean(0), float(np.linalg.norm(v.max(0) - v.min(0)))


_GATE = 2.0  # a detection farther than this many body sizes from a track never continues it
_MAX_GAP = 30  # frames: a track unseen for longer is closed (never continued), so tracking costs O(detections)
MIN_TRACK_LENGTH = 5
"""Default minimum number of frames a track must be detected in (``predict --min-track-length``)."""
MAX_TRACK_FRAMES = 2_000_000
"""Hard cap on tracks × frames of one input (dense arrays of that size are built), beyond it a clear error."""


def _track(frames: list[list[_Detection]]) -> list[list[int]]:
    """Track ids for every detection: the file's ids when all have one, else nearest-centroid tracking."""
    dets = [d for fr in frames for d in fr]
    if dets and all(tid is not None for tid, _ in dets):
        return [[int(tid) for tid, _ in fr] for fr in frames]
    if all(len(fr) <= 1 for fr in frames):  # one person at a time: one track
        return [[0] * len(fr) for fr in frames]
    tracks: list[dict] = []
    active: list[int] = []  # tracks seen within the last _MAX_GAP frames
    out = []
    for n, fr in enumerate(frames):
        active = [t for t in active if n - tracks[t]["last"] <= _MAX_GAP]
        cs = [_centroid_scale(pts) for _, pts in fr]
        ids = [-1] * len(fr)
        pairs = []
        for i, c in enumerate(cs):
            if c is None:
                continue
            for t in active:
                tr = tracks[t]
                d = float(np.linalg.norm(c[0] - tr["c"]))
                if d <= _GATE * max(c[1], tr["s"], 1e-9):
                    pairs.append((d, i, t))
        used = set()
        for _, i, t in sorted(pairs):
            if ids[i] == -1 and t not in used:
                ids[i] = t
                used.add(t)
        for i, c in enumerate(cs):
            if ids[i] == -1:
                if c is None:  # nothing detected: keep it out of the tracks
                    ids[i] = -2
                    continue
                tracks.append({"c": c[0], "s": c[1], "last": n})
                ids[i] = len(tracks) - 1
                active.append(ids[i])
            else:
                tracks[ids[i]].update(c=c[0], s=c[1], last=n)
        out.append(ids)
    return out


def _assemble(frames: dict[int, list[_Detection]], path, layout, per_file: dict | None = None, *,
              min_len: int = 1) -> Keypoints:
    """Per-frame detections → :class:`Keypoints` (missing frame numbers become empty frames).

    Tracks detected in fewer than ``min(min_len, half the frames with detections)`` frames are dropped (the
    longest track is kept if none is that long) before any dense array is built; more than
    :data:`MAX_TRACK_FRAMES` tracks × frames left is a :class:`FormatError`.
    """
    per_file = per_file or {}
    counts = {}
    for n, dets in frames.items():
        for _, pts in dets:
            counts.setdefault(len(pts), n)
    if len(counts) > 1:
        (k0, n0), (k1, n1) = sorted(counts.items(), key=lambda kv: kv[1])[:2]
        where = per_file.get(n1, path)
        raise FormatError(where, f"{k1} keypoints per person in frame {n1}, but {k0} in frame {n0}; "
                                 f"every person must have the same number")
    if not counts:
        raise FormatError(path, "no person in any frame; nothing to read")
    K = next(iter(counts))
    if K == 0:
        raise FormatError(path, "the people have no keypoints")
    lay, guessed = _resolve_layout(layout, K, path)
    nums = sorted(frames)
    first, last = nums[0], nums[-1]
    for n in (first, last):
        _check_number(n, per_file.get(n, path), "frame number")
    T = last - first + 1
    if T > 50 * len(nums) + 10_000:
        raise FormatError(path, f"frame numbers run from {first} to {last} for only {len(nums)} frames; "
                                f"expected consecutive frame numbers")
    ordered = [frames.get(n, []) for n in range(first, last + 1)]
    ids = _track(ordered)
    seen: dict[int, int] = {}
    for fr_ids in ids:
        for i in set(fr_ids) - {-2}:
            seen[i] = seen.get(i, 0) + 1
    need = min(min_len, (sum(1 for fr in ordered if fr) + 1) // 2)  # short inputs: half their frames
    uniq = sorted(i for i, c in seen.items() if c >= need)
    if not uniq and seen:
        uniq = [max(seen, key=seen.get)]
    short = len(seen) - len(uniq)
    if len(uniq) * T > MAX_TRACK_FRAMES:
        raise FormatError(path, f"{len(uniq)} tracks over {T} frames ({len(uniq) * T} track-frames) exceed the "
                                f"limit of {MAX_TRACK_FRAMES}; drop short tracks with a larger --min-track-length "
                                f"(now {min_len}) or split the input into shorter pieces")
    keep = set(uniq)
    for tid in uniq[:1] + uniq[-1:]:
        _check_number(tid, path, "track id")
    pos = {tid: p for p, tid in enumerate(uniq)}
    k = np.full((len(uniq), T, K, 3), np.nan)
    k[..., 2] = 0.0
    for t, (fr, fr_ids) in enumerate(zip(ordered, ids)):
        for (_, pts), tid in zip(fr, fr_ids):
            if tid not in keep:
                continue
            p = pos[tid]
            if np.isfinite(k[p, t, :, :2]).any():
                where = per_file.get(first + t, path)
                raise FormatError(where, f"track {tid} appears twice in frame {first + t}")
            k[p, t] = pts
    if len(uniq) == 0:
        raise FormatError(path, "no person with a single detected keypoint in any frame")
    xy, conf = _clean(k)
    return Keypoints(xy, conf, lay.name, np.asarray(uniq), np.arange(first, last + 1), source=str(path),
                     layout_guessed=guessed, short_tracks=short)


# ---------------------------------------------------------------------------------------- writers
def write_keypoints(kp: Keypoints, path: str | os.PathLike) -> Path:
    """Write keypoints atomically as ``.npz`` (P, T, K, 3 form) or ``.csv`` (the header above).

    Missing keypoints are written as ``NaN`` (npz) or empty cells (CSV) with confidence 0.
    """
    from .io import atomic_save_npz, atomic_write_text

    p = Path(path)
    lay = get_layout(kp.layout)
    k = np.concatenate([kp.xy, kp.conf[..., None]], -1)
    if p.suffix.lower() == ".npz":
        meta = {key: np.asarray(getattr(kp, key)) for key in ("width", "height", "fps") if getattr(kp, key)}
        return atomic_save_npz(p, plain=True, keypoints=k.astype(np.float64), layout=np.asarray(lay.name),
                               track_id=kp.track_ids, frame=kp.frames, **meta)
    if p.suffix.lower() == ".csv":
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["frame", "track"] + [f"{n}_{s}" for n in lay.keypoint_names for s in "xyc"])
        for t in range(kp.num_frames):
            for pi in range(kp.num_tracks):
                if not np.isfinite(kp.xy[pi, t]).any():
                    continue
                vals = []
                for j in range(lay.num_keypoints):
                    x, y = kp.xy[pi, t, j]
                    if np.isfinite(x) and np.isfinite(y):
                        vals += [repr(float(x)), repr(float(y)), repr(float(kp.conf[pi, t, j]))]
                    else:
                        vals += ["", "", "0"]
                w.writerow([int(kp.frames[t]), int(kp.track_ids[pi])] + vals)
        return atomic_write_text(p, buf.getvalue())
    raise SkelgnnError(f"{p}: keypoints can be written as .npz or .csv, not {p.suffix or '(no extension)'!r}")
