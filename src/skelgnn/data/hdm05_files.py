"""Writing and reading HDM05-Lift on disk.

``save_benchmark`` writes, atomically, into one folder:

* ``hdm05_lift.npz`` — every array of :class:`~skelgnn.data.hdm05.Benchmark`, plain npz (no pickle);
  this is what ``skelgnn train`` / ``evaluate`` read;
* ``data_3d_hdm05.npz``, ``data_2d_hdm05_gt.npz``, ``data_2d_hdm05_noisy.npz`` — the VideoPose3D layout
  (world poses in metres; 2D in pixels, 4 cameras per clip in yaw order 45°, 135°, 225°, 315°), with the
  cameras of every clip inside the 3D file, so that code written for Human3.6M reads it as is;
* ``cameras_hdm05.json`` — the same cameras as plain JSON;
* ``rare20_hdm05.npz`` — the Rare20 frame set (subject, clip, 30 fps frame index, distance in mm);
* ``sanity.json`` and ``README.md`` (spec version, licence and attribution).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..core.errors import FormatError
from ..core.io import atomic_save_npz, atomic_write_text, read_npz
from ..core.skeleton import H36M_17
from .hdm05 import ATTRIBUTION, Benchmark, cameras_json
from .value_ranges import check_value_ranges
from .vp3d import write_vp3d_2d, write_vp3d_3d

__all__ = ["LIFT_FILE", "OUTPUT_FILES", "save_benchmark", "load_benchmark", "SPEC_VERSION"]

LIFT_FILE = "hdm05_lift.npz"
OUTPUT_FILES = (LIFT_FILE, "data_3d_hdm05.npz", "data_2d_hdm05_gt.npz", "data_2d_hdm05_noisy.npz",
                "cameras_hdm05.json", "rare20_hdm05.npz", "sanity.json", "README.md")
SPEC_VERSION = "HDM05-Lift spec v1"
_FIELDS = ("clip_keys", "clip_actor", "clip_class", "clip_split", "clip_start", "clip_length", "joints_world",
           "joints_2d_gt", "joints_2d_noisy", "clip_of_frame", "cam_R", "cam_center", "cam_f", "cam_c",
           "rare_distance", "rare20")


def _split_key(key: str) -> tuple[str, str]:
    subject, clip = str(key).split("/", 1)
    return subject, clip


def save_benchmark(bench: Benchmark, out: str | Path, sanity: dict | None = None) -> list[Path]:
    """Write every file of the benchmark into ``out`` (created if needed); returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    arrays = {f: getattr(bench, f) for f in _FIELDS}
    arrays["image_size"] = np.array([bench.width, bench.height])
    arrays["spec"] = np.array(SPEC_VERSION)
    arrays["skeleton_joint_names"] = np.array(H36M_17.joint_names)
    arrays["skeleton_parents"] = np.array(H36M_17.parents)
    arrays["attribution"] = np.array(ATTRIBUTION)
    written.append(atomic_save_npz(out / LIFT_FILE, compressed=True, **arrays))

    cams = cameras_json(bench)
    pos3d, pos_gt, pos_noisy, cam_tree = {}, {}, {}, {}
    for c, key in enumerate(bench.clip_keys):
        s, a = _split_key(key)
        sl = bench.clip_frames(c)
        pos3d.setdefault(s, {})[a] = bench.joints_world[sl] / 1000.0
        pos_gt.setdefault(s, {})[a] = [bench.joints_2d_gt[i, sl] for i in range(4)]
        pos_noisy.setdefault(s, {})[a] = [bench.joints_2d_noisy[i, sl] for i in range(4)]
        cam_tree.setdefault(s, {})[a] = cams[str(key)]
    meta = {"layout_name": "h36m", "num_joints": 17,
            "keypoints_symmetry": [list(H36M_17.left), list(H36M_17.right)],
            "res_w": bench.width, "res_h": bench.height, "fps": 30, "spec": SPEC_VERSION}
    written.append(write_vp3d_3d(out / "data_3d_hdm05.npz", pos3d, cameras=cam_tree))
    written.append(write_vp3d_2d(out / "data_2d_hdm05_gt.npz", pos_gt, dict(meta, source="gt")))
    written.append(write_vp3d_2d(out / "data_2d_hdm05_noisy.npz", pos_noisy, dict(meta, source="noisy")))
    written.append(atomic_write_text(out / "cameras_hdm05.json", json.dumps(cams, indent=1)))

    idx = np.flatnonzero(bench.rare20)
    keys = bench.clip_keys[bench.clip_of_frame[idx]]
    written.append(atomic_save_npz(
        out / "rare20_hdm05.npz",
        subject=np.array([_split_key(k)[0] for k in keys]), clip=np.array([_split_key(k)[1] for k in keys]),
        frame=(idx - bench.clip_start[bench.clip_of_frame[idx]]).astype(np.int64),
        distance_mm=bench.rare_distance[idx], threshold_mm=np.array(bench.rare_distance[idx].min()),
    ))
    if sanity is not None:
        written.append(atomic_write_text(out / "sanity.json", json.dumps(sanity, indent=1)))
    written.append(atomic_write_text(out / "README.md", (
        f"# HDM05-Lift ({SPEC_VERSION})\n\nBuilt by `skelgnn data hdm05`. Files: see "
        "`skelgnn.data.hdm05_files`.\n\n## Licence\n\n" + ATTRIBUTION + "\n")))
    return written


def load_benchmark(folder: str | Path) -> Benchmark:
    """Read ``hdm05_lift.npz`` from ``folder`` (plain npz, no pickle)."""
    path = Path(folder) / LIFT_FILE
    try:
        return _load_benchmark(path)
    except FormatError:
        raise
    except Exception as e:  # a decoding boundary: damaged files must give our own error
        raise FormatError(path, f"not a readable HDM05-Lift file ({type(e).__name__}: {e}); "
                                "rebuild it with `skelgnn data hdm05`") from None


def _load_benchmark(path: Path) -> Benchmark:
    if not path.is_file():
        raise FormatError(path, "no such file; build the benchmark with "
                                "`skelgnn data hdm05 --src <hdm05 folder> --out <folder>`")
    names, arrays = read_npz(path, (*_FIELDS, "image_size"))
    missing = [f for f in (*_FIELDS, "image_size") if f not in names]
    if missing:
        raise FormatError(path, f"missing arrays {missing}; rebuild with `skelgnn data hdm05`")
    fields = {f: arrays[f] for f in _FIELDS}
    size = arrays["image_size"]
    if size.shape != (2,) or size.dtype.kind not in "iu" or not (size > 0).all():
        raise FormatError(path, f"image_size must be two positive integers (width, height), got {size!r}")
    w, h = (int(v) for v in size)
    _check_consistent(path, fields)
    check_value_ranges(path, fields, w, h, "skelgnn data hdm05")
    return Benchmark(**fields, width=w, height=h)


def _check_consistent(path: Path, f: dict) -> None:
    """Shapes, dtypes and clip ranges of a loaded ``hdm05_lift.npz``; a :class:`FormatError` names the
    array."""
    def bad(key: str, expected: str):
        a = f[key]
        raise FormatError(path, f"array {key!r} is {a.dtype} {a.shape}; expected {expected}. The file is "
                                "damaged: rebuild it with `skelgnn data hdm05`")

    n = len(f["joints_world"]) if f["joints_world"].ndim else 0
    c = len(f["clip_keys"]) if f["clip_keys"].ndim else 0
    shapes = {"joints_world": ((n, 17, 3), "f"), "joints_2d_gt": ((4, n, 17, 2), "f"),
              "joints_2d_noisy": ((4, n, 17, 2), "f"), "clip_of_frame": ((n,), "iu"),
              "rare_distance": ((n,), "f"),
              "rare20": ((n,), "b"), "clip_start": ((c,), "iu"), "clip_length": ((c,), "iu"),
              "clip_keys": ((c,), "U"), "clip_actor": ((c,), "U"), "clip_class": ((c,), "U"),
              "clip_split": ((c,), "U"), "cam_R": ((c, 4, 3, 3), "f"), "cam_center": ((c, 4, 3), "f"),
              "cam_f": ((c, 4, 2), "f"), "cam_c": ((c, 4, 2), "f")}
    for key, (shape, kinds) in shapes.items():
        if f[key].shape != shape or f[key].dtype.kind not in kinds:
            bad(key, f"{'/'.join(kinds)} {shape} (N = {n} frames, C = {c} clips)")
    if n == 0 or c == 0:
        raise FormatError(path, "holds no frames or no clips; rebuild it with `skelgnn data hdm05`")
    start, length = f["clip_start"].astype(np.int64), f["clip_length"].astype(np.int64)
    expected_start = np.concatenate([[0], np.cumsum(length)[:-1]])
    if (length < 1).any() or int(length.sum()) != n:
        bad("clip_length", f"clip lengths >= 1 that add up to the {n} frames")
    if not np.array_equal(start, expected_start):
        bad("clip_start", f"consecutive clip ranges covering the {n} frames (0, then cumulative clip_length)")
    if not np.array_equal(f["clip_of_frame"], np.repeat(np.arange(c), length)):
        bad("clip_of_frame", "the clip index of every frame, matching clip_start/clip_length")
    if not set(f["clip_split"].tolist()) <= {"train", "val", "test"}:
        bad("clip_split", "'train', 'val' or 'test' per clip")
    for key in ("joints_world", "joints_2d_gt", "joints_2d_noisy", "cam_R", "cam_center", "cam_f", "cam_c"):
        if not np.isfinite(f[key]).all():
            bad(key, "finite values")
