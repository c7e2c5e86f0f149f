"""Human3.6M readers and the evaluation protocol, on tiny synthetic files in the exact layouts.

No Human3.6M data is needed: the files are written here (pickled dicts in npz, 4 cameras, extra video
frames, missing pieces), the CDF converter runs against a fake ``cdflib``, and the HDM05-Lift export
(real data, built by the ``tiny_bench_dir`` fixture) proves the end-to-end path.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import torch
from _flip import with_flip  # tests/_flip.py

from skelgnn.core.errors import FormatError, ShapeError, SkelgnnError
from skelgnn.core.skeleton import H36M_16, H36M_17
from skelgnn.data.h36m import (
    CAMERA_IDS,
    H36M_32,
    H36M_32_TO_17,
    KEEP_16,
    action_class,
    canonical_action_name,
    h36m_sequences,
    h36m_world_poses,
    load_vp3d_pair,
    reduce_32_to_17,
    reduced_skeleton,
    vp3d_file_paths,
)
from skelgnn.data.h36m_cdf import convert_h36m_cdf, h36m_gt_2d, write_gt_2d_file
from skelgnn.data.mmpose_h36m import read_mmpose_h36m
from skelgnn.data.sequences import SequenceSet
from skelgnn.data.splits import split_validation
from skelgnn.data.synthetic import synthetic_h36m_positions, write_h36m_like
from skelgnn.data.vp3d import read_vp3d_3d, write_vp3d_2d, write_vp3d_3d
from skelgnn.evaluation.evaluate import evaluate_protocol
from skelgnn.evaluation.protocol import Protocol
from skelgnn.evaluation.rare_poses import attach_rare_flags, h36m_rare_flags, rare_pose_flags
from skelgnn.evaluation.report import hard_pose_analysis, protocol_report

SUBJECTS = ("S1", "S5", "S9", "S11")
ACTS = ("Directions", "Directions 1", "Walking", "TakingPhoto 1")
T = 12
META = {"layout_name": "h36m", "num_joints": 17,
        "keypoints_symmetry": [list(H36M_17.left), list(H36M_17.right)]}


@pytest.fixture(scope="module")
def positions():
    return synthetic_h36m_positions(SUBJECTS, ACTS, T, seed=3)


@pytest.fixture(scope="module")
def files(positions, tmp_path_factory):
    """A Human3.6M-like pair: 32-joint 3D, gt 2D with 3 extra video frames per camera."""
    return write_h36m_like(tmp_path_factory.mktemp("h36m"), positions, extra_frames=3)


def _read(files, **kw):
    kw.setdefault("subjects", ("S9", "S11"))
    return h36m_sequences(files[0], files[1], allow_pickle=True, **kw)


# ---------------------------------------------------------------------------------------- joints, names
def test_32_to_17_reduction_on_a_hand_made_pose():
    pose = np.arange(32 * 3, dtype=np.float64).reshape(32, 3)  # joint j = (3j, 3j+1, 3j+2)
    out = reduce_32_to_17(pose)
    keep = [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27]
    np.testing.assert_array_equal(out[:, 0], [3 * j for j in keep])
    assert reduce_32_to_17(np.zeros((5, 2, 32, 3))).shape == (5, 2, 17, 3)
    with pytest.raises(ShapeError):
        reduce_32_to_17(np.zeros((17, 3)))
    sk = reduced_skeleton()  # remove 15 joints, then shoulders to the thorax, as the field does
    assert sk.parents == H36M_17.parents == (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
    assert (sk.joint_names, sk.left, sk.right) == (H36M_17.joint_names, H36M_17.left, H36M_17.right)
    # without the re-parenting both shoulders would hang off the spine (joint 7)
    plain = H36M_32.subset(H36M_32_TO_17)
    assert plain.parents[11] == plain.parents[14] == 7


def test_action_names():
    assert action_class("Directions 1") == "Directions" == action_class("Directions")
    assert action_class("Directions_1") == "Directions"
    assert action_class("hopBothLegs1hops_020") == "hopBothLegs1hops"
    assert canonical_action_name("TakingPhoto 1") == "Photo 1"
    assert canonical_action_name("WalkingDog") == "WalkDog"
    assert canonical_action_name("Walking 1") == "Walking 1"
    assert canonical_action_name("WalkTogether") == "WalkTogether"


# ---------------------------------------------------------------------------------------- cameras by hand
def _qrot(q, v):
    """Rotate vectors v (..., 3) by the unit quaternion q = (w, x, y, z): v + 2w(u×v) + 2u×(u×v)."""
    q = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    w, u = q[0], np.broadcast_to(q[1:], np.shape(v))
    uv = np.cross(u, v)
    return v + 2 * w * uv + 2 * np.cross(u, uv)


def test_gt_2d_and_inputs_match_a_hand_projection_through_the_h36m_table(tmp_path):
    # Table values for S9, camera 2 (58860488), of the published calibration
    q = [0.13357827067375183, -0.1367100477218628, 0.7689454555511475, -0.6100738644599915]
    t = np.array([-1670.9921875, 5211.98583984375, 1528.387939453125])
    c = np.array([519.8158569335938, 501.40264892578125])
    f = np.array([1149.1407470703125, 1148.7989501953125])
    k = np.array([-0.2083381861448288, 0.25548800826072693, -0.0024604974314570427])
    p = np.array([0.0014843869721516967, -0.0007599993259645998])
    w, h = 1000, 1000
    world_mm = np.array([[0.0, 0.0, 1000.0], [300.0, -200.0, 1500.0], [-400.0, 250.0, 100.0]])
    # world -> camera: the quaternion rotates camera -> world, so apply its conjugate to X - t
    qc = np.array([q[0], -q[1], -q[2], -q[3]])
    xc = _qrot(qc, world_mm - t)
    assert np.all(xc[:, 2] > 0)
    xx = np.clip(xc[:, :2] / xc[:, 2:], -1, 1)
    r2 = (xx ** 2).sum(1, keepdims=True)
    radial = 1 + k[0] * r2 + k[1] * r2 ** 2 + k[2] * r2 ** 3
    tan = (p * xx).sum(1, keepdims=True)
    uv = f * (xx * (radial + tan) + p * r2) + c
    assert np.all((uv > 0) & (uv < 1000))

    # the three points as joints 0..2 of a 17-joint file (the other joints repeat point 0), 2 frames
    pose17 = np.repeat(world_mm[:1] / 1000.0, 17, axis=0)
    pose17[:3] = world_mm / 1000.0
    pos = {"S9": {"Walking": np.repeat(pose17[None], 2, axis=0).astype(np.float32)}}
    gt = h36m_gt_2d(pos)
    np.testing.assert_allclose(gt["S9"]["Walking"][2][0, :3], uv, atol=1e-3)  # float32 metres in the file
    # and the sequence input is those pixels, screen-normalised with the documented formula
    p3, p2 = write_h36m_like(tmp_path, pos)
    seqs = h36m_sequences(p3, p2, subjects=["S9"], allow_pickle=True)
    x = seqs.inputs[seqs.keys.index("S9/Walking/2")][0, :3]
    np.testing.assert_allclose(x, uv / w * 2 - [1.0, h / w], atol=1e-5)


def test_sequences_inputs_and_targets_by_hand(tmp_path):
    q = [0.13357827067375183, -0.1367100477218628, 0.7689454555511475, -0.6100738644599915]
    t = np.array([-1670.9921875, 5211.98583984375, 1528.387939453125])
    pose = synthetic_h36m_positions(["S9"], ["Walking"], 4, num_joints=17, seed=1)
    p3, p2 = write_h36m_like(tmp_path, pose)
    seqs = h36m_sequences(p3, p2, subjects=["S9"], allow_pickle=True)
    assert seqs.keys == [f"S9/Walking/{i}" for i in range(4)]
    i = seqs.keys.index("S9/Walking/2")
    world = pose["S9"]["Walking"].astype(np.float64) * 1000.0
    xc = _qrot(np.array([q[0], -q[1], -q[2], -q[3]]), world - t)
    np.testing.assert_allclose(seqs.targets[i], xc - xc[:, :1], atol=1e-2)
    uv = h36m_gt_2d(pose)["S9"]["Walking"][2].astype(np.float64)
    np.testing.assert_allclose(seqs.inputs[i], uv / 1000 * 2 - [1.0, 1.0], atol=1e-6)
    # camera 0 is 1000 x 1002: y is shifted by h / w
    uv0 = h36m_gt_2d(pose)["S9"]["Walking"][0].astype(np.float64)
    np.testing.assert_allclose(seqs.inputs[0], uv0 / 1000 * 2 - [1.0, 1.002], atol=1e-6)


# ---------------------------------------------------------------------------------------- layouts
def test_read_pair_trims_extra_video_frames(files, positions):
    seqs = _read(files)
    assert all(len(x) == T for x in seqs.inputs + seqs.targets)
    assert len(seqs) == (4 + 3) * 4  # S9: 4 actions, S11: 3 (Directions excluded); 4 cameras each
    assert seqs.classes[seqs.keys.index("S9/Directions 1/0")] == "Directions"
    pair = load_vp3d_pair(*files, allow_pickle=True)
    assert pair.layout == "h36m" and pair.positions_3d["S9"]["Walking"].shape == (T, 17, 3)
    for x in seqs.targets:
        np.testing.assert_array_equal(x[:, 0], 0.0)
    # rigid motion: bone lengths in the camera frame are the world bone lengths in mm
    world = reduce_32_to_17(positions["S9"]["Walking"].astype(np.float64)) * 1000
    tgt = seqs.targets[seqs.keys.index("S9/Walking/3")].astype(np.float64)
    for parent, child in H36M_17.edges:
        np.testing.assert_allclose(np.linalg.norm(tgt[:, child] - tgt[:, parent], axis=-1),
                                   np.linalg.norm(world[:, child] - world[:, parent], axis=-1), atol=1e-2)


def test_extra_2d_frames_are_cut_at_the_end(tmp_path, positions):
    gt = h36m_gt_2d(positions)
    rng = np.random.default_rng(0)
    longer = {s: {a: [np.concatenate([v, rng.uniform(0, 1000, (5, 17, 2)).astype(np.float32)]) for v in views]
                  for a, views in acts.items()} for s, acts in gt.items()}
    p3 = write_vp3d_3d(tmp_path / "data_3d_h36m.npz", positions)
    p2 = write_vp3d_2d(tmp_path / "data_2d_h36m_cpn.npz", longer, META)
    ref = write_vp3d_2d(tmp_path / "data_2d_h36m_gt.npz", gt, META)
    a = h36m_sequences(p3, p2, subjects=["S9"], allow_pickle=True)
    b = h36m_sequences(p3, ref, subjects=["S9"], allow_pickle=True)
    for x, y in zip(a.inputs, b.inputs):
        np.testing.assert_array_equal(x, y)


def test_missing_actions_subjects_and_cameras(tmp_path, positions):
    gt = h36m_gt_2d(positions)
    p3 = write_vp3d_3d(tmp_path / "data_3d_h36m.npz", positions)
    # a subject with fewer actions in both files simply has fewer sequences
    fewer3 = {s: dict(acts) for s, acts in positions.items()}
    del fewer3["S9"]["Walking"]
    q3 = write_vp3d_3d(tmp_path / "data_3d_fewer.npz", fewer3)
    p2 = write_vp3d_2d(tmp_path / "data_2d_h36m_gt.npz", gt, META)
    seqs = h36m_sequences(q3, p2, subjects=["S9"], allow_pickle=True)
    assert not any("Walking" in k for k in seqs.keys) and len(seqs) == 12
    # an action of the 3D file missing from the 2D file: the 2D file and the key are named
    no_walk = {s: dict(acts) for s, acts in gt.items()}
    del no_walk["S9"]["Walking"]
    bad = write_vp3d_2d(tmp_path / "data_2d_h36m_nowalk.npz", no_walk, META)
    with pytest.raises(FormatError, match=r"data_2d_h36m_nowalk\.npz.*positions_2d\['S9'\].*'Walking'"):
        h36m_sequences(p3, bad, subjects=["S9"], allow_pickle=True)
    # a subject asked for but absent from the 3D file
    with pytest.raises(FormatError, match=r"data_3d_h36m\.npz.*no subject 'S7'"):
        h36m_sequences(p3, p2, subjects=["S7"], allow_pickle=True)
    # a camera missing for one sequence
    three = {s: {a: list(v) for a, v in acts.items()} for s, acts in gt.items()}
    three["S11"]["Walking"] = three["S11"]["Walking"][:3]
    bad = write_vp3d_2d(tmp_path / "data_2d_h36m_3cams.npz", three, META)
    with pytest.raises(FormatError, match=r"data_2d_h36m_3cams\.npz.*positions_2d\['S11'\]\['Walking'\] has "
                       r"3 camera"):
        h36m_sequences(p3, bad, subjects=["S9", "S11"], allow_pickle=True)
    # a subject with no calibration (S2 has none in the Human3.6M tables)
    p3s2 = write_vp3d_3d(tmp_path / "data_3d_s2.npz", {"S2": positions["S9"]})
    p2s2 = write_vp3d_2d(tmp_path / "data_2d_s2.npz", {"S2": gt["S9"]}, META)
    with pytest.raises(FormatError, match=r"data_3d_s2\.npz.*S2"):
        h36m_sequences(p3s2, p2s2, subjects=["S2"], allow_pickle=True)


def test_2d_shorter_than_3d_is_an_error_naming_subject_action_camera(tmp_path, positions):
    gt = h36m_gt_2d(positions)
    short = {s: {a: list(v) for a, v in acts.items()} for s, acts in gt.items()}
    short["S9"]["Directions 1"][2] = short["S9"]["Directions 1"][2][:T - 1]
    p3 = write_vp3d_3d(tmp_path / "data_3d_h36m.npz", positions)
    p2 = write_vp3d_2d(tmp_path / "data_2d_h36m_short.npz", short, META)
    with pytest.raises(FormatError, match=r"data_2d_h36m_short\.npz.*positions_2d\['S9'\]\['Directions "
                                          r"1'\]\[2\] \(camera 2\) has 11 frames, fewer than the 12"):
        h36m_sequences(p3, p2, subjects=["S9"], allow_pickle=True)


def test_wrong_or_unknown_pickled_layouts(tmp_path, positions, files):
    from skelgnn.core.io import atomic_save_npz

    def obj(v):
        a = np.empty((), dtype=object)
        a[()] = v
        return a

    with pytest.raises(FormatError, match="allow_pickle"):
        h36m_sequences(*files, subjects=["S9"])
    # positions_3d a list instead of a dict
    p = atomic_save_npz(tmp_path / "list3d.npz", positions_3d=obj([1, 2]))
    with pytest.raises(FormatError, match=r"list3d\.npz.*positions_3d"):
        h36m_sequences(p, files[1], subjects=["S9"], allow_pickle=True)
    # a sequence stored as a dict (another repo's layout)
    p = atomic_save_npz(tmp_path / "dict3d.npz", positions_3d=obj({"S9": {"Walking": {"positions": 1}}}))
    with pytest.raises(FormatError, match=r"dict3d\.npz.*positions_3d\['S9'\]\['Walking'\]"):
        h36m_sequences(p, files[1], subjects=["S9"], allow_pickle=True)
    # neither 32 nor 17 joints
    p = write_vp3d_3d(tmp_path / "j25.npz", {"S9": {"Walking": np.zeros((T, 25, 3))}})
    with pytest.raises(FormatError, match=r"j25\.npz.*positions_3d\['S9'\]\['Walking'\] has 25 joints"):
        h36m_sequences(p, files[1], subjects=["S9"], allow_pickle=True)
    # the 2D file given as the 3D file
    with pytest.raises(FormatError, match=r"data_2d_h36m_gt\.npz.*positions_3d"):
        h36m_sequences(files[1], files[1], subjects=["S9"], allow_pickle=True)
    # per-camera 2D not a list
    p = atomic_save_npz(tmp_path / "views.npz", positions_2d=obj({"S9": {"Walking": np.zeros((T, 17, 2))}}),
                        metadata=obj(META))
    with pytest.raises(FormatError, match=r"views\.npz.*positions_2d\['S9'\]\['Walking'\]"):
        h36m_sequences(files[0], p, subjects=["S9"], allow_pickle=True)
    # in-file cameras of the wrong type
    p = write_vp3d_3d(tmp_path / "badcams.npz", {"S9": positions["S9"]},
                      cameras={"S9": {a: "cam" for a in positions["S9"]}})
    with pytest.raises(FormatError, match=r"badcams\.npz.*cameras\['S9'\]"):
        h36m_sequences(p, files[1], subjects=["S9"], allow_pickle=True)


# ---------------------------------------------------------------------------------------- switches
def _by_key(seqs: SequenceSet) -> dict:
    return {k: (x, y, c) for k, x, y, c in zip(seqs.keys, seqs.inputs, seqs.targets, seqs.classes)}


def test_joints16_drops_neck_and_nothing_else(files):
    a, b = _by_key(_read(files)), _by_key(_read(files, joints=16))
    assert a.keys() == b.keys()
    for k in a:
        assert b[k][0].shape == (T, 16, 2) and b[k][1].shape == (T, 16, 3)
        np.testing.assert_array_equal(b[k][0], a[k][0][:, list(KEEP_16)])
        np.testing.assert_array_equal(b[k][1], a[k][1][:, list(KEEP_16)])
        assert b[k][2] == a[k][2]
    assert [H36M_17.joint_names[j] for j in KEEP_16] == list(H36M_16.joint_names)
    assert "neck" not in H36M_16.joint_names


def test_exclude_toggles_s11_directions_only(files):
    a, b = _by_key(_read(files)), _by_key(_read(files, exclude=()))
    assert set(b) - set(a) == {f"S11/Directions/{i}" for i in range(4)}
    assert "S11/Directions 1/0" in a  # only the exact action is excluded
    for k in a:
        np.testing.assert_array_equal(a[k][0], b[k][0])
        np.testing.assert_array_equal(a[k][1], b[k][1])
    c = _by_key(_read(files, exclude=(("S9", "Walking"),)))
    assert set(b) - set(c) == {f"S9/Walking/{i}" for i in range(4)}


def test_downsample_keeps_every_kth_frame(files):
    a, b = _by_key(_read(files)), _by_key(_read(files, downsample=5))
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(b[k][0], a[k][0][::5])
        np.testing.assert_array_equal(b[k][1], a[k][1][::5])
        assert len(b[k][0]) == 3  # frames 0, 5, 10 of 12
    with pytest.raises(SkelgnnError, match="downsample"):
        _read(files, downsample=0)
    with pytest.raises(SkelgnnError, match="joints"):
        _read(files, joints=15)


def test_subjects_and_actions_select(files):
    a = _by_key(_read(files, subjects=("S9", "S11")))
    b = _by_key(_read(files, subjects=["S11"]))
    c = _by_key(_read(files, subjects="S9"))
    assert set(b) | set(c) == set(a) and not set(b) & set(c)
    assert all(k.startswith("S11/") for k in b)
    for k in b:
        np.testing.assert_array_equal(a[k][1], b[k][1])
    d = _by_key(_read(files, actions=["Directions"]))  # a class keeps both sub-actions
    assert {k.rsplit("/", 1)[0] for k in d} == {"S9/Directions", "S9/Directions 1", "S11/Directions 1"}
    with pytest.raises(SkelgnnError, match="Dancing"):
        _read(files, actions=["Dancing"])


def test_split_validation_every_kth_subject_action(files):
    seqs = h36m_sequences(*files, subjects=("S1", "S5"), allow_pickle=True)
    train, val = split_validation(seqs, every=3)
    groups = list(dict.fromkeys(k.rsplit("/", 1)[0] for k in seqs.keys))
    assert {k.rsplit("/", 1)[0] for k in val.keys} == set(groups[2::3])
    assert len(train) + len(val) == len(seqs) and not set(train.keys) & set(val.keys)


def test_protocol_fields_and_description():
    p = Protocol()
    assert p.train_subjects == ("S1", "S5", "S6", "S7", "S8") and p.test_subjects == ("S9", "S11")
    assert p.exclude == (("S11", "Directions"),) and p.joints == 17 and p.test_downsample == 1
    assert p.skeleton is H36M_17 and p.replace(joints=16).skeleton is H36M_16
    base = p.describe()
    changes = {"joints": 16, "test_flip": not p.test_flip, "exclude_s11_directions": False,
               "test_downsample": 64,
               "headline_average": "frame-wise", "input_2d": "gt", "test_subjects": ("S11",)}
    for field, value in changes.items():
        d = p.replace(**{field: value}).describe()
        changed = {k for k in base if base[k] != d[k]}
        assert len(changed) == 1, (field, changed)
    assert p.replace(exclude_s11_directions=False).exclude == ()
    assert p.replace(extra_exclude=[["S9", "Sitting 1"]]).exclude == (("S11", "Directions"), ("S9", "Sitting "
                                                                                              "1"))
    for bad in ({"joints": 15}, {"test_downsample": 0}, {"headline_average": "median"},
                {"train_subjects": ("S9",)}, {"up_axis": "x"}, {"test_flip": "yes"}):
        with pytest.raises(SkelgnnError):
            p.replace(**bad)
    with pytest.raises(SkelgnnError):
        p.replace(no_such_field=1)
    assert p.to_dict()["exclude_s11_directions"] is True
    # from a [data] config section (dict or object); absent keys keep the defaults
    q = Protocol.from_config({"name": "h36m", "input": "gt", "joints": 16, "test_flip": False,
                              "train_subjects": ["S1"], "test_downsample": 64})
    assert (q.input_2d, q.joints, q.test_flip, q.train_subjects, q.test_downsample) == ("gt", 16, False,
                                                                                        ("S1",), 64)
    assert q.test_subjects == ("S9", "S11") and q.dataset == "Human3.6M" and q.up_axis == "z"
    h = Protocol.from_config(types.SimpleNamespace(name="hdm05", input="noisy", train_subjects=["bd"],
                                                   test_subjects=["mm"], exclude_s11_directions=False))
    assert (h.up_axis, h.fps, h.input_2d, h.exclude) == ("y", 30.0, "noisy", ())


def test_h36m_splits_follow_the_protocol(files):
    p = Protocol(train_subjects=("S1", "S5"), val_every=4, test_downsample=4)
    sp = p.splits(load_vp3d_pair(*files, allow_pickle=True))
    assert {k.split("/")[0] for k in sp["train"].keys + sp["val"].keys} == {"S1", "S5"}
    assert {k.split("/")[0] for k in sp["test"].keys} == {"S9", "S11"}
    assert len(sp["val"]) == 2 * 4  # groups 3 and 7 of 8, 4 cameras each
    assert all(len(x) == T for x in sp["train"].inputs) and all(len(x) == 3 for x in sp["test"].inputs)
    assert not any(k.startswith("S11/Directions/") for k in sp["test"].keys)
    sp16 = p.replace(joints=16).splits(load_vp3d_pair(*files, allow_pickle=True), splits=("test",))
    assert list(sp16) == ["test"] and sp16["test"].inputs[0].shape[1] == 16


# ---------------------------------------------------------------------------------------- HDM05-Lift export
def test_hdm05_vp3d_export_gives_the_benchmark_targets(tiny_bench_dir):
    from skelgnn.data.hdm05 import benchmark_sequences
    from skelgnn.data.hdm05_files import load_benchmark

    bench = load_benchmark(tiny_bench_dir)
    ref = _by_key(benchmark_sequences(bench, "test", "gt"))
    pair = load_vp3d_pair(tiny_bench_dir / "data_3d_hdm05.npz", tiny_bench_dir / "data_2d_hdm05_gt.npz",
                          allow_pickle=True)
    assert pair.layout == "cameras-in-file"
    got = _by_key(h36m_sequences(pair, subjects=("mm", "tr"), exclude=()))
    assert got.keys() == ref.keys() and len(got) > 0
    worst = max(float(np.abs(got[k][1] - ref[k][1]).max()) for k in ref)
    assert worst < 1e-3, worst
    for k in ref:
        np.testing.assert_allclose(got[k][0], ref[k][0], atol=1e-6)
        assert got[k][2] == ref[k][2]  # "<class>_<take>" -> class, as the benchmark's clip_class
    world = h36m_world_poses(pair, subjects=("mm",))
    assert all(v.shape[1:] == (17, 3) for v in world.values())
    # the protocol's rare-pose analysis (every training frame, Y up) reproduces the benchmark's Rare20 set
    p = Protocol(train_subjects=("bd", "bk", "dg"), test_subjects=("mm", "tr"), exclude_s11_directions=False,
                 up_axis="y", rare_train_step=1)
    flags, dist = h36m_rare_flags(p, pair)
    test = bench.clip_split[bench.clip_of_frame] == "test"
    np.testing.assert_array_equal(np.concatenate(list(flags.values())), bench.rare20[test])
    np.testing.assert_allclose(np.concatenate(list(dist.values())), bench.rare_distance[test], atol=1e-3)


# ---------------------------------------------------------------------------------------- mmpose
def test_mmpose_layout_groups_sorts_and_renames(tmp_path):
    rng = np.random.default_rng(1)
    rows = []
    for subj, seq, n in (("S9", "TakingPhoto_1", 5), ("S11", "Directions", 4), ("S11", "Directions_1", 3)):
        for cam in (CAMERA_IDS[0], CAMERA_IDS[2]):
            for fr in range(n):
                rows.append((f"{subj}/{subj}_{seq}.{cam}/{subj}_{seq}.{cam}_{1 + 5 * fr:06d}.jpg", subj, seq,
                             cam, fr))
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    N = len(rows)
    S = np.zeros((N, 17, 4))
    S[..., 3] = 1
    S[:, :, :3] = rng.normal(0, 0.3, (N, 17, 3)) + [0, 0, 5]
    part = np.concatenate([rng.uniform(0, 1000, (N, 17, 2)), np.ones((N, 17, 1))], axis=-1)
    for i, r in enumerate(rows):  # encode the frame number to check the ordering
        S[i, 1, 0] = r[4]
    path = tmp_path / "h36m_test.npz"
    np.savez(path, imgname=np.array([r[0] for r in rows]), S=S, part=part,
             center=np.zeros((N, 2)), scale=np.ones(N))
    seqs = read_mmpose_h36m(path)
    assert seqs.keys == ["S9/Photo 1/0", "S9/Photo 1/2", "S11/Directions 1/0", "S11/Directions 1/2"]
    assert seqs.classes == ["Photo", "Photo", "Directions", "Directions"]
    i = seqs.keys.index("S9/Photo 1/2")
    sel = [j for j, r in enumerate(rows) if r[1] == "S9" and r[3] == CAMERA_IDS[2]]
    sel = sorted(sel, key=lambda j: rows[j][4])
    x3 = S[sel, :, :3] * 1000
    np.testing.assert_allclose(seqs.targets[i], x3 - x3[:, :1], atol=1e-3)
    np.testing.assert_allclose(seqs.inputs[i], part[sel, :, :2] / 1000 * 2 - [1, 1], atol=1e-6)
    keep_all = read_mmpose_h36m(path, exclude=())
    assert "S11/Directions/0" in keep_all.keys and len(keep_all) == 6
    assert [len(x) for x in read_mmpose_h36m(path, downsample=2).inputs] == [3, 3, 2, 2]
    assert read_mmpose_h36m(path, joints=16).targets[0].shape == (5, 16, 3)
    assert read_mmpose_h36m(path, subjects=["S11"]).keys == ["S11/Directions 1/0", "S11/Directions 1/2"]
    # detections replace part
    det = tmp_path / "cpn_test.npy"
    np.save(det, np.full((N, 17, 2), 500.0))
    withdet = read_mmpose_h36m(path, detections=det)
    # 1000x1002
    np.testing.assert_allclose(withdet.inputs[0], np.broadcast_to([0.0, -0.002], (5, 17, 2)), atol=1e-6)
    np.testing.assert_allclose(withdet.inputs[1], 0.0, atol=1e-6)  # camera 2 is 1000x1000


def test_mmpose_bad_files(tmp_path):
    N = 2
    good = {"imgname": np.array(["S9_Walking.54138969_000001.jpg", "S9_Walking.54138969_000002.jpg"]),
            "S": np.zeros((N, 17, 4)), "part": np.zeros((N, 17, 3))}
    np.savez(tmp_path / "nokey.npz", imgname=good["imgname"], S=good["S"])
    with pytest.raises(FormatError, match=r"nokey\.npz.*'part'"):
        read_mmpose_h36m(tmp_path / "nokey.npz")
    np.savez(tmp_path / "badname.npz",
             **{**good, "imgname": np.array(["a.jpg", "S9_Walking.54138969_000002.jpg"])})
    with pytest.raises(FormatError, match=r"badname\.npz.*imgname\[0\]"):
        read_mmpose_h36m(tmp_path / "badname.npz")
    np.savez(tmp_path / "badcam.npz", **{**good, "imgname": np.array(["S9_Walking.123_000001.jpg"] * 2)})
    with pytest.raises(FormatError, match=r"badcam\.npz.*camera id 123"):
        read_mmpose_h36m(tmp_path / "badcam.npz")
    np.savez(tmp_path / "shape.npz", **{**good, "S": np.zeros((N, 16, 4))})
    with pytest.raises(FormatError, match=r"shape\.npz.*'S'"):
        read_mmpose_h36m(tmp_path / "shape.npz")
    np.savez(tmp_path / "pickled.npz", **{**good, "imgname": np.array([{"a": 1}, None], dtype=object)})
    with pytest.raises(FormatError, match=r"pickled\.npz.*pickled"):
        read_mmpose_h36m(tmp_path / "pickled.npz")


# ---------------------------------------------------------------------------------------- CDF converter
def _fake_cdflib(store: dict) -> types.ModuleType:
    mod = types.ModuleType("cdflib")

    class CDF:
        def __init__(self, path):
            if path not in store:
                raise OSError(f"cannot open {path}")
            self.path, self.closed = path, False

        def varget(self, name):
            if name != "Pose":
                raise ValueError(f"no variable {name}")
            return store[self.path]

        def close(self):
            self.closed = True

    mod.CDF = CDF
    return mod


def test_cdf_converter_with_a_fake_cdflib(tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    store, expected = {}, {}
    for subject in ("S1", "S9"):
        folder = tmp_path / "h36m" / subject / "MyPoseFeatures" / "D3_Positions"
        folder.mkdir(parents=True)
        for raw, name in (("Directions", "Directions"), ("TakingPhoto 1", "Photo 1"),
                          ("WalkingDog", "WalkDog"),
                          ("_ALL", None)):
            f = folder / f"{raw}.cdf"
            f.write_bytes(b"")
            mm = rng.normal(0, 500, (7, 32, 3))
            store[str(f)] = mm.reshape(1, 7, 96)  # the CDF variable layout
            if name:
                expected[(subject, name)] = mm / 1000
    monkeypatch.setitem(sys.modules, "cdflib", _fake_cdflib(store))
    out = convert_h36m_cdf(tmp_path / "h36m", tmp_path / "data_3d_h36m.npz", subjects=("S1", "S9"))
    pos, cams = read_vp3d_3d(out, allow_pickle=True)
    assert cams is None
    assert sorted(pos["S1"]) == ["Directions", "Photo 1", "WalkDog"]
    for (s, a), v in expected.items():
        assert pos[s][a].shape == (7, 32, 3) and pos[s][a].dtype == np.float32
        np.testing.assert_allclose(pos[s][a], v, rtol=1e-6, atol=1e-6)
    # the converted file goes straight into the reader (with a gt 2D file projected from it)
    p3, p2 = vp3d_file_paths(tmp_path, "h36m", "gt")
    assert p3 == out
    write_gt_2d_file(out, p2, allow_pickle=True)
    seqs = h36m_sequences(out, p2, subjects=["S9"], allow_pickle=True)
    assert {k.rsplit("/", 1)[0] for k in seqs.keys} == {"S9/Directions", "S9/Photo 1", "S9/WalkDog"}
    # missing subject folder, unreadable file
    with pytest.raises(FormatError, match=r"S5.*D3_Positions"):
        convert_h36m_cdf(tmp_path / "h36m", tmp_path / "x.npz", subjects=("S5",))
    bad = tmp_path / "h36m" / "S1" / "MyPoseFeatures" / "D3_Positions" / "Eating.cdf"
    bad.write_bytes(b"")
    with pytest.raises(FormatError, match=r"Eating\.cdf.*not a readable CDF"):
        convert_h36m_cdf(tmp_path / "h36m", tmp_path / "x.npz", subjects=("S1",))
    store[str(bad)] = np.zeros((1, 7, 95))
    with pytest.raises(FormatError, match=r"Eating\.cdf.*'Pose'"):
        convert_h36m_cdf(tmp_path / "h36m", tmp_path / "x.npz", subjects=("S1",))


def test_cdf_converter_without_cdflib_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "cdflib", None)  # makes `import cdflib` raise ImportError
    with pytest.raises(SkelgnnError, match="pip install cdflib"):
        convert_h36m_cdf(tmp_path, tmp_path / "out.npz")


# ---------------------------------------------------------------------------------------- metrics
def _tiny_set() -> SequenceSet:
    rng = np.random.default_rng(0)
    s = SequenceSet()
    for key, cls, n in (("S9/Walking/0", "Walking", 6), ("S9/Walking 1/0", "Walking", 2),
                        ("S11/Sitting/0", "Sitting", 2)):
        y = rng.normal(0, 200, (n, 17, 3)).astype(np.float32)
        y -= y[:, :1]
        s.inputs.append(np.zeros((n, 17, 2), np.float32))
        s.targets.append(y)
        s.keys.append(key)
        s.classes.append(cls)
        s.rare.append(np.zeros(n, bool))
    return s


def test_protocol_report_frame_vs_action_wise_by_hand():
    seqs = _tiny_set()
    preds = []
    for y, c in zip(seqs.targets, seqs.classes):
        p = y.astype(np.float64).copy()
        p[:, 1:] += [10.0, 0, 0] if c == "Walking" else [40.0, 0, 0]  # 16 of 17 joints off by 10 / 40 mm
        preds.append(p)
    rep = protocol_report(preds, seqs, Protocol())
    walk, sit = 10 * 16 / 17, 40 * 16 / 17
    assert rep["protocol_1"]["frame_wise"] == pytest.approx((8 * walk + 2 * sit) / 10)
    assert rep["protocol_1"]["action_wise"] == pytest.approx((walk + sit) / 2)
    assert rep["headline"]["protocol_1"] == rep["protocol_1"]["action_wise"]
    assert rep["protocol_2"]["frame_wise"] < rep["protocol_1"]["frame_wise"]
    assert list(rep["per_action"]) == ["Walking", "Sitting"]  # easy -> hard
    assert rep["per_action"]["Walking"]["samples"] == 8
    # constant offsets have no velocity error
    assert rep["mpjve"]["frame_wise"] == pytest.approx(0.0, abs=1e-9)
    assert rep["hard_poses"]["ht20"] == pytest.approx(sit)  # worst 2 of 10 samples
    assert rep["hard_poses"]["actions_easy_to_hard"][-1]["action"] == "Sitting"
    assert rep["protocol"] == Protocol().describe() and "rare_poses" not in rep
    rep_fw = protocol_report(preds, seqs, Protocol(headline_average="frame-wise"))
    assert rep_fw["headline"]["protocol_1"] == rep["protocol_1"]["frame_wise"]
    text = rep.to_markdown()
    assert "test-time flip: on" in text and "| Walking |" in text
    with pytest.raises(ShapeError):
        protocol_report(preds[:2], seqs, Protocol())


def test_hard_pose_analysis_sorts_actions():
    e = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    out = hard_pose_analysis(e, ["a", "a", "a", "b", "b"])
    assert out["ht20"] == 20.0 and out["ht10"] == 20.0
    assert [r["action"] for r in out["actions_easy_to_hard"]] == ["a", "b"]
    assert out["actions_easy_to_hard"][1]["mpjpe"] == 15.0


def test_rare_pose_flags_pick_poses_far_from_training(positions):
    train = {"S1/Walking": reduce_32_to_17(positions["S1"]["Walking"].astype(np.float64)) * 1000}
    far = train["S1/Walking"].copy()
    far[:, 13] += [0.0, 0.0, 900.0]  # left wrist raised by 90 cm (Z up)
    test = {"S9/Walking": train["S1/Walking"] + [500.0, 0, 0], "S9/Arms": far}
    flags, dist = rare_pose_flags(test, train, fraction=0.5, train_step=1, up_axis="z")
    assert not flags["S9/Walking"].any() and flags["S9/Arms"].all()
    np.testing.assert_allclose(dist["S9/Walking"], 0.0, atol=1e-6)
    seqs = SequenceSet(inputs=[np.zeros((T, 17, 2))] * 2, targets=[np.zeros((T, 17, 3))] * 2,
                       keys=["S9/Walking/0", "S9/Arms/3"], classes=["Walking", "Arms"], rare=[None, None])
    attach_rare_flags(seqs, flags)
    assert seqs.rare[1].all() and not seqs.rare[0].any()
    with pytest.raises(SkelgnnError, match="downsample"):
        attach_rare_flags(seqs, {"S9/Walking": np.zeros(3, bool), "S9/Arms": np.zeros(3, bool)})
    preds = [np.zeros((T, 17, 3)), np.zeros((T, 17, 3))]
    preds[1][:, 5, 0] = 34.0
    rep = protocol_report(preds, seqs, Protocol())
    assert rep["rare_poses"]["rare_mpjpe"] == pytest.approx(2.0) and rep["rare_poses"]["common_mpjpe"] == 0.0


def test_evaluate_protocol_with_a_model_and_the_flip_switch(files):
    from skelgnn.lifting.checkpoint import DEFAULT_NORMALIZATION
    from skelgnn.models import build

    torch.manual_seed(0)
    model = build("fc", H36M_17, channels=32)
    meta = {"skeleton": H36M_17.to_dict(), "normalization": dict(DEFAULT_NORMALIZATION),
            "model": {"name": "fc", "kwargs": {"channels": 32}}}
    seqs = _read(files, subjects=["S9"], downsample=4)
    on = evaluate_protocol(model, meta, seqs, Protocol(test_flip=True))
    off = evaluate_protocol(model, meta, seqs, Protocol(test_flip=False))
    assert on["protocol"]["test-time flip"] == "on" and off["protocol"]["test-time flip"] == "off"

    # the expected MPJPEs (frame-wise: the mean over every test frame), from the model called here
    def run(inp):
        with torch.no_grad():
            y = model.eval()(torch.from_numpy(np.ascontiguousarray(inp, dtype=np.float32))[None])[0].numpy()
        return (y - y[:, :1]).astype(np.float64) * 1000.0

    def frame_wise_mpjpe(predict) -> float:
        errs = [np.linalg.norm(predict(x) - (t - t[:, :1]), axis=-1).mean(-1)
                for x, t in zip(seqs.inputs, seqs.targets, strict=True)]
        return float(np.concatenate(errs).mean())

    plain = frame_wise_mpjpe(run)
    flipped = frame_wise_mpjpe(lambda x: with_flip(run, x, H36M_17.joint_names))
    assert abs(plain - flipped) > 1e-3  # the flip changes the numbers (so the check below can fail)
    assert off["protocol_1"]["frame_wise"] == pytest.approx(plain, rel=1e-5)
    assert on["protocol_1"]["frame_wise"] == pytest.approx(flipped, rel=1e-5)
    assert on["samples"] == off["samples"] == 16 * 3
    with pytest.raises(SkelgnnError, match="16"):
        evaluate_protocol(model, meta, seqs, Protocol(joints=16))


def test_rare_flags_from_files_fit_the_test_split(files):
    p = Protocol(train_subjects=("S1", "S5"), test_downsample=2, rare_train_step=3)
    pair = load_vp3d_pair(*files, allow_pickle=True)
    test = p.splits(pair, splits=("test",))["test"]
    flags, _ = h36m_rare_flags(p, pair)
    assert set(flags) == {k.rsplit("/", 1)[0] for k in test.keys}
    attach_rare_flags(test, flags)
    n = sum(len(x) for x in flags.values())
    assert sum(int(f.sum()) for f in flags.values()) == round(0.2 * n)
    rep = protocol_report([t.copy() for t in test.targets], test, p)
    assert rep["rare_poses"]["rare_mpjpe"] == 0.0 and rep["rare_poses"]["fraction"] == pytest.approx(0.2,
                                                                                                     abs=0.05)


def test_end_to_end_on_the_hdm05_export_through_the_h36m_path(tiny_bench_dir, tmp_path):
    from skelgnn.data.windows import PoseWindows
    from skelgnn.lifting.checkpoint import load_checkpoint
    from skelgnn.models import build
    from skelgnn.training.config import TrainConfig
    from skelgnn.training.train import fit

    p = Protocol(dataset="HDM05-Lift (VideoPose3D export)", input_2d="gt", train_subjects=("bd", "bk", "dg"),
                 test_subjects=("mm", "tr"), exclude_s11_directions=False, up_axis="y", fps=30.0,
                 test_flip=False)
    pair = load_vp3d_pair(tiny_bench_dir / "data_3d_hdm05.npz", tiny_bench_dir / "data_2d_hdm05_gt.npz",
                          allow_pickle=True)
    sp = p.splits(pair)
    assert len(sp["val"]) == 4 and len(sp["train"]) == 12 * 4 and len(sp["test"]) == 3 * 4
    torch.manual_seed(0)
    model = build("fc", H36M_17, channels=32)
    windows = PoseWindows(sp["train"], model.receptive_field, H36M_17, flip=True)
    fit(model, name="fc", kwargs={"channels": 32}, skeleton=H36M_17, train_set=windows, val_seqs=sp["val"],
        cfg=TrainConfig(epochs=1, batch_size=256, lr=2e-3), out_dir=tmp_path, progress=False)
    net, meta = load_checkpoint(tmp_path / "best.pt")
    flags, _ = h36m_rare_flags(p, pair)
    attach_rare_flags(sp["test"], flags)
    rep = evaluate_protocol(net, meta, sp["test"], p)
    assert rep["samples"] == sp["test"].num_frames and np.isfinite(rep["protocol_1"]["action_wise"])
    assert set(rep["per_action"]) == {"rotateArmsBothBackward1Reps", "hopBothLegs1hops"}
    assert "rare_poses" in rep and rep["protocol"]["dataset"].startswith("HDM05-Lift")


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e30])
def test_2d_values_out_of_range_are_refused_naming_where(tmp_path, positions, bad):
    gt = h36m_gt_2d(positions)
    broken = {s: {a: [np.array(v, dtype=np.float64) for v in views] for a, views in acts.items()}
              for s, acts in gt.items()}
    broken["S9"]["Walking"][1][4, 6, 0] = bad
    p3 = write_vp3d_3d(tmp_path / "data_3d_h36m.npz", positions)
    p2 = write_vp3d_2d(tmp_path / "data_2d_h36m_bad.npz", broken, META)
    with pytest.raises(FormatError, match=r"data_2d_h36m_bad\.npz.*positions_2d\['S9'\]\['Walking'\]\[1\] "
                                          r"holds .* at frame 4, joint 6; expected finite pixels"):
        h36m_sequences(p3, p2, subjects=["S9"], allow_pickle=True)
    h36m_sequences(p3, write_vp3d_2d(tmp_path / "data_2d_h36m_ok.npz", gt, META), subjects=["S9"],
                   allow_pickle=True)
