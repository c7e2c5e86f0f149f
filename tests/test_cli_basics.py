"""Bare `skelgnn` prints the help; `skelgnn train` says what it trains before its progress bar."""

from __future__ import annotations

from pathlib import Path

from skelgnn.cli import main

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "skeletal_gnn_hdm05.toml"


def test_bare_skelgnn_prints_the_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: skelgnn") and "predict" in out and "demo" in out and "train" in out


def test_training_prints_a_header_before_the_progress_bar(tiny_bench_dir, tmp_path, capsys):
    assert main(["train", str(CONFIG), "--out", str(tmp_path), "--set", f"data.path='{tiny_bench_dir}'",
                 "--set", "model.name='fc'", "--set", "model.kwargs={'channels': 16}", "--set",
                 "train.epochs=1",
                 "--set", "train.batch_size=64", "--set", "train.threads=1"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    assert header.startswith("Training fc (channels=16): ") and " M parameters" in header
    assert "train " in header and " samples" in header and "validation " in header
    assert "device cpu" in header and "1 torch thread(s)" in header and "1 epochs of batch 64" in header
    assert "epoch   1" in out and out.index(header) < out.index("epoch   1")
    assert main(["train", str(CONFIG), "--out", str(tmp_path / "q"), "--quiet", "--set",
                 f"data.path='{tiny_bench_dir}'", "--set", "model.name='fc'", "--set",
                 "model.kwargs={'channels': 16}", "--set", "train.epochs=1"]) == 0
    assert "Training fc" not in capsys.readouterr().out  # --quiet: neither header nor bar
