"""End-to-end training on a tiny real benchmark: loss falls, checkpoints rebuild, resume is exact."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from skelgnn.cli import main
from skelgnn.core.errors import CheckpointError
from skelgnn.core.skeleton import H36M_17
from skelgnn.data.hdm05 import benchmark_sequences
from skelgnn.data.hdm05_files import load_benchmark
from skelgnn.data.windows import PoseWindows
from skelgnn.lifting.checkpoint import load_checkpoint, read_checkpoint
from skelgnn.training.train import validation_mpjpe

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "skeletal_gnn_hdm05.toml"
SMALL = {"fc": "{'channels': 64}", "skeletal_gnn": "{'channels': 16}", "skeletal_gnn_t27": "{'channels': 16}"}


def _train(bench_dir, out, model="fc", epochs=2, extra=()):
    args = ["train", str(CONFIG), "--out", str(out), "--quiet",
            "--set", f"data.path='{bench_dir}'", "--set", f"model.name='{model}'",
            "--set", f"model.kwargs={SMALL[model]}", "--set", f"train.epochs={epochs}",
            "--set", "train.batch_size=64", "--set", "train.lr=0.002", *extra]
    return main(args)


@pytest.mark.parametrize("model", ["fc", "skeletal_gnn", "skeletal_gnn_t27"])
def test_two_epochs_lower_the_loss_and_reload_reproduces_val_metric(tiny_bench_dir, tmp_path, model):
    assert _train(tiny_bench_dir, tmp_path, model) == 0
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2]
    assert log[1]["train_loss_mm"] < log[0]["train_loss_mm"]
    best = min(log, key=lambda r: r["val_mpjpe"])
    net, meta = load_checkpoint(tmp_path / "best.pt")
    assert meta["model"]["name"] == model and meta["metrics"]["epoch"] == best["epoch"]
    bench = load_benchmark(tiny_bench_dir)
    val = benchmark_sequences(bench, "val", "gt")
    assert validation_mpjpe(net, val, H36M_17, 1000.0) == pytest.approx(best["val_mpjpe"], rel=1e-5)


def test_evaluate_writes_report_and_predictions(tiny_bench_dir, tmp_path, capsys):
    assert _train(tiny_bench_dir, tmp_path / "run", epochs=1) == 0
    js, pred = tmp_path / "r.json", tmp_path / "p.npz"
    assert main(["evaluate", str(tmp_path / "run" / "best.pt"), "--data", str(tiny_bench_dir),
                 "--input", "noisy", "--tta", "--json", str(js), "--save-predictions", str(pred)]) == 0
    out = capsys.readouterr().out
    assert "test-time flip: on" in out and "input: noisy" in out and "Rare20" in out
    report = json.loads(js.read_text())
    for key in ("mpjpe", "mpjpe_classwise", "p_mpjpe", "ht10", "rare20", "per_class", "per_joint"):
        assert key in report
    assert report["ht10"] >= report["mpjpe"] and report["p_mpjpe"] <= report["mpjpe"]
    bench = load_benchmark(tiny_bench_dir)
    seqs = benchmark_sequences(bench, "test", "noisy")
    with np.load(pred) as f:
        assert sorted(f.files) == sorted(seqs.keys)
        for key, target in zip(seqs.keys, seqs.targets):
            assert f[key].shape == target.shape and f[key].dtype == np.float32
            assert np.all(f[key][:, 0] == 0)  # pelvis-relative
        subject, _clip, cam = seqs.keys[0].split("/")
        assert subject in ("mm", "tr") and cam in "0123"


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tiny_bench_dir, tmp_path):
    assert _train(tiny_bench_dir, tmp_path / "full", epochs=3) == 0
    assert _train(tiny_bench_dir, tmp_path / "part", epochs=2) == 0
    assert _train(tiny_bench_dir, tmp_path / "part", epochs=3) == 0  # resumes at epoch 3
    a = read_checkpoint(tmp_path / "full" / "last.pt")["state_dict"]
    b = read_checkpoint(tmp_path / "part" / "last.pt")["state_dict"]
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0)
    log = (tmp_path / "part" / "log.jsonl").read_text().splitlines()
    assert len(log) == 3


def test_resume_refuses_another_model(tiny_bench_dir, tmp_path, capsys):
    assert _train(tiny_bench_dir, tmp_path, epochs=1) == 0
    assert _train(tiny_bench_dir, tmp_path, epochs=2, extra=("--set", "model.kwargs={'channels': 32}")) == 2
    assert "belongs to another run" in capsys.readouterr().err


def test_corrupt_checkpoint_is_a_clear_error(tmp_path, tiny_bench_dir):
    assert _train(tiny_bench_dir, tmp_path, epochs=1) == 0
    data = (tmp_path / "best.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(tmp_path / "cut.pt")
    torch.save({"hello": 1}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a skelgnn checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="no such"):
        load_checkpoint(tmp_path / "missing.pt")


def test_windows_flip_and_padding(tiny_bench_dir):
    bench = load_benchmark(tiny_bench_dir)
    seqs = benchmark_sequences(bench, "train", "gt")
    plain = PoseWindows(seqs, 5, H36M_17)
    x, y = plain[0]
    assert x.shape == (5, 17, 2) and y.shape == (1, 17, 3)
    assert torch.equal(x[0], x[2]) and torch.equal(x[1], x[2])  # edge padding repeats frame 0
    assert len(plain) == seqs.num_frames
    flipped = PoseWindows(seqs, 5, H36M_17, flip=True, seed=1)
    i = int(torch.nonzero(flipped.flipped)[0])
    xf, yf = flipped[i]
    xp, yp = plain[i]
    perm = list(H36M_17.flip_permutation)
    torch.testing.assert_close(xf[:, :, 0], -xp[:, perm, 0])
    torch.testing.assert_close(yf[..., 1:], yp[:, perm, 1:])


def test_config_errors_are_clean(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[train]\nepochz = 3\n")
    assert main(["train", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "[train]: unknown key(s) ['epochz'] (did you mean 'epochs'" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")]) == 2
    assert "no such config" in capsys.readouterr().err


def test_chunks_cover_every_frame_with_the_right_windows(tiny_bench_dir):
    bench = load_benchmark(tiny_bench_dir)
    seqs = benchmark_sequences(bench, "train", "gt")
    plain = PoseWindows(seqs, 5, H36M_17)
    chunked = PoseWindows(seqs, 5, H36M_17, chunk=8)
    covered = torch.zeros(len(plain), dtype=torch.bool)
    assert all(len(t) >= 8 for t in seqs.targets)  # no extended sequences: indices map 1:1
    for i in range(len(chunked)):
        x, y = chunked[i]
        assert x.shape == (8 + 4, 17, 2) and y.shape == (8, 17, 3)
        b = int(chunked.out_starts[i])
        for k in range(8):
            xp, yp = plain[b + k]
            assert torch.equal(x[k: k + 5], xp) and torch.equal(y[k], yp[0])
            covered[b + k] = True
    assert covered.all()


def test_default_chunk_keeps_enough_independent_windows_per_batch():
    """Auto chunk: 1 for single-frame models; multi-frame batches keep >= 64 windows (at most 32 frames
    each)."""
    from skelgnn.training.train import default_chunk

    assert default_chunk(1, 256) == 1 and default_chunk(1, 4096) == 1
    assert default_chunk(27, 256) == 4  # 64 windows of 4 target frames
    assert default_chunk(81, 1024) == 16
    assert default_chunk(27, 8192) == 32  # capped
    assert default_chunk(27, 32) == 1  # small batches: one target per window
    for rf in (27, 81, 243):
        for batch in (1, 16, 64, 100, 256, 1000, 4096):
            chunk = default_chunk(rf, batch)
            assert 1 <= chunk <= 32 and (batch // chunk >= 64 or chunk == 1)


def test_checkpoint_records_the_chunk_actually_used(tiny_bench_dir, tmp_path):
    assert _train(tiny_bench_dir, tmp_path, "skeletal_gnn_t27", epochs=1) == 0
    meta = read_checkpoint(tmp_path / "last.pt")
    assert meta["config"]["train"]["chunk"] == 1  # batch 64 -> one target frame per window, not "0"


def test_strided_training_trains_on_single_windows(tiny_bench_dir, tmp_path):
    """train.strided: one target frame per window, the strided forward, and the checkpoint says so."""
    from skelgnn.models.skeletal_gnn import SkeletalGNN

    calls = []
    original = SkeletalGNN.forward

    def spy(self, joints_2d, strided=False):
        if self.training:
            calls.append((tuple(joints_2d.shape), strided))
        return original(self, joints_2d, strided)

    SkeletalGNN.forward = spy
    try:
        assert _train(tiny_bench_dir, tmp_path, "skeletal_gnn_t27", epochs=1,
                      extra=["--set", "train.strided=true"]) == 0
    finally:
        SkeletalGNN.forward = original
    assert calls and all(strided and shape[1] == 27 for shape, strided in calls)
    assert calls[0][0][0] == 64  # batch 64 target frames = 64 windows
    meta = read_checkpoint(tmp_path / "last.pt")
    assert meta["config"]["train"]["strided"] is True and meta["config"]["train"]["chunk"] == 1
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert np.isfinite(log[0]["val_mpjpe"])


def test_strided_training_refuses_a_chunk_and_models_without_the_variant(tiny_bench_dir, tmp_path, capsys):
    assert _train(tiny_bench_dir, tmp_path / "a", "skeletal_gnn_t27", epochs=1,
                  extra=["--set", "train.strided=true", "--set", "train.chunk=4"]) == 2
    assert "train.chunk = 0 or 1" in capsys.readouterr().err
    assert _train(tiny_bench_dir, tmp_path / "c", "skeletal_gnn", epochs=1,
                  extra=["--set", "train.strided=true",
                         "--set", "model.kwargs={'channels': 16, 'temporal_kernel': 3}"]) == 2
    assert "no strided training variant" in capsys.readouterr().err
    # single-frame models ignore it (one frame is already the strided case)
    assert _train(tiny_bench_dir, tmp_path / "b", "fc", epochs=1, extra=["--set", "train.strided=true"]) == 0


def test_clip_window_models_train_on_single_windows_and_refuse_chunks_and_strided(tiny_bench_dir, tmp_path,
                                                                                   capsys):
    """o_window = 'clip': auto chunk 1; an explicit chunk > 1 or train.strided is a clear error."""
    from skelgnn.training.train import default_chunk

    assert default_chunk(27, 256, windowed=True) == 1 and default_chunk(27, 256) == 4
    clip = "model.kwargs={'channels': 8, 'o_window': 'clip'}"
    assert _train(tiny_bench_dir, tmp_path / "chunk", "skeletal_gnn_t27", epochs=1,
                  extra=["--set", clip, "--set", "train.chunk=4"]) == 2
    err = capsys.readouterr().err
    assert "train.chunk = 4" in err and "o_window = 'clip'" in err
    assert _train(tiny_bench_dir, tmp_path / "strided", "skeletal_gnn_t27", epochs=1,
                  extra=["--set", clip, "--set", "train.strided=true"]) == 2
    err = capsys.readouterr().err
    assert "train.strided = false" in err and "o_window = 'clip'" in err
    assert not (tmp_path / "chunk" / "last.pt").exists() and not (tmp_path / "strided" / "last.pt").exists()
    # it trains (with precise BatchNorm, as the benchmark row) on 27-frame windows, one target each
    from skelgnn.models.skeletal_gnn import SkeletalGNN

    shapes, original = set(), SkeletalGNN.forward

    def spy(self, joints_2d, strided=False):
        shapes.add((joints_2d.shape[1], strided))
        return original(self, joints_2d, strided)

    SkeletalGNN.forward = spy
    try:
        assert _train(tiny_bench_dir, tmp_path / "ok", "skeletal_gnn_t27", epochs=1,
                      extra=["--set", clip, "--set", "train.precise_bn=2"]) == 0
    finally:
        SkeletalGNN.forward = original
    assert shapes == {(27, False)}  # training, precise BN and validation: never a longer clip
    assert read_checkpoint(tmp_path / "ok" / "last.pt")["config"]["train"]["chunk"] == 1
    net, meta = load_checkpoint(tmp_path / "ok" / "best.pt")
    assert net.windowed and meta["model"]["kwargs"]["o_window"] == "clip"
    logged = json.loads((tmp_path / "ok" / "log.jsonl").read_text().splitlines()[0])["val_mpjpe"]
    val = benchmark_sequences(load_benchmark(tiny_bench_dir), "val", "gt")
    assert np.isfinite(logged)
    assert validation_mpjpe(net, val, H36M_17, 1000.0) == pytest.approx(logged, rel=1e-5)


def test_reestimate_batchnorm_uses_the_batches_with_dropout_off():
    from skelgnn.training.train import reestimate_batchnorm

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.BatchNorm1d(3))
    model.train()
    x = torch.randn(50, 3) * torch.tensor([1.0, 2.0, 3.0]) + torch.tensor([5.0, -1.0, 0.5])
    model(x * 10)  # running averages moved somewhere else
    assert reestimate_batchnorm(model, [(x, None)]) == 1
    bn = model[1]
    assert torch.allclose(bn.running_mean, x.mean(0), atol=1e-5)
    assert torch.allclose(bn.running_var, x.var(0), atol=1e-4)  # dropout on would inflate it
    assert bn.momentum == 0.1 and not model.training
    assert reestimate_batchnorm(torch.nn.Linear(3, 3), [x]) == 0


def test_precise_bn_changes_only_the_batchnorm_statistics(tiny_bench_dir, tmp_path):
    """train.precise_bn: same weights as without it; the checkpoint's statistics give the logged
    validation."""
    assert _train(tiny_bench_dir, tmp_path / "plain", "skeletal_gnn_t27", epochs=1) == 0
    assert _train(tiny_bench_dir, tmp_path / "precise", "skeletal_gnn_t27", epochs=1,
                  extra=["--set", "train.precise_bn=3"]) == 0
    plain = torch.load(tmp_path / "plain" / "last.pt", weights_only=True)["state_dict"]
    precise = torch.load(tmp_path / "precise" / "last.pt", weights_only=True)["state_dict"]
    stats = [k for k in plain if k.endswith(("running_mean", "running_var"))]
    assert stats and all(torch.equal(plain[k], precise[k])
                         for k in plain if k not in stats and "num_batches" not in k)
    assert not all(torch.equal(plain[k], precise[k]) for k in stats)
    net, meta = load_checkpoint(tmp_path / "precise" / "best.pt")
    logged = json.loads((tmp_path / "precise" / "log.jsonl").read_text().splitlines()[0])["val_mpjpe"]
    val = benchmark_sequences(load_benchmark(tiny_bench_dir), "val", "gt")
    scale = meta["normalization"]["target_scale_mm"]
    assert validation_mpjpe(net, val, H36M_17, scale) == pytest.approx(logged, rel=1e-5)
