"""``skelgnn speed`` runs and writes its report (a smoke test; the benchmark itself is not a test)."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from skelgnn.cli import main
from skelgnn.core.errors import SkelgnnError
from skelgnn.evaluation.speed import forward_flops, matmul_throughput, run_speed

MODEL_FIELDS = {"name", "receptive_field", "parameters", "input_frames", "flops_per_pose", "flops_by_op",
                "uncounted_ops", "latency_ms", "poses_per_s_batch1", "poses_per_s", "throughput_calls",
                "throughput_ms", "achieved_flops_per_s", "fraction_of_matmul"}


def test_cli_speed_writes_json_and_markdown(tmp_path, capsys):
    out_json, out_md = tmp_path / "speed.json", tmp_path / "speed.md"
    argv = ["speed", "--models", "fc", "tcn27", "--batch", "4", "--repeats", "1", "--matmul-size", "64",
            "--model-kwargs", '{"channels": 16}', "--json", str(out_json), "--markdown", str(out_md),
            "--quiet"]
    assert main(argv) == 0
    report = json.loads(out_json.read_text())
    assert report["settings"]["batch"] == 4 and report["settings"]["repeats"] == 1
    assert report["matmul_flops_per_s"] > 0 and report["machine"]["device"] == "cpu"
    assert [r["name"] for r in report["models"]] == ["fc", "tcn27"]
    for row in report["models"]:
        assert set(row) >= MODEL_FIELDS
        assert row["flops_per_pose"] > 0 and row["poses_per_s"] > 0 and row["latency_ms"] > 0
        assert row["achieved_flops_per_s"] == pytest.approx(row["flops_per_pose"] * row["poses_per_s"])
    assert report["models"][1]["receptive_field"] == 27 and report["models"][1]["input_frames"] == 27
    table = out_md.read_text()
    assert "| fc | 1 |" in table and "| tcn27 | 27 |" in table
    assert "| fc | 1 |" in capsys.readouterr().out


def test_forward_flops_counts_a_linear_layer():
    total, per_op, uncounted = forward_flops(nn.Sequential(nn.Linear(10, 20), nn.ReLU()), torch.zeros(3, 10))
    assert total == 2 * 3 * 10 * 20 and per_op == {"aten.addmm": total}
    assert "aten.relu" in uncounted


def test_matmul_throughput_positive():
    assert matmul_throughput(32, repeats=1) > 0


def test_unknown_model():
    with pytest.raises(SkelgnnError, match="unknown models"):
        run_speed(["nope"], batch=1, repeats=1, matmul_size=8)


def test_cli_speed_train_adds_training_throughput(tmp_path):
    out_json = tmp_path / "speed.json"
    argv = ["speed", "--models", "fc", "skeletal_gnn_t27", "--batch", "4", "--repeats", "1", "--matmul-size",
            "64",
            "--model-kwargs", '{"channels": 8}', "--train", "--train-batch", "8", "--budget", "0.2",
            "--json", str(out_json), "--quiet"]
    assert main(argv) == 0
    report = json.loads(out_json.read_text())
    assert report["settings"]["train"] is True and report["settings"]["train_batch"] == 8
    fc, t27 = report["models"]
    assert not fc["train_strided"] and t27["train_strided"]  # trained as the benchmark trains it
    for row in (fc, t27):
        assert row["train_samples_per_s"] > 0 and row["train_batch"] == 8
        ratio = row["train_flops_per_sample"] / row["flops_per_pose"]
        if row["train_strided"]:  # the strided variant computes only what its one output frame needs: less
            assert 0.3 < ratio < 2.0  # than forward + backward of the dense form (about 3x); measured 0.87
        else:  # forward + backward: about three times the forward FLOPs of the same samples
            assert 2.0 < ratio < 4.0
        assert row["train_fraction_of_matmul"] == pytest.approx(
            row["train_flops_per_sample"] * row["train_samples_per_s"] / report["matmul_flops_per_s"])
