"""Synthetic Human3.6M-like data in the VideoPose3D layout, for tests and examples (no real data needed).

:func:`synthetic_h36m_positions` makes smooth random motions of a 17- or 32-joint template;
:func:`write_h36m_like` writes them (and their ground-truth 2D) as ``data_3d_<name>.npz`` and
``data_2d_<name>_<source>.npz``, readable by :func:`skelgnn.data.h36m.load_vp3d_pair`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..core.errors import SkelgnnError
from ..core.skeleton import H36M_17
from .h36m import H36M_32, H36M_32_TO_17
from .h36m_cdf import h36m_gt_2d
from .vp3d import write_vp3d_2d, write_vp3d_3d

__all__ = ["synthetic_h36m_positions", "write_h36m_like"]

def write_h36m_like(folder: str | Path, positions: dict, *, name: str = "h36m", source: str = "gt",
                    cameras: dict | None = None, extra_frames: int = 0) -> tuple[Path, Path]:
    """Write ``data_3d_<name>.npz`` and ``data_2d_<name>_<source>.npz`` from world poses (for tests).

    Args:
        folder: output folder.
        positions: subject -> action -> (T, 32 or 17, 3) world poses in metres.
        name: dataset name in the file names.
        source: 2D source name in the 2D file name.
        cameras: optional in-file cameras (subject -> action -> [camera dicts]); ``None`` writes a plain
            Human3.6M-style 3D file and projects through the built-in cameras.
        extra_frames: extra 2D frames per camera (see :func:`h36m_gt_2d`).

    Returns:
        ``(path_3d, path_2d)``.
    """
    folder = Path(folder)
    p3 = write_vp3d_3d(folder / f"data_3d_{name}.npz", positions, cameras=cameras)
    meta = {"layout_name": "h36m", "num_joints": 17, "keypoints_symmetry": [list(H36M_17.left),
                                                                            list(H36M_17.right)]}
    p2 = write_vp3d_2d(folder / f"data_2d_{name}_{source}.npz",
                       h36m_gt_2d(positions, cameras=cameras, extra_frames=extra_frames), meta)
    return p3, p2


_TEMPLATE_17_M = np.array([
    [0.0, 0.0, 0.95], [-0.13, 0.0, 0.93], [-0.14, 0.03, 0.50], [-0.15, 0.0, 0.08],
    [0.13, 0.0, 0.93], [0.14, 0.03, 0.50], [0.15, 0.0, 0.08],
    [0.0, 0.0, 1.18], [0.0, 0.0, 1.45], [0.0, -0.05, 1.55], [0.0, -0.02, 1.68],
    [0.17, 0.0, 1.42], [0.21, 0.02, 1.15], [0.23, -0.04, 0.90],
    [-0.17, 0.0, 1.42], [-0.21, 0.02, 1.15], [-0.23, -0.04, 0.90],
])


def synthetic_h36m_positions(subjects: Sequence[str], actions: Sequence[str], frames: int | Sequence[int], *,
                             num_joints: int = 32, seed: int = 0) -> dict:
    """Plausible world poses (metres, Z up, near the origin) in the VideoPose3D 3D layout, for tests.

    A standing template, turned about Z and moved a little per sequence, with smooth per-joint wobble.
    The 15 extra joints of the 32-joint skeleton sit a few centimetres from their parents.

    Args:
        subjects: subject names.
        actions: action names (every subject gets all of them).
        frames: frames per sequence (an int, or one per action).
        num_joints: 32 or 17.
        seed: numpy seed.

    Returns:
        subject -> action -> (T, num_joints, 3) float32.
    """
    if num_joints not in (17, 32):
        raise SkelgnnError(f"num_joints must be 17 or 32, got {num_joints}")
    rng = np.random.default_rng(seed)
    lengths = [int(frames)] * len(actions) if np.isscalar(frames) else [int(f) for f in frames]
    extra_offsets = rng.normal(0.0, 0.04, size=(32, 3))
    out: dict = {}
    for s in subjects:
        out[s] = {}
        for a, T in zip(actions, lengths):
            yaw = rng.uniform(-np.pi, np.pi)
            c, sn = np.cos(yaw), np.sin(yaw)
            rot = np.array([[c, -sn, 0.0], [sn, c, 0.0], [0.0, 0.0, 1.0]])
            shift = np.append(rng.uniform(-0.5, 0.5, size=2), 0.0)
            t = np.arange(T)[:, None, None]
            phase = rng.uniform(0, 2 * np.pi, size=(1, 17, 3))
            wobble = 0.05 * np.sin(0.2 * t + phase)
            p17 = (_TEMPLATE_17_M[None] + wobble) @ rot.T + shift
            if num_joints == 17:
                out[s][a] = p17.astype(np.float32)
                continue
            p32 = np.zeros((T, 32, 3))
            p32[:, list(H36M_32_TO_17)] = p17
            for j in range(32):
                if j not in H36M_32_TO_17:
                    p32[:, j] = p32[:, H36M_32.parents[j]] + extra_offsets[j]
            out[s][a] = p32.astype(np.float32)
    return out
