"""Adversarial cases of issue 18: nothing the user had is lost, nothing silent is wrong.

Each test is one case that used to destroy an input, exit 0 with a wrong result, or crash with a
traceback; now it is a one-line :class:`SkelgnnError` (exit status 2 on the command line) that names
the file, key or option, or the correct behaviour.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from skelgnn.cli import main
from skelgnn.core.skeleton import H36M_17
from skelgnn.keypoints import Keypoints, write_keypoints
from skelgnn.lifting.checkpoint import make_checkpoint, save_checkpoint
from skelgnn.lifting.outputs import OutputError, check_outputs
from skelgnn.models import build


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


def test_output_under_a_file_or_unwritable_folder(tmp_path, ckpt, capsys, monkeypatch):
    inp = _keypoints(tmp_path)
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["predict", str(ckpt), str(inp), "-o", str(f / "sub" / "out.npz")]) == 2
    assert "is a file, not a folder" in _error(capsys)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if os.geteuid() == 0:  # root writes anywhere (CI runs as root): the check answers as it would for a user
        real_access = os.access

        def access(path, mode, *args, **kwargs):
            if Path(path) == ro and mode & os.W_OK:
                return False
            return real_access(path, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)
    try:
        assert main(["export", str(ckpt), "-o", str(ro / "m.onnx")]) == 2
        assert f"the folder {ro} is not writable" in _error(capsys)
        assert not (ro / "m.onnx").exists()
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


# ------------------------------------------------------------------------------- resume
CONFIG = os.path.join(os.path.dirname(__file__), "..", "configs", "skeletal_gnn_hdm05.toml")


def _train(bench, out, *sets):
    args = ["train", CONFIG, "--out", str(out), "--quiet", "--set", f"data.path='{bench}'",
            "--set", "model.name='fc'", "--set", "model.kwargs={'channels': 16}", "--set", "train.epochs=1",
            "--set", "train.batch_size=64", "--set", "train.threads=1",
            "--set", "data.max_frames_per_clip=40"]
    for s in sets:
        args += ["--set", s]
    return main(args)


def test_resume_with_a_changed_config_names_the_keys(tiny_bench_dir, tmp_path, capsys):
    from skelgnn.lifting.checkpoint import read_checkpoint

    assert _train(tiny_bench_dir, tmp_path) == 0
    before = (tmp_path / "last.pt").read_bytes()
    capsys.readouterr()
    assert _train(tiny_bench_dir, tmp_path, "train.epochs=2", "train.lr=0.05", "train.seed=7",
                  "data.input_norm='bbox'", "data.input='noisy'") == 2
    err = _error(capsys)
    for key in ("train.lr: 0.001 in the checkpoint, 0.05 now", "train.seed", "data.input_norm", "data.input:",
                "normalization", "new --out"):
        assert key in err, key
    assert "train.epochs:" not in err
    assert (tmp_path / "last.pt").read_bytes() == before
    # a larger epoch budget (and another validation batch size) extends the run
    assert _train(tiny_bench_dir, tmp_path, "train.epochs=2", "train.eval_batch_size=512") == 0
    assert len(__import__("json").loads(read_checkpoint(tmp_path / "last.pt")["resume"]["history"])) == 2


def test_resume_with_a_damaged_training_state(tiny_bench_dir, tmp_path, capsys):
    from skelgnn.lifting.checkpoint import read_checkpoint

    assert _train(tiny_bench_dir, tmp_path) == 0
    good = read_checkpoint(tmp_path / "last.pt")
    for key, value, match in (("history", "{not json", "resume.history"),
                              ("optimizer", None, "resume.optimizer"),
                              ("best", "x", "resume.best"), ("bad_epochs", -1, "resume.bad_epochs")):
        bad = dict(good, resume=dict(good["resume"], **{key: value}))
        save_checkpoint(tmp_path / "last.pt", bad)
        assert _train(tiny_bench_dir, tmp_path, "train.epochs=2") == 2
        assert match in _error(capsys)
    save_checkpoint(tmp_path / "last.pt", {k: v for k, v in good.items() if k != "resume"})
    assert _train(tiny_bench_dir, tmp_path, "train.epochs=2") == 2
    assert "no training state" in _error(capsys)


def test_config_differences_fill_keys_older_checkpoints_lack():
    from skelgnn.training.config import RunConfig
    from skelgnn.training.resume import config_differences

    now = RunConfig().to_dict()
    old = RunConfig().to_dict()
    del old["train"]["precise_bn"]
    assert config_differences(old, now, RunConfig().to_dict()) == []
    now["train"]["precise_bn"] = 4
    assert [k for k, *_ in config_differences(old, now, RunConfig().to_dict())] == ["train.precise_bn"]


# ------------------------------------------------------------------------------- config values
@pytest.mark.parametrize("setting, key", [
    ("train.epochs=0", "train.epochs"), ("train.epochs=-3", "train.epochs"),
    ("train.patience=-1", "train.patience"),
    ("train.lr_decay=-1", "train.lr_decay"), ("train.batch_size=0", "train.batch_size"),
    ("train.batch_size=-5", "train.batch_size"), ("train.lr=-1", "train.lr"),
    ("train.lr=float('nan')", "train.lr"),
    ("train.weight_decay=-1", "train.weight_decay"), ("train.seed=-1", "train.seed"),
    ("model.kwargs={'channels': 0}", "model.kwargs.channels"),
    ("model.kwargs={'dropout': 2.0}", "model.kwargs.dropout"),
    ("data.train_fraction=0", "data.train_fraction"), ("data.train_fraction=-1", "data.train_fraction"),
    ("data.train_fraction=5", "data.train_fraction"),
    ("data.max_frames_per_clip=-1", "data.max_frames_per_clip"),
])
def test_train_refuses_out_of_range_config_values(tmp_path, setting, key, capsys):
    assert main(["train", CONFIG, "--out", str(tmp_path / "run"), "--set", setting]) == 2
    err = _error(capsys)
    assert key in err and "must be" in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("content", [b"\x80\x81\xfe binary", None])
def test_config_that_is_binary_or_a_folder(tmp_path, content, capsys):
    cfg = tmp_path / "c.toml"
    cfg.mkdir() if content is None else cfg.write_bytes(content)
    assert main(["train", str(cfg), "--out", str(tmp_path / "run")]) == 2
    assert "expected a TOML" in _error(capsys)


def test_benchmark_refuses_out_of_range_values(tmp_path, capsys):
    cfg = tmp_path / "b.toml"
    cfg.write_text('[train]\nepochs = 1\n[[runs]]\nlabel = "a"\nmodel = "fc"\nkwargs = { channels = 0 }\n')
    assert main(["benchmark", str(cfg), "--out", str(tmp_path / "o")]) == 2
    assert "runs[0].kwargs.channels" in _error(capsys)
    cfg.write_text('[train]\nepochs = 1\n[[runs]]\nlabel = "a"\nmodel = "fc"\ntrain = { lr_decay = -1.0 }\n')
    assert main(["benchmark", str(cfg), "--out", str(tmp_path / "o")]) == 2
    assert "train.lr_decay" in _error(capsys)
    cfg.write_text('[train]\nepochs = 0\n[[runs]]\nlabel = "a"\nmodel = "fc"\n')
    assert main(["benchmark", str(cfg), "--out", str(tmp_path / "o")]) == 2
    assert "train.epochs" in _error(capsys)


def test_speed_refuses_bad_model_kwargs_before_measuring(capsys):
    assert main(["speed", "--models", "fc", "--model-kwargs", '{"dropout": 2.0}']) == 2
    assert "--model-kwargs.dropout" in _error(capsys)
    assert main(["speed", "--models", "fc", "--model-kwargs", '{"channels": -4}']) == 2
    assert "channels" in _error(capsys)


def test_build_wraps_errors_of_the_builders():
    from skelgnn.core.errors import SkelgnnError

    with pytest.raises(SkelgnnError, match="channels"):
        build("fc", H36M_17, channels=0)
    with pytest.raises(SkelgnnError, match="dilations"):
        build("skeletal_gnn_t27", H36M_17, dilations=[0])


# ------------------------------------------------------------------------------- NaN and absurd values
def _damaged(tmp_path, ckpt, **change):
    from skelgnn.lifting.checkpoint import read_checkpoint

    c = read_checkpoint(ckpt)
    for key, value in change.items():
        c[key] = value
    path = tmp_path / "damaged.pt"
    save_checkpoint(path, c)
    return path, c


def test_checkpoint_with_a_nan_weight_is_refused(tmp_path, ckpt, capsys):
    from skelgnn.lifting.checkpoint import read_checkpoint

    sd = dict(read_checkpoint(ckpt)["state_dict"])
    key = next(k for k, v in sd.items() if v.is_floating_point())
    sd[key] = sd[key].clone()
    sd[key].view(-1)[0] = float("nan")
    bad, _ = _damaged(tmp_path, ckpt, state_dict=sd)
    inp = _keypoints(tmp_path)
    assert main(["predict", str(bad), str(inp), "-o", str(tmp_path / "o.npz")]) == 2
    err = _error(capsys)
    assert key in err and "NaN" in err
    assert not (tmp_path / "o.npz").exists()
    assert main(["export", str(bad), "-o", str(tmp_path / "m.onnx")]) == 2
    assert key in _error(capsys)


@pytest.mark.parametrize("command", ["evaluate", "robustness", "demo"])
def test_nan_checkpoint_in_evaluate_robustness_and_demo(tiny_bench_dir, tmp_path, ckpt, command, capsys):
    from skelgnn.lifting.checkpoint import read_checkpoint

    sd = {k: v.clone() for k, v in read_checkpoint(ckpt)["state_dict"].items()}
    key = next(k for k, v in sd.items() if v.is_floating_point())
    sd[key].view(-1)[-1] = float("inf")
    bad, _ = _damaged(tmp_path, ckpt, state_dict=sd)
    argv = {"evaluate": ["evaluate", str(bad), "--data", str(tiny_bench_dir)],
            "robustness": ["robustness", str(bad), "--data", str(tiny_bench_dir)],
            "demo": ["demo", "--checkpoint", str(bad), "--out", str(tmp_path / "demo")]}[command]
    assert main(argv) == 2
    assert key in _error(capsys)


@pytest.mark.parametrize("norm, match", [
    ("screen", "must be a table"), ({"input": "screen", "target_scale_mm": float("nan")}, "target_scale_mm"),
    ({"input": "polar", "target_scale_mm": 1000.0}, "normalization.input"), (None, "lacks 'normalization'"),
])
def test_checkpoint_with_a_bad_normalization_is_refused(tmp_path, ckpt, norm, match, capsys):
    from skelgnn.lifting.checkpoint import read_checkpoint

    c = read_checkpoint(ckpt)
    if norm is None:
        del c["normalization"]
    else:
        c["normalization"] = norm
    save_checkpoint(tmp_path / "bad.pt", c)
    inp = _keypoints(tmp_path)
    assert main(["predict", str(tmp_path / "bad.pt"), str(inp), "-o", str(tmp_path / "o.npz")]) == 2
    assert match in _error(capsys)
    assert main(["evaluate", str(tmp_path / "bad.pt"), "--data", str(tmp_path)]) == 2
    assert match in _error(capsys)


def test_malicious_checkpoint_never_suggests_unsafe_loading(tmp_path, capsys):
    class Evil:
        def __reduce__(self):
            return (os.getcwd, ())

    torch.save({"format": 1, "model": Evil()}, tmp_path / "evil.pt")
    assert main(["export", str(tmp_path / "evil.pt"), "-o", str(tmp_path / "m.onnx")]) == 2
    err = _error(capsys)
    assert "not a trusted skelgnn checkpoint" in err and "weights_only" not in err


def test_3dhp_random_bytes_does_not_suggest_allow_pickle(tmp_path, ckpt, capsys):
    (tmp_path / "x.npz").write_bytes(os.urandom(300))
    assert main(["evaluate-3dhp", str(ckpt), "--data", str(tmp_path / "x.npz")]) == 2
    err = _error(capsys)
    assert "not a readable npz" in err and "pickle" not in err


def test_keypoints_far_outside_the_image_are_flagged_and_warned(tmp_path, ckpt, capsys):
    xy = _person(6)[None].copy()
    xy[0, 2, 13] = [1e6, 400]  # one wrist 1e6 px right of a 1000 px image
    inp = _keypoints(tmp_path, xy=xy)
    out = tmp_path / "o.npz"
    assert main(["predict", str(ckpt), str(inp), "-o", str(out)]) == 0
    assert "1 joint(s) in 1 track-frame(s) lie more than" in capsys.readouterr().err
    with np.load(out) as f:
        assert f["outside"][0, 2, 13] and f["outside"].sum() == 1 and f["flags"][0, 2, 13]
        assert np.abs(f["joints_3d"]).max() < 5000
        # stored plainly; fps is unknown here, so it is left out (issue 16)
        assert f["width"].dtype == np.int64
        assert "fps" not in f.files and "fps" in f["unknown"].tolist()


def test_image_size_that_does_not_fit_the_keypoints(tmp_path, ckpt, capsys):
    inp = _keypoints(tmp_path)
    assert main(["predict", str(ckpt), str(inp), "-o", str(tmp_path / "o.npz"), "--width", "1",
                 "--height", "1"]) == 2
    assert "far outside the 1x1 image" in _error(capsys)


@pytest.mark.parametrize("width", [1e30, 1e300, 2e5])
def test_width_that_is_not_a_plain_pixel_count_is_refused(tmp_path, ckpt, width, capsys):
    inp = _keypoints(tmp_path, width=1000)
    with np.load(inp) as f:
        arrays = dict(f)
    arrays["width"] = np.asarray(width)
    np.savez(tmp_path / "w.npz", **arrays)
    assert main(["predict", str(ckpt), str(tmp_path / "w.npz"), "-o", str(tmp_path / "o.npz")]) == 2
    err = _error(capsys)
    assert "'width'" in err and "at most" in err
    assert main(["predict", str(ckpt), str(inp), "-o", str(tmp_path / "o.npz"), "--width", str(int(width)),
                 "--height", "800"]) == 2
    assert "--width/--height" in _error(capsys)


# ------------------------------------------------------------------------------- tracking memory
def _false_positive_flood(tmp_path, T=1000):
    """One person walking plus one random false detection per frame, JSON without track ids."""
    import json

    rng = np.random.default_rng(0)
    person = _person(1)[0]
    frames = []
    for t in range(T):
        p = person + [t * 0.2, 0]
        fp = rng.uniform(0, 1000, size=2) * [1, 0.8] + rng.uniform(0, 30, size=(17, 2))  # small, anywhere
        frames.append([np.c_[p, np.ones(17)].ravel().tolist(), np.c_[fp, np.full(17, 0.9)].ravel().tolist()])
    path = tmp_path / "flood.json"
    path.write_text(json.dumps({"layout": "h36m17", "width": 1000, "height": 800, "frames": frames}))
    return path


def test_short_lived_detections_do_not_become_dense_tracks(tmp_path):
    from skelgnn.keypoints import read_keypoints

    kp = read_keypoints(_false_positive_flood(tmp_path))
    assert kp.num_frames == 1000
    assert kp.num_tracks < 60 and kp.short_tracks > 400  # before: ~550 dense (1000-frame) tracks
    longest = np.isfinite(kp.xy[..., 0, 0]).sum(1).max()
    assert longest > 950  # the walking person is one track over (nearly) every frame


def test_track_cap_is_a_clear_error(tmp_path, monkeypatch, ckpt, capsys):
    from skelgnn import keypoints

    monkeypatch.setattr(keypoints.tracks, "MAX_TRACK_FRAMES", 20_000)
    path = _false_positive_flood(tmp_path, T=200)
    assert main(["predict", str(ckpt), str(path), "-o", str(tmp_path / "o.npz"),
                 "--min-track-length", "1"]) == 2
    err = _error(capsys)
    assert "exceed the limit" in err and "--min-track-length" in err
    assert main(["predict", str(ckpt), str(path), "-o", str(tmp_path / "o.npz")]) == 0
    assert "short-lived track(s)" in capsys.readouterr().out


# ------------------------------------------------------------------------------- damaged data and manifests
def _manifest_variant(src, tmp_path, rows_filter=None, raw=None):
    out = tmp_path / "src"
    out.mkdir()
    (out / "asf").symlink_to(src / "asf")
    (out / "amc").symlink_to(src / "amc")
    text = (src / "MANIFEST.tsv").read_text(encoding="utf-8")
    if raw is not None:
        (out / "MANIFEST.tsv").write_bytes(raw)
    else:
        lines = text.splitlines()
        (out / "MANIFEST.tsv").write_text(
            "\n".join([lines[0]] + [ln for ln in lines[1:] if rows_filter(ln)]) + "\n")
    return out


@pytest.mark.parametrize("case, match", [
    ("binary", "not UTF-8"), ("test_only", "no clip of the training actors"),
    ("train_only", "no clip of the test actors"),
])
def test_damaged_manifest(tiny_hdm05_src, tmp_path, case, match, capsys):
    if case == "binary":
        src = _manifest_variant(tiny_hdm05_src, tmp_path, raw=b"\xff\xfe\x00\x81binary" * 20)
    else:
        test = ("_mm_", "_tr_")
        keep = (lambda ln: any(t in ln for t in test)) if case == "test_only" else \
            (lambda ln: not any(t in ln for t in test))
        src = _manifest_variant(tiny_hdm05_src, tmp_path, keep)
    assert main(["data", "hdm05", "--src", str(src), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = _error(capsys)
    assert match in err and "MANIFEST.tsv" in err


def _damage_bench(tiny_bench_dir, tmp_path, **change):
    from skelgnn.data.hdm05_files import LIFT_FILE

    with np.load(tiny_bench_dir / LIFT_FILE) as f:
        arrays = dict(f)
    for key, fn in change.items():
        arrays[key] = fn(arrays[key])
    out = tmp_path / "bench"
    out.mkdir()
    np.savez(out / LIFT_FILE, **arrays)
    return out


@pytest.mark.parametrize("key, fn", [
    ("clip_length", lambda a: np.where(np.arange(len(a)) == 0, 0, a)),
    ("clip_start", lambda a: a + 10 ** 6),
    ("joints_2d_noisy", lambda a: a[:, : a.shape[1] // 2]),
    ("rare20", lambda a: a[:-5]),
])
def test_damaged_benchmark_file(tiny_bench_dir, tmp_path, ckpt, key, fn, capsys):
    bench = _damage_bench(tiny_bench_dir, tmp_path, **{key: fn})
    assert main(["evaluate", str(ckpt), "--data", str(bench), "--input", "noisy"]) == 2
    err = _error(capsys)
    assert "hdm05_lift.npz" in err and repr(key) in err and "rebuild" in err


# ------------------------------------------------------------------------------- export
@pytest.mark.parametrize("argv, match", [
    (["--frames", "1000000000"], "more than 10000"), (["--opset", "1"], "opsets 11 to 20"),
])
def test_export_refuses_absurd_frames_and_opsets(tmp_path, ckpt, argv, match, capsys):
    pytest.importorskip("onnx")
    out = tmp_path / "m.onnx"
    assert main(["export", str(ckpt), "-o", str(out), *argv]) == 2
    assert match in _error(capsys)
    assert not out.exists()


def test_export_check_fails_on_nan_and_removes_the_file(tmp_path, ckpt, monkeypatch, capsys):
    pytest.importorskip("onnx")
    from skelgnn.lifting import export

    monkeypatch.setattr(export, "check_onnx", lambda *a, **k: float("nan"))
    out = tmp_path / "m.onnx"
    assert main(["export", str(ckpt), "-o", str(out), "--check"]) == 1
    assert "differs from PyTorch by nan" in capsys.readouterr().err
    assert not out.exists()


# ------------------------------------------------------------------------------- mocap readers
def test_readers_on_a_folder(tmp_path):
    from skelgnn.core.errors import FormatError
    from skelgnn.data.asf_amc import read_asf
    from skelgnn.data.bvh import read_bvh

    for reader in (read_asf, read_bvh):
        with pytest.raises(FormatError, match="is a folder"):
            reader(tmp_path)


def _tiny_asf_amc(tmp_path, amc_frames, length="2"):
    from test_asf_amc import AMC, ASF

    (tmp_path / "t.asf").write_text(ASF.replace("     length 2\n", f"     length {length}\n"))
    head = AMC.split("1\nroot")[0]
    (tmp_path / "t.amc").write_text(head + "".join(f"{n}\nroot 0 0 0 0 0 0\na 0 0 0\nb 0\n"
                                                   for n in amc_frames))
    return tmp_path / "t.asf", tmp_path / "t.amc"


@pytest.mark.parametrize("frames, match", [((1, 2, 4), "frame number 4 follows frame 2"),
                                           ((1, 2, 2), "frame number 2 follows frame 2")])
def test_amc_with_skipped_or_repeated_frames(tmp_path, frames, match):
    from skelgnn.core.errors import FormatError
    from skelgnn.data.amc import read_amc
    from skelgnn.data.asf_amc import read_asf

    asf, amc = _tiny_asf_amc(tmp_path, frames)
    with pytest.raises(FormatError, match=match):
        read_amc(amc, read_asf(asf))
    asf, amc = _tiny_asf_amc(tmp_path, (1, 2, 3))
    assert read_amc(amc, read_asf(asf)).num_frames == 3


def test_huge_asf_length_and_amc_translation(tmp_path):
    from skelgnn.core.errors import FormatError
    from skelgnn.data.amc import read_amc
    from skelgnn.data.asf_amc import read_asf

    asf, _ = _tiny_asf_amc(tmp_path, (1,), length="1e308")
    with pytest.raises(FormatError, match=r"length.*too large"):
        read_asf(asf)
    asf, amc = _tiny_asf_amc(tmp_path, (1,))
    amc.write_text(amc.read_text().replace("root 0 0 0 0 0 0", "root 1e308 0 0 0 0 0"))
    with pytest.raises(FormatError, match=r"bone 'root'.*at most"):
        read_amc(amc, read_asf(asf))


def test_bvh_with_two_roots(tmp_path):
    from test_bvh import BVH

    from skelgnn.core.errors import FormatError
    from skelgnn.data.bvh import read_bvh

    hierarchy, motion = BVH.split("MOTION")
    second = hierarchy.split("HIERARCHY\n")[1]
    for name in ("Hips", "Chest", "Leg"):
        second = second.replace(name, name + "2")
    (tmp_path / "two.bvh").write_text(hierarchy + second + "MOTION" + motion)
    with pytest.raises(FormatError, match="second ROOT"):
        read_bvh(tmp_path / "two.bvh")


# ------------------------------------------------------------------------------- temporary files
def _dead_pid() -> int:
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_only_stale_temp_files_of_skelgnn_are_removed(tmp_path, ckpt):
    inp = _keypoints(tmp_path)
    out = tmp_path / "o.npz"
    stale = tmp_path / f".o.npz.skelgnn-{_dead_pid()}-abcdefgh.tmp"  # what a killed predict leaves
    mine = tmp_path / ".o.npz.notes.tmp"  # a user's file that merely looks similar
    live = tmp_path / f".o.npz.skelgnn-{os.getpid()}-abcdefgh.tmp"  # a write in progress (this process)
    for p in (stale, mine, live):
        p.write_text("x")
    assert main(["predict", str(ckpt), str(inp), "-o", str(out), "--width", "1000", "--height", "800"]) == 0
    assert not stale.exists() and mine.exists() and live.exists()


def test_training_keeps_user_files_that_look_like_temp_files(tiny_bench_dir, tmp_path):
    assert _train(tiny_bench_dir, tmp_path) == 0
    mine = tmp_path / ".best.pt.backup.tmp"
    stale = tmp_path / f".best.pt.skelgnn-{_dead_pid()}-abcdefgh.tmp"
    mine.write_text("keep")
    stale.write_text("x")
    assert _train(tiny_bench_dir, tmp_path, "train.epochs=2") == 0
    assert mine.read_text() == "keep" and not stale.exists()


def test_outputs_never_hold_pickled_object_arrays(tmp_path):
    from skelgnn.core.errors import FormatError
    from skelgnn.core.io import atomic_save_npz

    with pytest.raises(FormatError, match="'width'"):
        atomic_save_npz(tmp_path / "o.npz", plain=True, width=np.asarray(10 ** 30))
    assert not (tmp_path / "o.npz").exists()
    atomic_save_npz(tmp_path / "o.npz", plain=True, width=np.int64(640), names=np.asarray(["a", "b"]))
    with np.load(tmp_path / "o.npz") as f:  # allow_pickle=False
        assert int(f["width"]) == 640


@pytest.mark.parametrize("argv", [
    ["predict", "k.npz", "-o", "o.npz", "--conf-threshold", "nan"],
    ["predict", "k.npz", "-o", "o.npz", "--conf-threshold", "-1"],
    ["robustness", "c.pt", "--data", "d", "--seed", "-1"],
])
def test_option_values_out_of_range_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "expected" in err and "Traceback" not in err


# ------------------------------------------------------------------------------- issue 37: tracking
def _mmpose_crowd(tmp_path, T=300, n_false=8, life=3, seed=0):
    """mmpose inferencer JSON (no track ids): one walking person and ``n_false`` short-lived false people."""
    import json

    rng = np.random.default_rng(seed)
    person = _person(1)[0] * 0.8 + [300, 0]
    alive, frames = [], []
    for t in range(T):
        alive = [(xy, left - 1) for xy, left in alive if left > 1]
        while len(alive) < n_false:
            alive.append((rng.uniform([0, 0], [1920, 1080]), int(rng.integers(1, life + 1))))
        people = [person + [0.7 * t, 0]] + [xy + _person(1)[0] * 0.2 + rng.normal(0, 1, (17, 2))
                                             for xy, _ in alive]
        order = rng.permutation(len(people))
        frames.append({"frame_id": t, "instances": [
            {"keypoints": people[i].tolist(), "keypoint_scores": [0.9] * 17} for i in order]})
    path = tmp_path / "crowd.json"
    path.write_text(json.dumps(frames))
    return path, person


def test_mmpose_json_honours_min_track_length(tmp_path):
    import json

    from skelgnn.keypoints import read_keypoints

    frames = [{"frame_id": t, "instances": [{"keypoints": (_person(1)[0] + [t, 0]).tolist(),
                                             "keypoint_scores": [0.9] * 17}]} for t in range(12)]
    frames[5]["instances"].append({"keypoints": (_person(1)[0] * 0.3 + [1500, 100]).tolist(),
                                   "keypoint_scores": [0.9] * 17})
    path = tmp_path / "mm.json"
    path.write_text(json.dumps(frames))
    kp = read_keypoints(path, layout="h36m17")
    assert kp.num_tracks == 1 and kp.short_tracks == 1  # before: 2 tracks (the one-frame person kept)
    assert read_keypoints(path, layout="h36m17", min_track_length=1).num_tracks == 2


def test_crowd_of_short_lived_false_people_keeps_the_true_track(tmp_path):
    import time

    from skelgnn.keypoints import read_keypoints

    path, person = _mmpose_crowd(tmp_path)
    start = time.perf_counter()
    kp = read_keypoints(path, layout="h36m17", min_track_length=5)
    assert time.perf_counter() - start < 60
    true = [p for p in range(kp.num_tracks) if np.allclose(kp.xy[p, 0], person)]
    assert len(true) == 1  # one track holds the walking person in every frame, and only them
    xy = kp.xy[true[0]]
    assert np.isfinite(xy).all()
    assert np.allclose(xy, person[None] + np.c_[0.7 * np.arange(300), np.zeros(300)][:, None])
    assert kp.num_tracks < 60 and kp.short_tracks > 200  # before: hundreds of dense tracks (min_len ignored)


def test_online_tracker_stores_tracks_sparsely_and_closes_them():
    from skelgnn.keypoints.tracker import OnlineTracker

    tr = OnlineTracker(min_len=3, max_gap=5)
    p = np.c_[_person(1)[0], np.ones(17)]
    for t in range(10):
        tr.step(t, [p + [t, 0, 0]] + ([p * [0.2, 0.2, 1] + [(t * 397) % 1500, 0, 0]] if t % 2 else []))
    assert len(tr._ids) <= 3  # tentative false tracks closed after a short gap
    kept, dropped = tr.finish()
    assert len(kept) == 1 and dropped >= 1
    (track,) = kept.values()
    assert sorted(track) == list(range(10))  # frame index -> keypoints, nothing dense


# ----------------------------------------------------------------------- issue 37: one writer per run folder
def _hold_lock(folder):
    """A second process holding the run folder's lock; returns it once it holds the lock."""
    import subprocess
    import sys

    code = ("import sys, time; from skelgnn.core.io import folder_lock\n"
            "with folder_lock(sys.argv[1]):\n    print('locked', flush=True); time.sleep(120)\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_training_into_one_folder_is_refused_naming_the_pid(tiny_bench_dir, tmp_path, capsys):
    proc = _hold_lock(tmp_path)
    try:
        assert _train(tiny_bench_dir, tmp_path) == 2
        err = _error(capsys)
        assert f"pid {proc.pid}" in err and err.count("\n") == 1
        assert not (tmp_path / "last.pt").exists()
    finally:
        proc.kill()
        proc.wait()
    assert _train(tiny_bench_dir, tmp_path) == 0  # the holder is gone: the lock is free again


def test_benchmark_run_folder_is_locked(tmp_path):
    from skelgnn.core.io import FolderLockedError
    from skelgnn.tools import benchmark

    proc = _hold_lock(benchmark.run_folder(tmp_path, "run", "clean", 0))
    try:
        with pytest.raises(FolderLockedError, match=f"pid {proc.pid}"):
            benchmark._run_one({"label": "run"}, "clean", 0, {}, tmp_path, False)
    finally:
        proc.kill()
        proc.wait()


def test_resume_verifies_best_pt(tiny_bench_dir, tmp_path, capsys):
    assert _train(tiny_bench_dir, tmp_path) == 0
    best = tmp_path / "best.pt"
    data = best.read_bytes()
    best.unlink()
    capsys.readouterr()
    assert _train(tiny_bench_dir, tmp_path) == 2  # before: exit 0 and "Checkpoints: .../best.pt"
    assert "best.pt: missing" in _error(capsys)
    best.write_bytes(data[: len(data) // 2])
    assert _train(tiny_bench_dir, tmp_path) == 2
    assert "best.pt" in _error(capsys)
    best.write_bytes(data)
    assert _train(tiny_bench_dir, tmp_path) == 0


# ------------------------------------------------------------------------------- issue 37: outputs
def test_demo_never_writes_into_the_package(capsys):
    import skelgnn

    assets = Path(skelgnn.__file__).parent / "assets"
    before = (assets / "viewer.html").read_bytes()
    assert main(["demo", "--out", str(assets)]) == 2  # before: viewer.html silently replaced
    assert "installed skelgnn package" in _error(capsys)
    assert (assets / "viewer.html").read_bytes() == before


@pytest.mark.parametrize("kind", ["fifo", "link_to_fifo", "device", "proc"])
def test_special_files_are_not_outputs(tmp_path, kind):
    target = tmp_path / "out.npz"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "link_to_fifo":
        os.mkfifo(tmp_path / "fifo")
        target.symlink_to(tmp_path / "fifo")
    elif kind == "device":
        target.symlink_to("/dev/null")
    else:
        target = Path("/proc/self/comm")
    with pytest.raises(OutputError, match=r"regular file|not a place"):
        check_outputs({"-o": target})


def test_long_output_names_and_write_failures_are_one_line(tmp_path, monkeypatch):
    from skelgnn.core import io as sio

    long = tmp_path / ("x" * 240 + ".npz")  # legal, but ".<name>.skelgnn-<pid>-<random>.tmp" was not
    sio.atomic_save_npz(long, a=np.zeros(3))
    assert np.load(long)["a"].shape == (3,)
    assert [p.name for p in tmp_path.iterdir()] == [long.name]

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sio.os, "fsync", full)
    with pytest.raises(sio.WriteError, match="No space left on device") as e:
        sio.atomic_write_text(tmp_path / "a.txt", "hi")
    assert str(tmp_path / "a.txt") in str(e.value) and "\n" not in str(e.value)
    assert list(tmp_path.iterdir()) == [long]  # the temporary file is gone


# ------------------------------------------------------------------------------- issue 37: silent merges, BVH
def test_openpose_folder_with_two_videos_is_refused(tmp_path):
    import json

    from skelgnn.core.errors import FormatError
    from skelgnn.keypoints import read_keypoints

    person = {"people": [{"pose_keypoints_2d": np.c_[_person(1)[0], np.ones(17)].ravel().tolist()}]}
    for video in ("a", "b"):
        for t in range(4):
            (tmp_path / f"{video}_{t:012d}_keypoints.json").write_text(json.dumps(person))
    with pytest.raises(FormatError, match=r"appears twice.*more than one video"):  # before: one 8-frame track
        read_keypoints(tmp_path, layout="h36m17")


@pytest.mark.parametrize("fps", [1e300, 1e9])
def test_bvh_frame_time_that_prints_as_zero_is_refused(fps):
    from skelgnn.core.errors import SkelgnnError
    from skelgnn.lifting.bvh_export import joints_to_bvh

    joints = np.zeros((2, 17, 3)) + np.linspace(0, 1, 17)[None, :, None]
    with pytest.raises(SkelgnnError, match="frame time"):  # before: "Frame Time: 0.00000000", exit 0
        joints_to_bvh(joints, fps=fps)
    assert "Frame Time: 0.03333333" in joints_to_bvh(joints, fps=30)


# ------------------------------------------------------------------------------- issue 37: configs
def test_benchmark_runs_as_a_single_table_is_a_clear_error(tmp_path, capsys):
    cfg = tmp_path / "b.toml"
    cfg.write_text('[train]\nepochs = 1\n[runs]\nlabel = "a"\nmodel = "fc"\n')
    assert main(["benchmark", str(cfg), "--out", str(tmp_path / "o")]) == 2  # before: a traceback
    assert "[[runs]]" in _error(capsys)


def test_unknown_config_key_names_the_nearest(tmp_path, capsys):
    assert main(["train", CONFIG, "--out", str(tmp_path / "o"), "--set", "train.epoch=3"]) == 2
    assert "did you mean 'epochs'" in _error(capsys)


@pytest.mark.parametrize("setting", ["train.epochs=1e400", "train.lr=1e400", "train.lr=" + "9" * 400])
def test_config_numbers_beyond_float_range(tmp_path, setting, capsys):
    # before: OverflowError
    assert main(["train", CONFIG, "--out", str(tmp_path / "o"), "--set", setting]) == 2
    _error(capsys)


@pytest.mark.parametrize("argv", [["--budget", "nan"], ["--budget", "inf"], ["--threads", "-1"],
                                  ["--threads", "100000"], ["--batch", "1000000000"]])
def test_speed_flags_out_of_range_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(["speed", *argv])
    assert e.value.code == 2
    assert "expected" in capsys.readouterr().err


@pytest.mark.parametrize("doc", [
    '{"layout": "h36m17", "frames": [[[1%s, 2, 1]]]}',
    '{"frames": [{"people": [{"keypoints": [1%s, 2, 1]}]}]}',
    '[{"frame_id": 0, "instances": [{"keypoints": [[1%s, 2]], "keypoint_scores": [1]}]}]'])
def test_keypoint_json_with_a_400_digit_integer(tmp_path, doc):
    from skelgnn.core.errors import FormatError
    from skelgnn.keypoints import read_keypoints

    path = tmp_path / "k.json"
    path.write_text(doc % ("0" * 400))
    with pytest.raises(FormatError, match="range"):  # before: OverflowError
        read_keypoints(path)


# --------------------------------------------------------------- issue 37, items 8-9: refusals, numbers
@pytest.mark.parametrize("frame", ["99999", "0", "-3", "1e3"])  # 1e3: before, argparse's "invalid int"
def test_demo_bad_frame_is_refused_before_anything_is_written(tmp_path, frame, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--frame", frame]) == 2
    assert "frame" in _error(capsys)
    assert not out.exists()


def test_demo_bad_checkpoint_leaves_no_folder(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--checkpoint", str(bad)]) == 2
    _error(capsys)
    assert not out.exists()


@pytest.mark.parametrize("extra", [["--track", "-1", "--bvh", "out.bvh"],
                                   ["--track", "7", "--bvh", "out.bvh"],
                                   ["--track", "-1", "--html", "v.html"],
                                   ["--png", "p.png", "--frame", "99"]])
def test_predict_bad_track_or_frame_writes_nothing(tmp_path, ckpt, extra, capsys):
    inp = _keypoints(tmp_path)
    out = tmp_path / "out.npz"
    extra = [str(tmp_path / x) if x.endswith((".bvh", ".html", ".png")) else x for x in extra]
    assert main(["predict", str(ckpt), str(inp), "-o", str(out), *extra]) == 2
    err = _error(capsys)
    assert ("--track" in err) if "--track" in extra else ("--frame" in err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.npz"]


def test_outside_warning_with_unknown_image_size_is_worded(tmp_path, capsys):
    from skelgnn.lifting.checkpoint import DEFAULT_NORMALIZATION

    ckpt = tmp_path / "bbox.pt"  # a model that needs no image size
    save_checkpoint(ckpt, make_checkpoint("fc", {"channels": 16}, H36M_17, build("fc", H36M_17, channels=16),
                                          normalization={**DEFAULT_NORMALIZATION, "input": "bbox"}))
    xy = _person()[None].copy()
    xy[0, 2, 13] = [5e7, 400]  # one wrist far beyond any image
    inp = _keypoints(tmp_path, xy=xy, width=None, height=None)
    assert main(["predict", str(ckpt), str(inp), "-o", str(tmp_path / "out.npz")]) == 0
    err = capsys.readouterr().err
    assert "skelgnn: warning: 1 joint(s) in 1 track-frame(s)" in err
    assert "None" not in err and "image size is unknown" in err  # before: "beyond the NonexNone image"


def test_newline_in_input_name_keeps_the_csv_header_intact(tmp_path, ckpt, capsys):
    inp = _keypoints(tmp_path, name="two\nlines\r# forged.npz")
    out = tmp_path / "out.csv"
    assert main(["predict", str(ckpt), str(inp), "-o", str(out)]) == 0
    lines = out.read_text().split("\n")
    header = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    assert lines[header].startswith("track,frame,")
    assert all("\r" not in line for line in lines[:header])
    assert any("two\\nlines\\r# forged.npz" in line for line in lines[:header])
    assert "Read '" in capsys.readouterr().out  # the printed name is escaped too


def test_degenerate_2d_frames_are_warned_about(tmp_path, ckpt, capsys):
    xy = _person(8)[None].copy()
    xy[0, 1] = [500, 400] + np.random.default_rng(0).uniform(-1, 1, (17, 2))  # all joints within 2 px
    xy[0, 2] = np.c_[np.linspace(300, 700, 17), np.full(17, 400.0)]  # all joints on one line
    xy[0, 3] = np.c_[np.linspace(300, 700, 17), np.linspace(100, 600, 17)]  # on a slanted line
    inp = _keypoints(tmp_path, xy=xy)
    assert main(["predict", str(ckpt), str(inp), "-o", str(tmp_path / "out.npz")]) == 0
    err = capsys.readouterr().err
    assert "skelgnn: warning: 3 of 8 track-frame(s) (in 1 track(s)) have degenerate 2D input" in err
    assert err.count("\n") == 1
    clean = _keypoints(tmp_path, name="clean.npz")
    assert main(["predict", str(ckpt), str(clean), "-o", str(tmp_path / "clean_out.npz")]) == 0
    assert "degenerate" not in capsys.readouterr().err


def test_checkpoint_with_non_finite_output_is_refused_at_load(tmp_path, capsys):
    model = build("fc", H36M_17, channels=16)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.fill_(3e38)  # finite weights whose forward overflows to inf/NaN
    bad = tmp_path / "overflow.pt"
    save_checkpoint(bad, make_checkpoint("fc", {"channels": 16}, H36M_17, model))
    inp = _keypoints(tmp_path)
    out = tmp_path / "out.npz"
    assert main(["predict", str(bad), str(inp), "-o", str(out)]) == 2
    err = _error(capsys)
    assert "NaN or infinite" in err and "probe batch" in err and err.count("\n") == 1
    assert not out.exists()
    assert main(["evaluate", str(bad), "--data", str(tmp_path / "no_data_needed")]) == 2
    assert "probe batch" in _error(capsys)  # refused at load, before any data work


def test_bundled_and_fresh_checkpoints_pass_the_probe(ckpt):
    from skelgnn.lifting.api import Lifter

    for lifter in (Lifter.default(), Lifter.load(ckpt)):
        assert lifter.num_parameters > 0


# ------------------------------------------------------------- issue 37, item 1: one numeric validation layer
def _usage_error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("usage: "), err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"skelgnn {argv[0]}: error: argument "), err  # argparse's usage, then one line
    return last


@pytest.mark.parametrize("argv, flag", [
    # before: accepted, then the measurement itself ran (exit 0) or raised from inside torch
    (["speed", "--train-batch", "0"], "--train-batch"),
    (["speed", "--matmul-size", "100000000"], "--matmul-size"),
    (["speed", "--repeats", "0"], "--repeats"), (["speed", "--frames", "-5"], "--frames"),
    (["speed", "--repeats", "1e400"], "--repeats"), (["speed", "--threads", "1025"], "--threads"),
    # before: accepted (1e300 frames per second, a field of view of 180 degrees or more)
    (["predict", "k.npz", "-o", "o.npz", "--fps", "1e300"], "--fps"),
    (["predict", "k.npz", "-o", "o.npz", "--fov", "180"], "--fov"),
    (["predict", "k.npz", "-o", "o.npz", "--focal", "1e300"], "--focal"),
    (["predict", "k.npz", "-o", "o.npz", "--min-track-length", "1" + "0" * 400], "--min-track-length"),
    (["export", "c.pt", "-o", "o.onnx", "--opset", "1e400"], "--opset"),
    (["benchmark", "b.toml", "--out", "o", "--seed", "-1"], "--seed"),
    (["robustness", "c.pt", "--data", "d", "--seed", str(2 ** 64)], "--seed"),
])
def test_numeric_flags_are_checked_by_the_validation_layer(argv, flag, capsys):
    err = _usage_error(argv, capsys)
    assert f"argument {flag}: expected " in err and len(err) < 250


def test_argument_types_word_the_same_checks_as_the_configs():
    import argparse
    import re

    from skelgnn.core.validate import ConfigError, arg_type, integer, seed, threads

    assert arg_type(integer, 1, 10)("1e1") == 10 and arg_type(seed)(str(2 ** 64 - 1)) == 2 ** 64 - 1
    for check, text, expected in ((arg_type(threads), "100000", "between 0 (the library's choice) and 1024"),
                                  (arg_type(seed), "-1", "an integer between 0 and 2**64 - 1"),
                                  (arg_type(integer, 1, 10), "nan", "an integer between 1 and 10"),
                                  (arg_type(integer, 1, 10), "ten", "an integer between 1 and 10")):
        with pytest.raises(argparse.ArgumentTypeError, match=re.escape(expected)):
            check(text)
    top = r"must be an integer between 0 and 2\*\*64 - 1"
    with pytest.raises(ConfigError, match=rf"train.seed {top}, got 18446744073709551616"):
        seed(2 ** 64, "train.seed")
    with pytest.raises(ConfigError, match=r"got 100000000000\.\.\. \(401 digits\)$"):
        seed(10 ** 400, "train.seed")


def test_seeds_take_the_whole_64_bit_range(tmp_path):
    from skelgnn.core.errors import SkelgnnError
    from skelgnn.training.config import load_config

    top = 2 ** 64 - 1  # before: refused above 2**32 - 1 (train.seed, data.view_seed)
    cfg = load_config(None, [f"train.seed={top}", f"data.view_seed={top}"])
    assert cfg.train.seed == top and cfg.data.view_seed == top
    for bad in (f"train.seed={top + 1}", "train.seed=-1", "data.view_seed=-1"):
        with pytest.raises(SkelgnnError, match="must be an integer between 0 and 2\\*\\*64 - 1"):
            load_config(None, [bad])


def test_every_consumer_of_a_seed_takes_the_whole_range():
    from torch.utils.data.distributed import DistributedSampler

    from skelgnn.core.validate import torch_seed
    from skelgnn.data.views import view_generator

    for s in (0, 2 ** 32 - 1, 2 ** 63, 2 ** 64 - 1):
        # the mixtures of skelgnn.training.train (before: RuntimeError "Overflow when unpacking long")
        torch.Generator().manual_seed(torch_seed(s * 1_000_003) + 49)
        torch.manual_seed(torch_seed(s * 7_919 + 49 + 104_729 * 3))
        sampler = DistributedSampler(list(range(8)), num_replicas=2, rank=0, seed=torch_seed(s * 1_000_003))
        sampler.set_epoch(49)
        assert len(list(sampler)) == 4
        np.random.default_rng([s, 49])  # skelgnn.data.windows
        view_generator(s, "bd/clip", 3)  # skelgnn.data.views
        np.random.Generator(np.random.PCG64(s))  # skelgnn.evaluation.robustness
    assert torch_seed(2 ** 40 * 1_000_003) == 2 ** 40 * 1_000_003  # earlier runs' seeds: the same draws
    torch.manual_seed(0)


@pytest.mark.parametrize("setting, expected", [
    ("train.epochs=inf", "train.epochs must be an integer, got inf"),  # before: got 'inf' (a string)
    ("train.epochs=-inf", "train.epochs must be an integer, got -inf"),
    ("train.lr=nan", "train.lr must be a finite number"),
    ("train.threads=1025", "train.threads must be an integer between 0 (the library's choice) and 1024"),
    ("data.joints=" + "9" * 400, "(400 digits)"),
])
def test_config_numbers_are_read_as_toml_reads_them(tmp_path, setting, expected, capsys):
    assert main(["train", CONFIG, "--out", str(tmp_path / "o"), "--set", setting]) == 2
    err = _error(capsys)
    assert expected in err and err.count("\n") == 1 and len(err) < 300


def _bench_config(tmp_path, text: str) -> str:
    path = tmp_path / "b.toml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("text, expected", [
    # before: benchmark.inptus silently ignored (both inputs trained); a TypeError traceback for inputs = 5
    ('[benchmark]\ninptus = ["gt"]\n', "[benchmark]: unknown key(s) ['inptus'] (did you mean 'inputs'"),
    ('[benchmark]\ninputs = 5\n', "benchmark.inputs must list 'gt' and/or 'noisy', got 5"),
    ('[benchmark]\ndata = 3\n', "benchmark.data must be the folder"),
    # before: unknown names without the nearest valid one
    ('[trian]\nepochs = 1\n', "unknown section(s) ['trian'] (did you mean 'train'"),
    ('[train]\nepoch = 1\n', "[train]: unknown key(s) ['epoch'] (did you mean 'epochs'"),
    ('[train]\nseed = -1\n', "seed must be an integer between 0 and 2**64 - 1"),
    ('[train]\nthreads = 4096\n', "threads must be an integer between 0"),
])
def test_benchmark_config_sections_are_checked(tmp_path, text, expected, capsys):
    cfg = _bench_config(tmp_path, text + '[[runs]]\nlabel = "a"\nmodel = "fc"\n')
    assert main(["benchmark", cfg, "--out", str(tmp_path / "o")]) == 2
    assert expected in _error(capsys)


@pytest.mark.parametrize("run, expected", [
    ('seed = [1]', "runs[0] (a): unknown key(s) ['seed'] (did you mean 'seeds'"),
    ('train = { epoch = 1 }', "runs[0].train: unknown key(s) ['epoch'] (did you mean 'epochs'"),
    ('seeds = [1, 1.0]', "runs[0] seeds must be distinct"),
    ('seeds = [1.5]', "runs[0] seeds[0] must be an integer between 0 and 2**64 - 1"),
])
def test_benchmark_runs_are_checked(tmp_path, run, expected, capsys):
    cfg = _bench_config(tmp_path, f'[[runs]]\nlabel = "a"\nmodel = "fc"\n{run}\n')
    assert main(["benchmark", cfg, "--out", str(tmp_path / "o")]) == 2
    assert expected in _error(capsys)


@pytest.mark.parametrize("name, text, field", [
    ("dense.json", '{"layout": "h36m17", "frames": [[%s]]}', "at [0][0][3][0]"),
    ("people.json", '{"frames": [{"people": [{"keypoints": %s}]}]}', "keypoints[3]"),
])
@pytest.mark.parametrize("huge", ["1e400", "-1e400", "Infinity"])
def test_keypoint_json_value_beyond_the_float_range(tmp_path, name, text, field, huge):
    import json

    from skelgnn.core.errors import FormatError
    from skelgnn.keypoints import read_keypoints

    rows = [[5, 6, 1] for _ in range(17)]
    doc = json.dumps(rows).replace("[5, 6, 1]", "[BAD, 6, 1]", 4).replace("BAD", "5", 3).replace("BAD", huge)
    path = tmp_path / name
    path.write_text(text % doc)
    with pytest.raises(FormatError, match="beyond the range of a number") as e:  # before: read as missing
        read_keypoints(path, layout="h36m17")
    assert name in str(e.value) and field in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("cell", ["1e400", "1" + "0" * 400, "-inf"])
def test_keypoint_csv_value_beyond_the_float_range(tmp_path, cell):
    from skelgnn.core.errors import FormatError
    from skelgnn.keypoints import read_keypoints

    names = H36M_17.joint_names
    header = "frame," + ",".join(f"{n}_x,{n}_y" for n in names)
    path = tmp_path / "k.csv"
    path.write_text(header + "\n0," + ",".join(["5"] * 5 + [cell] + ["5"] * 28) + "\n")
    with pytest.raises(FormatError, match="beyond the range of a number") as e:  # before: read as missing
        read_keypoints(path, layout="h36m17")
    assert "k.csv, line 2: column 'right_knee_y'" in str(e.value)


# ------------------------------------------------------------- issue 37, item 2: no NaN metric with exit 0
def test_huge_2d_in_a_test_clip_is_refused_naming_array_and_clip(tiny_bench_dir, tmp_path, ckpt, capsys):
    def huge(a):
        a = a.copy()
        a[1, 3] = 1e30  # camera 1, frame 3 (the first clip)
        return a

    bench = _damage_bench(tiny_bench_dir, tmp_path, joints_2d_gt=huge)
    # before: exit 0 with an MPJPE of ~1e28 mm (NaN with other weights)
    assert main(["evaluate", str(ckpt), "--data", str(bench), "--split", "train"]) == 2
    err = _error(capsys)
    assert "'joints_2d_gt' holds 1e+30 at clip" in err and "(camera 1, frame 3 of the clip)" in err
    assert "rebuild" in err and err.count("\n") == 1


def test_non_finite_prediction_is_refused_naming_the_sequence(tiny_bench_dir):
    from skelgnn.core.errors import SkelgnnError
    from skelgnn.data.hdm05 import benchmark_sequences
    from skelgnn.data.hdm05_files import load_benchmark
    from skelgnn.lifting.inference import predict_sequences

    seqs = benchmark_sequences(load_benchmark(tiny_bench_dir), "test", "gt")
    seqs.inputs[0] = np.full_like(seqs.inputs[0], 3e38)  # finite, but the forward pass overflows
    torch.manual_seed(0)
    model = build("fc", H36M_17, channels=16)
    with pytest.raises(SkelgnnError, match=f"sequence {seqs.keys[0]}: the model's prediction is not finite"):
        predict_sequences(model, seqs, H36M_17)  # before: NaN predictions, NaN metrics


def test_a_nan_headline_metric_is_an_error_not_a_report(tiny_bench_dir):
    from skelgnn.core.errors import SkelgnnError
    from skelgnn.data.hdm05 import benchmark_sequences
    from skelgnn.data.hdm05_files import load_benchmark
    from skelgnn.evaluation.report import Report, compute_report

    seqs = benchmark_sequences(load_benchmark(tiny_bench_dir), "test", "gt")
    preds = [np.asarray(t, dtype=np.float32).copy() for t in seqs.targets]
    assert compute_report(preds, seqs, H36M_17)["mpjpe"] == pytest.approx(0.0, abs=1e-3)
    preds[0][2, 5, 0] = np.nan
    # before: a LinAlgError traceback from the Procrustes alignment (or, without it, a report with MPJPE nan)
    with pytest.raises(SkelgnnError, match=f"sequence {seqs.keys[0]}: the prediction holds NaN or infinite "
                                           "values in 1 frame"):
        compute_report(preds, seqs, H36M_17)
    with pytest.raises(SkelgnnError, match="mpjpe came out nan"):  # the last guard: no NaN headline printed
        Report({"mpjpe": float("nan")}, title="x", required=("mpjpe",))


# ------------------------------------------------------------- issue 37, item 3: crowds cost O(detections)
def test_dense_crowd_gives_a_bounded_number_of_pairs_per_detection():
    from skelgnn.keypoints.tracker import _NEIGHBOURS, OnlineTracker

    rng = np.random.default_rng(0)
    body = _person(1)[0] * 0.2

    def crowd(n):
        return [np.c_[body + rng.normal(0, 3, 2) + [500, 400], np.full(17, 0.9)] for _ in range(n)]

    tracker = OnlineTracker(1)
    tracker.step(0, crowd(1500))  # 1,500 open tracks, all within the gate of every detection below
    from skelgnn.keypoints.tracker import centroids_scales

    c, s, _ = centroids_scales(np.stack(crowd(200)))
    rows, _, _ = tracker._pairs(1, c, s)
    # before: every (detection, track) pair in reach was listed first (200 x 1,500 = 300,000)
    assert 0 < len(rows) <= 200 * _NEIGHBOURS
    tracker.step(1, crowd(200))
    assert len(tracker._ids) == 1500  # 200 continued, 1,300 still open
