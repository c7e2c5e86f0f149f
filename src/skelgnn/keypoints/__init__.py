"""2D keypoints from other tools: layouts, their mapping onto our 17 joints, readers, gap filling.

A 2D detector (OpenPose, MediaPipe, mmpose, AlphaPose, detectron2, YOLO-pose …) writes keypoints in
its own *layout*. :func:`read_keypoints` reads them into a :class:`Keypoints` record (pixels, one
confidence per keypoint, one track per person), :func:`to_h36m` maps them onto the 17 Human3.6M
joints the lifters expect (:data:`skelgnn.core.skeleton.H36M_17`), and :func:`fill_missing` fills the
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
  missing keypoint, as a top-level list or as ``frames`` (:mod:`skelgnn.keypoints.readers.arrays`).
* **mmpose JSON**: the inferencer's ``[{"frame_id": n, "instances": [{"keypoints": [[x, y], …],
  "keypoint_scores": […], "bbox": …, "track_id": …}]}]`` and the demos' ``{"meta_info": …,
  "instance_info": […]}`` (:mod:`skelgnn.keypoints.readers.mmpose`).
* **npy**: an array (T, K, 2|3) or (P, T, K, 2|3).
* **VideoPose3D custom npz**: ``positions_2d`` + ``metadata`` with the image size in
  ``video_metadata`` (:mod:`skelgnn.keypoints.readers.vp3d_custom`; its pickles are rebuilt by a
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
  :mod:`skelgnn.keypoints.readers.csv_columns`. Empty cells are missing keypoints.

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

from .files import keypoints_from_array, read_keypoints, write_keypoints
from .layouts import LAYOUTS, Layout, get_layout, layout_for_count, map_to_h36m
from .tracks import (
    MAX_FPS,
    MAX_IMAGE_SIDE,
    MAX_TRACK_FRAMES,
    MIN_TRACK_LENGTH,
    Keypoints,
    fill_missing,
    to_h36m,
)

__all__ = [
    "LAYOUTS",
    "MAX_FPS",
    "MAX_IMAGE_SIDE",
    "MAX_TRACK_FRAMES",
    "MIN_TRACK_LENGTH",
    "Keypoints",
    "Layout",
    "fill_missing",
    "get_layout",
    "keypoints_from_array",
    "layout_for_count",
    "map_to_h36m",
    "read_keypoints",
    "to_h36m",
    "write_keypoints",
]
