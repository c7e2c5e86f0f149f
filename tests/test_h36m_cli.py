"""Human3.6M through the command line: one command to train, one to evaluate, the protocol printed first.

No Human3.6M data is needed: a tiny pair in the VideoPose3D layout (pickled dicts, 4 built-in cameras, extra
video frames) is written here. The end-to-end proof on real data is HDM05-Lift exported in the same layout
(the ``tiny_bench_dir`` fixture), trained and evaluated through the same commands.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from skelgnn.cli import main
from skelgnn.data.synthetic import synthetic_h36m_positions, write_h36m_like
from skelgnn.training.config import DataConfig

REPO = Path(__file__).resolve().parents[1]
GT_RECIPE = REPO / "configs" / "skeletal_gnn_h36m_gt.toml"
SUBJECTS = ("S1", "S5", "S6", "S7", "S8", "S9", "S11")
ACTIONS = ("Directions", "Directions 1", "Walking")
T = 16
SMALL = ["--set", "train.epochs=1", "--set", "model.kwargs={'channels': 8}", "--set", "train.batch_size=64",
         "--set", "train.eval_batch_size=256", "--quiet"]


@pytest.fixture(scope="module")
def h36m_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("h36m_cli")
    write_h36m_like(folder, synthetic_h36m_positions(SUBJECTS, ACTIONS, T, seed=1), extra_frames=2)
    return folder


@pytest.fixture(scope="module")
def run_dir(h36m_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("h36m_run")
    assert main(["train", str(GT_RECIPE), "--out", str(out), "--allow-pickle",
                 "--set", f"data.path={h36m_dir}", *SMALL]) == 0
    return out


def _eval(run_dir, h36m_dir, *extra) -> int:
    return main(["evaluate", str(run_dir / "best.pt"), "--data", str(h36m_dir), *extra])


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("skelgnn: error: ") and "\n" not in err and "Traceback" not in err
    return err


# ---------------------------------------------------------------------------------------- train
def test_train_needs_allow_pickle_and_names_the_file(h36m_dir, tmp_path, capsys):
    assert main(["train", str(GT_RECIPE), "--out", str(tmp_path), "--set", f"data.path={h36m_dir}",
                 *SMALL]) == 2
    err = _error_line(capsys)
    assert str(h36m_dir / "data_3d_h36m.npz") in err and "--allow-pickle" in err and "run code" in err
    assert not (tmp_path / "last.pt").exists()
    # a config value alone does not open pickled files from the command line
    assert main(["train", str(GT_RECIPE), "--out", str(tmp_path), "--set", f"data.path={h36m_dir}",
                 "--set", "data.allow_pickle=True", *SMALL]) == 2
    assert "--allow-pickle" in _error_line(capsys)


def test_train_names_a_missing_2d_file(h36m_dir, tmp_path, capsys):
    assert main(["train", str(GT_RECIPE), "--out", str(tmp_path), "--allow-pickle",
                 "--set", f"data.path={h36m_dir}", "--set", "data.input='cpn_ft_h36m_dbb'", *SMALL]) == 2
    err = _error_line(capsys)
    assert "data_2d_h36m_cpn_ft_h36m_dbb.npz" in err and "no such file" in err


def test_train_writes_checkpoints_with_the_protocol_in_the_config(run_dir):
    from skelgnn.lifting.checkpoint import read_checkpoint

    ckpt = read_checkpoint(run_dir / "best.pt")
    data = ckpt["config"]["data"]
    assert data["kind"] == "h36m" and data["test_subjects"] == ["S9", "S11"] and data["allow_pickle"] is True
    assert ckpt["skeleton"]["name"] == "h36m17" and (run_dir / "last.pt").is_file()
    log = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]
    assert len(log) == 1 and np.isfinite(log[0]["val_mpjpe"])


def test_training_sequences_follow_the_protocol(h36m_dir):
    from skelgnn.core.errors import FormatError
    from skelgnn.training.datasets import training_sequences

    cfg = DataConfig(kind="h36m", path=str(h36m_dir), allow_pickle=True)
    train, val, skeleton = training_sequences(cfg)
    # 5 training subjects x 3 actions = 15 (subject, action) groups; every 10th (the 10th) is validation
    assert len(val) == 4 and len(train) == 14 * 4 and skeleton.num_joints == 17
    assert not any(k.startswith(("S9/", "S11/")) for k in train.keys + val.keys)
    assert all(len(x) == T for x in train.inputs)  # 2D trimmed to the 3D length (2 extra video frames)
    cfg16 = DataConfig(kind="h36m", path=str(h36m_dir), allow_pickle=True, joints=16, train_downsample=4)
    train16, _, sk16 = training_sequences(cfg16)
    assert sk16.num_joints == 16 and train16.inputs[0].shape == (T // 4, 16, 2)
    with pytest.raises(FormatError, match="allow-pickle"):
        training_sequences(DataConfig(kind="h36m", path=str(h36m_dir)))


# ---------------------------------------------------------------------------------------- evaluate
def test_evaluate_prints_the_protocol_first_then_both_averages(run_dir, h36m_dir, tmp_path, capsys):
    js, pred = tmp_path / "r.json", tmp_path / "p.npz"
    assert _eval(run_dir, h36m_dir, "--allow-pickle", "--json", str(js), "--save-predictions", str(pred)) == 0
    out = capsys.readouterr().out
    head = out.split("|", 1)[0]  # everything before the first table
    assert head.startswith("## skeletal_gnn") and "Protocol:" in head
    for text in ("dataset: Human3.6M", "2D input: gt", "train subjects: S1, S5, S6, S7, S8", "test subjects: "
                 "S9, S11",
                 "excluded sequences: S11 'Directions'", "joints: 17", "test-time flip: on", "every frame",
                 "averaging: both reported", "action-wise", "frame-wise", "model selection"):
        assert text in head, text
    assert "| metric | action-wise (mm) | frame-wise (mm) |" in out
    assert "| Protocol #1 MPJPE |" in out and "| Protocol #2 P-MPJPE |" in out
    assert "| Protocol #3 N-MPJPE |" in out
    assert "Per action (easy → hard)" in out and "HT10" in out
    report = json.loads(js.read_text())
    for key in ("protocol_1", "protocol_2"):
        assert np.isfinite(report[key]["frame_wise"]) and np.isfinite(report[key]["action_wise"])
    # S9: 3 actions, S11: 2 (Directions excluded), 4 cameras, every frame
    assert report["samples"] == 5 * 4 * T and report["protocol_fields"]["test_flip"] is True
    with np.load(pred) as f:
        assert len(f.files) == 5 * 4 and "S9/Walking/0" in f.files and f["S9/Walking/0"].shape == (T, 17, 3)
        assert not any(k.startswith("S11/Directions/") for k in f.files)


def test_evaluate_numbers_are_those_of_evaluate_protocol(run_dir, h36m_dir, tmp_path):
    from skelgnn.data.h36m import load_vp3d_pair
    from skelgnn.evaluation.evaluate import evaluate_h36m_checkpoint, evaluate_protocol
    from skelgnn.evaluation.protocol import Protocol
    from skelgnn.lifting.checkpoint import load_checkpoint

    report, _preds, _seqs, protocol = evaluate_h36m_checkpoint(run_dir / "best.pt", h36m_dir,
                                                               allow_pickle=True)
    model, meta = load_checkpoint(run_dir / "best.pt")
    p = Protocol.from_config(meta["config"]["data"])
    assert protocol == p
    pair = load_vp3d_pair(h36m_dir / "data_3d_h36m.npz", h36m_dir / "data_2d_h36m_gt.npz", allow_pickle=True)
    test = p.splits(pair, splits=("test",))["test"]
    ref = evaluate_protocol(model, meta, test, p)
    for key in ("protocol_1", "protocol_2", "protocol_3", "mpjve", "per_action", "per_joint", "protocol"):
        assert report[key] == ref[key], key


def test_evaluate_switches_change_the_protocol(run_dir, h36m_dir, tmp_path, capsys):
    js = tmp_path / "r.json"
    assert _eval(run_dir, h36m_dir, "--allow-pickle", "--no-tta", "--keep-s11-directions",
                 "--test-downsample", "4",
                 "--rare", "--json", str(js)) == 0
    out = capsys.readouterr().out
    assert "test-time flip: off" in out and "excluded sequences: none" in out and "every 4th frame" in out
    assert "Rare poses" in out
    report = json.loads(js.read_text())
    assert report["samples"] == 6 * 4 * (T // 4) and report["rare_poses"]["rare_samples"] > 0


def test_evaluate_errors(run_dir, h36m_dir, capsys):
    assert _eval(run_dir, h36m_dir) == 2  # no --allow-pickle
    err = _error_line(capsys)
    assert str(h36m_dir / "data_3d_h36m.npz") in err and "--allow-pickle" in err
    # decided: a 17-joint model is not scored on 16 joints (that protocol needs a 16-joint model)
    assert _eval(run_dir, h36m_dir, "--allow-pickle", "--joints", "16") == 2
    err = _error_line(capsys)
    assert "17 joints" in err and "data.joints = 16" in err
    assert _eval(run_dir, h36m_dir, "--allow-pickle", "--input", "noisy") == 2
    assert "--input" in _error_line(capsys)


def test_sixteen_joints_train_and_evaluate(h36m_dir, tmp_path, capsys):
    run = tmp_path / "run16"
    assert main(["train", str(GT_RECIPE), "--out", str(run), "--allow-pickle", "--set",
                 f"data.path={h36m_dir}",
                 "--set", "data.joints=16", "--set", "train.flip=false", *SMALL]) == 0
    capsys.readouterr()
    js = tmp_path / "r16.json"
    assert _eval(run, h36m_dir, "--allow-pickle", "--json", str(js)) == 0
    assert "joints: 16 (Neck/Nose dropped)" in capsys.readouterr().out
    assert len(json.loads(js.read_text())["per_joint"]) == 16
    assert _eval(run, h36m_dir, "--allow-pickle", "--joints", "17") == 2
    assert "trained on 16 joints" in _error_line(capsys)


# ---------------------------------------------------------------------------------------- 3DHP, CDF
def _obj(v):
    a = np.empty((), dtype=object)
    a[()] = v
    return a


def test_evaluate_3dhp_command(run_dir, tmp_path, capsys):
    from skelgnn.core.io import atomic_save_npz

    rng = np.random.default_rng(0)
    data = {name: {"data_3d": rng.normal(0, 300, (8, 17, 3)), "data_2d": rng.uniform(0, 1000, (8, 17, 2)),
                   "valid": np.ones(8)} for name in ("TS1", "TS5")}
    path = atomic_save_npz(tmp_path / "data_test_3dhp.npz", data=_obj(data))
    assert main(["evaluate-3dhp", str(run_dir / "best.pt"), "--data", str(path)]) == 2
    assert str(path) in _error_line(capsys)
    js = tmp_path / "3dhp.json"
    assert main(["evaluate-3dhp", str(run_dir / "best.pt"), "--data", str(path), "--allow-pickle",
                 "--json", str(js)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## ") and out.index("Protocol:") < out.index("| sequence |")
    assert "test-time flip: on" in out and "| TS1 |" in out and "| TS5 |" in out and "all (pooled" in out
    report = json.loads(js.read_text())
    assert set(report["per_sequence"]) == {"TS1", "TS5"} and 0 <= report["overall"]["pck150"] <= 100


def test_data_h36m_cdf_command(tmp_path, monkeypatch, capsys):
    from skelgnn.data.vp3d import read_vp3d_2d, read_vp3d_3d

    store = {}
    rng = np.random.default_rng(1)
    for subject in ("S1", "S9"):
        folder = tmp_path / "src" / subject / "MyPoseFeatures" / "D3_Positions"
        folder.mkdir(parents=True)
        for raw in ("Directions", "TakingPhoto 1"):
            f = folder / f"{raw}.cdf"
            f.write_bytes(b"")
            store[str(f)] = (rng.normal(0, 300, (5, 32, 3)) + [0, 0, 1000]).reshape(1, 5, 96)

    class CDF:
        def __init__(self, path):
            self.path = path

        def varget(self, name):
            return store[self.path]

    monkeypatch.setitem(sys.modules, "cdflib", types.SimpleNamespace(CDF=CDF))
    out = tmp_path / "out"
    assert main(["data", "h36m-cdf", "--src", str(tmp_path / "src"), "--out", str(out), "--gt-2d",
                 "--subjects", "S1", "S9"]) == 0
    assert "data_2d_h36m_gt.npz" in capsys.readouterr().out
    pos, _ = read_vp3d_3d(out / "data_3d_h36m.npz", allow_pickle=True)
    assert sorted(pos["S9"]) == ["Directions", "Photo 1"] and pos["S9"]["Photo 1"].shape == (5, 32, 3)
    pos2, _meta = read_vp3d_2d(out / "data_2d_h36m_gt.npz", allow_pickle=True)
    assert len(pos2["S1"]["Directions"]) == 4 and pos2["S1"]["Directions"][0].shape == (5, 17, 2)
    monkeypatch.delitem(sys.modules, "cdflib")
    monkeypatch.setattr("importlib.import_module", _no_cdflib(__import__("importlib").import_module))
    assert main(["data", "h36m-cdf", "--src", str(tmp_path / "src"), "--out", str(out)]) == 2
    assert "pip install" in _error_line(capsys)


def _no_cdflib(real):
    def fake(name, *a, **k):
        if name == "cdflib":
            raise ImportError("no cdflib")
        return real(name, *a, **k)
    return fake


# ---------------------------------------------------------------------------------------- HDM05-Lift
def test_hdm05_export_end_to_end_through_the_h36m_commands(tiny_bench_dir, tmp_path, capsys):
    """Real data: HDM05-Lift exported in the VideoPose3D layout, trained and evaluated with the h36m
    commands."""
    run = tmp_path / "run"
    assert main(["train", str(GT_RECIPE), "--out", str(run), "--allow-pickle",
                 "--set", f"data.path={tiny_bench_dir}", "--set", "data.kind='h36m'", "--set",
                 "data.name='hdm05'",
                 "--set", "data.input='gt'", "--set", "data.train_subjects=['bd','bk','dg']",
                 "--set", "data.test_subjects=['mm','tr']", "--set", "data.exclude_s11_directions=false",
                 "--set", "model.name='fc'", "--set", "model.kwargs={'channels': 32}", "--set",
                 "train.epochs=1",
                 "--set", "train.batch_size=256", "--set", "train.lr=0.002", "--quiet"]) == 0
    capsys.readouterr()
    js = tmp_path / "r.json"
    assert main(["evaluate", str(run / "best.pt"), "--data", str(tiny_bench_dir), "--allow-pickle",
                 "--no-tta",
                 "--rare", "--json", str(js)]) == 0
    out = capsys.readouterr().out
    head = out.split("|", 1)[0]
    assert "dataset: HDM05-Lift (VideoPose3D export)" in head and "test subjects: mm, tr" in head
    assert "test-time flip: off" in head and "at 30 fps" in head and "excluded sequences: none" in head
    report = json.loads(js.read_text())
    assert set(report["per_action"]) == {"rotateArmsBothBackward1Reps", "hopBothLegs1hops"}
    assert report["sequences"] == 3 * 4 and np.isfinite(report["protocol_1"]["action_wise"])
    assert "rare_poses" in report and report["protocol_1"]["frame_wise"] < 1000


def test_hdm05_path_is_unchanged(tiny_bench_dir, tmp_path, capsys):
    """kind = "hdm05" reads exactly what run_training read before; `evaluate` prints what it printed
    before."""
    from skelgnn.data.hdm05 import benchmark_sequences
    from skelgnn.data.hdm05_files import load_benchmark
    from skelgnn.evaluation.evaluate import evaluate_checkpoint
    from skelgnn.training.datasets import training_sequences

    cfg = DataConfig(path=str(tiny_bench_dir), input="noisy", train_fraction=0.5, max_frames_per_clip=20)
    train, val, skeleton = training_sequences(cfg)
    bench = load_benchmark(tiny_bench_dir)
    ref_train = benchmark_sequences(bench, "train", "noisy", fraction=0.5, max_frames=20)
    ref_val = benchmark_sequences(bench, "val", "noisy", max_frames=20)
    assert skeleton.name == "h36m17"
    for got, ref in ((train, ref_train), (val, ref_val)):
        assert got.keys == ref.keys and got.classes == ref.classes
        for a, b in zip(got.inputs + got.targets + got.rare, ref.inputs + ref.targets + ref.rare):
            np.testing.assert_array_equal(a, b)

    run = tmp_path / "run"
    assert main(["train", str(REPO / "configs" / "skeletal_gnn_hdm05.toml"), "--out", str(run), "--quiet",
                 "--set", f"data.path='{tiny_bench_dir}'", "--set", "model.name='fc'",
                 "--set", "model.kwargs={'channels': 32}", "--set", "train.epochs=1", "--set",
                 "train.threads=0"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(run / "best.pt"), "--data", str(tiny_bench_dir), "--input", "noisy"]) == 0
    out = capsys.readouterr().out
    report, _, _ = evaluate_checkpoint(run / "best.pt", tiny_bench_dir, input_kind="noisy")
    assert report.title == f"{report['model']} on HDM05-Lift noisy"
    assert out == report.to_markdown() + "\n"
    assert main(["evaluate", str(run / "best.pt"), "--data", str(tiny_bench_dir), "--joints", "17"]) == 2
    assert "only for checkpoints trained with data.kind = 'h36m'" in _error_line(capsys)
