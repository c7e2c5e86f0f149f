"""The Python API (skelgnn.Lifter, LiftResult) and the subject's height (predict --subject-height)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import skelgnn
from skelgnn.cli import main
from skelgnn.core.errors import ParameterError, SkelgnnError
from skelgnn.core.height import check_subject_height, standing_height
from skelgnn.lifting.api import Lifter, LiftResult, predict_file
from skelgnn.tools.demo import demo_sample_path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "keypoints_coco17.npy"


@pytest.fixture(scope="module")
def lifter():
    return Lifter.default()


def test_importing_skelgnn_stays_light_and_exports_lifter():
    code = "import sys, skelgnn; assert 'torch' not in sys.modules; print(skelgnn.Lifter.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "skelgnn.lifting.api"
    assert skelgnn.Lifter is Lifter and skelgnn.LiftResult is LiftResult and "Lifter" in dir(skelgnn)
    with pytest.raises(AttributeError):
        skelgnn.NoSuchThing  # noqa: B018


def test_lifter_holds_the_checkpoint_description(lifter):
    assert lifter.skeleton.num_joints == 17 and lifter.input_norm in ("screen", "bbox")
    assert lifter.scale_mm > 0 and lifter.name == lifter.info.name and lifter.source.endswith("default.pt")
    meta = lifter.metadata
    assert meta["model"] == lifter.name and meta["parameters"] == lifter.num_parameters
    assert "Lifter(" in repr(lifter)


def test_lift_array_and_file_agree_with_predict_file(lifter, tmp_path):
    kp = np.load(EXAMPLE)
    a = lifter.lift(kp, width=1000, height=1000, layout="coco17", fps=30)
    b = lifter.lift(str(EXAMPLE), width=1000, height=1000, layout="coco17", fps=30)
    c = predict_file(None, EXAMPLE, None, width=1000, height=1000, layout="coco17", fps=30)
    assert isinstance(a, LiftResult) and a.joints_3d.shape == (1, len(kp), 17, 3)
    np.testing.assert_array_equal(a.joints_3d, b.joints_3d)
    np.testing.assert_array_equal(a.joints_3d, c.joints_3d)
    two = lifter.lift(np.stack([kp, kp + 5.0]), width=1000, height=1000, layout="coco17")
    assert two.joints_3d.shape[0] == 2
    with pytest.raises(SkelgnnError, match="expected a numeric array"):
        lifter.lift(np.zeros((4, 17)), layout="coco17")


def test_result_writers(lifter, tmp_path):
    r = lifter.lift(np.load(EXAMPLE), width=1000, height=1000, layout="coco17", fps=30, trajectory=True)
    npz = np.load(r.to_npz(tmp_path / "o.npz"))
    np.testing.assert_allclose(npz["joints_3d"], r.joints_3d)
    np.testing.assert_allclose(npz["root_3d"], r.root_3d)
    text = r.to_csv(tmp_path / "o.csv").read_text()
    assert text.startswith("#") and "track,frame,pelvis_x" in text
    assert r.to_bvh(tmp_path / "o.bvh").read_text().startswith("HIERARCHY")
    assert r.to_html(tmp_path / "o.html").is_file()
    with pytest.raises(SkelgnnError, match="track 3"):
        r.to_bvh(tmp_path / "x.bvh", track=3)
    with pytest.raises(SkelgnnError, match=r"\.npz"):
        r.to_npz(tmp_path / "o.csv")


def test_without_height_the_size_is_said_to_be_typical(lifter, tmp_path):
    r = lifter.lift(np.load(EXAMPLE), width=1000, height=1000, layout="coco17")
    assert "typical adult" in r.metadata["size"] and "not measured" in r.metadata["size"]
    assert "subject_height_m" not in r.metadata
    npz = np.load(r.to_npz(tmp_path / "o.npz"))
    assert "typical adult" in str(npz["size"]) and "subject_height_m" not in npz.files
    np.testing.assert_allclose(npz["standing_height_mm"][0], standing_height(r.joints_3d[0]), rtol=1e-6)
    assert "# size: typical adult" in r.to_csv(tmp_path / "o.csv").read_text()


@pytest.mark.parametrize("height_m", [1.55, 1.72, 1.95])
def test_subject_height_scales_joints_and_trajectory(lifter, height_m):
    plain = lifter.lift(demo_sample_path(), layout="h36m17", trajectory=True)
    tall = lifter.lift(demo_sample_path(), layout="h36m17", trajectory=True, subject_height=height_m)
    assert standing_height(tall.joints_3d[0]) == pytest.approx(1000 * height_m, rel=1e-3)
    f = float(tall.height_factor[0])
    assert f == pytest.approx(1000 * height_m / standing_height(plain.joints_3d[0]), rel=1e-6)
    np.testing.assert_allclose(tall.joints_3d, plain.joints_3d * f, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(tall.root_3d, plain.root_3d * f, rtol=1e-5, atol=1e-3)
    k = tall.intrinsics  # the same projection: a body scaled about the camera centre looks the same

    def project(x):
        return np.stack([k.fx * x[..., 0] / x[..., 2] + k.cx, k.fy * x[..., 1] / x[..., 2] + k.cy], -1)

    np.testing.assert_allclose(project(tall.joints_3d_camera[0].astype(np.float64)),
                               project(plain.joints_3d_camera[0].astype(np.float64)), atol=1e-2)
    assert tall.metadata["subject_height_m"] == height_m and f"{height_m:g} m" in tall.metadata["size"]


def test_subject_height_in_the_cli_npz_csv_and_bvh(lifter, tmp_path, capsys):
    src = demo_sample_path()
    assert main(["predict", str(src), "-o", str(tmp_path / "o.npz"), "--layout", "h36m17", "--trajectory",
                 "--subject-height", "1.72", "--bvh", str(tmp_path / "o.bvh"), "--bvh-unit", "mm"]) == 0
    assert "Size: scaled to the subject's standing height 1.72 m" in capsys.readouterr().out
    z = np.load(tmp_path / "o.npz")
    api = lifter.lift(src, layout="h36m17", trajectory=True, subject_height=1.72)
    np.testing.assert_array_equal(z["joints_3d"], api.joints_3d)
    np.testing.assert_array_equal(z["root_3d"], api.root_3d)
    assert float(z["subject_height_m"]) == 1.72 and z["height_factor"].shape == (1,)
    assert standing_height(z["joints_3d"][0]) == pytest.approx(1720, rel=1e-3)
    from skelgnn.lifting.bvh_export import read_bvh_h36m

    back = read_bvh_h36m(tmp_path / "o.bvh", unit="mm")
    np.testing.assert_allclose(back, z["joints_3d_camera"][0], atol=1.0)
    assert main(["predict", str(src), "-o", str(tmp_path / "o.csv"), "--layout", "h36m17",
                 "--subject-height", "1.72"]) == 0
    assert "# size: scaled to the subject's standing height 1.72 m" in (tmp_path / "o.csv").read_text()


@pytest.mark.parametrize("bad", ["172", "0", "-1.7", "nan", "inf", "tall", "3"])
def test_bad_subject_heights_are_refused(bad, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["predict", str(demo_sample_path()), "-o", str(tmp_path / "o.npz"), "--subject-height", bad])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--subject-height" in err and "metres" in err
    assert not (tmp_path / "o.npz").exists()


@pytest.mark.parametrize("bad", [172, 0, -1.7, float("nan"), float("inf"), "1.7", True])
def test_bad_subject_heights_are_refused_by_the_api(lifter, bad):
    with pytest.raises(SkelgnnError, match="subject_height must be the subject's standing height in metres"):
        lifter.lift(demo_sample_path(), layout="h36m17", subject_height=bad)
    if bad == 172:
        with pytest.raises(SkelgnnError, match="centimetres"):
            check_subject_height(bad)


def test_evaluate_names_parameters_and_the_cli_names_options(tmp_path):
    from skelgnn.evaluation.evaluate import evaluate

    with pytest.raises(ParameterError) as e:
        evaluate(REPO / "src" / "skelgnn" / "assets" / "default.pt", tmp_path, joints=17, rare=True)
    assert str(e.value).startswith("joints, rare: only for checkpoints trained with data.kind = 'h36m'")
    assert "--" not in str(e.value)
    assert e.value.renamed({"joints": "--joints", "rare": "--rare"}).args[0].startswith("--joints, --rare: "
                                                                                        "only")


@pytest.mark.parametrize(("options", "match"), [
    ({"width": 1000}, "both the image width and height"),
    ({"height": 1000}, "both the image width and height"),
    ({"width": 1000, "height": 1000, "focal_px": 800.0}, "trajectory"),
    ({"width": 1000, "height": 1000, "fov_deg": 60.0}, "trajectory"),
])
def test_image_and_camera_options_are_checked_by_api_and_cli(lifter, tmp_path, capsys, options, match):
    """Half an image size, or a camera without the trajectory it sets, is refused by Lifter.lift and
    predict_file (before anything is read or written) and by ``skelgnn predict``, with one message."""
    kp = np.load(EXAMPLE)
    with pytest.raises(SkelgnnError, match=match):
        lifter.lift(kp, layout="coco17", **options)
    out = tmp_path / "o.npz"
    with pytest.raises(SkelgnnError, match=match):
        predict_file(None, tmp_path / "not_read.npy", out, layout="coco17", **options)
    flags = {"width": "--width", "height": "--height", "focal_px": "--focal", "fov_deg": "--fov"}
    argv = ["predict", str(EXAMPLE), "-o", str(out), "--layout", "coco17"]
    for k, v in options.items():
        argv += [flags[k], str(v)]
    assert main(argv) == 2
    assert match in capsys.readouterr().err
    assert not out.exists()
