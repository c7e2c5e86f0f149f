"""mmpose's JSON predictions.

Three shapes, all with per-person ``keypoints`` (``[[x, y], …]``), ``keypoint_scores`` (``[s, …]``,
the confidences) and usually ``bbox`` / ``bbox_score`` / ``track_id``:

* the inferencer's ``--pred-out-dir`` file for a video: ``[{"frame_id": n, "instances": [person, …]}, …]``;
* the inferencer's file for one image: ``[person, …]`` (one frame);
* the demo scripts' ``--save-predictions`` file: ``{"meta_info": {…}, "instance_info": [{"frame_id": n,
  "instances": [...]}, …]}``; ``meta_info.dataset_name`` (``coco``, ``halpe``, ``h36m``, …) names the layout.

``track_id`` (when every instance has one) keeps people apart; otherwise the caller tracks them.
A ``bbox`` is not needed for lifting and is checked only for being a list.
"""

from __future__ import annotations

import math

import numpy as np

from ...core.errors import FormatError
from . import Detection

__all__ = ["is_mmpose", "parse_mmpose"]

_DATASET_LAYOUTS = {"coco": "coco17", "coco_wholebody": None, "halpe": "halpe26", "h36m": "h36m17",
                    "body25": "body25", "openpose": "body25"}


def _is_instance(d) -> bool:
    return isinstance(d, dict) and "keypoints" in d and "keypoint_scores" in d and "image_id" not in d


def is_mmpose(doc) -> bool:
    """Whether ``doc`` (parsed JSON) is one of mmpose's prediction shapes."""
    if isinstance(doc, dict):
        return "instance_info" in doc
    if isinstance(doc, list) and doc:
        if all(isinstance(d, dict) and "instances" in d for d in doc):
            return True
        return all(_is_instance(d) for d in doc)
    return False


def _num(v, path, where: str) -> float:
    if v is None:
        return math.nan
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise FormatError(path, f"{where}: expected a number, got {v!r}"[:200])
    try:
        return float(v)
    except OverflowError:  # an integer of more than 308 digits
        raise FormatError(path, f"{where}: an integer of {len(str(v))} digits is beyond the range of a "
                                "number") \
            from None


def _person(inst, path, where: str) -> Detection:
    if not isinstance(inst, dict) or "keypoints" not in inst:
        raise FormatError(path, f"{where}: expected an instance with 'keypoints' and 'keypoint_scores'")
    kps = inst["keypoints"]
    if not isinstance(kps, list) or not all(isinstance(r, list) and len(r) >= 2 for r in kps):
        raise FormatError(path, f"{where}.keypoints: expected a list of [x, y] rows")
    pts = np.empty((len(kps), 3))
    for i, r in enumerate(kps):
        pts[i, 0] = _num(r[0], path, f"{where}.keypoints[{i}]")
        pts[i, 1] = _num(r[1], path, f"{where}.keypoints[{i}]")
    scores = inst.get("keypoint_scores")
    if scores is None:
        pts[:, 2] = np.isfinite(pts[:, :2]).all(-1)
    else:
        if not isinstance(scores, list) or len(scores) != len(kps):
            n = len(scores) if isinstance(scores, list) else type(scores).__name__
            raise FormatError(path, f"{where}.keypoint_scores: expected {len(kps)} scores (one per "
                                    f"keypoint), got {n}")
        pts[:, 2] = [_num(s, path, f"{where}.keypoint_scores[{i}]") for i, s in enumerate(scores)]
    if "bbox" in inst and not isinstance(inst["bbox"], list):
        raise FormatError(path, f"{where}.bbox: expected [x1, y1, x2, y2] or [[x1, y1, x2, y2]]")
    tid = inst.get("track_id")
    if tid is not None:
        if isinstance(tid, bool) or not isinstance(tid, (int, float)) or not float(tid).is_integer():
            raise FormatError(path, f"{where}.track_id: expected an integer, got {tid!r}")
        if not -10 ** 18 < tid < 10 ** 18:
            raise FormatError(path, f"{where}.track_id: {tid!r} is out of range; expected at most 18 digits")
        tid = int(tid) if tid >= 0 else None
    return tid, pts


def parse_mmpose(doc, path) -> tuple[dict[int, list[Detection]], dict]:
    """mmpose's JSON → ``({frame number: [detection, …]}, meta)``; meta may name the ``layout``."""
    meta: dict = {}
    where = ""
    if isinstance(doc, dict):
        info = doc.get("meta_info")
        if isinstance(info, dict) and isinstance(info.get("dataset_name"), str):
            lay = _DATASET_LAYOUTS.get(info["dataset_name"].lower())
            if lay:
                meta["layout"] = lay
        items, where = doc["instance_info"], "instance_info"
        if not isinstance(items, list):
            raise FormatError(path, "instance_info: expected a list of {'frame_id': n, 'instances': [...]}")
    else:
        items = doc
    if items and all(_is_instance(d) for d in items):  # one image
        return {0: [_person(d, path, f"[{i}]") for i, d in enumerate(items)]}, meta
    frames: dict[int, list[Detection]] = {}
    for i, fr in enumerate(items):
        w = f"{where}[{i}]"
        if not isinstance(fr, dict) or not isinstance(fr.get("instances"), list):
            raise FormatError(path, f"{w}: expected {{'frame_id': n, 'instances': [...]}}")
        n = fr.get("frame_id", i)
        if isinstance(n, bool) or not isinstance(n, (int, float)) or not float(n).is_integer() \
                or not -10 ** 18 < n < 10 ** 18:
            raise FormatError(path, f"{w}.frame_id: expected an integer frame number, got {n!r}")
        if int(n) in frames:
            raise FormatError(path, f"{w}.frame_id: frame {int(n)} appears twice")
        frames[int(n)] = [_person(d, path, f"{w}.instances[{k}]") for k, d in enumerate(fr["instances"])]
    return frames, meta
