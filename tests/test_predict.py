"""Lifting user keypoints: normalisation, predict_file outputs, and `skelgnn predict`."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from _flip import with_flip  # tests/_flip.py

from skelgnn.cli import main
from skelgnn.core.errors import SkelgnnError
from skelgnn.core.skeleton import H36M_16, H36M_17
from skelgnn.keypoints import Keypoints, write_keypoints
from skelgnn.lifting.api import predict_file
from skelgnn.lifting.checkpoint import DEFAULT_NORMALIZATION, make_checkpoint, save_checkpoint
from skelgnn.lifting.predict import lift_keypoints
from skelgnn.models import build


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    torch.manual_seed(0)
    model = build("fc", H36M_17, channels=16)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    save_checkpoint(path, make_checkpoint("fc", {"channels": 16}, H36M_17, model))
    return path


def _standing_h36m(T: int = 8) -> np.ndarray:
    """A person walking in place, H36M-17 pixels in a 1000 × 800 image, (T, 17, 2)."""
    base = np.array([[0, 0], [-60, 0], [-65, 200], [-70, 390], [60, 0], [65, 200], [70, 390], [0, -110],
                     [0, -220], [0, -260], [0, -310], [80, -200], [100, -90], [110, 10], [-80, -200],
                     [-100, -90], [-110, 10]], dtype=np.float64)
    t = np.arange(T)[:, None]
    x = np.repeat(base[None], T, 0) + [500, 400]
    x[:, [2, 3], 0] += 20 * np.sin(t * 0.5)
    x[:, [5, 6], 0] -= 20 * np.sin(t * 0.5)
    return x


def _keypoints_file(tmp_path, name="k.npz", *, nan=True) -> tuple:
    x = _standing_h36m()[None]
    conf = np.ones(x.shape[:3])
    if nan:
        x[0, 2, 13] = np.nan  # a NaN joint
        conf[0, 5, 3] = 0.05  # a low-confidence joint
        x[0, 6] = np.nan  # a whole missing frame
    kp = Keypoints(x, conf, "h36m17", [0], np.arange(x.shape[1]), width=1000, height=800, fps=25.0)
    return write_keypoints(kp, tmp_path / name), x


def test_lift_keypoints_screen_and_bbox(tiny_ckpt):
    from skelgnn.lifting.checkpoint import load_checkpoint

    model, meta = load_checkpoint(tiny_ckpt)
    x = _standing_h36m()
    y = lift_keypoints(model, meta, x, 1000, 800)
    assert y.shape == (8, 17, 3) and y.dtype == np.float32 and np.isfinite(y).all()
    np.testing.assert_allclose(y[:, 0], 0.0)
    with pytest.raises(SkelgnnError, match="--width/--height"):
        lift_keypoints(model, meta, x, None, None)
    bbox_meta = {**meta, "normalization": {**DEFAULT_NORMALIZATION, "input": "bbox"}}
    # test-time flip: the prediction averaged with the mirrored-back prediction of the mirrored keypoints
    # (bbox: any vertical mirror axis; screen: the image's centre line, x -> width - x)
    names = H36M_17.joint_names
    yb = lift_keypoints(model, bbox_meta, x, None, None, tta=True)
    expected = with_flip(lambda p: lift_keypoints(model, bbox_meta, p, None, None), x, names)
    np.testing.assert_allclose(yb, expected, rtol=1e-5, atol=1e-4)
    assert not np.allclose(yb, lift_keypoints(model, bbox_meta, x, None, None), atol=1.0)
    centre = np.array([500.0, 0.0])
    ys = lift_keypoints(model, meta, x, 1000, 800, tta=True)
    np.testing.assert_allclose(ys, with_flip(lambda c: lift_keypoints(model, meta, c + centre, 1000, 800),
                                             x - centre, names), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(lift_keypoints(model, bbox_meta, x * 3 + 11, None, None), lift_keypoints(
        model, bbox_meta, x, None, None), atol=1e-4)
    with pytest.raises(SkelgnnError, match="NaN"):
        lift_keypoints(model, meta, np.full((2, 17, 2), np.nan), 1000, 800)
    with pytest.raises(SkelgnnError, match=r"17 Human3\.6M joints"):
        lift_keypoints(model, {**meta, "skeleton": H36M_16.to_dict()}, x, 1000, 800)


def test_predict_file_npz_output_is_finite_and_self_describing(tiny_ckpt, tmp_path):
    src, x = _keypoints_file(tmp_path)
    pred = predict_file(tiny_ckpt, src, tmp_path / "out.npz", tta=True)
    with np.load(tmp_path / "out.npz", allow_pickle=False) as z:
        d = {k: z[k] for k in z.files}
    assert d["joints_3d"].shape == (1, 8, 17, 3) and d["joints_3d"].dtype == np.float32
    assert d["joints_2d"].shape == (1, 8, 17, 2) and d["flags"].shape == (1, 8, 17)
    assert d["flags"].dtype == bool
    for key in ("joints_3d", "joints_2d", "confidence"):
        assert np.isfinite(d[key]).all(), key
    np.testing.assert_allclose(d["joints_3d"][:, :, 0], 0.0)
    assert d["flags"][0, 2, 13] and d["flags"][0, 5, 3] and d["flags"][0, 6].all()
    assert d["flags"].sum() == 2 + 17
    np.testing.assert_allclose(d["joints_2d"][0, 0], x[0, 0], rtol=1e-6)
    assert d["skeleton"].tolist() == list(H36M_17.joint_names)
    assert d["parents"].tolist() == list(H36M_17.parents)
    assert str(d["units"]) == "mm" and str(d["frame"]) == "camera, pelvis-relative"
    assert float(d["fps"]) == 25.0 and int(d["width"]) == 1000 and int(d["height"]) == 800
    assert str(d["model"]) == "fc" and str(d["source"]) == str(src) and str(d["layout"]) == "h36m17"
    assert d["track_ids"].tolist() == [0] and d["frames"].tolist() == list(range(8))
    assert pred.out_path == tmp_path / "out.npz"


def test_predict_file_csv_and_multiple_tracks(tiny_ckpt, tmp_path):
    x = np.stack([_standing_h36m(), _standing_h36m() + [300, 0], _standing_h36m()])
    conf = np.ones(x.shape[:3])
    conf[2] = 0.01  # a track that is never confident enough: dropped
    kp = Keypoints(x, conf, "h36m17", [3, 5, 8], np.arange(8))
    src = write_keypoints(kp, tmp_path / "k.npz")
    pred = predict_file(tiny_ckpt, src, tmp_path / "out.csv", width=1000, height=800)
    assert pred.track_ids.tolist() == [3, 5] and pred.dropped_tracks == [8]
    with open(tmp_path / "out.csv", newline="") as fh:
        lines = fh.read().splitlines()
    comments = [ln for ln in lines if ln.startswith("#")]
    assert lines[:len(comments)] == comments  # the header comment comes first
    text = "\n".join(comments)
    assert "units: mm" in text and "camera, pelvis-relative" in text and "fps: unknown" in text
    assert "image size of the 2D input: 1000x800 px" in text
    rows = list(csv.reader(lines[len(comments):]))
    assert rows[0][:5] == ["track", "frame", "pelvis_x", "pelvis_y", "pelvis_z"]
    assert rows[0][-1] == "right_wrist_filled" and len(rows[0]) == 2 + 17 * 3 + 17
    assert len(rows) == 1 + 2 * 8
    vals = np.array([[float(v) for v in r] for r in rows[1:]])
    assert np.isfinite(vals).all()


def test_predict_file_errors(tiny_ckpt, tmp_path):
    src, _ = _keypoints_file(tmp_path, nan=False)
    np.savez(tmp_path / "nosize.npz", keypoints=np.load(src)["keypoints"], layout="h36m17")
    with pytest.raises(SkelgnnError, match="image width and height"):
        predict_file(tiny_ckpt, tmp_path / "nosize.npz", None)
    with pytest.raises(SkelgnnError, match="no such checkpoint"):
        predict_file(tmp_path / "missing.pt", src, None)


def test_default_checkpoint_is_used(tmp_path):
    """No checkpoint given: the bundled default (tracked in git) lifts, exactly as when named."""
    from importlib.resources import files

    from skelgnn.lifting.predict import default_checkpoint

    assert files("skelgnn").joinpath("assets/default.pt").is_file(), "default.pt is in git"
    src, _ = _keypoints_file(tmp_path)
    pred = predict_file(None, src, tmp_path / "o.npz")
    assert pred.joints_3d.shape == (1, 8, 17, 3) and np.isfinite(pred.joints_3d).all()
    named = predict_file(default_checkpoint(), src, tmp_path / "named.npz")
    np.testing.assert_array_equal(pred.joints_3d, named.joints_3d)


def test_missing_default_checkpoint_is_clear(no_bundled_checkpoint, tmp_path, capsys):
    """The installation lacks default.pt (made so by the fixture, whether or not it ships one)."""
    from skelgnn.lifting.predict import default_checkpoint

    src, _ = _keypoints_file(tmp_path)
    with pytest.raises(SkelgnnError, match=r"^no bundled checkpoint \(skelgnn/assets/default\.pt\) in this "
                                           r"installation; give a checkpoint path"):
        default_checkpoint()
    with pytest.raises(SkelgnnError, match=r"^no bundled checkpoint .*give a checkpoint path"):
        predict_file(None, src, tmp_path / "o.npz")
    assert not (tmp_path / "o.npz").exists()
    assert main(["predict", str(src), "-o", str(tmp_path / "cli.npz")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("skelgnn: error: no bundled checkpoint (skelgnn/assets/default.pt)"), err
    assert err.count("\n") == 1 and "give a checkpoint path" in err and "Traceback" not in err
    assert not (tmp_path / "cli.npz").exists()


def test_cli_predict(tiny_ckpt, tmp_path, capsys):
    src, _ = _keypoints_file(tmp_path, "k.csv")
    out = tmp_path / "o.npz"
    assert main(["predict", str(tiny_ckpt), str(src), "-o", str(out), "--layout", "h36m17", "--width", "1000",
                 "--height", "800", "--fps", "50", "--tta"]) == 0
    text = capsys.readouterr().out
    assert "1 track(s) x 8 frame(s)" in text and "Filled 19 of 136" in text
    with np.load(out) as z:
        assert float(z["fps"]) == 50.0 and np.isfinite(z["joints_3d"]).all()
    bad = tmp_path / "bad.csv"
    bad.write_text("frame,nose_x\n0,1\n")
    assert main(["predict", str(tiny_ckpt), str(bad), "-o", str(tmp_path / "x.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("skelgnn: error: ") and str(bad) in err
    assert "Traceback" not in err
    assert main(["predict", "a", "b", "c", "-o", str(tmp_path / "x.npz")]) == 2
    assert "[CKPT] INPUT" in capsys.readouterr().err
    assert main(["predict", str(tiny_ckpt), str(src), "-o", str(tmp_path / "x.npz"), "--width", "10"]) == 2
    assert "--height" in capsys.readouterr().err


def test_unknown_size_and_fps_stay_unknown(tiny_ckpt, tmp_path, capsys):
    src, _ = _keypoints_file(tmp_path, nan=False)
    np.savez(tmp_path / "bare.npz", keypoints=np.load(src)["keypoints"], layout="h36m17")
    pred = predict_file(tiny_ckpt, tmp_path / "bare.npz", tmp_path / "o.npz", width=1000, height=800)
    with np.load(tmp_path / "o.npz") as z:
        assert "fps" not in z.files and int(z["width"]) == 1000 and z["unknown"].tolist() == ["fps"]
    assert pred.fps is None
    assert main(["predict", str(tiny_ckpt), str(tmp_path / "bare.npz"), "-o", str(tmp_path / "c.csv"),
                 "--width", "1000", "--height", "800"]) == 0
    printed = capsys.readouterr().out
    assert "Frame rate: unknown (not in the input; pass --fps); recorded as unknown." in printed
    assert "# fps: unknown" in (tmp_path / "c.csv").read_text().splitlines()[:6]


def test_cli_picture_formats_and_ffmpeg_are_checked_before_any_work(tiny_ckpt, tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    import skelgnn.lifting.viz as viz

    src, _ = _keypoints_file(tmp_path)
    out = tmp_path / "o.npz"
    assert main(["predict", str(tiny_ckpt), str(src), "-o", str(out), "--png", str(tmp_path / "p.bmp")]) == 2
    assert "a picture is written as .png, .jpg" in capsys.readouterr().err and not out.exists()
    monkeypatch.setattr(viz, "_ffmpeg_available", lambda: False)
    assert main(["predict", str(tiny_ckpt), str(src), "-o", str(out), "--gif", str(tmp_path / "a.mp4")]) == 2
    assert "needs ffmpeg" in capsys.readouterr().err and not out.exists()
    jpg = tmp_path / "p.jpg"
    assert main(["predict", str(tiny_ckpt), str(src), "-o", str(out), "--png", str(jpg), "--frame", "3"]) == 0
    text = capsys.readouterr().out
    assert jpg.read_bytes()[:3] == b"\xff\xd8\xff" and "frame 3 of 8" in text
    assert main(["predict", str(tiny_ckpt), str(src), "-o", str(out), "--png", str(tmp_path / "m.png")]) == 0
    assert "frame 4 of 8" in capsys.readouterr().out  # the middle frame by default
    assert main(["predict", str(tiny_ckpt), str(src), "-o", str(out), "--png", str(jpg), "--frame", "9"]) == 2
    assert "--frame 9: the input has 8 frame(s)" in capsys.readouterr().err
