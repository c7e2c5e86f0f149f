"""`predict` with post-filters, the root trajectory and BVH output (bundled sample and checkpoint)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from skelgnn.cli import main
from skelgnn.core.errors import SkelgnnError
from skelgnn.core.metrics import accel_error
from skelgnn.lifting.api import predict_file
from skelgnn.lifting.bvh_export import read_bvh_h36m
from skelgnn.tools.demo import demo_sample_path, load_demo_sample


@pytest.fixture(scope="module")
def sample():
    return load_demo_sample()


def test_trajectory_with_the_true_focal_places_the_person_near_the_true_pelvis(sample, tmp_path):
    f = float(sample["camera_f"][0])
    pred = predict_file(None, demo_sample_path(), tmp_path / "o.npz", layout="h36m17", trajectory=True,
                        focal_px=f)
    with np.load(tmp_path / "o.npz") as z:
        d = {k: z[k] for k in z.files}
    root, cam = d["root_3d"][0], d["joints_3d_camera"][0]
    assert root.shape == (len(sample["keypoints"]), 3) and cam.shape == d["joints_3d"][0].shape
    np.testing.assert_allclose(cam, d["joints_3d"][0] + root[:, None], atol=1e-3)
    np.testing.assert_allclose(d["intrinsics"], [f, f, sample["width"] / 2, sample["height"] / 2])
    assert "given" in str(d["intrinsics_source"])
    true = sample["pelvis_camera"].astype(np.float64)
    rel_err = np.linalg.norm(root - true, axis=-1) / np.linalg.norm(true, axis=-1)
    assert rel_err.mean() < 0.15  # a generous bound: any sensible lifter with the true focal length
    # the projection of the placed skeleton lands on the 2D input
    proj = cam[..., :2] / cam[..., 2:] * f + sample["width"] / 2
    assert np.median(np.linalg.norm(proj - d["joints_2d"][0], axis=-1)) < 40.0
    assert pred.intrinsics.fx == f


def test_assumed_intrinsics_are_recorded_and_a_wider_fov_brings_the_person_closer(tmp_path):
    a = predict_file(None, demo_sample_path(), None, layout="h36m17", trajectory=True)
    b = predict_file(None, demo_sample_path(), None, layout="h36m17", trajectory=True, fov_deg=90.0)
    assert "assumed" in a.intrinsics.source and "55" in a.intrinsics.source
    assert np.median(b.root_3d[0, :, 2]) < np.median(a.root_3d[0, :, 2])


def test_default_smoothing_lowers_the_acceleration_error(sample):
    gt = sample["joints_3d"].astype(np.float64)[None]
    raw = predict_file(None, demo_sample_path(), None, layout="h36m17", smooth=None, bones=False)
    smooth = predict_file(None, demo_sample_path(), None, layout="h36m17", bones=False)
    rigid = predict_file(None, demo_sample_path(), None, layout="h36m17")  # the default: both steps
    assert raw.postfilter == "none" and smooth.postfilter == "smoothing savgol"
    assert "savgol" in rigid.postfilter and "bone" in rigid.postfilter
    assert float(accel_error(smooth.joints_3d.astype(np.float64), gt).mean()) < \
        0.8 * float(accel_error(raw.joints_3d.astype(np.float64), gt).mean())
    lengths = np.linalg.norm(rigid.joints_3d[0, :, 2] - rigid.joints_3d[0, :, 1], axis=-1)
    assert lengths.std() < 1e-3
    np.testing.assert_allclose(rigid.joints_3d[0, :, 0], 0.0)


def test_cli_predict_writes_bvh_with_trajectory_and_viewer(sample, tmp_path, capsys):
    out, bvh, html = tmp_path / "o.npz", tmp_path / "m.bvh", tmp_path / "v.html"
    f = str(float(sample["camera_f"][0]))
    assert main(["predict", str(demo_sample_path()), "-o", str(out), "--layout", "h36m17", "--trajectory",
                 "--focal", f, "--bvh", str(bvh), "--html", str(html)]) == 0
    text = capsys.readouterr().out
    assert "Root trajectory" in text and f"Wrote {bvh}" in text and "Post-filter: smoothing savgol" in text
    with np.load(out) as z:
        cam = z["joints_3d_camera"][0].astype(np.float64)
    back = read_bvh_h36m(bvh)
    assert np.linalg.norm(back - cam, axis=-1).mean() < 0.5  # rigid by default: the BVH reproduces it
    assert "Frame Time: 0.03333333" in bvh.read_text()
    assert html.stat().st_size > 1000


def test_cli_predict_motion_errors(tmp_path, capsys):
    src = str(demo_sample_path())
    assert main(["predict", src, "-o", str(tmp_path / "o.npz"), "--focal", "1000"]) == 2
    assert "--trajectory" in capsys.readouterr().err
    assert main(["predict", src, "-o", str(tmp_path / "o.npz"), "--bvh", str(tmp_path / "m.txt")]) == 2
    assert ".bvh" in capsys.readouterr().err
    assert main(["predict", src, "-o", str(tmp_path / "o.npz"), "--bvh", src]) == 2
    assert "inside the installed skelgnn package" in capsys.readouterr().err  # never over the package's files
    own = tmp_path / "sample.npz"
    shutil.copyfile(src, own)
    assert main(["predict", str(own), "-o", str(tmp_path / "o.npz"), "--bvh", str(own)]) == 2
    assert "is also an input" in capsys.readouterr().err  # the output guard of issue 18
    with pytest.raises(SkelgnnError, match="smoothing"):
        predict_file(None, demo_sample_path(), None, layout="h36m17", smooth="kalman")
