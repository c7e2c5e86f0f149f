"""`skelgnn demo` (bundled sample + default checkpoint) and `skelgnn robustness` (changed virtual cameras)."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from skelgnn.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bbox_ckpt(tiny_bench_dir, tmp_path_factory) -> Path:
    """A tiny skeletal_gnn trained for one epoch with the default's config (noisy 2D, bbox normalisation)."""
    out = tmp_path_factory.mktemp("default_run")
    assert main(["train", str(REPO / "configs" / "default_hdm05.toml"), "--out", str(out),
                 "--set", f"data.path={str(tiny_bench_dir)!r}", "--set", "train.epochs=1",
                 "--set", "model.kwargs={'channels': 8}", "--quiet"]) == 0
    return out / "best.pt"


def test_default_config_is_the_documented_default():
    from skelgnn.training.config import load_config

    cfg = load_config(REPO / "configs" / "default_hdm05.toml")
    assert (cfg.model.name, cfg.data.input, cfg.data.input_norm) == ("skeletal_gnn_plus", "noisy", "bbox")
    assert (cfg.train.epochs, cfg.train.threads, cfg.train.seed) == (70, 1, 0)
    from skelgnn.lifting.checkpoint import (
        read_checkpoint,  # the bundled weights were trained by exactly this config
    )
    from skelgnn.lifting.predict import default_checkpoint

    recorded = read_checkpoint(default_checkpoint())["config"]
    assert recorded["model"]["name"] == cfg.model.name and recorded["train"]["epochs"] == cfg.train.epochs
    assert recorded["data"]["input_norm"] == "bbox" and recorded["train"]["loss"] == cfg.train.loss
    card = files("skelgnn").joinpath("assets/MODEL_CARD.md").read_text(encoding="utf-8")
    assert "skelgnn train configs/default_hdm05.toml --out runs/default" in card
    assert "The data used in this project was obtained from HDM05." in card and "CC BY-SA 3.0" in card


def test_bundled_sample_is_small_attributed_and_consistent():
    from skelgnn.keypoints import read_keypoints
    from skelgnn.tools.demo import demo_sample_path, load_demo_sample

    path = demo_sample_path()
    assert path.stat().st_size < 200_000
    s = load_demo_sample()
    assert "The data used in this project was obtained from HDM05." in s["attribution"]
    assert "CC BY-SA 3.0" in s["attribution"] and "CC BY-SA 3.0" in s["licence"]
    T = len(s["keypoints"])
    assert 60 <= T <= 150 and s["fps"] == 30.0
    assert s["keypoints"].shape == (T, 17, 2) and s["joints_3d"].shape == (T, 17, 3)
    assert s["clip_frames"].shape == (T,)
    assert np.isfinite(s["keypoints"]).all() and np.isfinite(s["joints_3d"]).all()
    assert np.allclose(s["joints_3d"][:, 0], 0.0)  # pelvis-relative
    assert s["actor"] in ("mm", "tr") and s["split"] == "test" and s["input"] == "noisy"
    assert s["layout"] == "h36m17" and (s["width"], s["height"]) == (1000, 1000)
    # the 3D truth projects through the stored camera onto the noisy 2D (up to the noise)
    from skelgnn.core.cameras import Camera, project

    cam = Camera(R=s["camera_R"], center=s["camera_center"], f=s["camera_f"], c=s["camera_c"], width=1000,
                 height=1000)
    uv = project(s["joints_3d"].astype(np.float64) + s["pelvis_camera"][:, None], cam)
    assert np.median(np.linalg.norm(uv - s["keypoints"], axis=-1)) < 8.0
    # it is also a valid keypoint file for `skelgnn predict`
    kp = read_keypoints(path)
    assert kp.layout == "h36m17" and kp.xy.shape == (1, T, 17, 2) and kp.width == 1000 and kp.fps == 30.0


def test_make_demo_sample_from_a_benchmark(tiny_bench_dir, tmp_path):
    from skelgnn.core.errors import SkelgnnError
    from skelgnn.data.hdm05_files import load_benchmark
    from skelgnn.tools.demo import load_demo_sample, make_demo_sample

    bench = load_benchmark(tiny_bench_dir)
    c = int(np.flatnonzero(bench.clip_split == "test")[0])
    key = str(bench.clip_keys[c])
    p = make_demo_sample(tiny_bench_dir, tmp_path / "s.npz", clip=key, camera=2, frames=(1, 9))
    s = load_demo_sample(p)
    sl = bench.clip_frames(c)
    np.testing.assert_array_equal(s["keypoints"], bench.joints_2d_noisy[2, sl][1:9])
    cam = bench.camera(c, 2)
    xc = (bench.joints_world[sl][1:9].astype(np.float64) - cam.center) @ cam.R.T
    np.testing.assert_allclose(s["joints_3d"], xc - xc[:, :1], atol=1e-3)
    train_key = str(bench.clip_keys[int(np.flatnonzero(bench.clip_split == "train")[0])])
    with pytest.raises(SkelgnnError, match="training actor"):
        make_demo_sample(tiny_bench_dir, tmp_path / "x.npz", clip=train_key)
    with pytest.raises(SkelgnnError, match="frames"):
        make_demo_sample(tiny_bench_dir, tmp_path / "x.npz", clip=key, frames=(5, 5))


def test_cli_demo_with_a_checkpoint(bbox_ckpt, tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--checkpoint", str(bbox_ckpt), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    m = re.search(r"MPJPE ([0-9.]+) mm, P-MPJPE ([0-9.]+) mm", text)
    assert m and float(m.group(2)) <= float(m.group(1)) + 1e-6
    assert "tr/kickLFront1Reps_029" in text and "actor tr" in text and "camera 0" in text and "noisy" in text
    assert "bbox" in text
    for name in ("prediction.npz", "pose.png", "pose.gif", "viewer.html", "motion.bvh", "trajectory.html"):
        assert (out / name).stat().st_size > 0 and str(out / name) in text
    assert re.search(r"pelvis error [0-9]+ mm, [0-9.]+ % of the camera distance", text)
    from skelgnn.lifting.bvh_export import read_bvh_h36m

    with np.load(out / "prediction.npz") as z:
        np.testing.assert_allclose(read_bvh_h36m(out / "motion.bvh")[:, 0], z["root_3d"][0], atol=0.01)
    with np.load(out / "prediction.npz") as z:
        assert z["joints_3d"].shape[2:] == (17, 3) and np.isfinite(z["joints_3d"]).all()
        assert str(z["units"]) == "mm"
    # the picture says which frame it shows (the middle one) and its error, and draws the ground truth
    m = re.search(r"frame (\d+) of (\d+) \(the middle one unless --frame\), MPJPE ([0-9.]+) mm in that frame",
                  text)
    assert m and int(m.group(1)) == (int(m.group(2)) - 1) // 2 + 1
    from PIL import Image

    from skelgnn.lifting.viz import GT_COLOR

    with Image.open(out / "pose.png") as im:
        rgb = np.asarray(im.convert("RGB")).astype(int)
    green = np.array([int(GT_COLOR[i:i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(rgb - green).max(-1) <= 40).sum() > 150
    assert "gt3d" in (out / "viewer.html").read_text(encoding="utf-8")


def test_cli_demo_with_the_bundled_default(tmp_path, capsys):
    """`skelgnn demo` with no arguments: the bundled default (tracked in git) lifts the bundled sample, and
    prints the numbers its model card states."""
    assert files("skelgnn").joinpath("assets/default.pt").is_file(), "default.pt is in git"
    out = tmp_path / "d"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    m = re.search(r"MPJPE ([0-9.]+) mm, P-MPJPE ([0-9.]+) mm", text)
    assert m and 0 < float(m.group(2)) <= float(m.group(1)) < 200
    card = " ".join(files("skelgnn").joinpath("assets/MODEL_CARD.md").read_text(encoding="utf-8").split())
    assert f"MPJPE {m.group(1)} mm, P-MPJPE {m.group(2)} mm with `predict`'s default post-filter" in card
    with np.load(out / "prediction.npz") as z:
        assert z["joints_3d"].shape[2:] == (17, 3) and np.isfinite(z["joints_3d"]).all()


def test_cli_demo_without_a_bundled_default(no_bundled_checkpoint, tmp_path, capsys):
    """The installation lacks default.pt (made so by the fixture, whether or not it ships one)."""
    import importlib.resources

    from skelgnn.core.errors import SkelgnnError
    from skelgnn.tools.demo import run_demo

    assert not importlib.resources.files("skelgnn").joinpath("assets/default.pt").is_file()
    assert main(["demo", "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("skelgnn: error: no bundled default checkpoint (skelgnn/assets/default.pt)"), err
    assert "\n" not in err and "Traceback" not in err
    assert "skelgnn train configs/default_hdm05.toml --out runs/default" in err
    assert "skelgnn demo --checkpoint runs/default/best.pt" in err
    assert not (tmp_path / "d" / "prediction.npz").exists()
    with pytest.raises(SkelgnnError, match=r"^no bundled default checkpoint .*--checkpoint"):
        run_demo(tmp_path / "d2")


def test_robustness_rows_and_json(bbox_ckpt, tiny_bench_dir, tmp_path, capsys):
    from skelgnn.evaluation.robustness import CAMERA_CHANGES

    js = tmp_path / "r.json"
    assert main(["robustness", str(bbox_ckpt), "--data", str(tiny_bench_dir), "--json", str(js)]) == 0
    text = capsys.readouterr().out
    rep = json.loads(js.read_text())
    assert [r["name"] for r in rep["rows"]] == [c.name for c in CAMERA_CHANGES]
    assert rep["input_norm"] == "bbox" and rep["input"] == "noisy"
    for r in rep["rows"]:
        assert all(np.isfinite(r[k]) and r[k] > 0 for k in ("mpjpe", "p_mpjpe", "median_box_px"))
        assert 0 < r["inside_image"] <= 1 and r["label"] in text
    assert rep["rows"][0]["ratio_to_baseline"] == pytest.approx(1.0)


def test_robustness_baseline_is_the_benchmark_and_bbox_is_focal_invariant(tiny_bench_dir):
    from skelgnn.data.hdm05 import benchmark_sequences, clip_cameras
    from skelgnn.data.hdm05_files import load_benchmark
    from skelgnn.evaluation.robustness import camera_change, camera_change_sequences, changed_cameras

    bench = load_benchmark(tiny_bench_dir)
    c = int(np.flatnonzero(bench.clip_split == "test")[0])
    world = bench.joints_world[bench.clip_frames(c)]
    for mine, theirs in zip(changed_cameras(world, camera_change("baseline")), clip_cameras(world)):
        np.testing.assert_allclose(mine.R, theirs.R, atol=1e-9)
        np.testing.assert_allclose(mine.center, theirs.center, atol=1e-6)
        assert (mine.width, mine.height) == (theirs.width, theirs.height)
    # baseline + seed 0 reproduces the benchmark's stored noisy input (screen normalisation)
    ref = benchmark_sequences(bench, "test", "noisy", input_norm="screen")
    got, _ = camera_change_sequences(bench, camera_change("baseline"), input_kind="noisy",
                                     input_norm="screen")
    assert got.keys == ref.keys
    for a, b in zip(got.inputs, ref.inputs):
        np.testing.assert_allclose(a, b, atol=1e-5)
    for a, b in zip(got.targets, ref.targets):
        np.testing.assert_allclose(a, b, atol=1e-2)
    # without noise, bbox-normalised inputs do not depend on the focal length (or the image size)...
    x2, _ = camera_change_sequences(bench, camera_change("focal_x2"), input_kind="gt", input_norm="bbox")
    x05, _ = camera_change_sequences(bench, camera_change("focal_x0.5"), input_kind="gt", input_norm="bbox")
    big, _ = camera_change_sequences(bench, camera_change("image_1920x1080"), input_kind="gt",
                                     input_norm="bbox")
    for a, b, d in zip(x2.inputs, x05.inputs, big.inputs):
        np.testing.assert_allclose(a, b, atol=1e-5)
        np.testing.assert_allclose(a, d, atol=1e-5)
    # ...while screen-normalised ones do
    s2, _ = camera_change_sequences(bench, camera_change("focal_x2"), input_kind="gt", input_norm="screen")
    s05, _ = camera_change_sequences(bench, camera_change("focal_x0.5"), input_kind="gt", input_norm="screen")
    assert max(np.abs(a - b).max() for a, b in zip(s2.inputs, s05.inputs)) > 0.05


def test_robustness_height_rows_move_the_camera_up_and_down(tiny_bench_dir):
    from skelgnn.data.hdm05_files import load_benchmark
    from skelgnn.evaluation.robustness import camera_change, camera_change_sequences, changed_cameras

    bench = load_benchmark(tiny_bench_dir)
    c = int(np.flatnonzero(bench.clip_split == "test")[0])
    world = bench.joints_world[bench.clip_frames(c)]
    base = changed_cameras(world, camera_change("baseline"))
    for name, y in (("height_0.5m", 500.0), ("height_3m", 3000.0)):
        cams = changed_cameras(world, camera_change(name))
        for cam, ref in zip(cams, base):
            assert cam.center[1] == pytest.approx(y)
            # same place on the floor plan, same intrinsics; only the height (and so the view) changes
            np.testing.assert_allclose(cam.center[[0, 2]], ref.center[[0, 2]], atol=1e-6)
            assert (cam.width, cam.height) == (ref.width, ref.height)
    # looking down from 3 m: the optical axis (third row of R, world to camera) points below the horizon
    # (world up is +Y), looking up from 0.5 m it points above it
    assert changed_cameras(world, camera_change("height_3m"))[0].R[2, 1] < -0.3
    assert changed_cameras(world, camera_change("height_0.5m"))[0].R[2, 1] > 0.05
    # the bbox-normalised 2D changes with the view (unlike a focal-length change)
    hi, _ = camera_change_sequences(bench, camera_change("height_3m"), input_kind="gt", input_norm="bbox")
    lo, _ = camera_change_sequences(bench, camera_change("baseline"), input_kind="gt", input_norm="bbox")
    assert max(np.abs(a - b).max() for a, b in zip(hi.inputs, lo.inputs)) > 0.05
