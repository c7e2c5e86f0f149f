"""HDM05-Lift builder on 16 real short clips: the spec's rules, file round trips, determinism."""

import json

import numpy as np
import pytest

from skelgnn.core.cameras import Camera, project, world_to_camera
from skelgnn.core.errors import FormatError, SkelgnnError
from skelgnn.core.skeleton import H36M_17
from skelgnn.data.hdm05 import build_benchmark, canonical_yaw, find_clips, sanity_figures
from skelgnn.data.hdm05_files import LIFT_FILE, load_benchmark
from skelgnn.data.vp3d import read_vp3d_2d, read_vp3d_3d

RIGID = ["pelvis-right_hip", "right_hip-right_knee", "right_knee-right_ankle", "pelvis-left_hip",
         "left_hip-left_knee", "left_knee-left_ankle", "thorax-left_shoulder", "left_shoulder-left_elbow",
         "left_elbow-left_wrist", "thorax-right_shoulder", "right_shoulder-right_elbow",
         "right_elbow-right_wrist", "neck-head"]


@pytest.fixture(scope="module")
def bench(tiny_bench_dir):
    return load_benchmark(tiny_bench_dir)


def test_files_written(tiny_bench_dir):
    for name in (LIFT_FILE, "data_3d_hdm05.npz", "data_2d_hdm05_gt.npz", "data_2d_hdm05_noisy.npz",
                 "cameras_hdm05.json", "rare20_hdm05.npz", "sanity.json", "README.md"):
        assert (tiny_bench_dir / name).is_file(), name
    assert "CC BY-SA 3.0" in (tiny_bench_dir / "README.md").read_text()
    assert not list(tiny_bench_dir.glob(".*.tmp"))  # no leftovers of the atomic writes


def test_build_is_deterministic_and_file_round_trip_is_exact(tiny_hdm05_src, bench):
    again = build_benchmark(tiny_hdm05_src)
    for field in ("joints_world", "joints_2d_gt", "joints_2d_noisy", "cam_R", "cam_center", "rare20",
                  "clip_keys", "clip_split", "clip_start", "clip_length"):
        np.testing.assert_array_equal(getattr(again, field), getattr(bench, field), err_msg=field)


def test_frame_rate_and_split(bench, tiny_hdm05_src):
    clips = find_clips(tiny_hdm05_src)
    src_frames = {}
    for c in clips:
        with open(c.amc, encoding="latin-1") as f:
            src_frames[c.key] = sum(1 for line in f if line.strip().isdigit())
    for c, key in enumerate(bench.clip_keys):
        assert bench.clip_length[c] == (src_frames[str(key)] + 3) // 4  # frames 0, 4, 8, ...
    train_clips = [k for k, a in zip(bench.clip_keys, bench.clip_actor) if a in ("bd", "bk", "dg")]
    val = [k for k, s in zip(bench.clip_keys, bench.clip_split) if s == "val"]
    assert val == [train_clips[9]]  # every 10th training clip, sorted order
    assert set(bench.clip_actor[bench.clip_split == "test"]) == {"mm", "tr"}


def test_cameras_follow_the_spec(bench):
    for c in range(len(bench.clip_keys)):
        root = bench.joints_world[bench.clip_frames(c), 0].astype(np.float64)
        target = np.array([root[:, 0].mean(), 900.0, root[:, 2].mean()])
        for i, yaw in enumerate((45, 135, 225, 315)):
            cam = bench.camera(c, i)
            a = np.deg2rad(yaw)
            expect = target + np.array([4500 * np.cos(a), 0, 4500 * np.sin(a)])
            expect[1] = 1600.0
            np.testing.assert_allclose(cam.center, expect, atol=1e-3)
            # the look-at point projects onto the principal point
            np.testing.assert_allclose(project(world_to_camera(target, cam), cam), [500, 500], atol=1e-6)
            assert cam.f[0] == cam.f[1] == 1145 and cam.width == cam.height == 1000


def test_2d_is_the_projection_and_noise_is_as_specified(bench):
    c = 0
    sl = bench.clip_frames(c)
    for i in range(4):
        cam = bench.camera(c, i)
        uv = project(world_to_camera(bench.joints_world[sl].astype(np.float64), cam), cam)
        np.testing.assert_allclose(bench.joints_2d_gt[i, sl], uv, atol=1e-3)
    d = (bench.joints_2d_noisy - bench.joints_2d_gt).reshape(-1)
    assert 3.5 < np.median(np.abs(d)) / 0.6745 < 4.5  # robust sigma ~ 4 px
    assert np.abs(d).max() > 30  # outliers exist (sigma 20 px on ~3 % of joints)


def test_vp3d_exports_match(tiny_bench_dir, bench):
    with pytest.raises(FormatError, match="allow_pickle"):
        read_vp3d_3d(tiny_bench_dir / "data_3d_hdm05.npz")
    pos3d, cams = read_vp3d_3d(tiny_bench_dir / "data_3d_hdm05.npz", allow_pickle=True)
    gt, meta = read_vp3d_2d(tiny_bench_dir / "data_2d_hdm05_gt.npz", allow_pickle=True)
    noisy, _ = read_vp3d_2d(tiny_bench_dir / "data_2d_hdm05_noisy.npz", allow_pickle=True)
    assert meta["num_joints"] == 17 and meta["keypoints_symmetry"] == [list(H36M_17.left),
                                                                       list(H36M_17.right)]
    for c, key in enumerate(bench.clip_keys):
        s, a = str(key).split("/")
        sl = bench.clip_frames(c)
        np.testing.assert_allclose(pos3d[s][a] * 1000.0, bench.joints_world[sl], atol=1e-3)
        for i in range(4):
            np.testing.assert_array_equal(gt[s][a][i], bench.joints_2d_gt[i, sl])
            np.testing.assert_array_equal(noisy[s][a][i], bench.joints_2d_noisy[i, sl])
            cam = Camera.from_dict(cams[s][a][i])
            np.testing.assert_allclose(cam.R, bench.cam_R[c, i])
    js = json.loads((tiny_bench_dir / "cameras_hdm05.json").read_text())
    assert Camera.from_dict(js[str(bench.clip_keys[0])][2]).center.tolist() == bench.cam_center[0, 2].tolist()


def test_rare20_set(tiny_bench_dir, bench):
    test = bench.clip_split[bench.clip_of_frame] == "test"
    assert bench.rare20.sum() == round(0.2 * test.sum())
    assert not bench.rare20[~test].any()
    chosen = bench.rare_distance[bench.rare20]
    others = bench.rare_distance[test & ~bench.rare20]
    assert chosen.min() >= others.max()
    with np.load(tiny_bench_dir / "rare20_hdm05.npz") as f:
        assert len(f["frame"]) == bench.rare20.sum()
        np.testing.assert_allclose(np.sort(f["distance_mm"]), np.sort(chosen))


def test_canonical_yaw_removes_heading():
    rng = np.random.default_rng(0)
    pose = rng.normal(size=(1, 17, 3)) * 300
    a = 1.1
    R = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    turned = pose @ R.T + np.array([100.0, 0, -50])
    np.testing.assert_allclose(canonical_yaw(turned), canonical_yaw(pose), atol=1e-9)
    c = canonical_yaw(pose)[0]
    hip = c[4] - c[1]
    assert hip[0] > 0 and abs(hip[2]) < 1e-9


def test_rigid_bones_keep_their_length(bench):
    fig = sanity_figures(bench)
    for bone in RIGID:
        assert fig["max_within_clip_drift_mm"][bone] < 0.1, bone
    assert fig["frames_30fps"]["test"] > 0 and fig["frames_30fps"]["val"] > 0
    pelvis_height = bench.joints_world[:, 0, 1]
    assert 700 < np.median(pelvis_height) < 1200


def test_bad_inputs(tmp_path, tiny_hdm05_src):
    with pytest.raises(FormatError, match="MANIFEST"):
        find_clips(tmp_path)
    (tmp_path / "MANIFEST.tsv").write_text("file\tactor\n")
    with pytest.raises(FormatError, match="line 1"):
        find_clips(tmp_path)
    with pytest.raises(FormatError, match="no such file"):
        load_benchmark(tmp_path)
    (tmp_path / LIFT_FILE).write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(FormatError, match="not a readable"):
        load_benchmark(tmp_path)
    assert isinstance(FormatError("x", "y"), SkelgnnError)
