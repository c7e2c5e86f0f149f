"""No lost work: SIGKILL at random points then resume == uninterrupted; corrupt checkpoints are clear errors
that overwrite nothing; a non-finite loss stops before the weights are touched; NaN inputs are refused."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from skelgnn.cli import main
from skelgnn.core.errors import SkelgnnError
from skelgnn.core.skeleton import H36M_17
from skelgnn.data.hdm05 import benchmark_sequences
from skelgnn.data.hdm05_files import load_benchmark
from skelgnn.data.windows import PoseWindows
from skelgnn.evaluation.report import compute_report
from skelgnn.lifting.checkpoint import load_checkpoint, read_checkpoint
from skelgnn.lifting.inference import lift, predict_sequences
from skelgnn.models import build
from skelgnn.training import train as train_module

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "skeletal_gnn_hdm05.toml"
FILES = ("best.pt", "last.pt", "log.jsonl", ".skelgnn.lock")  # the lock file: one writer per run folder


def _args(bench_dir, out, epochs):
    return ["train", str(CONFIG), "--out", str(out), "--quiet", "--set", f"data.path='{bench_dir}'",
            "--set", "model.name='fc'", "--set", "model.kwargs={'channels': 32}", "--set",
            f"train.epochs={epochs}",
            "--set", "train.batch_size=64", "--set", "train.lr=0.002", "--set", "train.threads=1"]


def _rows(out: Path) -> int:
    try:
        return len((out / "log.jsonl").read_text().splitlines())
    except FileNotFoundError:
        return 0


def _check_not_torn(out: Path) -> int:
    """Every file under its real name is complete; returns the number of finished epochs in last.pt."""
    for p in out.iterdir():
        assert p.name in FILES or (p.name.startswith(".") and p.name.endswith(".tmp")), p.name
    ckpt = read_checkpoint(out / "last.pt")
    epochs = len(json.loads(ckpt["resume"]["history"]))
    assert all(torch.isfinite(v).all() for v in ckpt["state_dict"].values() if v.is_floating_point())
    load_checkpoint(out / "best.pt")
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert len(rows) in (epochs - 1, epochs)  # the log is written right after last.pt
    return epochs


def test_sigkill_at_random_points_then_resume_equals_uninterrupted(tiny_bench_dir, tmp_path):
    epochs = 12
    assert main(_args(tiny_bench_dir, tmp_path / "full", epochs)) == 0
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "skelgnn.cli", *_args(tiny_bench_dir, out, epochs)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    rng = random.Random(8)
    interrupted = []
    for delay in (0.0, rng.uniform(0.05, 0.6)):  # right at a checkpoint, then somewhere later
        before = _rows(out)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while _rows(out) <= before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)
        interrupted.append(proc.poll() is None)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        done = _check_not_torn(out)
        assert done < epochs or not interrupted[-1]
    assert interrupted[0], "the first kill came after the run had finished; the test proves nothing"
    assert main(_args(tiny_bench_dir, out, epochs)) == 0  # resume to the end
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)  # leftover temporary files were removed
    a = read_checkpoint(tmp_path / "full" / "last.pt")
    b = read_checkpoint(out / "last.pt")
    for k in a["state_dict"]:
        torch.testing.assert_close(b["state_dict"][k], a["state_dict"][k], rtol=0, atol=0)
    timing = ("seconds", "cpu_seconds")  # the clock differs between runs; everything else must not
    strip = [{k: v for k, v in r.items() if k not in timing} for r in json.loads(a["resume"]["history"])]
    assert [{k: v for k, v in r.items() if k not in timing}
            for r in json.loads(b["resume"]["history"])] == strip
    full = read_checkpoint(tmp_path / "full" / "best.pt")
    assert read_checkpoint(out / "best.pt")["metrics"] == full["metrics"]


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_corrupt_last_checkpoint_refuses_and_keeps_best(tiny_bench_dir, tmp_path, capsys, damage):
    assert main(_args(tiny_bench_dir, tmp_path, 1)) == 0
    best = (tmp_path / "best.pt").read_bytes()
    data = (tmp_path / "last.pt").read_bytes()
    bad = data[: len(data) // 3] if damage == "truncate" else b"\x00garbage" * 100
    (tmp_path / "last.pt").write_bytes(bad)
    assert main(_args(tiny_bench_dir, tmp_path, 2)) == 2
    err = capsys.readouterr().err
    assert "not a readable checkpoint" in err and "will not silently start over" in err
    assert "move last.pt, best.pt and log.jsonl away" in err
    assert (tmp_path / "best.pt").read_bytes() == best  # the last good model is untouched
    assert (tmp_path / "last.pt").read_bytes() == bad  # nothing overwritten, nothing restarted
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 1


def test_non_finite_loss_stops_without_corrupting_the_weights(tiny_bench_dir, tmp_path, capsys, monkeypatch):
    assert main(_args(tiny_bench_dir, tmp_path, 1)) == 0
    good = read_checkpoint(tmp_path / "last.pt")["state_dict"]
    real_loss, calls = train_module._loss, []

    def exploding(pred, target, kind):
        calls.append(1)
        loss = real_loss(pred, target, kind)
        return loss * float("inf") if len(calls) == 3 else loss  # the 3rd step of epoch 2 blows up

    monkeypatch.setattr(train_module, "_loss", exploding)
    assert main(_args(tiny_bench_dir, tmp_path, 3)) == 2
    assert "epoch 2: the training loss became inf" in capsys.readouterr().err
    ckpt = read_checkpoint(tmp_path / "last.pt")  # still loads, still epoch 1, still finite
    assert len(json.loads(ckpt["resume"]["history"])) == 1
    for k, v in ckpt["state_dict"].items():
        assert torch.equal(v, good[k])
        assert not v.is_floating_point() or torch.isfinite(v).all()
    load_checkpoint(tmp_path / "best.pt")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_infinite_inputs_are_refused_naming_the_sequence(tiny_bench_dir, bad):
    seqs = benchmark_sequences(load_benchmark(tiny_bench_dir), "val", "gt")
    key = seqs.keys[1]
    seqs.inputs[1] = seqs.inputs[1].copy()
    seqs.inputs[1][5, 3, 0] = bad
    msg = f"sequence {key}: the 2D input has 1 NaN or infinite value.*frame 5, joint 3"
    with pytest.raises(SkelgnnError, match=msg):
        PoseWindows(seqs, 1, H36M_17)
    model = build("fc", H36M_17, channels=16).eval()
    with pytest.raises(SkelgnnError, match=f"sequence {key}: the 2D input"):
        predict_sequences(model, seqs, H36M_17)
    with pytest.raises(SkelgnnError, match="joints_2d contains NaN or infinite values"):
        lift(model, torch.from_numpy(seqs.inputs[1]))
    clean = benchmark_sequences(load_benchmark(tiny_bench_dir), "val", "gt")
    clean.targets[0] = clean.targets[0].copy()
    clean.targets[0][2, 4, 1] = bad
    with pytest.raises(SkelgnnError, match=f"sequence {clean.keys[0]}: the 3D target"):
        PoseWindows(clean, 1, H36M_17)
    preds = predict_sequences(model, clean, H36M_17)
    with pytest.raises(SkelgnnError, match=f"sequence {clean.keys[0]}: the 3D target"):
        compute_report(preds, clean, H36M_17)
