"""The VideoPose3D npz layout: ``data_3d_<name>.npz`` and ``data_2d_<name>_<source>.npz``.

Layout (VideoPose3D's npz files; docs/data.md):

* 3D file: key ``positions_3d`` = pickled dict ``subject -> action -> (T, J, 3)`` float32 world poses in
  **metres**; our exports add ``cameras`` = pickled dict ``subject -> action -> [4 camera dicts]``.
* 2D file: key ``positions_2d`` = pickled dict ``subject -> action -> [4 × (T, J, 2)]`` float32 pixels,
  and ``metadata`` = pickled dict with ``num_joints`` and ``keypoints_symmetry`` ([left], [right]).

The layout stores pickled Python objects, and unpickling an untrusted file can run code. Readers
therefore refuse unless the caller passes ``allow_pickle=True``, the explicit opt-in for this legacy
layout; skelgnn's own training data is read from plain (pickle-free) npz files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.errors import FormatError
from ..core.io import atomic_save_npz, read_npz

__all__ = ["write_vp3d_3d", "write_vp3d_2d", "read_vp3d_3d", "read_vp3d_2d"]


def _obj(value) -> np.ndarray:
    arr = np.empty((), dtype=object)
    arr[()] = value
    return arr


def write_vp3d_3d(path: str | Path, positions: dict, cameras: dict | None = None) -> Path:
    """Write ``positions`` (subject -> action -> (T, J, 3) metres) in the VideoPose3D 3D layout."""
    arrays = {"positions_3d": _obj({s: {a: np.asarray(v, np.float32) for a, v in acts.items()}
                                    for s, acts in positions.items()})}
    if cameras is not None:
        arrays["cameras"] = _obj(cameras)
    return atomic_save_npz(path, **arrays)


def write_vp3d_2d(path: str | Path, positions: dict, metadata: dict) -> Path:
    """Write ``positions`` (subject -> action -> list of (T, J, 2) pixel arrays, one per camera)."""
    pos = {s: {a: [np.asarray(v, np.float32) for v in views] for a, views in acts.items()}
           for s, acts in positions.items()}
    return atomic_save_npz(path, positions_2d=_obj(pos), metadata=_obj(dict(metadata)))


def _load(path: Path, keys: tuple[str, ...], allow_pickle: bool) -> dict:
    if not path.is_file():
        raise FormatError(path, "no such file")
    if not allow_pickle:
        raise FormatError(path, "the VideoPose3D layout stores pickled dicts; pass allow_pickle=True "
                                "(only for files you trust) to read it")
    names, arrays = read_npz(path, allow_pickle=True)
    missing = [k for k in keys if k not in names]
    if missing:
        raise FormatError(path, f"missing key(s) {missing}; found {sorted(names)} "
                                f"(expected the VideoPose3D layout)")
    return {k: v.item() if v.dtype == object and v.shape == () else v for k, v in arrays.items()}


def _check_dict(path: Path, key: str, value) -> dict:
    if not isinstance(value, dict):
        raise FormatError(path,
                          f"key {key!r} holds {type(value).__name__}, expected a dict subject -> action")
    for s, acts in value.items():
        if not isinstance(acts, dict):
            raise FormatError(path, f"{key}[{s!r}] holds {type(acts).__name__}, expected a dict action -> "
                              "data")
    return value


def _guarded(fn):
    """Turn any unexpected error while decoding a file into a FormatError naming the file.

    Unpickling and numpy's header parsing can raise almost anything on a damaged file (found by fuzzing);
    callers must only ever see the library's own error type.
    """
    import functools

    @functools.wraps(fn)
    def wrapper(path, *args, **kwargs):
        try:
            return fn(path, *args, **kwargs)
        except FormatError:
            raise
        except FileNotFoundError:
            raise FormatError(path, "no such file") from None
        except Exception as e:  # a decoding boundary: report, never crash
            raise FormatError(path,
                              f"not a readable VideoPose3D-layout file ({type(e).__name__}: {e})") from None

    return wrapper


@_guarded
def read_vp3d_3d(path: str | Path, *, allow_pickle: bool = False) -> tuple[dict, dict | None]:
    """Read a VideoPose3D-layout 3D file.

    Returns:
        ``(positions, cameras)``: positions is subject -> action -> (T, J, 3) float32; cameras is
        the optional ``cameras`` dict (None when absent).
    """
    path = Path(path)
    data = _load(path, ("positions_3d",), allow_pickle)
    pos = _check_dict(path, "positions_3d", data["positions_3d"])
    for s, acts in pos.items():
        for a, arr in acts.items():
            arr = np.asarray(arr)
            if arr.ndim != 3 or arr.shape[-1] != 3:
                raise FormatError(path, f"positions_3d[{s!r}][{a!r}] has shape {arr.shape}, expected (T, J, "
                                  "3)")
            acts[a] = arr.astype(np.float32, copy=False)
    return pos, data.get("cameras")


@_guarded
def read_vp3d_2d(path: str | Path, *, allow_pickle: bool = False) -> tuple[dict, dict]:
    """Read a VideoPose3D-layout 2D file.

    Returns:
        ``(positions, metadata)``: positions is subject -> action -> list of (T, J, 2) float32 pixel
        arrays (one per camera).
    """
    path = Path(path)
    data = _load(path, ("positions_2d", "metadata"), allow_pickle)
    pos = _check_dict(path, "positions_2d", data["positions_2d"])
    meta = data["metadata"]
    if not isinstance(meta, dict) or "num_joints" not in meta:
        raise FormatError(path, "key 'metadata' must be a dict with 'num_joints' and 'keypoints_symmetry'")
    for s, acts in pos.items():
        for a, views in acts.items():
            if not isinstance(views, (list, tuple)):
                raise FormatError(path, f"positions_2d[{s!r}][{a!r}] is {type(views).__name__}, "
                                        "expected a list of per-camera arrays")
            checked = []
            for i, v in enumerate(views):
                v = np.asarray(v)
                if v.ndim != 3 or v.shape[-1] != 2 or v.shape[1] != meta["num_joints"]:
                    raise FormatError(path, f"positions_2d[{s!r}][{a!r}][{i}] has shape {v.shape}, "
                                            f"expected (T, {meta['num_joints']}, 2)")
                checked.append(v.astype(np.float32, copy=False))
            acts[a] = checked
    return pos, meta
