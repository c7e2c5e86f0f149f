"""Causal multi-frame models (issue 36 §3): crops, training windows, offline and streamed lifting, the
One-Euro stream, ``predict --causal`` and the bench scripts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skelgnn import H36M_17
from skelgnn.cli import main
from skelgnn.core.errors import SkelgnnError
from skelgnn.data.sequences import SequenceSet
from skelgnn.data.windows import PoseWindows
from skelgnn.lifting.api import Lifter
from skelgnn.lifting.checkpoint import make_checkpoint, save_checkpoint
from skelgnn.lifting.inference import CausalStream, is_causal, lift, lift_flipped, lift_keypoints
from skelgnn.lifting.smoothing import OneEuroStream, one_euro
from skelgnn.models import build

torch.set_num_threads(1)

CASES = [
    ("skeletal_gnn_t27", {"channels": 8}),
    ("skeletal_gnn_t27", {"channels": 8, "temporal_kernel": 1}),  # graph window narrower than the step
    ("skeletal_gnn_t27", {"channels": 8, "temporal_mix": "graph", "dynamic": "m"}),
    ("tcn27", {"channels": 16}),
]


def _model(name: str, kw: dict, causal: bool = True, seed: int = 0):
    torch.manual_seed(seed)
    model = build(name, H36M_17, causal=causal, **kw)
    with torch.no_grad():  # non-trivial BatchNorm statistics
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 2.0)
    return model.eval()


def _poses(T: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 0.3 * torch.randn(T, 17, 2, generator=g)


def test_causal_is_a_recorded_kwarg_and_off_by_default():
    assert "causal" not in build("skeletal_gnn_t27", H36M_17, channels=8).as_kwargs()
    assert build("skeletal_gnn_t27", H36M_17, channels=8, causal=True).as_kwargs()["causal"] is True
    assert not build("tcn27", H36M_17, channels=8).causal and build("tcn27", H36M_17, causal=True).causal
    # same parameters either way: a causal checkpoint has the offline model's state_dict keys
    a = build("skeletal_gnn_t27", H36M_17, channels=8).state_dict()
    b = build("skeletal_gnn_t27", H36M_17, channels=8, causal=True).state_dict()
    assert list(a) == list(b)
    assert is_causal(build("skeletal_gnn", H36M_17, channels=8))  # single frame: causal by construction
    assert not is_causal(build("tcn27", H36M_17, channels=8))


@pytest.mark.parametrize("name,kw", CASES)
def test_causal_output_ignores_future_frames(name, kw):
    model = _model(name, kw)
    x = _poses(40)
    y = lift(model, x, chunk=9)
    x2 = x.clone()
    x2[25:] += 0.5  # change the future of frame 24
    y2 = lift(model, x2, chunk=9)
    torch.testing.assert_close(y2[:25], y[:25], rtol=0, atol=1e-6)
    assert (y2[25] - y[25]).abs().max() > 1e-3
    offline = _model(name, kw, causal=False)
    y_off, y2_off = lift(offline, x), lift(offline, x2)
    assert (y2_off[24] - y_off[24]).abs().max() > 1e-3  # the centred model sees 13 frames ahead
    # output frame t of a T-frame window is the last frame of its window
    with torch.no_grad():
        full = model(x[None])[0]  # (40 - 26, J, 3)
        last = model(x[None, 27 - 27 + 5: 5 + 27])[0, 0]
    torch.testing.assert_close(full[5], last, rtol=0, atol=1e-5)


@pytest.mark.parametrize("name,kw", CASES)
def test_strided_causal_is_the_same_function(name, kw):
    model = _model(name, kw)
    assert model.supports_strided
    x = _poses(27 * 3).view(3, 27, 17, 2)
    with torch.no_grad():
        torch.testing.assert_close(model(x, strided=True), model(x), rtol=0, atol=1e-5)


def test_causal_crops_differ_from_centred_ones():
    x = _poses(27)[None]
    with torch.no_grad():
        a = _model("skeletal_gnn_t27", {"channels": 8})(x)
        b = _model("skeletal_gnn_t27", {"channels": 8}, causal=False)(x)
    assert (a - b).abs().max() > 1e-3


def _seqs(lengths=(30, 7), seed=0) -> SequenceSet:
    rng = np.random.default_rng(seed)
    return SequenceSet(inputs=[rng.normal(size=(T, 17, 2)).astype(np.float32) for T in lengths],
                       targets=[rng.normal(size=(T, 17, 3)).astype(np.float32) for T in lengths],
                       keys=[f"s{i}" for i in range(len(lengths))], classes=["c"] * len(lengths),
                       rare=[np.zeros(T, bool) for T in lengths])


def test_causal_windows_end_at_their_target():
    seqs = _seqs((30, 12))
    rf = 9
    win = PoseWindows(seqs, rf, H36M_17, causal=True)
    assert len(win) == seqs.num_frames
    x0 = torch.from_numpy(seqs.inputs[0])
    for t in (0, 3, 8, 20, 29):
        x, y = win[t]
        assert x.shape == (rf, 17, 2)
        torch.testing.assert_close(x[-1], x0[t])  # the window ends at its target frame
        want = torch.cat([x0[:1].expand(max(0, rf - 1 - t), -1, -1), x0[max(0, t - rf + 1): t + 1]])
        torch.testing.assert_close(x, want)
        torch.testing.assert_close(y[0], torch.from_numpy(seqs.targets[0][t]))
    # chunks: the same windows, sharing frames
    chunked = PoseWindows(seqs, rf, H36M_17, causal=True, chunk=8)
    for i in range(len(chunked)):
        x, y = chunked[i]
        b = int(chunked.out_starts[i])
        for k in range(8):
            xp, yp = win[b + k]
            assert torch.equal(x[k: k + rf], xp) and torch.equal(y[k], yp[0])


@pytest.mark.parametrize("name,kw", CASES[::3])
def test_training_windows_give_the_causal_lift(name, kw):
    """What training fits (a chunk's outputs against its targets) is what lift() predicts."""
    model = _model(name, kw)
    seqs = _seqs((40,))
    chunked = PoseWindows(seqs, model.receptive_field, H36M_17, causal=True, chunk=8)
    want = lift(model, torch.from_numpy(seqs.inputs[0]))
    with torch.no_grad():
        for i in range(len(chunked)):
            x, _ = chunked[i]
            y = model(x[None])[0]
            b = int(chunked.out_starts[i])
            torch.testing.assert_close(y - y[:, :1], want[b: b + 8], rtol=0, atol=1e-5)


def test_fit_refuses_mismatched_windows(tmp_path):
    from skelgnn.training.config import TrainConfig
    from skelgnn.training.train import fit

    model = _model("tcn27", {"channels": 8})
    win = PoseWindows(_seqs(), model.receptive_field, H36M_17)  # centred windows for a causal model
    with pytest.raises(SkelgnnError, match="causal"):
        fit(model, name="tcn27", kwargs={"causal": True}, skeleton=H36M_17, train_set=win, val_seqs=_seqs(),
            cfg=TrainConfig(epochs=1, device="cpu"), out_dir=tmp_path, config={}, progress=False)


@pytest.mark.parametrize("name,kw", [*CASES, ("skeletal_gnn", {"channels": 8})])
def test_stream_equals_offline_lift(name, kw):
    model = _model(name, kw)
    x = _poses(35)
    for tta in (False, True):
        stream = CausalStream(model, H36M_17, tta=tta)
        ys = torch.stack([stream.push(frame) for frame in x])
        torch.testing.assert_close(ys, lift_flipped(model, x, H36M_17, tta=tta, chunk=11), rtol=0, atol=1e-5)
    stream.reset()
    torch.testing.assert_close(stream.push(x[0]), lift_flipped(model, x[:1], H36M_17, tta=True)[0], rtol=0,
                               atol=1e-5)


def test_stream_refuses_a_centred_model_and_bad_frames():
    with pytest.raises(SkelgnnError, match="not causal"):
        CausalStream(_model("tcn27", {"channels": 8}, causal=False))
    stream = CausalStream(_model("tcn27", {"channels": 8}))
    with pytest.raises(SkelgnnError, match="shape"):
        stream.push(torch.zeros(16, 2))
    with pytest.raises(SkelgnnError, match="NaN"):
        stream.push(torch.full((17, 2), float("nan")))


def test_one_euro_stream_equals_one_euro():
    x = np.random.default_rng(0).normal(size=(60, 17, 3)) * 50
    stream = OneEuroStream(30.0)
    np.testing.assert_array_equal(np.stack([stream.step(f) for f in x]), one_euro(x, 30.0))
    with pytest.raises(SkelgnnError, match="frame rate"):
        OneEuroStream(0.0)


def _walk_px(T: int = 30) -> np.ndarray:
    base = np.array([[0, 0], [-60, 0], [-65, 200], [-70, 390], [60, 0], [65, 200], [70, 390], [0, -110],
                     [0, -220], [0, -260], [0, -310], [80, -200], [100, -90], [110, 10], [-80, -200],
                     [-100, -90], [-110, 10]], dtype=np.float64)
    t = np.arange(T)[:, None]
    x = np.repeat(base[None], T, 0) + [500, 400]
    x[:, [2, 3], 0] += 20 * np.sin(t * 0.5)
    x[:, [12, 13], 1] += 30 * np.cos(t * 0.3)
    return x


@pytest.fixture(scope="module")
def causal_ckpt(tmp_path_factory):
    model = _model("tcn27", {"channels": 16})
    path = tmp_path_factory.mktemp("causal") / "causal.pt"
    save_checkpoint(path, make_checkpoint("tcn27", {"channels": 16, "causal": True}, H36M_17, model))
    offline = tmp_path_factory.mktemp("causal") / "offline.pt"
    save_checkpoint(offline, make_checkpoint("tcn27", {"channels": 16}, H36M_17, model))
    return path, offline


def test_lifter_stream_equals_lift_keypoints(causal_ckpt):
    lifter = Lifter.load(causal_ckpt[0])
    assert lifter.causal and lifter.kwargs["causal"] is True
    px = _walk_px()
    live = lifter.stream(width=1000, height=800)
    got = np.stack([live.push(f) for f in px])
    want = lift_keypoints(lifter.model, lifter.info, px, 1000, 800)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-3)
    # with the causal One-Euro filter: the same as filtering the offline output
    live = lifter.stream(width=1000, height=800, fps=30, smooth="one_euro")
    got = np.stack([live.push(f) for f in px])
    want = one_euro(want, 30.0)
    np.testing.assert_allclose(got, want - want[:, :1], rtol=0, atol=1e-3)
    # a missing joint holds its last valid position
    live = lifter.stream(width=1000, height=800)
    live.push(px[0])
    gap = px[1].copy()
    gap[5] = np.nan
    live.push(gap)
    assert live.last_filled[5] and not live.last_filled[4]
    np.testing.assert_array_equal(live.last_filled_2d[5], px[0, 5])
    with pytest.raises(SkelgnnError, match="future frames"):
        lifter.stream(width=1000, height=800, smooth="savgol")
    with pytest.raises(SkelgnnError, match="image"):
        lifter.stream()
    with pytest.raises(SkelgnnError, match="not causal"):
        Lifter.load(causal_ckpt[1]).stream(width=1000, height=800)


def _npz(tmp_path, px) -> str:
    path = tmp_path / "kp.npz"
    np.savez(path, keypoints=px, layout="h36m17", width=1000, height=800, fps=30.0)
    return str(path)


def test_predict_causal_cli(causal_ckpt, tmp_path, capsys):
    px = _walk_px()
    src = _npz(tmp_path, px)
    out = tmp_path / "live.npz"
    assert main(["predict", str(causal_ckpt[0]), src, "-o", str(out), "--causal"]) == 0
    text = capsys.readouterr().out
    assert "Causal: streamed one frame at a time" in text and "26 before it" in text
    lifter = Lifter.load(causal_ckpt[0])
    want = lift_keypoints(lifter.model, lifter.info, px, 1000, 800)
    np.testing.assert_allclose(np.load(out)["joints_3d"][0], want, rtol=0, atol=1e-3)
    assert "causal stream" in str(np.load(out)["postfilter"])
    # a centred model is refused in one line
    assert main(["predict", str(causal_ckpt[1]), src, "-o", str(tmp_path / "x.npz"), "--causal"]) == 2
    err = capsys.readouterr().err
    assert "is not causal" in err and len(err.strip().splitlines()) == 1
    for extra, what in ((["--smooth", "savgol"], "Savitzky"), (["--bone-lengths"], "median"),
                        (["--subject-height", "1.7"], "whole track")):
        assert main(["predict", str(causal_ckpt[0]), src, "-o", str(tmp_path / "x.npz"), "--causal",
                     *extra]) == 2
        assert what in capsys.readouterr().err


def test_predict_causal_single_frame_model(tmp_path, capsys):
    torch.manual_seed(0)
    model = build("fc", H36M_17, channels=16).eval()
    ckpt = tmp_path / "fc.pt"
    save_checkpoint(ckpt, make_checkpoint("fc", {"channels": 16}, H36M_17, model))
    px = _walk_px(12)
    px[4:6, 3] = np.nan  # a gap: held, not interpolated
    out = tmp_path / "fc.npz"
    assert main(["predict", str(ckpt), _npz(tmp_path, px), "-o", str(out), "--causal"]) == 0
    text = capsys.readouterr().out
    assert "single-frame model, causal by construction" in text
    assert "smoothing one_euro" in text  # the causal default for a single-frame model with a known fps
    z = np.load(out)
    np.testing.assert_array_equal(z["joints_2d"][0, 4:6, 3], np.repeat(px[3:4, 3], 2, 0).astype(np.float32))
    assert z["flags"][0, 4:6, 3].all()


def _bench_script(name: str):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench" / "causal" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"causal_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_latency_script_on_a_tiny_model(causal_ckpt, tmp_path, capsys):
    import json

    out = tmp_path / "latency.json"
    assert _bench_script("latency").main(["--model", "tcn27", "--kwargs", '{"channels": 8, "causal": true}',
                                          str(causal_ckpt[0]), str(causal_ckpt[1]), "--frames", "12",
                                          "--warmup", "2", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert r["threads"] == 1 and r["batch"] == 1 and r["cpu"]
    rows = list(r["models"].values())
    assert [x["causal"] for x in rows] == [True, True, False]
    assert rows[1]["live_step"]["frames_timed"] == 10 and rows[0]["model_step"]["p95_ms"] > 0
    assert "model step median / p95 ms" in capsys.readouterr().out


def test_compare_script_on_tiny_data(causal_ckpt, tiny_bench_dir, tmp_path, capsys):
    import json

    torch.manual_seed(0)
    single = tmp_path / "fc.pt"
    fc = build("fc", H36M_17, channels=16)
    save_checkpoint(single, make_checkpoint("fc", {"channels": 16}, H36M_17, fc))
    out = tmp_path / "compare.json"
    mod = _bench_script("compare")
    assert mod.main(["--causal", str(causal_ckpt[0]), "--offline", str(causal_ckpt[1]), "--single",
                     str(single), "--data", str(tiny_bench_dir), "--cameras", "1", "--check", "1",
                     "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    assert list(r["rows"]) == ["offline", "causal", "causal + One-Euro", "single-frame",
                               "single-frame + One-Euro"]
    assert r["rows"]["offline"]["look_ahead_frames"] == 13 and r["rows"]["causal"]["look_ahead_frames"] == 0
    assert r["stream_vs_offline_max_mm"] < 1e-2
    assert all(np.isfinite(v["accel"]) and np.isfinite(v["mpjpe"]) for v in r["rows"].values())
    assert "| causal + One-Euro |" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # the offline checkpoint is not causal
        mod.main(["--causal", str(causal_ckpt[1]), "--offline", str(causal_ckpt[1]), "--data",
                  str(tiny_bench_dir)])



def test_tiny_causal_training_writes_a_causal_checkpoint(tiny_bench_dir, tmp_path):
    """A few-second causal tcn27 run (strided, 1 epoch): its checkpoint describes a causal model that
    Lifter.stream accepts (fit refuses centred windows for it, test_fit_refuses_mismatched_windows)."""
    import json
    from pathlib import Path

    config = Path(__file__).resolve().parents[1] / "configs" / "skeletal_gnn_hdm05.toml"
    assert main(["train", str(config), "--out", str(tmp_path), "--quiet",
                 "--set", f"data.path='{tiny_bench_dir}'", "--set", "model.name='tcn27'",
                 "--set", "model.kwargs={'channels': 8, 'causal': True}", "--set", "train.epochs=1",
                 "--set", "train.batch_size=64", "--set", "train.strided=true", "--set", "train.threads=1",
                 "--set", "data.max_frames_per_clip=40"]) == 0
    lifter = Lifter.load(tmp_path / "best.pt")
    assert lifter.kwargs["causal"] is True and lifter.causal and lifter.model.causal
    assert lifter.info.train_config["strided"] is True
    lifter.stream(width=1000, height=1000)  # accepted
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert np.isfinite(log[0]["val_mpjpe"])
