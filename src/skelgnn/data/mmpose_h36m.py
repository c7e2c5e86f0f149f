"""Human3.6M in mmpose's layout: ``annotation_body3d/fps{50,10}/h36m_{train,test}.npz`` (plain npz, no
pickle).

``imgname`` (N,), ``S`` (N, 17, 4) camera-frame joints in metres plus a visibility column, ``part``
(N, 17, 3) pixels plus visibility, ``center``/``scale`` (unused). Rows are grouped into sequences by
``imgname`` (see :func:`read_mmpose_h36m`); the sequences follow the contract of
:func:`skelgnn.data.h36m.h36m_sequences`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..core.camera_rigs import H36M_INTRINSICS
from ..core.errors import FormatError
from ..core.io import read_npz
from ..core.normalization import normalize_input
from .h36m import (
    CAMERA_IDS,
    DEFAULT_EXCLUDE,
    KEEP_16,
    action_class,
    canonical_action_name,
    check_selection,
    subject_tuple,
)
from .sequences import SequenceSet

__all__ = ["read_mmpose_h36m"]

_MMPOSE_NAME = re.compile(r"^(S\d+)_(.+)\.(\d+)$")


def read_mmpose_h36m(
    path: str | Path,
    *,
    joints: int = 17,
    subjects: Sequence[str] | None = None,
    exclude: Iterable[tuple[str, str]] | None = DEFAULT_EXCLUDE,
    downsample: int = 1,
    detections: str | Path | None = None,
    input_norm: str = "screen",
) -> SequenceSet:
    """Read mmpose's ``h36m_{train,test}.npz`` into sequences (CONVENTIONS §2.4).

    Rows are grouped by ``imgname``: the file name (directories dropped) is
    ``<subject>_<sequence>.<camera id>_<frame>.jpg`` where ``<sequence>`` is the raw Human3.6M sequence
    name with spaces written as ``_`` (``S1_Directions_1.54138969_000001.jpg``). The sequence name is
    turned back into VideoPose3D's spelling (``_`` → space, then :data:`CDF_RENAMES`, so
    ``"TakingPhoto_1"`` → ``"Photo 1"``), which is what ``exclude`` and the keys use. Frames are sorted
    by their number. This reading of mmpose's naming follows its preprocessing script; a file written
    otherwise fails with a :class:`FormatError` naming the row.

    Args:
        path: the npz (plain, no pickle).
        joints: 17, or 16 to drop Neck/Nose.
        subjects: keep only these subjects (``None``: all in the file).
        exclude: (subject, action) pairs to skip, in VideoPose3D spelling (default: S11 "Directions";
            mmpose itself keeps it, so pass ``()`` to reproduce mmpose's protocol).
        downsample: keep every k-th row of each sequence (the fps10 file is already every 5th frame).
        detections: optional ``.npy`` of detected 2D joints (N, 17, 2 or 3) in the same row order
            (e.g. ``cpn_ft_h36m_dbb_test.npy``) used instead of ``part``.
        input_norm: ``"screen"`` (camera image size from :data:`skelgnn.core.camera_rigs.H36M_INTRINSICS`) or
            ``"bbox"``.

    Returns:
        a :class:`SequenceSet` as in :func:`h36m_sequences` (3D from ``S``, metres → mm).

    Raises:
        FormatError: missing key, wrong shape, an ``imgname`` that does not parse, unknown camera.
    """
    check_selection(joints, downsample)
    path = Path(path)
    arrays = _load_plain_npz(path, ("imgname", "S", "part"))
    names, S = arrays["imgname"], arrays["S"]
    part = arrays["part"] if detections is None else _load_npy(Path(detections))
    if names.ndim != 1 or names.dtype.kind not in "US":
        raise FormatError(path, f"key 'imgname' is a {names.dtype} array of shape {names.shape}; expected "
                                "(N,) strings (one image name per row)")
    n = len(names)
    if S.ndim != 3 or S.shape[1:2] != (17,) or S.shape[2] not in (3, 4) or len(S) != n:
        raise FormatError(path, f"key 'S' has shape {S.shape}; expected ({n}, 17, 4) camera-frame joints")
    if S.dtype.kind not in "iuf":
        raise FormatError(path, f"key 'S' has dtype {S.dtype}; expected numbers (metres)")
    src = path if detections is None else Path(detections)
    key2d = "part" if detections is None else "detections"
    if part.ndim != 3 or part.shape[1] != 17 or part.shape[2] not in (2, 3) or len(part) != n:
        raise FormatError(src, f"{key2d} has shape {part.shape}; expected ({n}, 17, 2 or 3) pixels")
    if part.dtype.kind not in "iuf":
        raise FormatError(src, f"{key2d} has dtype {part.dtype}; expected numbers (pixels)")
    if names.dtype.kind == "S":
        try:
            names = np.char.decode(names, "utf-8")
        except UnicodeDecodeError as e:
            raise FormatError(path, f"key 'imgname' holds a name that is not UTF-8 text "
                                    f"({e.object[:60]!r})") from None
    names = names.astype(str)
    base = np.char.rpartition(names, "/")[:, 2]
    stem = np.char.rpartition(base, ".jpg")
    if not np.all(stem[:, 1] == ".jpg"):
        bad = int(np.flatnonzero(stem[:, 1] != ".jpg")[0])
        raise FormatError(path, f"imgname[{bad}] = {names[bad]!r} does not end in '.jpg'")
    seq_frame = np.char.rpartition(stem[:, 0], "_")
    # str.isdigit() also accepts "²" and other digits int() refuses; int64 holds 18 digits
    digits = np.array([f.isascii() and f.isdigit() and len(f) <= 18 for f in seq_frame[:, 2].tolist()],
                      dtype=bool)
    if not digits.all():
        bad = int(np.flatnonzero(~digits)[0])
        raise FormatError(path, f"imgname[{bad}] = {_short_text(names[bad])} is not "
                                "'<subject>_<sequence>.<camera id>_<frame>.jpg' (frame: 1 to 18 digits 0-9)")
    frames = seq_frame[:, 2].astype(np.int64)
    prefixes, first, inverse = np.unique(seq_frame[:, 0], return_index=True, return_inverse=True)
    by_group = np.argsort(inverse, kind="stable")  # rows grouped by sequence, file order within a group
    bounds = np.searchsorted(inverse[by_group], np.arange(len(prefixes) + 1))
    keep_subjects = None if subjects is None else set(subject_tuple(subjects))
    excluded = {(str(s), str(a)) for s, a in (exclude or ())}
    groups = []
    for g, prefix in enumerate(prefixes):
        m = _MMPOSE_NAME.match(str(prefix))
        if m is None:
            row = int(first[g])
            raise FormatError(path, f"imgname[{row}] = {names[row]!r} is not "
                                    "'<subject>_<sequence>.<camera id>_<frame>.jpg'")
        subject, raw, cam_id = m.groups()
        if cam_id not in CAMERA_IDS:
            row = int(first[g])
            raise FormatError(path, f"imgname[{row}] = {names[row]!r}: unknown camera id {cam_id}; "
                                    f"Human3.6M cameras: {list(CAMERA_IDS)}")
        action = canonical_action_name(raw.replace("_", " "))
        if (keep_subjects is not None and subject not in keep_subjects) or (subject, action) in excluded:
            continue
        groups.append((_subject_number(subject), subject, action, CAMERA_IDS.index(cam_id), g))
    groups.sort()
    out = SequenceSet()
    for _, subject, action, cam, g in groups:
        rows = by_group[bounds[g]:bounds[g + 1]]
        rows = rows[np.argsort(frames[rows], kind="stable")][::downsample]
        intr = H36M_INTRINSICS[cam]
        x3 = S[rows, :, :3].astype(np.float64) * 1000.0
        x3 = x3 - x3[:, :1]
        uv = part[rows, :, :2]
        if joints == 16:
            x3, uv = x3[:, list(KEEP_16)], uv[:, list(KEEP_16)]
        x2 = normalize_input(uv, input_norm, intr["res_w"], intr["res_h"])
        out.inputs.append(x2.astype(np.float32))
        out.targets.append(x3.astype(np.float32))
        out.keys.append(f"{subject}/{action}/{cam}")
        out.classes.append(action_class(action))
        out.rare.append(np.zeros(len(rows), dtype=bool))
    return out


def _short_text(text: str) -> str:
    return repr(text) if len(text) <= 100 else f"{text[:60]!r}...({len(text)} characters)"


def _subject_number(subject: str) -> int:
    digits = subject[1:]
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 10 else 10**6


def _load_plain_npz(path: Path, keys: tuple[str, ...]) -> dict:
    if not path.is_file():
        raise FormatError(path, "no such file")
    try:
        names, arrays = read_npz(path, keys)
    except FormatError as e:
        if "pickled" in e.detail:
            raise FormatError(path, f"{e.detail}; mmpose's annotation npz is plain arrays "
                                    "(imgname, S, part, center, scale)") from None
        raise
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise FormatError(path, f"missing key(s) {missing}; found {sorted(names)} "
                                "(expected mmpose's h36m_{train,test}.npz layout)")
    return arrays


def _load_npy(path: Path) -> np.ndarray:
    if not path.is_file():
        raise FormatError(path, "no such file")
    try:
        arr = np.load(path, allow_pickle=False)
    except Exception as e:  # a decoding boundary: numpy's header parser raises almost anything
        raise FormatError(path, f"not a plain .npy array of detections ({type(e).__name__}: {e})") from None
    if not isinstance(arr, np.ndarray):  # np.load opened an npz archive
        arr.close()
        raise FormatError(path, "not a plain .npy array of detections (an npz archive)")
    return arr


