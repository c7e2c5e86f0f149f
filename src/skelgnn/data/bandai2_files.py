"""Writing and reading Bandai2-Cross on disk.

``save_cross`` writes, atomically, into one folder:

* ``bandai2_cross.npz`` — every array of :class:`~skelgnn.data.bandai2.CrossSet`, plain npz (no pickle);
  this is what ``skelgnn evaluate --data`` reads;
* ``data_3d_bandai2.npz``, ``data_2d_bandai2_gt.npz``, ``data_2d_bandai2_noisy.npz`` — the VideoPose3D
  layout (subject ``bandai2``, one action per clip file name; world poses in metres; 2D in pixels, 4 cameras
  per clip in yaw order 45°, 135°, 225°, 315°), with the cameras of every clip inside the 3D file;
* ``sanity.json`` (frames, clips, in-view share per camera, bone lengths) and ``README.md`` (spec and the
  CC BY-NC licence: nothing here may go into the package).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..core.errors import FormatError
from ..core.io import atomic_save_npz, atomic_write_text, read_npz
from ..core.skeleton import H36M_17
from .bandai2 import LICENCE, CrossSet
from .value_ranges import check_value_ranges
from .vp3d import write_vp3d_2d, write_vp3d_3d

__all__ = ["CROSS_FILE", "OUTPUT_FILES", "SPEC_VERSION", "save_cross", "load_cross", "is_cross_folder",
           "cross_sanity"]

CROSS_FILE = "bandai2_cross.npz"
OUTPUT_FILES = (CROSS_FILE, "data_3d_bandai2.npz", "data_2d_bandai2_gt.npz", "data_2d_bandai2_noisy.npz",
                "sanity.json", "README.md")
SPEC_VERSION = "Bandai2-Cross (HDM05-Lift spec v1.2, section 8)"
SUBJECT = "bandai2"
_FIELDS = ("clip_keys", "clip_content", "clip_style", "clip_start", "clip_length", "joints_world",
           "joints_2d_gt", "joints_2d_noisy", "in_view", "clip_of_frame", "cam_R", "cam_center", "cam_f",
           "cam_c")


def is_cross_folder(folder: str | Path) -> bool:
    """True when ``folder`` holds a Bandai2-Cross build (``bandai2_cross.npz``)."""
    return (Path(folder) / CROSS_FILE).is_file()


def cross_sanity(cs: CrossSet) -> dict:
    """Frames, clips, in-view share per camera and mean bone lengths (mm) of the build."""
    j = cs.joints_world.astype(np.float64)
    bones = {f"{H36M_17.joint_names[p]}-{H36M_17.joint_names[k]}":
             round(float(np.linalg.norm(j[:, k] - j[:, p], axis=-1).mean()), 1)
             for k, p in enumerate(H36M_17.parents) if p >= 0}
    return {"spec": SPEC_VERSION, "clips": int(len(cs.clip_keys)), "frames": int(len(cs.joints_world)),
            "in_view_share_per_camera": [round(float(v), 4) for v in cs.in_view.mean(axis=1)],
            "in_view_samples": int(cs.in_view.sum()), "all_samples": int(cs.in_view.size),
            "bone_length_mm": bones}


def save_cross(cs: CrossSet, out: str | Path, sanity: dict | None = None) -> list[Path]:
    """Write every file of the set into ``out`` (created if needed); returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    arrays = {f: getattr(cs, f) for f in _FIELDS}
    arrays.update(image_size=np.array([cs.width, cs.height]), spec=np.array(SPEC_VERSION),
                  skeleton_joint_names=np.array(H36M_17.joint_names),
                  skeleton_parents=np.array(H36M_17.parents), licence=np.array(LICENCE))
    written = [atomic_save_npz(out / CROSS_FILE, compressed=True, **arrays)]
    pos3d, pos_gt, pos_noisy, cams = {}, {}, {}, {}
    for c, key in enumerate(cs.clip_keys):
        sl, key = cs.clip_frames(c), str(key)
        pos3d[key] = cs.joints_world[sl] / 1000.0
        pos_gt[key] = [cs.joints_2d_gt[i, sl] for i in range(4)]
        pos_noisy[key] = [cs.joints_2d_noisy[i, sl] for i in range(4)]
        cams[key] = [cs.camera(c, i).to_dict() for i in range(4)]
    meta = {"layout_name": "h36m", "num_joints": 17,
            "keypoints_symmetry": [list(H36M_17.left), list(H36M_17.right)],
            "res_w": cs.width, "res_h": cs.height, "fps": 30, "spec": SPEC_VERSION, "licence": LICENCE}
    written.append(write_vp3d_3d(out / "data_3d_bandai2.npz", {SUBJECT: pos3d}, cameras={SUBJECT: cams}))
    written.append(write_vp3d_2d(out / "data_2d_bandai2_gt.npz", {SUBJECT: pos_gt}, dict(meta, source="gt")))
    written.append(write_vp3d_2d(out / "data_2d_bandai2_noisy.npz", {SUBJECT: pos_noisy},
                                 dict(meta, source="noisy")))
    written.append(atomic_write_text(out / "sanity.json", json.dumps(sanity or cross_sanity(cs), indent=1)))
    written.append(atomic_write_text(out / "README.md", (
        f"# {SPEC_VERSION}\n\nBuilt by `skelgnn data bandai2`. Files: see `skelgnn.data.bandai2_files`. "
        "Every clip is test data.\n\n## Licence\n\n" + LICENCE + "\n")))
    return written


def load_cross(folder: str | Path) -> CrossSet:
    """Read ``bandai2_cross.npz`` from ``folder`` (plain npz, no pickle)."""
    path = Path(folder) / CROSS_FILE
    if not path.is_file():
        raise FormatError(path, "no such file; build the set with "
                                "`skelgnn data bandai2 --src <bandai2 folder> --out <folder>`")
    try:
        names, arrays = read_npz(path, (*_FIELDS, "image_size"))
    except FormatError:
        raise
    except Exception as e:  # a decoding boundary: damaged files must give our own error
        raise FormatError(path, f"not a readable Bandai2-Cross file ({type(e).__name__}: {e}); "
                                "rebuild it with `skelgnn data bandai2`") from None
    missing = [f for f in (*_FIELDS, "image_size") if f not in names]
    if missing:
        raise FormatError(path, f"missing arrays {missing}; rebuild with `skelgnn data bandai2`")
    f = {k: arrays[k] for k in _FIELDS}
    n, c = len(f["joints_world"]), len(f["clip_keys"])
    shapes = {"joints_world": (n, 17, 3), "joints_2d_gt": (4, n, 17, 2), "joints_2d_noisy": (4, n, 17, 2),
              "in_view": (4, n), "clip_of_frame": (n,), "clip_start": (c,), "clip_length": (c,),
              "cam_R": (c, 4, 3, 3), "cam_center": (c, 4, 3), "cam_f": (c, 4, 2), "cam_c": (c, 4, 2)}
    for key, shape in shapes.items():
        if f[key].shape != shape:
            raise FormatError(path, f"array {key!r} has shape {f[key].shape}; expected {shape} "
                                    f"(N = {n} frames, C = {c} clips). Rebuild it with "
                                    "`skelgnn data bandai2`")
    if n == 0 or int(f["clip_length"].sum()) != n:
        raise FormatError(path,
                          "clip lengths do not cover the frames; rebuild it with `skelgnn data bandai2`")
    for key in ("joints_world", "joints_2d_gt", "joints_2d_noisy", "cam_R", "cam_center"):
        if not np.isfinite(f[key]).all():
            raise FormatError(path, f"array {key!r} holds non-finite values; rebuild it with `skelgnn data "
                              "bandai2`")
    w, h = (int(v) for v in arrays["image_size"])
    check_value_ranges(path, f, w, h, "skelgnn data bandai2")
    return CrossSet(**f, width=w, height=h)
