"""DistributedDataParallel training with torchrun: 2 gloo processes on CPU against 1 process.

Tolerance (docs/training.md, "Scale"): with a model without BatchNorm (``fc_nobn``, tests/_train_worker.py)
and the same global batch, the 2-process weights equal the 1-process weights within an absolute 1e-5
(measured: 8.9e-8 after 2 epochs of 16 steps) and the validation MPJPE within 1e-3 mm (measured:
1.8e-6 mm); only the order of float additions differs. BatchNorm statistics are per rank on CPU
(torch's SyncBatchNorm needs a GPU), so BatchNorm models only run here, without an exactness check.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from skelgnn.cli import main
from skelgnn.core.distributed import per_rank_batch
from skelgnn.core.errors import SkelgnnError
from skelgnn.lifting.checkpoint import read_checkpoint

TESTS = Path(__file__).resolve().parent
CONFIG = TESTS.parent / "configs" / "skeletal_gnn_hdm05.toml"
WORKER = TESTS / "_train_worker.py"
WEIGHT_ATOL = 1e-5  # absolute, on every weight
VAL_ATOL_MM = 1e-3  # validation MPJPE


def _args(bench_dir, out, model, kwargs, epochs):
    return ["train", str(CONFIG), "--out", str(out), "--quiet", "--set", f"data.path='{bench_dir}'",
            "--set", f"model.name='{model}'", "--set", f"model.kwargs={kwargs}", "--set",
            f"train.epochs={epochs}",
            "--set", "train.batch_size=64", "--set", "train.lr=0.002", "--set", "train.threads=1"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _torchrun(target: list[str], args: list[str], nproc: int = 2) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", MASTER_ADDR="127.0.0.1")
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
           "--master_addr=127.0.0.1",
           f"--master_port={_free_port()}", *target, *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _history(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_two_gloo_processes_match_one_process(tiny_bench_dir, tmp_path, monkeypatch):
    """Same global batch (64), flips on, no dropout: 1 process vs 2 processes (interrupted after epoch 1
    and resumed on every rank from last.pt)."""
    monkeypatch.syspath_prepend(str(TESTS))
    import _train_worker

    from skelgnn.models import REGISTRY, _load_all

    _load_all()
    monkeypatch.setitem(REGISTRY, "fc_nobn", _train_worker.fc_nobn)
    kwargs = "{'channels': 32, 'dropout': 0.0}"
    assert main(_args(tiny_bench_dir, tmp_path / "one", "fc_nobn", kwargs, 2)) == 0
    _torchrun([str(WORKER)], _args(tiny_bench_dir, tmp_path / "two", "fc_nobn", kwargs, 1))
    proc = _torchrun([str(WORKER)], _args(tiny_bench_dir, tmp_path / "two", "fc_nobn", kwargs, 2))
    assert proc.stdout.count("Trained fc_nobn for 2 epochs") == 1  # rank 0 reports, rank 1 is silent
    # the run folder's lock file (one writer per folder) is the only other entry
    assert sorted(p.name for p in (tmp_path / "two").iterdir() if p.name != ".skelgnn.lock") == [
        "best.pt", "last.pt", "log.jsonl"]
    a = read_checkpoint(tmp_path / "one" / "last.pt")["state_dict"]
    b = read_checkpoint(tmp_path / "two" / "last.pt")["state_dict"]
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=0, atol=WEIGHT_ATOL, msg=k)
    one, two = _history(tmp_path / "one" / "log.jsonl"), _history(tmp_path / "two" / "log.jsonl")
    assert [r["epoch"] for r in two] == [1, 2]
    for r1, r2 in zip(one, two):
        assert r2["val_mpjpe"] == pytest.approx(r1["val_mpjpe"], abs=VAL_ATOL_MM)
        assert r2["train_loss_mm"] == pytest.approx(r1["train_loss_mm"], rel=1e-5)
        assert r2["lr"] == r1["lr"]


def test_torchrun_runs_the_cli_with_batchnorm(tiny_bench_dir, tmp_path):
    """``torchrun -m skelgnn.cli train``: a BatchNorm model (per-rank statistics on CPU) trains and saves."""
    proc = _torchrun(["-m", "skelgnn.cli"], _args(tiny_bench_dir, tmp_path, "fc", "{'channels': 32}", 1))
    assert proc.stdout.count("Trained fc for 1 epochs") == 1
    (row,) = _history(tmp_path / "log.jsonl")
    assert torch.isfinite(torch.tensor(row["val_mpjpe"]))
    ckpt = read_checkpoint(tmp_path / "best.pt")
    # the plain model, not the DDP wrapper
    assert not any(k.startswith("module.") for k in ckpt["state_dict"])


def test_global_batch_must_split_evenly():
    assert per_rank_batch(64, 1, 1) == 64
    assert per_rank_batch(64, 1, 2) == 32
    assert per_rank_batch(256, 32, 4) == 2
    with pytest.raises(SkelgnnError, match="do not split evenly over 3 processes"):
        per_rank_batch(64, 1, 3)
    assert per_rank_batch(256, 32, 8) == 1  # 8 chunks of 32 frames over 8 ranks ...
    with pytest.raises(SkelgnnError, match="multiple of 512 frames"):
        per_rank_batch(256, 32, 16)  # ... but not over 16


def test_mixed_precision_needs_cuda(tiny_bench_dir, tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    args = _args(tiny_bench_dir, tmp_path, "fc", "{'channels': 32}", 1) + ["--set", "train.amp='bf16'"]
    assert main(args) == 2
    assert "train.amp = 'bf16' needs a CUDA device" in capsys.readouterr().err
    assert main(_args(tiny_bench_dir, tmp_path, "fc", "{'channels': 32}", 1) + ["--set",
                                                                                "train.amp='fp8'"]) == 2
    assert "train.amp must be 'off', 'bf16' or 'fp16'" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_mixed_precision_trains_and_resumes_on_cuda(tiny_bench_dir, tmp_path, amp):
    for epochs in (1, 2):  # the second call resumes
        args = _args(tiny_bench_dir, tmp_path, "fc", "{'channels': 32}", epochs) + ["--set",
                                                                                    f"train.amp='{amp}'"]
        assert main(args) == 0
    ckpt = read_checkpoint(tmp_path / "last.pt")
    assert ("scaler" in ckpt["resume"]) == (amp == "fp16")
    assert len(_history(tmp_path / "log.jsonl")) == 2
    assert all(torch.isfinite(v).all() for v in ckpt["state_dict"].values() if v.is_floating_point())
