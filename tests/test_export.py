"""ONNX export: every registered model exports with dynamic batch and time; onnxruntime agrees with torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from skelgnn.cli import main
from skelgnn.core.camera_rigs import ring_cameras
from skelgnn.core.cameras import normalize_screen, project_world
from skelgnn.core.errors import ShapeError, SkelgnnError
from skelgnn.core.skeleton import H36M_17
from skelgnn.lifting.checkpoint import make_checkpoint, save_checkpoint
from skelgnn.lifting.export import check_onnx, export_onnx, onnx_metadata
from skelgnn.models import build, names

TINY = {"channels": 16}
TOL = 1e-4

# A T-pose in millimetres, world y up, in H36M_17 order (pelvis at hip height).
T_POSE_MM = np.array([
    [0, 1000, 0], [-130, 1000, 0], [-130, 550, 0], [-130, 100, 0], [130, 1000, 0], [130, 550, 0],
    [130, 100, 0], [0, 1230, 0], [0, 1480, 0], [0, 1580, 30], [0, 1700, 0], [160, 1450, 0], [440, 1450, 0],
    [690, 1450, 0], [-160, 1450, 0], [-440, 1450, 0], [-690, 1450, 0],
], dtype=np.float64)


def realistic_joints_2d(frames: int, batch: int = 2) -> torch.Tensor:
    """T-poses waving their arms, seen by ring cameras, in normalised screen coordinates (B, T, 17, 2)."""
    cams = ring_cameras((0.0, 900.0, 0.0), radius=4500.0, height=1500.0, yaws_deg=[30.0 + 100 * b for b in
                        range(batch)], f=1145.0, c=(500.0, 500.0), width=1000, height_px=1000)
    out = []
    for cam in cams:
        clip = []
        for t in range(frames):
            pose = T_POSE_MM.copy()
            lift = 200 * math.sin(t / 5)
            pose[[12, 13, 15, 16], 1] += lift  # elbows and wrists up and down
            clip.append(normalize_screen(project_world(pose, cam), cam.width, cam.height))
        out.append(np.stack(clip))
    return torch.as_tensor(np.stack(out), dtype=torch.float32)


def test_realistic_input_is_on_screen():
    x = realistic_joints_2d(3)
    assert x.shape == (2, 3, 17, 2)
    assert x.abs().max() < 1 and x.std() > 0.05


@pytest.mark.parametrize("name", names())
def test_export_matches_torch(name, tmp_path):
    torch.manual_seed(0)
    model = build(name, H36M_17, **TINY).train()
    path = export_onnx(model, tmp_path / f"{name}.onnx")
    assert model.training, "export_onnx must restore the training flag"
    model.eval()
    rf = model.receptive_field
    # dynamic batch and time: shapes other than the traced (2, rf + 2)
    x = torch.randn(1, rf, 17, 2, generator=torch.Generator().manual_seed(1)) * 0.5
    assert check_onnx(model, path, x) < TOL
    assert check_onnx(model, path, realistic_joints_2d(rf + 1, batch=3)) < TOL
    assert onnx_metadata(path)["skelgnn.receptive_field"] == str(rf)
    assert not list(tmp_path.glob(".*.tmp")), "atomic write left a temporary file"


def test_fixed_frames(tmp_path):
    model = build("skeletal_gnn_t27", H36M_17, **TINY, dilations=(1, 3), num_blocks=2).eval()
    rf = model.receptive_field
    path = export_onnx(model, tmp_path / "fixed.onnx", frames=rf + 1)
    assert check_onnx(model, path, realistic_joints_2d(rf + 1, batch=4)) < TOL
    with pytest.raises(SkelgnnError, match="onnxruntime failed"):
        check_onnx(model, path, realistic_joints_2d(rf + 2))
    with pytest.raises(ShapeError, match="receptive field"):
        export_onnx(model, tmp_path / "short.onnx", frames=rf - 1)
    assert not (tmp_path / "short.onnx").exists()


def test_check_onnx_missing_file(tmp_path):
    model = build("fc", H36M_17, **TINY)
    with pytest.raises(FileNotFoundError):
        check_onnx(model, tmp_path / "nope.onnx", torch.zeros(1, 1, 17, 2))


@pytest.mark.slow
def test_dynamo_exporter(tmp_path):
    """The torch.export-based exporter (about 10 s, most of it one-time set-up)."""
    pytest.importorskip("onnxscript")
    model = build("tcn27", H36M_17, **TINY).eval()
    path = export_onnx(model, tmp_path / "tcn27.onnx", exporter="dynamo")
    assert check_onnx(model, path, realistic_joints_2d(30, batch=3)) < TOL


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_pair_weights_sum_every_pair_in_onnx(exporter, tmp_path):
    """weight_mode="lcn" sums many joint pairs into one row: ONNX's index_add kept only one of them."""
    if exporter == "dynamo":
        pytest.importorskip("onnxscript")
    torch.manual_seed(0)
    model = build("skeletal_gnn", H36M_17, **TINY, weight_mode="lcn").eval()
    path = export_onnx(model, tmp_path / "lcn.onnx", exporter=exporter)
    x = realistic_joints_2d(1, batch=3)
    assert check_onnx(model, path, x) < TOL
    assert not torch.onnx.is_in_onnx_export()  # the eager path (index_add) is back after the export


def test_cli_export_check(tmp_path, capsys):
    name, kwargs = "skeletal_gnn_t27", {**TINY, "dilations": [1, 3], "num_blocks": 2}
    model = build(name, H36M_17, **kwargs)
    ckpt = save_checkpoint(tmp_path / "model.pt", make_checkpoint(name, kwargs, H36M_17, model))
    out = tmp_path / "model.onnx"
    assert main(["export", str(ckpt), "-o", str(out), "--check"]) == 0
    text = capsys.readouterr().out
    assert "max |onnxruntime - torch|" in text
    meta = onnx_metadata(out)
    assert meta["skelgnn.model"] == name and meta["skelgnn.receptive_field"] == str(model.receptive_field)


def test_cli_export_bad_checkpoint(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert main(["export", str(bad), "-o", str(tmp_path / "x.onnx")]) == 2
    assert "skelgnn: error:" in capsys.readouterr().err


@pytest.mark.parametrize("name, kwargs", [("tcn27", {}), ("skeletal_gnn_t27", {"dilations": (1, 3),
                                                                                "num_blocks": 2})])
def test_causal_models_export_and_stay_causal_in_onnx(name, kwargs, tmp_path):
    import onnxruntime as ort

    torch.manual_seed(0)
    model = build(name, H36M_17, **TINY, **kwargs, causal=True).eval()
    path = export_onnx(model, tmp_path / f"{name}_causal.onnx")
    rf = model.receptive_field
    x = realistic_joints_2d(rf + 4, batch=2)
    assert check_onnx(model, path, x) < TOL
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = session.get_inputs()[0].name
    later = x.clone()
    later[:, -1] += 0.3  # only the newest frame changes
    a, b = (session.run(None, {feed: v.numpy()})[0] for v in (x, later))
    assert a.shape == (2, 5, 17, 3)
    np.testing.assert_array_equal(a[:, :-1], b[:, :-1])  # no output looks at a frame after its own
    assert np.abs(a[:, -1] - b[:, -1]).max() > 1e-4
