"""bench/gpu_grid.sh, the prepared GPU call of the benchmark, smoke-tested on the CPU with a tiny config."""

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CONFIG = """
[benchmark]
data = "{data}"
inputs = ["gt", "noisy"]

[train]
epochs = 1
batch_size = 64

[[runs]]
label = "fc"
model = "fc"
kwargs = {{ channels = 16 }}

[[runs]]
label = "lcn"
model = "lcn"
kwargs = {{ channels = 8 }}
inputs = ["gt"]
"""


def _setup(tiny_bench_dir: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """The device call's view: the one data file it carries, the tiny config; returns (config, OUTDIR,
    OUT)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(tiny_bench_dir / "hdm05_lift.npz", data)  # the one file the device call carries
    cfg = tmp_path / "bench.toml"
    cfg.write_text(CONFIG.format(data=data))
    return cfg, tmp_path / "gpu_bench", tmp_path / "returned"


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("timeout") is None, reason="needs bash, "
                    "timeout")
def test_gpu_grid_script_trains_in_shards_and_packs_only_the_finished_runs(tiny_bench_dir, tmp_path):
    cfg, out, res = _setup(tiny_bench_dir, tmp_path)
    env = dict(os.environ, DEVICE="cpu", SHARDS="2", LIMIT="300", CONFIG=str(cfg), OUTDIR=str(out),
               OUT=str(res), PYTHON=sys.executable, SET="train.threads=1")
    proc = subprocess.run(["bash", str(ROOT / "bench" / "gpu_grid.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "shard status 0" in proc.stdout
    summary = json.loads((out / "results.json").read_text())
    assert sorted((r["label"], r["input"]) for r in summary["results"]) == [
        ("fc", "gt"), ("fc", "noisy"), ("lcn", "gt")]
    assert all(r["device"].startswith("cpu: ") for r in summary["results"])
    with tarfile.open(res / "hdm05_gpu.tar.gz") as tar:
        names = tar.getnames()
    assert not any(n.endswith(".pt") for n in names)  # no checkpoints travel back
    for run in ("fc__gt__s0", "fc__noisy__s0", "lcn__gt__s0"):
        for f in ("test.json", "log.jsonl", "sample_errors.npz"):
            assert any(n.endswith(f"runs/{run}/{f}") for n in names), (run, f, names)
    assert any(n.endswith("results.md") for n in names)
    assert sorted(p.name for p in res.iterdir()) == ["hdm05_gpu.tar.gz", "report.log", "tail_of_shards.log"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_gpu_grid_script_refuses_to_start_without_cuda_when_asked_for_it(tmp_path):
    pytest.importorskip("torch")
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    env = dict(os.environ, OUT=str(tmp_path), PYTHON=sys.executable, OUTDIR=str(tmp_path / "o"))
    proc = subprocess.run(["bash", str(ROOT / "bench" / "gpu_grid.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "sees no CUDA device" in proc.stderr
    assert not (tmp_path / "o").exists()  # nothing started


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("timeout") is None, reason="needs bash, "
                    "timeout")
def test_gpu_grid_script_returns_the_checkpoints_of_cut_off_runs_with_keep_ckpt(tiny_bench_dir, tmp_path):
    cfg, out, res = _setup(tiny_bench_dir, tmp_path)
    cut = out / "runs" / "fc__gt__s0"  # a run stopped at LIMIT elsewhere: checkpoints, no test.json
    cut.mkdir(parents=True)
    payload = {"last.pt": os.urandom(40_000), "best.pt": os.urandom(30_000), "log.jsonl": b'{"epoch": 1}\n'}
    for name, blob in payload.items():
        (cut / name).write_bytes(blob)
    env = dict(os.environ, DEVICE="cpu", SHARDS="1", LIMIT="300", CONFIG=str(cfg), OUTDIR=str(out),
               OUT=str(res),
               PYTHON=sys.executable, SET="train.threads=1", ONLY="lcn", BY_RUN="1", KEEP_CKPT="1")
    proc = subprocess.run(["bash", str(ROOT / "bench" / "gpu_grid.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    parts = sorted(res.glob("unfinished.tar.part-*"))
    assert parts, sorted(p.name for p in res.iterdir())
    joined = tmp_path / "unfinished.tar"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts))
    unpacked = tmp_path / "unpacked"
    with tarfile.open(joined) as tar:
        names = tar.getnames()
        tar.extractall(unpacked, filter="data")
    # only the cut-off run, with its three files intact; the finished lcn run is not among them
    assert sorted(Path(n).name for n in names) == ["best.pt", "last.pt", "log.jsonl"]
    assert all("fc__gt__s0" in n for n in names)
    for name, blob in payload.items():
        found = [p for p in unpacked.rglob(name)]
        assert len(found) == 1 and found[0].read_bytes() == blob
    assert (out / "runs" / "lcn__gt__s0" / "test.json").exists()


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("timeout") is None, reason="needs bash, "
                    "timeout")
def test_gpu_grid_script_returns_best_checkpoints_of_runs_not_scored_cross(tiny_bench_dir, tmp_path):
    cfg, out, res = _setup(tiny_bench_dir, tmp_path)
    scored = out / "runs" / "fc__gt__s0"  # finished and already scored on Bandai2-Cross: stays
    scored.mkdir(parents=True)
    (scored / "test.json").write_text(json.dumps({"mpjpe": 1.0, "cross": {"in_view": {}}}))
    (scored / "best.pt").write_bytes(b"scored")
    env = dict(os.environ, DEVICE="cpu", SHARDS="1", LIMIT="300", CONFIG=str(cfg), OUTDIR=str(out),
               OUT=str(res), PYTHON=sys.executable, SET="train.threads=1", ONLY="lcn", KEEP_BEST="1")
    proc = subprocess.run(["bash", str(ROOT / "bench" / "gpu_grid.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert (out / "runs" / "lcn__gt__s0" / "test.json").exists(), proc.stdout + proc.stderr
    parts = sorted(res.glob("best.tar.part-*"))
    assert parts, sorted(p.name for p in res.iterdir())
    joined = tmp_path / "best.tar"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts))
    with tarfile.open(joined) as tar:
        names = tar.getnames()
    assert [Path(n).name for n in names] == ["best.pt"] and "lcn__gt__s0" in names[0]
