"""Adversarial cases of issue 18: nothing the user had is lost, nothing silent is wrong.

Each test is one case that used to destroy an input, exit 0 with a wrong result, or crash with a
traceback; now it is a one-line :class:`SkelgnnError` (exit status 2 on the command line) that names
the file, key or option, or the correct behaviour.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from skelgnn.checkpoint import make_checkpoint, save_checkpoint
from skelgnn.cli import main
from skelgnn.keypoints import Keypoints, write_keypoints
from skelgnn.models import build
from skelgnn.outputs import OutputError, check_outputs
from skelgnn.skeleton import H36M_17


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    torch.manual_seed(0)
    model = build("fc", H36M_17, channels=16)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    save_checkpoint(path, make_checkpoint("fc", {"channels": 16}, H36M_17, model))
    return path


def _person(T: int = 6) -> np.ndarray:
    base = np.array([[0, 0], [-60, 0], [-65, 200], [-70, 390], [60, 0], [65, 200], [70, 390], [0, -110],
                     [0, -220], [0, -260], [0, -310], [80, -200], [100, -90], [110, 10], [-80, -200],
                     [-100, -90], [-110, 10]], dtype=np.float64)
    return np.repeat(base[None], T, 0) + [500, 400]


def _keypoints(tmp_path, name="k.npz", xy=None, **meta):
    xy = _person()[None] if xy is None else xy
    kp = Keypoints(xy, np.ones(xy.shape[:3]), "h36m17", np.arange(len(xy)), np.arange(xy.shape[1]),
                   **{"width": 1000, "height": 800, **meta})
    return write_keypoints(kp, tmp_path / name)


def _error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("skelgnn: error: "), err
    assert "Traceback" not in err
    return err


# ------------------------------------------------------------------------------- outputs vs inputs
def test_predict_refuses_to_overwrite_its_input(tmp_path, ckpt, capsys):
    inp = _keypoints(tmp_path)
    before = inp.read_bytes()
    assert main(["predict", str(ckpt), str(inp), "-o", str(inp)]) == 2
    assert "is also an input" in _error(capsys)
    assert inp.read_bytes() == before


def test_predict_refuses_a_link_to_its_input(tmp_path, ckpt, capsys):
    inp = _keypoints(tmp_path)
    link = tmp_path / "link.npz"
    link.symlink_to(inp)
    before = inp.read_bytes()
    assert main(["predict", str(ckpt), str(inp), "-o", str(link)]) == 2
    assert "is also an input" in _error(capsys)
    assert inp.read_bytes() == before and link.is_symlink()


@pytest.mark.parametrize("opt", ["--json", "--save-predictions"])
def test_evaluate_refuses_to_overwrite_the_checkpoint(tmp_path, ckpt, opt, capsys):
    before = ckpt.read_bytes()
    assert main(["evaluate", str(ckpt), "--data", str(tmp_path), opt, str(ckpt)]) == 2
    assert "is also an input" in _error(capsys)
    assert ckpt.read_bytes() == before


def test_export_refuses_to_overwrite_the_checkpoint(ckpt, capsys):
    before = ckpt.read_bytes()
    assert main(["export", str(ckpt), "-o", str(ckpt)]) == 2
    assert "is also an input" in _error(capsys)
    assert ckpt.read_bytes() == before


def test_two_outputs_on_one_file(tmp_path, ckpt, capsys):
    out = tmp_path / "x.npz"
    assert main(["evaluate", str(ckpt), "--data", str(tmp_path / "d"), "--json", str(out),
                 "--save-predictions", str(out)]) == 2
    assert "same file" in _error(capsys)


def test_train_out_holding_the_config_as_an_output_name(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    cfg = run / "last.pt"
    cfg.write_text("[train]\nepochs = 1\n")
    assert main(["train", str(cfg), "--out", str(run)]) == 2
    assert "is also an input" in _error(capsys)
    assert cfg.read_text() == "[train]\nepochs = 1\n"


# ------------------------------------------------------------------------------- output paths
def test_output_that_is_a_directory_is_refused_before_the_work(tmp_path, ckpt, capsys):
    inp = _keypoints(tmp_path)
    (tmp_path / "d.npz").mkdir()
    assert main(["predict", str(ckpt), str(inp), "-o", str(tmp_path / "d.npz")]) == 2
    assert "is an existing folder" in _error(capsys)
    # evaluate --json <dir> fails at once, before the evaluation (which needs --data that does not exist)
    assert main(["evaluate", str(ckpt), "--data", str(tmp_path / "nowhere"), "--json", str(tmp_path)]) == 2
    assert "is an existing folder" in _error(capsys)


@pytest.mark.parametrize("argv", [
    ["data", "hdm05", "--src", "{tmp}", "--out", "{file}"],
    ["train", "{cfg}", "--out", "{file}"],
    ["demo", "--out", "{file}"],
    ["benchmark", "{cfg}", "--out", "{file}"],
])
def test_output_folder_that_is_a_file(tmp_path, argv, capsys):
    f = tmp_path / "afile"
    f.write_text("keep me")
    cfg = tmp_path / "c.toml"
    cfg.write_text("")
    argv = [a.format(tmp=tmp_path, file=f, cfg=cfg) for a in argv]
    assert main(argv) == 2
    assert "is an existing file, not a folder" in _error(capsys)
    assert f.read_text() == "keep me"


def test_output_under_a_file_or_unwritable_folder(tmp_path, ckpt, capsys):
    inp = _keypoints(tmp_path)
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["predict", str(ckpt), str(inp), "-o", str(f / "sub" / "out.npz")]) == 2
    assert "is a file, not a folder" in _error(capsys)
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            assert main(["export", str(ckpt), "-o", str(ro / "m.onnx")]) == 2
            assert "not writable" in _error(capsys)
        finally:
            ro.chmod(0o700)


def test_replacing_an_unrelated_file_is_allowed_and_said(tmp_path, ckpt, capsys):
    inp = _keypoints(tmp_path)
    out = tmp_path / "old.npz"
    out.write_bytes(b"old")
    assert main(["predict", str(ckpt), str(inp), "-o", str(out), "--width", "1000", "--height", "800"]) == 0
    assert "exists and will be replaced" in capsys.readouterr().err
    assert np.load(out)["joints_3d"].shape == (1, 6, 17, 3)


def test_check_outputs_hard_link(tmp_path):
    a = tmp_path / "a"
    a.write_text("x")
    os.link(a, tmp_path / "b")
    with pytest.raises(OutputError, match="is also an input"):
        check_outputs({"-o": tmp_path / "b"}, inputs=[a])
    assert check_outputs({"-o": tmp_path / "c"}, inputs=[a]) == []
