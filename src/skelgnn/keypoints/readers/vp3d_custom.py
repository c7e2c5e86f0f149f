"""VideoPose3D's custom-video 2D file (``data_2d_custom_<name>.npz``, from ``prepare_data_2d_custom.py``).

Two members, each a pickled dict:

* ``positions_2d``: ``{video name: {"custom": [array (T, K, 2|3)]}}``, pixels;
* ``metadata``: ``{"layout_name": "coco", "num_joints": 17, "keypoints_symmetry": [...],
  "video_metadata": {video name: {"w": width, "h": height}}}``.

Pickles can run code when loaded, so they are **not** unpickled with :mod:`pickle` as is: a restricted
unpickler rebuilds only dicts, lists, numbers, strings and numpy arrays, and refuses anything else
(no ``--allow-pickle`` needed). A file with several videos is read when ``video`` names one.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np

from ...core.errors import FormatError
from . import Dense, with_confidence

__all__ = ["is_vp3d_custom", "read_vp3d_custom"]

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
}
_LAYOUTS = {"coco": "coco17", "h36m": "h36m17", "halpe": "halpe26", "openpose": "body25", "body25": "body25"}


class _NumpyOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to load {module}.{name} (only numpy arrays and plain data)")


def _load_object(zf: zipfile.ZipFile, member: str, path) -> object:
    """One pickled ``.npy`` member, rebuilt with the restricted unpickler."""
    try:
        with zf.open(f"{member}.npy") as raw:
            fh = io.BytesIO(raw.read())
        version = np.lib.format.read_magic(fh)
        _shape, _, dtype = (np.lib.format.read_array_header_1_0(fh) if version == (1, 0)
                           else np.lib.format.read_array_header_2_0(fh))
        if dtype.hasobject:
            obj = _NumpyOnly(fh).load()
            if isinstance(obj, np.ndarray) and obj.shape == () and obj.dtype == object:
                obj = obj.item()
            return obj
        fh.seek(0)
        return np.lib.format.read_array(fh, allow_pickle=False)
    except KeyError:
        raise FormatError(path, f"no '{member}' member") from None
    except Exception as e:  # a decoding boundary: report, never crash
        raise FormatError(path, f"member '{member}' cannot be decoded ({type(e).__name__}: "
                                f"{str(e).splitlines()[0] if str(e) else ''})") from None


def is_vp3d_custom(names: list[str]) -> bool:
    """Whether an npz with these member names is VideoPose3D's 2D layout."""
    return "positions_2d" in names and "keypoints" not in names


def read_vp3d_custom(path: Path, video: str | None = None) -> Dense:
    """The 2D keypoints of one video of a VideoPose3D custom npz, with its image size and layout."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise FormatError(path, f"not a readable npz file ({e})") from None
    with zf:
        pos = _load_object(zf, "positions_2d", path)
        meta_obj = _load_object(zf, "metadata", path) if "metadata.npy" in zf.namelist() else {}
    if not isinstance(pos, dict) or not pos:
        raise FormatError(path, "'positions_2d' must be a dict {video name: {'custom': [array (T, K, 2)]}}")
    names = sorted(map(str, pos))
    if video is None:
        if len(pos) != 1:
            raise FormatError(path, f"'positions_2d' holds {len(pos)} videos ({', '.join(names[:5])}); "
                                    f"read one with read_keypoints(..., video=NAME)")
        video = next(iter(pos))
    if video not in pos:
        raise FormatError(path, f"'positions_2d' has no video {video!r}; videos: {', '.join(names[:10])}")
    entry = pos[video]
    arrays = entry.get("custom") if isinstance(entry, dict) else None
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise FormatError(path, f"positions_2d[{video!r}]: expected {{'custom': [array (T, K, 2)]}}, got "
                                f"{type(entry).__name__}")
    k = arrays[0]
    if not isinstance(k, np.ndarray) or k.dtype.kind not in "iuf" or k.ndim != 3 \
            or k.shape[-1] not in (2, 3) or 0 in k.shape:
        got = f"{k.dtype} {k.shape}" if isinstance(k, np.ndarray) else type(k).__name__
        raise FormatError(path, f"positions_2d[{video!r}]['custom'][0]: expected a numeric array (T, K, 2), "
                                f"got {got}")
    meta: dict = {}
    if isinstance(meta_obj, dict):
        lay = meta_obj.get("layout_name")
        if isinstance(lay, str) and lay.lower() in _LAYOUTS:
            meta["layout"] = _LAYOUTS[lay.lower()]
        vm = meta_obj.get("video_metadata")
        size = vm.get(video) if isinstance(vm, dict) else None
        if isinstance(size, dict):
            if "w" in size:
                meta["width"] = size["w"]
            if "h" in size:
                meta["height"] = size["h"]
    return Dense(with_confidence(k)[None], meta=meta)
