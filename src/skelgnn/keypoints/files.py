"""Reading keypoint files of other tools into :class:`~skelgnn.keypoints.tracks.Keypoints`, and writing ours.

The formats :func:`read_keypoints` understands are listed in :mod:`skelgnn.keypoints`; the parsers
of the simpler ones live in :mod:`skelgnn.keypoints.readers`.

Shape letters: ``P`` tracks (people), ``T`` frames, ``K`` keypoints of the layout.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from pathlib import Path

import numpy as np

from ..core.errors import FormatError, SkelgnnError
from ..core.io import atomic_save_npz, atomic_write_text
from .layouts import Layout, get_layout
from .npz_csv import _read_csv, _read_npz
from .readers.arrays import dense_array, dense_json, read_npy
from .readers.mmpose import is_mmpose, parse_mmpose
from .tracks import (
    MIN_TRACK_LENGTH,
    Detection,
    Keypoints,
    _apply_meta,
    _from_dense,
    assemble,
    check_number,
    short_repr,
)

__all__ = ["keypoints_from_array", "read_keypoints", "write_keypoints"]


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


def keypoints_from_array(points, *, layout: str | Layout | None = None, source: str = "<array>") -> Keypoints:
    """Keypoints from an in-memory array, read as a ``.npy`` file of the same shape would be.

    Args:
        points: (T, K, 2|3) one person or (P, T, K, 2|3) P people: x, y in pixels (and confidence);
            ``NaN`` (or ``(0, 0, 0)``) where missing.
        layout: the keypoint layout; guessed from ``K`` if ``None`` (17 keypoints: COCO-17).
        source: how errors and outputs name the array.

    Raises:
        FormatError: not a non-empty numeric array of one of those shapes.
    """
    return _from_dense(dense_array(np.asarray(points), source), source, layout)




def _number(x, path, where: str) -> float:
    if x is None:
        return math.nan
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise FormatError(path, f"{where}: expected a number, got {short_repr(x)}")
    try:
        f = float(x)
    except OverflowError:  # an integer of more than 308 digits
        raise FormatError(path, f"{where}: {short_repr(x)} is beyond the range of a number") from None
    if math.isinf(f):  # 1e400 (JSON reads it as inf) or Infinity; NaN and null are missing values
        raise FormatError(path, f"{where}: {short_repr(x)} is beyond the range of a number; expected a "
                                "finite number (NaN or null for a missing value)")
    return f


def _parse_points(obj, path, where: str) -> np.ndarray:
    """Keypoints as a flat ``[x, y, c, …]`` list or rows ``[x, y(, c)]`` → (K, 3) float64."""
    if not isinstance(obj, list):
        raise FormatError(path, f"{where}: expected a list of keypoints ([x, y, c, ...] or [[x, y, c], "
                                f"...]), got {type(obj).__name__}")
    if obj and all(isinstance(r, list) or r is None for r in obj):
        rows = []
        for i, r in enumerate(obj):
            if r is None:
                rows.append([math.nan, math.nan, 0.0])
                continue
            if len(r) not in (2, 3):
                raise FormatError(path, f"{where}[{i}]: expected [x, y] or [x, y, confidence], got {len(r)} "
                                        "values")
            vals = [_number(v, path, f"{where}[{i}]") for v in r]
            rows.append(vals if len(vals) == 3 else vals + [1.0])
        return np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    if len(obj) % 3:
        raise FormatError(path, f"{where} has {len(obj)} numbers; expected 3 per keypoint (x, y, confidence)")
    vals = [_number(v, path, f"{where}[{i}]") for i, v in enumerate(obj)]
    return np.asarray(vals, dtype=np.float64).reshape(-1, 3)


_ID_KEYS = ("track_id", "person_id", "idx", "id")



def _integral(v) -> bool:
    """An int, or a finite float without a fractional part (JSON writes 3.0 for 3)."""
    return isinstance(v, int) or (isinstance(v, float) and math.isfinite(v) and v.is_integer())


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
                                        f"{short_repr(obj[key])}")
            n = check_number(int(v), path, f"{where}.{key}: track id")
            return None if n < 0 else n
    return None


def _parse_person(obj, path, where: str) -> Detection:
    if isinstance(obj, dict):
        for key in ("keypoints", "pose_keypoints_2d"):
            if key in obj:
                pts = _parse_points(obj[key], path, f"{where}.{key}")
                scores = next((obj[s] for s in ("keypoint_scores", "scores") if s in obj), None)
                if scores is not None:  # confidences beside the keypoints replace the implicit 1
                    if not isinstance(scores, list) or len(scores) != len(pts):
                        raise FormatError(path, f"{where}.keypoint_scores: expected {len(pts)} scores (one "
                                                f"per keypoint), got {short_repr(scores)}")
                    pts[:, 2] = [_number(v, path, f"{where}.keypoint_scores[{i}]")
                                 for i, v in enumerate(scores)]
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
        return check_number(int(v), path, f"{where}: frame number")
    if isinstance(v, str):
        digits = re.findall(r"\d+", Path(v).stem)
        if not digits:
            return None
        if len(digits[-1]) > 18:  # int() refuses more than 4300 digits; int64 holds 18
            raise FormatError(path, f"{where}: the frame number in {short_repr(v)} has {len(digits[-1])} "
                                    "digits; expected at most 18")
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


def _openpose_people(doc, path) -> list[Detection]:
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
    if all(n is not None for n in numbers) and len(set(numbers)) != len(numbers):
        seen: dict[int, Path] = {}
        for n, f in zip(numbers, files):
            if n in seen:
                raise FormatError(folder, f"frame {n} appears twice ({seen[n].name} and {f.name}): the "
                                          "folder holds the output of more than one video; give each video "
                                          "its own folder")
            seen[n] = f
    if any(n is None for n in numbers):
        numbers = list(range(len(files)))
    else:
        files = [f for _, f in sorted(zip(numbers, files))]
        numbers = sorted(numbers)
    frames = {n: _openpose_people(_load_json(f), f) for n, f in zip(numbers, files)}
    return assemble(frames, folder, layout, per_file=dict(zip(numbers, files)), min_len=min_len)


def _read_json(path: Path, layout, min_len: int = 1) -> Keypoints:
    doc = _load_json(path)
    meta: dict = {}
    if is_mmpose(doc):
        frames, meta = parse_mmpose(doc, path)
        return assemble(frames, path, layout if layout is not None else meta.get("layout"), min_len=min_len)
    dense = dense_json(doc.get("frames") if isinstance(doc, dict) else doc, path)
    if dense is not None:
        if isinstance(doc, dict):
            dense.meta = {k: doc[k] for k in ("layout", "width", "height", "fps") if k in doc}
        return _from_dense(dense, path, layout)
    if isinstance(doc, dict) and "people" in doc and "frames" not in doc:  # a single OpenPose frame
        frames = {0: _openpose_people(doc, path)}
        return assemble(frames, path, layout, min_len=min_len)
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

    frames: dict[int, list[Detection]] = {}
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
    kp = assemble(frames, path, layout, min_len=min_len)
    _apply_meta(kp, meta, path)
    return kp





# ---------------------------------------------------------------------------------------- writers
def write_keypoints(kp: Keypoints, path: str | os.PathLike) -> Path:
    """Write keypoints atomically as ``.npz`` (P, T, K, 3 form) or ``.csv`` (the header above).

    Missing keypoints are written as ``NaN`` (npz) or empty cells (CSV) with confidence 0.
    """
    p = Path(path)
    lay = get_layout(kp.layout)
    k = np.concatenate([kp.xy, kp.conf[..., None]], -1)
    if p.suffix.lower() == ".npz":
        meta = {key: np.asarray(getattr(kp, key)) for key in ("width", "height", "fps") if getattr(kp, key)}
        return atomic_save_npz(p, plain=True, keypoints=k.astype(np.float64), layout=np.asarray(lay.name),
                               track_id=kp.track_ids, frame=kp.frames, **meta)
    if p.suffix.lower() == ".csv":
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
