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

from ..errors import FormatError, SkelgnnError
from ..io import atomic_save_npz, atomic_write_text, read_npz
from .layouts import LAYOUTS, Layout, get_layout, resolve_layout
from .readers import Dense
from .readers.arrays import dense_json, read_npy
from .readers.csv_columns import Columns, positional_columns
from .readers.mmpose import is_mmpose, parse_mmpose
from .readers.vp3d_custom import is_vp3d_custom, read_vp3d_custom
from .tracks import (MAX_NUMBER, MIN_TRACK_LENGTH, Detection, Keypoints, assemble, check_number, clean_points,
                     short_repr)

__all__ = ["read_keypoints", "write_keypoints", "MAX_IMAGE_SIDE", "MAX_FPS"]


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
    lay, guessed = resolve_layout(layout, K, path)
    xy, conf = clean_points(d.points)
    kp = Keypoints(xy, conf, lay.name, np.arange(P) if d.track_ids is None else d.track_ids,
                   np.arange(T) if d.frames is None else d.frames, source=str(path), layout_guessed=guessed)
    _apply_meta(kp, d.meta, path)
    return kp





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
        return check_number(int(v), path, f"{where}: frame number")
    if isinstance(v, str):
        digits = re.findall(r"\d+", Path(v).stem)
        if not digits:
            return None
        if len(digits[-1]) > 18:  # int() refuses more than 4300 digits; int64 holds 18
            raise FormatError(path, f"{where}: the frame number in {short_repr(v)} has {len(digits[-1])} digits; "
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
    if any(n is None for n in numbers) or len(set(numbers)) != len(numbers):
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
        return assemble(frames, path, layout if layout is not None else meta.get("layout"))
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
            raise FormatError(path, f"'{key}' must be a number, got {short_repr(meta[key])}")
        if not (math.isfinite(v) and 0 < v <= top) or (cast is int and v < 1):
            raise FormatError(path, f"'{key}' must be a positive number of at most {top:g}, got {short_repr(meta[key])}")
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
    bad = ~((flat > -MAX_NUMBER) & (flat < MAX_NUMBER))
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
            raise FormatError(path, f"'{key}' is not UTF-8 text: {short_repr(v)}") from None
    return str(v)


_NPZ_KEYS = ("keypoints", "track_id", "frame", "layout", "width", "height", "fps")


def _read_npz(path: Path, layout, min_len: int = 1) -> Keypoints:
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
        frames: dict[int, list[Detection]] = {}
        for i in range(len(k)):
            frames.setdefault(int(frame[i]), []).append((None if tid is None else int(tid[i]), k[i]))
        kp = assemble(frames, path, layout, min_len=min_len)
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
        lay, guessed = resolve_layout(layout, k.shape[2], path)
        xy, conf = clean_points(k)
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
                raise FormatError(path, f"column {name!r}: expected an integer, got {short_repr(cell)}",
                                  line=line)
            n = int(f)
        return check_number(n, path, f"column {name!r}: {what}", line)

    frames: dict[int, list[Detection]] = {}
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
    kp = assemble(frames, path, lay, min_len=min_len)
    kp.layout_guessed = guessed
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
