"""The official Human3.6M CDF files → the VideoPose3D layout, and ground-truth 2D through the built-in
cameras.

:func:`convert_h36m_cdf` reads ``S*/MyPoseFeatures/D3_Positions/*.cdf`` (needs the optional
``cdflib`` package: ``pip install "skelgnn[h36m]"``) and writes ``data_3d_h36m.npz``;
:func:`write_gt_2d_file` projects such a file through the Human3.6M cameras
(:func:`skelgnn.core.camera_rigs.h36m_camera`, distortion included) into ``data_2d_h36m_gt.npz``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..core.camera_rigs import h36m_camera
from ..core.cameras import Camera, project, world_to_camera
from ..core.errors import FormatError, SkelgnnError
from ..core.skeleton import H36M_17
from .h36m import ALL_SUBJECTS, CAMERA_IDS, canonical_action_name, reduce_32_to_17, subject_tuple
from .vp3d import read_vp3d_3d, write_vp3d_2d, write_vp3d_3d

__all__ = ["convert_h36m_cdf", "h36m_gt_2d", "write_gt_2d_file"]

def _import_cdflib():
    try:
        return importlib.import_module("cdflib")
    except ImportError:
        raise SkelgnnError("reading the official Human3.6M CDF files needs the optional package cdflib: "
                           "pip install cdflib") from None


def _read_cdf_pose(cdflib, path: Path) -> np.ndarray:
    try:
        cdf = cdflib.CDF(str(path))
    except Exception as e:  # cdflib raises plain exceptions of several kinds
        raise FormatError(path, f"not a readable CDF file ({type(e).__name__}: {e})") from None
    try:
        try:
            pose = np.asarray(cdf.varget("Pose"), dtype=np.float64)
        except Exception as e:
            raise FormatError(path, f"cannot read variable 'Pose' ({type(e).__name__}: {e})") from None
    finally:
        close = getattr(cdf, "close", None)
        if callable(close):
            close()
    if pose.size == 0 or pose.size % 96 != 0:
        raise FormatError(path, f"variable 'Pose' has shape {pose.shape}; expected (1, T, 96) = 32 joints × "
                          "3 mm")
    return pose.reshape(-1, 32, 3)


def convert_h36m_cdf(root: str | Path, out: str | Path, *, subjects: Sequence[str] = ALL_SUBJECTS) -> Path:
    """Convert the official ``D3_Positions`` CDF files into ``data_3d_h36m.npz`` (VideoPose3D layout).

    Reads ``<root>/<subject>/MyPoseFeatures/D3_Positions/<sequence>.cdf`` (variable ``Pose``: 32 joints
    × 3, world millimetres), renames ``TakingPhoto`` → ``Photo`` and ``WalkingDog`` → ``WalkDog``
    (:data:`CDF_RENAMES`), skips ``_ALL*`` files, and writes world poses in metres, float32, 32 joints.
    Every sequence is kept, including S11 "Directions" (VideoPose3D's converter drops it; here the
    evaluation protocol drops it, see :data:`DEFAULT_EXCLUDE`). Needs ``pip install cdflib``; imported
    only when this function runs.

    Args:
        root: folder holding ``S1``, ``S5``, … as extracted from the official archives.
        out: the npz to write (atomically).
        subjects: subjects to convert.

    Returns:
        the written path.

    Raises:
        SkelgnnError: ``cdflib`` is not installed (with the install command).
        FormatError: a subject folder is missing or empty, or a CDF file is unreadable.
    """
    cdflib = _import_cdflib()
    root = Path(root)
    positions: dict[str, dict[str, np.ndarray]] = {}
    for s in subject_tuple(subjects):
        folder = root / s / "MyPoseFeatures" / "D3_Positions"
        if not folder.is_dir():
            raise FormatError(folder, f"missing: expected the D3_Positions folder of subject {s} from the "
                                      "official Human3.6M archives")
        files = sorted(p for p in folder.glob("*.cdf") if not p.stem.startswith("_ALL"))
        if not files:
            raise FormatError(folder, "holds no .cdf files")
        positions[s] = {}
        for f in files:
            action = canonical_action_name(f.stem)
            if action in positions[s]:
                raise FormatError(f, f"two files of subject {s} map to the action name {action!r}")
            positions[s][action] = (_read_cdf_pose(cdflib, f) / 1000.0).astype(np.float32)
    return write_vp3d_3d(out, positions)




def h36m_gt_2d(positions: dict, *, cameras: dict | None = None, extra_frames: int = 0) -> dict:
    """Ground-truth 2D of world poses: the projection through each camera, distortion included.

    This is how the ``gt`` 2D file of the field is made (CONVENTIONS §2.2).

    Args:
        positions: subject -> action -> (T, 32 or 17, 3) world poses in metres.
        cameras: subject -> action -> list of camera dicts; ``None`` uses the built-in Human3.6M
            cameras (4 per subject).
        extra_frames: append this many copies of the last frame to every 2D sequence (Human3.6M
            videos often have a few frames more than the mocap).

    Returns:
        subject -> action -> list of (T + extra_frames, 17, 2) float32 pixel arrays.
    """
    out: dict = {}
    for s, acts in positions.items():
        out[s] = {}
        for a, arr in acts.items():
            arr = np.asarray(arr, dtype=np.float64)
            if arr.shape[1] == 32:
                arr = reduce_32_to_17(arr)
            world = arr * 1000.0
            cams = ([h36m_camera(s, i) for i in range(len(CAMERA_IDS))] if cameras is None
                    else [Camera.from_dict(c) for c in cameras[s][a]])
            views = []
            for cam in cams:
                uv = project(world_to_camera(world, cam), cam)
                if extra_frames:
                    uv = np.concatenate([uv, np.repeat(uv[-1:], extra_frames, axis=0)])
                views.append(uv.astype(np.float32))
            out[s][a] = views
    return out


def write_gt_2d_file(data_3d: str | Path, out: str | Path, *, allow_pickle: bool = False,
                     extra_frames: int = 0) -> Path:
    """Write the ``gt`` 2D file of a VideoPose3D-layout 3D file (e.g. one made by :func:`convert_h36m_cdf`).

    Uses the file's own ``cameras`` when it has them, else the built-in Human3.6M cameras; 17 joints,
    pixels, distortion included (:func:`h36m_gt_2d`).

    Returns:
        the written path.
    """
    positions, cameras = read_vp3d_3d(Path(data_3d), allow_pickle=allow_pickle)
    meta = {"layout_name": "h36m", "num_joints": 17,
            "keypoints_symmetry": [list(H36M_17.left), list(H36M_17.right)]}
    return write_vp3d_2d(out, h36m_gt_2d(positions, cameras=cameras, extra_frames=extra_frames), meta)


