"""Bandai2-Cross (spec v1.2 §8): the BVH forward kinematics against the files' own numbers, the build rule,
the files, the cross-dataset report and the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from skelgnn.cli import main
from skelgnn.core.errors import FormatError, SkelgnnError
from skelgnn.core.height import STATURE_PER_CHAIN, chain_length, scale_to_height, standing_height
from skelgnn.core.skeleton import H36M_17
from skelgnn.data.bandai2 import (
    BVH_TO_H36M17,
    build_cross,
    clip_joints,
    cross_sequences,
    find_clips,
    in_view_mask,
)
from skelgnn.data.bandai2_files import CROSS_FILE, load_cross, save_cross
from skelgnn.data.bvh import bvh_forward_kinematics, read_bvh
from skelgnn.evaluation.cross_report import AUC_THRESHOLDS_MM, cross_metrics

REPO = Path(__file__).resolve().parents[1]
BANDAI2 = REPO.parent / "shared" / "data" / "bandai2"
DEFAULT = REPO / "src" / "skelgnn" / "assets" / "default.pt"


@pytest.fixture(scope="module")
def bandai2_src(tmp_path_factory):
    """The first 3 clips (sorted by name) of the shared Bandai2 subset, as a folder of the same shape."""
    from conftest import need_shared

    need_shared(BANDAI2 / "MANIFEST.tsv", "the Bandai2 data (MANIFEST.tsv)")
    out = tmp_path_factory.mktemp("bandai2_tiny")
    (out / "bvh").mkdir()
    files = sorted((BANDAI2 / "bvh").glob("*.bvh"), key=lambda p: p.name)[:3]
    for f in files:
        (out / "bvh" / f.name).symlink_to(f)
    with open(BANDAI2 / "MANIFEST.tsv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    names = {f.name for f in files}
    keep = [rows[0]] + [r for r in rows[1:] if Path(r[0]).name in names]
    with open(out / "MANIFEST.tsv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter="\t").writerows(keep)
    return out


@pytest.fixture(scope="module")
def cross(bandai2_src):
    return build_cross(bandai2_src)


def test_fk_applies_every_joints_position_channels(bandai2_src):
    """A joint's distance to its parent is the length of its own position channels in every frame (the
    channels, not the OFFSET: the file's Hips OFFSET is 4 m long), and the root's origin is its channels."""
    clip = find_clips(bandai2_src)[0]
    motion = read_bvh(clip.path)
    pos = bvh_forward_kinematics(motion)
    cols = motion.channel_offsets
    for name in ("Hips", "UpperLeg_R", "LowerLeg_R", "Chest", "UpperArm_L", "Hand_L"):
        j = motion.joint_names.index(name)
        parent = motion.joint_names[motion.parents[j]]
        assert motion.channels[j][:3] == ("Xposition", "Yposition", "Zposition")
        local = motion.motion[:, cols[j]:cols[j] + 3]
        np.testing.assert_allclose(np.linalg.norm(pos[name] - pos[parent], axis=-1),
                                   np.linalg.norm(local, axis=-1), rtol=1e-9, atol=1e-9)
    hips = motion.joint_names.index("Hips")
    assert np.linalg.norm(motion.offsets[hips]) > 400  # so an OFFSET-based reader would be far off
    np.testing.assert_allclose(pos[motion.joint_names[0]], motion.motion[:, :3], atol=1e-12)


def test_fk_rotation_order_is_the_channel_order(tmp_path):
    """Zrotation Xrotation Yrotation gives R = Rz·Rx·Ry; a child's position channels replace its OFFSET."""
    text = """HIERARCHY
ROOT r
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT c
  {
    OFFSET 100 100 100
    CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 0 0
    }
  }
}
MOTION
Frames: 1
Frame Time: 0.0333333
1 2 3 90 90 0 0 0 10 0 0 0
"""
    path = tmp_path / "t.bvh"
    path.write_text(text)
    pos = bvh_forward_kinematics(read_bvh(path))
    # Rz(90)·Rx(90)·(0, 0, 10): Rx(90) takes +z to -y, Rz(90) takes -y to +x
    np.testing.assert_allclose(pos["c"][0], [1 + 10, 2, 3], atol=1e-9)


def test_build_follows_the_rule(cross, bandai2_src):
    clips = find_clips(bandai2_src)
    assert [str(k) for k in cross.clip_keys] == [c.key for c in clips] == sorted(c.key for c in clips)
    n = int(cross.clip_length.sum())
    assert cross.joints_world.shape == (n, 17, 3) and cross.joints_2d_gt.shape == (4, n, 17, 2)
    # joints in mm, head top extrapolated, the mapping's joint origins
    motion = read_bvh(clips[0].path)
    pos = bvh_forward_kinematics(motion)
    first = cross.joints_world[cross.clip_frames(0)].astype(np.float64)
    for j, name in enumerate(BVH_TO_H36M17):
        want = 2 * pos["Head"] - pos["Neck"] if name is None else pos[name]
        np.testing.assert_allclose(first[:, j], want * 10.0, rtol=1e-5, atol=1e-2)
    thigh = np.linalg.norm(first[:, 2] - first[:, 1], axis=-1)
    assert 380 < thigh.mean() < 400  # the providers' skeleton: 391 mm
    # cameras: ring of radius 4.5 m at 1.6 m height around the clip's mean root x, z over all frames
    centre = np.array([first[:, 0, 0].mean(), 900.0, first[:, 0, 2].mean()])
    for i in range(4):
        cam = cross.camera(0, i)
        d = np.asarray(cam.center) - centre
        assert abs(np.hypot(d[0], d[2]) - 4500) < 1e-3 and abs(cam.center[1] - 1600) < 1e-3
        assert np.allclose(cam.f, 1145) and np.allclose(cam.c, 500)


def test_noise_is_drawn_in_the_specified_order(cross):
    rng = np.random.Generator(np.random.PCG64(0))
    for c in range(len(cross.clip_keys)):
        sl = cross.clip_frames(c)
        t = sl.stop - sl.start
        noise = rng.normal(0.0, 4.0, size=(t, 4, 17, 2))
        outlier = rng.random((t, 4, 17)) < 0.03
        offset = rng.normal(0.0, 20.0, size=(t, 4, 17, 2))
        want = (noise + outlier[..., None] * offset).transpose(1, 0, 2, 3)
        got = cross.joints_2d_noisy[:, sl].astype(np.float64) - cross.joints_2d_gt[:, sl].astype(np.float64)
        np.testing.assert_allclose(got, want, atol=2e-3)


def test_in_view_means_every_joint_inside_the_image():
    uv = np.full((3, 17, 2), 500.0)
    uv[1, 4] = (999.9, 0.0)
    uv[2, 16] = (1000.0, 10.0)
    assert in_view_mask(uv).tolist() == [True, True, False]
    uv2 = uv.copy()
    uv2[0, 0, 1] = -0.01
    assert not in_view_mask(uv2)[0]


def test_files_round_trip_and_vp3d_layout(cross, tmp_path):
    save_cross(cross, tmp_path)
    back = load_cross(tmp_path)
    np.testing.assert_array_equal(back.joints_2d_noisy, cross.joints_2d_noisy)
    np.testing.assert_array_equal(back.in_view, cross.in_view)
    from skelgnn.data.vp3d import read_vp3d_2d, read_vp3d_3d  # the layout readers of the VideoPose3D format

    pos3d, cams = read_vp3d_3d(tmp_path / "data_3d_bandai2.npz", allow_pickle=True)
    assert len(cams["bandai2"][str(cross.clip_keys[0])]) == 4
    assert sorted(pos3d["bandai2"]) == sorted(str(k) for k in cross.clip_keys)
    key = str(cross.clip_keys[1])
    np.testing.assert_allclose(pos3d["bandai2"][key], cross.joints_world[cross.clip_frames(1)] / 1000.0,
                               rtol=1e-6)
    pos2d, meta = read_vp3d_2d(tmp_path / "data_2d_bandai2_gt.npz", allow_pickle=True)
    assert len(pos2d["bandai2"][key]) == 4 and meta["res_w"] == 1000
    assert "CC BY-NC" in (tmp_path / "README.md").read_text()


def test_damaged_or_missing_files_are_clear_errors(cross, tmp_path):
    with pytest.raises(FormatError, match="skelgnn data bandai2"):
        load_cross(tmp_path)
    save_cross(cross, tmp_path)
    with np.load(tmp_path / CROSS_FILE) as f:
        arrays = dict(f)
    arrays["in_view"] = arrays["in_view"][:, :-1]
    np.savez(tmp_path / CROSS_FILE, **arrays)
    with pytest.raises(FormatError, match="in_view"):
        load_cross(tmp_path)
    with pytest.raises(FormatError, match=r"MANIFEST\.tsv"):
        find_clips(tmp_path / "nowhere")


def test_sequences_are_camera_frame_and_root_relative(cross):
    seqs, in_view = cross_sequences(cross, "noisy", input_norm="bbox")
    assert len(seqs) == 4 * len(cross.clip_keys) and seqs.has_trajectory
    assert all(np.all(t[:, 0] == 0) for t in seqs.targets)
    assert [len(v) for v in in_view] == [len(t) for t in seqs.targets]
    with pytest.raises(SkelgnnError, match="gt' or 'noisy"):
        cross_sequences(cross, "detector")


def test_cross_metrics_of_a_perfect_and_a_shifted_prediction():
    rng = np.random.default_rng(0)
    target = torch.from_numpy(rng.normal(0, 300, size=(50, 17, 3)))
    target = target - target[:, :1]
    classes = np.array(["a"] * 50)
    zero = np.zeros((50, 17))
    m = cross_metrics(target, target, classes, target, zero, H36M_17)
    assert m["mpjpe"] == 0 and m["pck150"] == 1.0 and m["mpjpe_height"] == 0
    # PCK is strict (<): a zero error misses the 0 mm threshold only, so AUC = 30/31
    assert len(AUC_THRESHOLDS_MM) == 31 and m["auc"] == pytest.approx(30 / 31)
    shifted = target.clone()
    shifted[:, 1:, 0] += 149.0  # every non-root joint 149 mm off: inside PCK@150, MPJPE 149 · 16/17
    m = cross_metrics(shifted, target, classes, shifted, zero, H36M_17)
    assert m["pck150"] == 1.0 and m["mpjpe"] == pytest.approx(149 * 16 / 17)
    assert m["mpjpe13"] == pytest.approx(149 * 12 / 13)
    assert m["auc"] == pytest.approx(30 / 31 * 0 + 1 / 31 * 1)  # only the 150 mm threshold counts it


def test_height_rule_scales_and_refuses_bad_values(cross):
    w = cross.joints_world[cross.clip_frames(0)].astype(np.float64)
    h = standing_height(w)
    assert h == pytest.approx(STATURE_PER_CHAIN * chain_length(w))
    assert standing_height(2 * w) == pytest.approx(2 * h)
    rel = w - w[:, :1]
    scaled, factor = scale_to_height(rel, 1720.0)
    assert standing_height(scaled) == pytest.approx(1720.0) and factor == pytest.approx(1720.0 / h)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(SkelgnnError, match="positive"):
            scale_to_height(rel, bad)
    with pytest.raises(SkelgnnError, match="17, 3"):
        standing_height(np.zeros((4, 16, 3)))


def test_cli_builds_and_evaluates(bandai2_src, tmp_path, capsys):
    if not DEFAULT.is_file():
        pytest.skip("no bundled default checkpoint")
    out = tmp_path / "b2"
    assert main(["data", "bandai2", "--src", str(bandai2_src), "--out", str(out), "--quiet"]) == 0
    assert (out / CROSS_FILE).is_file()
    printed = capsys.readouterr().out
    assert "3 clips" in printed and "CC BY-NC" in printed
    js = tmp_path / "r.json"
    assert main(["evaluate", str(DEFAULT), "--data", str(out), "--input", "gt", "--json", str(js)]) == 0
    text = capsys.readouterr().out
    assert "Bandai2-Cross gt" in text and "true height given" in text
    report = json.loads(js.read_text())
    for part in ("in_view", "all"):
        r = report[part]
        assert 0 < r["p_mpjpe"] <= r["mpjpe"] and 0 <= r["pck150"] <= 1 and r["samples"] > 0
    assert report["all"]["samples"] == 4 * int(load_cross(out).clip_length.sum())
    assert main(["evaluate", str(DEFAULT), "--data", str(out), "--split", "val"]) == 2
    assert "every clip of Bandai2-Cross is test data" in capsys.readouterr().err


def test_clip_joints_names_a_missing_joint(tmp_path):
    path = tmp_path / "x.bvh"
    path.write_text("HIERARCHY\nROOT Hips\n{\n OFFSET 0 0 0\n CHANNELS 3 Xposition Yposition Zposition\n"
                    " End Site\n {\n  OFFSET 0 1 0\n }\n}\nMOTION\nFrames: 1\nFrame Time: 0.0333333\n0 0 0\n")
    with pytest.raises(FormatError, match="UpperLeg_R"):
        clip_joints(path)


def test_reprojection_of_the_truth_on_its_true_root_is_zero(cross):
    from skelgnn.evaluation.report import reprojection_errors

    seqs, _ = cross_sequences(cross, "gt")
    err = reprojection_errors(seqs.targets, seqs.roots, seqs)
    assert err.shape == (seqs.num_frames, 17) and np.nanmax(err) < 0.05  # float32 storage only
    shifted = [t + np.array([0.0, 0.0, 0.0]) for t in seqs.targets]
    roots = [r + np.array([100.0, 0.0, 0.0]) for r in seqs.roots]  # 10 cm sideways: about 25 px at 4.5 m
    moved = reprojection_errors(shifted, roots, seqs)
    assert 15 < np.nanmean(moved) < 40
