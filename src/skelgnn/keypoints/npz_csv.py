"""Reading skelgnn's own ``.npz`` keypoint files (and VideoPose3D custom npz) and CSV tables of keypoint
columns into :class:`~skelgnn.keypoints.tracks.Keypoints` (:func:`skelgnn.keypoints.files.read_keypoints`
calls these by extension)."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np

from ..core.errors import FormatError
from ..core.io import read_npz
from .layouts import LAYOUTS, Layout, get_layout, resolve_layout
from .readers.csv_columns import Columns, positional_columns
from .readers.vp3d_custom import is_vp3d_custom, read_vp3d_custom
from .tracks import (
    MAX_NUMBER,
    Detection,
    Keypoints,
    _apply_meta,
    _from_dense,
    assemble,
    check_number,
    clean_points,
    short_repr,
)


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
        raise FormatError(path, "'keypoints' must be a numeric array of shape (T, K, 2|3) or (P, T, K, "
                                f"2|3), got {k.dtype} {k.shape}")
    k = k.astype(np.float64)
    infinite = np.isinf(k)
    if infinite.any():  # as the CSV reader: NaN is a missing value, an infinity is no position at all
        where = tuple(int(i) for i in np.argwhere(infinite)[0])
        raise FormatError(path, f"'keypoints' holds {int(infinite.sum())} infinite value(s) (first at "
                                f"index {where}); expected finite pixels and confidences (NaN for a missing "
                                "joint)")
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
                raise FormatError(path, f"'track_id' must have shape ({P},) (one id per track), got "
                                        f"{np.shape(tid)}")
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
        raise FormatError(path, "empty file; expected a header 'frame,track,<name>_x,<name>_y,<name>_c,...'",
                          line=1)
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
            raise FormatError(path, f"the columns name {len(names)} keypoints ({', '.join(names[:4])}, ...) "
                                    "that match no layout's keypoint names; pass the layout "
                                    "explicitly", line=1)
        lay, guessed = match[0], True
    else:
        lay = get_layout(layout)
    # the layout's own names in its order; other names: the columns in header order
    order = list(lay.keypoint_names) if set(names) == set(lay.keypoint_names) else names
    cols_c = [next((col[n + s] for s in _CONF_SUFFIXES if n + s in col), None) for n in order]
    cols = Columns(col["frame"], track_col, [col[f"{n}_x"] for n in order], [col[f"{n}_y"] for n in order],
                   cols_c)
    return _csv_rows(rows, header, cols, path, lay, guessed, min_len)


def _csv_rows(rows: list[list[str]], header: list[str], cols: Columns, path, lay: Layout, guessed: bool,
              min_len: int = 1) -> Keypoints:
    """The data rows of a CSV whose columns are known → :class:`Keypoints`."""

    def num(cell: str, line: int, name: str) -> float:
        cell = cell.strip()
        if cell == "" or cell.lower() == "nan":
            return math.nan
        try:
            f = float(cell)
        except ValueError:
            raise FormatError(path, f"column {name!r}: {short_repr(cell)} is not a number",
                              line=line) from None
        if math.isinf(f):  # 1e400, 400 digits, inf: no pixel position (an empty cell or NaN is missing)
            raise FormatError(path, f"column {name!r}: {short_repr(cell)} is beyond the range of a number; "
                                    "expected a finite number (empty or NaN for a missing value)", line=line)
        return f

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
        f = (len(frames) if cols.frame is None
             else whole(row[cols.frame], ln, header[cols.frame], "frame number"))
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
