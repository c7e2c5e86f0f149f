"""skelgnn.lifting.bvh_export: lifted joints → BVH → the project's BVH reader gives the joints back."""

from __future__ import annotations

import numpy as np
import pytest

from skelgnn.core.errors import ShapeError, SkelgnnError
from skelgnn.core.skeleton import H36M_17
from skelgnn.data.bvh import bvh_forward_kinematics, read_bvh
from skelgnn.lifting.bvh_export import BVH_READ_NAMES, joints_to_bvh, read_bvh_h36m, write_bvh
from skelgnn.tools.demo import load_demo_sample

PARENTS = H36M_17.parents


def _rotations(rng, n):
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = q.T
    return np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
                     np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
                     np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1)], -2)


def _rigid_motion(T=12, seed=0):
    """A rigid 17-joint skeleton (fixed bone lengths, fixed hips and shoulders arrangement) moving freely."""
    base = load_demo_sample()["joints_3d"][0].astype(np.float64)
    base = base - base[0]
    rng = np.random.default_rng(seed)
    rot = {j: _rotations(rng, T) for j in range(17)}
    out = np.zeros((T, 17, 3))
    glob = {}
    for j, p in enumerate(PARENTS):
        if p < 0:
            glob[j] = rot[j]
            continue
        out[:, j] = out[:, p] + np.einsum("tij,j->ti", glob[p], base[j] - base[p])
        glob[j] = glob[p] @ rot[j]  # every child of a joint moves with that joint's rotation
    return out


def test_rigid_skeleton_round_trips_exactly(tmp_path):
    x = _rigid_motion()
    path = write_bvh(tmp_path / "a.bvh", x, fps=30.0)
    back = read_bvh_h36m(path)
    np.testing.assert_allclose(back, x, atol=2e-3)  # 5 decimals in degrees and cm


def test_real_clip_round_trips_within_a_few_mm_with_the_trajectory(tmp_path):
    s = load_demo_sample()
    rel = s["joints_3d"].astype(np.float64)
    root = s["pelvis_camera"].astype(np.float64)
    path = write_bvh(tmp_path / "b.bvh", rel, fps=float(s["fps"]), root=root, unit="m")
    back = read_bvh_h36m(path, unit="m")
    err = np.linalg.norm(back - (rel - rel[:, :1] + root[:, None]), axis=-1)
    assert err.mean() < 1.0, err.mean()  # a real, nearly rigid skeleton: only rounding is left


def test_file_layout_axes_units_and_frame_time(tmp_path):
    s = load_demo_sample()
    rel = s["joints_3d"].astype(np.float64)
    text = joints_to_bvh(rel, fps=25.0)
    assert "CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation" in text
    assert "Frame Time: 0.04000000" in text and f"Frames: {len(rel)}" in text
    (tmp_path / "c.bvh").write_text(text)
    m = read_bvh(tmp_path / "c.bvh")
    assert m.frame_time == pytest.approx(0.04)
    assert sum(len(c) for c in m.channels) == 6 + 17 * 3
    pos = bvh_forward_kinematics(m)
    # Y up in centimetres: the head is above the pelvis, the ankles below, by body-sized amounts
    head_up = pos["Neck_end"][:, 1] - pos["Hips"][:, 1]
    ankle_down = pos["Hips"][:, 1] - pos["RightLeg_end"][:, 1]
    assert 40 < np.median(head_up) < 90 and 60 < np.median(ankle_down) < 120
    # rest pose: T-pose facing +Z, left at +X, legs down
    off = dict(zip(m.joint_names, m.offsets))
    assert off["LeftUpLeg"][0] > 0 > off["RightUpLeg"][0]
    assert off["LeftForeArm"][0] > 0 > off["RightForeArm"][0] and off["RightLeg"][1] < 0
    # the bone lengths are the clip's medians
    knee = np.median(np.linalg.norm(rel[:, 2] - rel[:, 1], axis=-1)) / 10.0
    assert np.linalg.norm(off["RightLeg"]) == pytest.approx(knee, rel=1e-5)
    assert set(BVH_READ_NAMES) <= set(m.joint_names)


def test_channels_are_unwrapped(tmp_path):
    x = _rigid_motion(T=40, seed=5)
    m_text = joints_to_bvh(x, fps=30.0)
    (tmp_path / "d.bvh").write_text(m_text)
    rot = read_bvh(tmp_path / "d.bvh").motion[:, 3:]
    assert np.abs(np.diff(rot, axis=0)).max() <= 180.0 + 1e-6


def test_bad_input_raises():
    x = _rigid_motion(T=3)
    with pytest.raises(ShapeError):
        joints_to_bvh(x[:, :16], fps=30.0)
    with pytest.raises(SkelgnnError, match="fps"):
        joints_to_bvh(x, fps=0.0)
    with pytest.raises(SkelgnnError, match="unit"):
        joints_to_bvh(x, fps=30.0, unit="inch")
    with pytest.raises(ShapeError, match="root"):
        joints_to_bvh(x, fps=30.0, root=np.zeros((2, 3)))
    bad = x.copy()
    bad[0, 3, 0] = np.nan
    with pytest.raises(SkelgnnError, match="NaN"):
        joints_to_bvh(bad, fps=30.0)
