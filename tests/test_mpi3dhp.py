"""MPI-INF-3DHP test-set reader and PCK / AUC scoring, on a tiny synthetic file in P-STMO's layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _flip import with_flip  # tests/_flip.py

from skelgnn.core.errors import FormatError, SkelgnnError
from skelgnn.core.io import atomic_save_npz
from skelgnn.core.skeleton import H36M_16, H36M_17
from skelgnn.data.mpi3dhp import (
    MPI3DHP_JOINT_NAMES,
    MPI3DHP_TO_H36M17,
    PCK14_JOINTS,
    TEST_RESOLUTION,
    read_3dhp_test,
)
from skelgnn.data.synthetic import synthetic_h36m_positions
from skelgnn.evaluation.evaluate import evaluate_3dhp
from skelgnn.evaluation.report import score_3dhp

T = 10


def _obj(v):
    a = np.empty((), dtype=object)
    a[()] = v
    return a


def _to_mpi(ours: np.ndarray) -> np.ndarray:
    """Human3.6M order -> 3DHP order (inverse of the mapping), written independently of the reader."""
    theirs = np.zeros_like(ours)
    for j, m in enumerate(MPI3DHP_TO_H36M17):
        theirs[..., m, :] = ours[..., j, :]
    return theirs


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    pos = synthetic_h36m_positions(["TS1", "TS5"], ["seq"], T, num_joints=17, seed=5)
    rng = np.random.default_rng(0)
    data, ours = {}, {}
    for name in ("TS1", "TS5"):
        x3 = pos[name]["seq"].astype(np.float64) * 1000 + [0, 0, 4000]  # "camera frame", mm
        w, h = TEST_RESOLUTION[name]
        x2 = rng.uniform(0, min(w, h), (T, 17, 2))
        valid = np.ones(T, dtype=np.float32)
        valid[[0, 7]] = 0
        data[name] = {"data_3d": _to_mpi(x3), "data_2d": _to_mpi(x2), "valid": valid, "camera": np.zeros(4)}
        ours[name] = (x3, x2, valid.astype(bool))
    path = atomic_save_npz(tmp_path_factory.mktemp("3dhp") / "data_test_3dhp.npz", data=_obj(data))
    return path, ours


def test_mapping_is_a_permutation_matching_joint_names():
    assert sorted(MPI3DHP_TO_H36M17) == list(range(17))
    assert MPI3DHP_JOINT_NAMES[14] == "pelvis" and MPI3DHP_TO_H36M17[0] == 14
    same = {"pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
            "spine",
            "left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist"}
    for j, m in enumerate(MPI3DHP_TO_H36M17):
        if H36M_17.joint_names[j] in same:
            assert MPI3DHP_JOINT_NAMES[m] == H36M_17.joint_names[j]
    # the approximate top-of-body correspondences, stated in the docstring
    assert MPI3DHP_JOINT_NAMES[MPI3DHP_TO_H36M17[H36M_17.index("thorax")]] == "neck"
    assert MPI3DHP_JOINT_NAMES[MPI3DHP_TO_H36M17[H36M_17.index("neck")]] == "head"
    assert MPI3DHP_JOINT_NAMES[MPI3DHP_TO_H36M17[H36M_17.index("head")]] == "head_top"
    assert len(PCK14_JOINTS) == 14 and not {"pelvis", "spine", "neck"} & set(PCK14_JOINTS)


def test_read_maps_joints_centres_and_normalises(sample):
    path, ours = sample
    test = read_3dhp_test(path, allow_pickle=True)
    assert test.seqs.keys == ["TS1/test/0", "TS5/test/0"] and test.seqs.classes == ["TS1", "TS5"]
    for i, name in enumerate(("TS1", "TS5")):
        x3, x2, valid = ours[name]
        np.testing.assert_allclose(test.seqs.targets[i], x3 - x3[:, :1], atol=1e-3)
        w, h = TEST_RESOLUTION[name]
        np.testing.assert_allclose(test.seqs.inputs[i], x2 / w * 2 - [1, h / w], atol=1e-5)
        np.testing.assert_array_equal(test.valid[i], valid)
    t16 = read_3dhp_test(path, allow_pickle=True, joints=16)
    np.testing.assert_array_equal(t16.seqs.targets[0], np.delete(test.seqs.targets[0], 9, axis=1))
    # a file already in Human3.6M order
    assert read_3dhp_test(path, allow_pickle=True, order="h36m",
                          sequences=("TS5",)).seqs.keys == ["TS5/test/0"]


def test_scores_on_valid_frames_only(sample):
    path, _ = sample
    test = read_3dhp_test(path, allow_pickle=True)
    perfect = [t.copy() for t in test.seqs.targets]
    s = score_3dhp(perfect, test)
    assert s["overall"]["pck150"] == 100.0 and s["overall"]["mpjpe"] == 0.0
    assert s["overall"]["auc"] == pytest.approx(100 * 149 / 150)  # error 0 is not < threshold 0
    assert s["overall"]["frames"] == 2 * (T - 2)
    # 200 mm off on every non-root joint: only the pelvis (error 0) is within 150 mm
    off = [t.copy() for t in test.seqs.targets]
    for p in off:
        p[:, 1:, 0] += 200.0
        p[0, :, :] = 1e6  # frame 0 is invalid: must not count
    s = score_3dhp(off, test)
    assert s["overall"]["pck150"] == pytest.approx(100 / 17)
    assert s["overall"]["pck150_14"] == 0.0
    assert s["overall"]["mpjpe"] == pytest.approx(200 * 16 / 17)
    assert s["per_sequence"]["TS5"]["frames"] == T - 2
    # 100.5 mm: all within 150 mm; AUC = share of thresholds above the error
    near = [t.copy() for t in test.seqs.targets]
    for p in near:
        p[:, 1:, 0] += 100.5
    s = score_3dhp(near, test)
    assert s["overall"]["pck150_14"] == 100.0
    assert s["overall"]["auc_14"] == pytest.approx(100 * 49 / 150)  # thresholds 101..149
    assert s["sequence_mean"]["pck150"] == pytest.approx(s["overall"]["pck150"])


def _mpjpe_valid(preds: list[np.ndarray], test) -> float:
    """Pooled MPJPE (mm) over the valid frames, pelvis-relative, computed here."""
    errs = []
    for p, t, v in zip(preds, test.seqs.targets, test.valid, strict=True):
        p, t = p[v] - p[v][:, :1], t[v] - t[v][:, :1]
        errs.append(np.linalg.norm(p - t, axis=-1).mean(-1))
    return float(np.concatenate(errs).mean())


@pytest.mark.parametrize("skeleton", [H36M_17, H36M_16], ids=["17", "16"])
def test_evaluate_3dhp_with_a_model(sample, skeleton):
    from skelgnn.lifting.checkpoint import DEFAULT_NORMALIZATION
    from skelgnn.models import build

    try:  # the library's one place that runs a model over sequences
        from skelgnn.lifting.inference import predict_sequences
    except ImportError:
        from skelgnn.evaluation.evaluate import predict_sequences

    torch.manual_seed(0)
    model = build("fc", skeleton, channels=32).eval()
    meta = {"skeleton": skeleton.to_dict(), "normalization": dict(DEFAULT_NORMALIZATION),
            "model": {"name": "fc", "kwargs": {"channels": 32}}}
    test = read_3dhp_test(sample[0], allow_pickle=True, joints=skeleton.num_joints)
    names = skeleton.joint_names
    # the expected predictions, from the model called directly: plain, and the flipped-input prediction
    # mirrored back and averaged with it (test-time flip)
    def run(inp):  # one single-frame model call per frame, root-relative, mm
        with torch.no_grad():
            y = model(torch.from_numpy(np.ascontiguousarray(inp, dtype=np.float32))[None])[0].numpy()
        return (y - y[:, :1]).astype(np.float64) * 1000.0

    plain = [run(x) for x in test.seqs.inputs]
    flipped = [with_flip(run, x, names) for x in test.seqs.inputs]
    assert all(p.shape == (T, skeleton.num_joints, 3) for p in plain)
    assert not np.allclose(plain[0], flipped[0], atol=1.0)  # the flip changes the prediction (a real check)
    got = predict_sequences(model, test.seqs, skeleton, tta=True, scale_mm=1000.0)
    for g, e in zip(got, flipped, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-3)
    got_plain = predict_sequences(model, test.seqs, skeleton, tta=False, scale_mm=1000.0)
    for g, e in zip(got_plain, plain, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-3)
    # and the reports score exactly these predictions
    rep = evaluate_3dhp(model, meta, sample[0], allow_pickle=True)
    assert set(rep["per_sequence"]) == {"TS1", "TS5"} and rep["overall"]["frames"] == 2 * (T - 2)
    assert 0.0 <= rep["overall"]["pck150"] <= 100.0 and rep["protocol"]["test-time flip"] == "off"
    assert rep["overall"]["mpjpe"] == pytest.approx(_mpjpe_valid(plain, test), rel=1e-5)
    tta = evaluate_3dhp(model, meta, sample[0], allow_pickle=True, tta=True)
    assert tta["protocol"]["test-time flip"] == "on"
    assert tta["overall"]["mpjpe"] == pytest.approx(_mpjpe_valid(flipped, test), rel=1e-5)
    assert abs(_mpjpe_valid(flipped, test) - _mpjpe_valid(plain, test)) > 1e-3


def test_bad_files(tmp_path, sample):
    path, _ = sample
    with pytest.raises(FormatError, match="allow_pickle"):
        read_3dhp_test(path)
    p = atomic_save_npz(tmp_path / "nodata.npz", positions=np.zeros(3))
    with pytest.raises(FormatError, match=r"nodata\.npz.*'data'"):
        read_3dhp_test(p, allow_pickle=True)
    p = atomic_save_npz(tmp_path / "list.npz", data=_obj([1, 2]))
    with pytest.raises(FormatError, match=r"list\.npz.*'data' holds list"):
        read_3dhp_test(p, allow_pickle=True)
    good = {"data_3d": np.zeros((T, 17, 3)), "data_2d": np.zeros((T, 17, 2)), "valid": np.ones(T)}
    p = atomic_save_npz(tmp_path / "novalid.npz",
                        data=_obj({"TS2": {k: v for k, v in good.items() if k != "valid"}}))
    with pytest.raises(FormatError, match=r"novalid\.npz.*data\['TS2'\] lacks \['valid'\]"):
        read_3dhp_test(p, allow_pickle=True)
    p = atomic_save_npz(tmp_path / "shape.npz", data=_obj({"TS2": {**good, "data_3d": np.zeros((T, 14, 3))}}))
    with pytest.raises(FormatError, match=r"shape\.npz.*data\['TS2'\]\['data_3d'\]"):
        read_3dhp_test(p, allow_pickle=True)
    p = atomic_save_npz(tmp_path / "ts9.npz", data=_obj({"TS9": good}))
    with pytest.raises(FormatError, match=r"ts9\.npz.*'TS9'"):
        read_3dhp_test(p, allow_pickle=True)
    with pytest.raises(FormatError, match="'TS3'"):
        read_3dhp_test(path, allow_pickle=True, sequences=("TS3",))
    with pytest.raises(SkelgnnError, match="order"):
        read_3dhp_test(path, allow_pickle=True, order="coco")
