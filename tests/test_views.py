"""Extra random virtual camera views for training (``data.extra_views``, skelgnn.data.views) and the shared
projection/noise code that the camera-robustness check uses."""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np
import pytest

from skelgnn.core.cameras import project
from skelgnn.core.errors import SkelgnnError
from skelgnn.core.normalization import normalize_input
from skelgnn.data.hdm05 import benchmark_sequences
from skelgnn.data.hdm05_files import load_benchmark
from skelgnn.data.sequences import SequenceSet
from skelgnn.data.views import (
    VIEW_DISTANCE_MM,
    VIEW_FOCAL_FACTOR,
    VIEW_HEIGHT_MM,
    VIEW_IMAGE_SIZES,
    VIEW_LOOK_AT_HEIGHT_MM,
    VIEW_MIN_DEPTH_MM,
    draw_view,
    extra_view_sequences,
    view_generator,
    virtual_view,
)
from skelgnn.training.config import DataConfig, load_config
from skelgnn.training.datasets import training_sequences

FOCAL_RANGE = (1145.0 * VIEW_FOCAL_FACTOR[0], 1145.0 * VIEW_FOCAL_FACTOR[1])


@pytest.fixture(scope="module")
def bench(tiny_bench_dir):
    return load_benchmark(tiny_bench_dir)


def _same(a: SequenceSet, b: SequenceSet) -> None:
    assert a.keys == b.keys and a.classes == b.classes and a.intrinsics == b.intrinsics
    for f in ("inputs", "targets", "rare", "pixels", "roots"):
        xs, ys = getattr(a, f), getattr(b, f)
        assert len(xs) == len(ys), f
        for x, y in zip(xs, ys):
            assert x.dtype == y.dtype and np.array_equal(x, y), f


def _train_clip_keys(bench, split="train") -> list[str]:
    return [str(k) for k, s in zip(bench.clip_keys, bench.clip_split) if s == split]


def test_zero_extra_views_is_the_old_training_set(tiny_bench_dir, bench):
    for kind, norm in (("noisy", "bbox"), ("gt", "screen")):
        train, val, _ = training_sequences(DataConfig(path=str(tiny_bench_dir), input=kind, input_norm=norm,
                                                      view_seed=5))
        _same(train, benchmark_sequences(bench, "train", kind, input_norm=norm))
        _same(val, benchmark_sequences(bench, "val", kind, input_norm=norm))


def test_two_extra_views_per_training_clip_and_none_for_validation(tiny_bench_dir, bench):
    cfg = DataConfig(path=str(tiny_bench_dir), input="noisy", input_norm="screen")
    old_train, old_val, _ = training_sequences(cfg)
    train, val, _ = training_sequences(replace(cfg, extra_views=2))
    train_clips = _train_clip_keys(bench)
    assert len(train) == len(old_train) + 2 * len(train_clips)
    n = len(old_train)
    _same(train.subset(range(n)), old_train)  # the benchmark's sequences first, unchanged
    assert train.keys[n:] == [f"{k}/v{i}" for k in train_clips for i in range(2)]
    assert not set(train.keys[n:]) & {f"{k}/v{i}" for s in ("val", "test") for k in _train_clip_keys(bench, s)
                                      for i in range(2)}
    _same(val, old_val)  # validation keeps the benchmark's cameras
    assert all(len(getattr(train, f.name)) == len(train) for f in fields(SequenceSet))
    assert train.has_trajectory
    for x, y, k in zip(train.inputs[n:], train.targets[n:], train.keys[n:]):
        clip = k.rsplit("/", 1)[0]
        c = list(bench.clip_keys).index(clip)
        assert x.shape == (int(bench.clip_length[c]), 17, 2) and y.shape == (int(bench.clip_length[c]), 17, 3)
        assert x.dtype == np.float32 and y.dtype == np.float32 and np.isfinite(x).all()
    # train_fraction and max_frames_per_clip select the same clips and frames as for the benchmark's views
    small, _, _ = training_sequences(replace(cfg, extra_views=2, train_fraction=0.5, max_frames_per_clip=20))
    base = benchmark_sequences(bench, "train", "noisy", fraction=0.5, max_frames=20)
    m = len(base)
    assert small.keys[m:] == [f"{k.rsplit('/', 1)[0]}/v{i}" for k in base.keys[::4] for i in range(2)]
    assert all(len(x) <= 20 for x in small.inputs)
    # the cameras do not depend on the frames used
    full = dict(zip(train.keys[n:], train.intrinsics[n:]))
    assert all(full[k] == ii for k, ii in zip(small.keys[m:], small.intrinsics[m:]))


def test_views_are_seeded(bench):
    a = extra_view_sequences(bench, 2, seed=0, input_kind="noisy", input_norm="screen")
    _same(a, extra_view_sequences(bench, 2, seed=0, input_kind="noisy", input_norm="screen"))
    b = extra_view_sequences(bench, 2, seed=1, input_kind="noisy", input_norm="screen")
    assert a.keys == b.keys
    assert a.intrinsics != b.intrinsics
    assert all(not np.allclose(x, y) for x, y in zip(a.targets, b.targets))
    # view i does not depend on how many views are drawn, gt and noisy see the same cameras
    one = extra_view_sequences(bench, 1, seed=0, input_kind="noisy", input_norm="screen")
    _same(one, a.subset(range(0, len(a), 2)))
    gt = extra_view_sequences(bench, 2, seed=0, input_kind="gt", input_norm="screen")
    assert gt.intrinsics == a.intrinsics
    for x, y in zip(gt.targets, a.targets):
        assert np.array_equal(x, y)
    assert len(extra_view_sequences(bench, 0, seed=0)) == 0


def test_gt_views_reproject_from_their_3d_through_their_intrinsics(bench):
    for norm in ("screen", "bbox"):
        seqs = extra_view_sequences(bench, 3, seed=2, input_kind="gt", input_norm=norm)
        sizes = set()
        for x, y, uv, root, (fx, fy, cx, cy) in zip(seqs.inputs, seqs.targets, seqs.pixels, seqs.roots,
                                                    seqs.intrinsics):
            xc = y.astype(np.float64) + root.astype(np.float64)[:, None]
            assert xc[..., 2].min() >= VIEW_MIN_DEPTH_MM - 1e-3
            np.testing.assert_array_equal(y[:, 0], 0.0)  # pelvis-relative
            proj = np.stack([fx * xc[..., 0] / xc[..., 2] + cx, fy * xc[..., 1] / xc[..., 2] + cy], axis=-1)
            assert np.abs(proj - uv).max() < 1e-3
            w, h = int(round(2 * cx)), int(round(2 * cy))
            assert (w, h) in VIEW_IMAGE_SIZES and fx == fy and FOCAL_RANGE[0] <= fx <= FOCAL_RANGE[1]
            sizes.add((w, h))
            np.testing.assert_allclose(x, normalize_input(uv, norm, w, h), atol=1e-5)
        assert len(sizes) >= 2


def test_noisy_views_carry_the_benchmark_noise_scaled_by_the_image(bench):
    gt = extra_view_sequences(bench, 3, seed=0, input_kind="gt")
    noisy = extra_view_sequences(bench, 3, seed=0, input_kind="noisy")
    resid = []
    for a, b, (_, _, cx, cy) in zip(gt.pixels, noisy.pixels, gt.intrinsics):
        resid.append(((b.astype(np.float64) - a) / (max(2 * cx, 2 * cy) / 1000)).ravel())
    r = np.concatenate(resid)
    sigma = 1.4826 * np.median(np.abs(r - np.median(r)))  # robust: the 3 % outliers barely move it
    assert 3.7 < sigma < 4.4, sigma
    assert 0.005 < np.mean(np.abs(r) > 4 * 4.0) < 0.06  # some outliers, as with a 3 % rate of sigma 20


def _look_at_of(R, center, root_xz):
    """Where the optical axis of a camera passes above (x̄, z̄): (distance along the axis, height)."""
    z = R[2]
    t = ((root_xz[0] - center[0]) * z[0] + (root_xz[1] - center[2]) * z[2]) / (z[0] ** 2 + z[2] ** 2)
    return t, center[1] + t * z[1]


def test_drawn_cameras_lie_in_the_documented_ranges(bench):
    rng = np.random.default_rng(7)
    draws = [draw_view(rng) for _ in range(3000)]
    yaw = np.array([v.yaw_deg for v in draws])
    assert yaw.min() >= 0 and yaw.max() < 360 and yaw.min() < 10 and yaw.max() > 350
    for name, (lo, hi) in (("height_mm", VIEW_HEIGHT_MM), ("distance_mm", VIEW_DISTANCE_MM),
                           ("look_at_height_mm", VIEW_LOOK_AT_HEIGHT_MM), ("focal_px", FOCAL_RANGE)):
        v = np.array([getattr(d, name) for d in draws])
        assert v.min() >= lo and v.max() <= hi
        assert v.min() < lo + 0.05 * (hi - lo) and v.max() > hi - 0.05 * (hi - lo)
    log_f = np.log([d.focal_px / 1145.0 for d in draws])
    assert abs(np.median(log_f)) < 0.05  # log-uniform: as many views zoomed in as out
    assert {(d.width, d.height) for d in draws} == set(VIEW_IMAGE_SIZES)
    # the cameras built from the draws: at the drawn height and distance, looking at the drawn point
    world = bench.joints_world[bench.clip_frames(0)].astype(np.float64)
    xz = (world[:, 0, 0].mean(), world[:, 0, 2].mean())
    for i in range(20):
        v, cam = virtual_view(world, view_generator(0, "x/y", i))
        target = np.array([xz[0], v.look_at_height_mm, xz[1]])
        assert cam.center[1] == pytest.approx(v.height_mm)
        assert np.linalg.norm(cam.center - target) == pytest.approx(v.distance_mm)
        axis = (target - cam.center) / v.distance_mm
        np.testing.assert_allclose(cam.R[2], axis, atol=1e-9)
        assert math.degrees(math.atan2(cam.center[2] - xz[1], cam.center[0] - xz[0])) % 360 == pytest.approx(
            v.yaw_deg % 360, abs=1e-6)
        assert cam.R[1] @ np.array([0.0, 1.0, 0.0]) < 0  # world up is image up
        assert tuple(cam.c) == (v.width / 2, v.height / 2) and tuple(cam.f) == (v.focal_px, v.focal_px)


def test_the_cameras_of_the_training_views_are_in_range(bench):
    """Recovered from the stored sequences alone: pose of the camera from (world, camera-frame) joints."""
    seqs = extra_view_sequences(bench, 2, seed=3, input_kind="gt")
    keys = list(bench.clip_keys)
    for k, y, root in zip(seqs.keys, seqs.targets, seqs.roots):
        c = keys.index(k.rsplit("/", 1)[0])
        world = bench.joints_world[bench.clip_frames(c)].astype(np.float64).reshape(-1, 3)
        xc = (y.astype(np.float64) + root.astype(np.float64)[:, None]).reshape(-1, 3)
        mw, mc = world.mean(0), xc.mean(0)
        u, _, vt = np.linalg.svd((xc - mc).T @ (world - mw))  # xc = R (world - center)
        R = u @ np.diag([1, 1, np.linalg.det(u @ vt)]) @ vt
        center = mw - R.T @ mc
        np.testing.assert_allclose((world - center) @ R.T, xc, atol=0.1)
        root_xz = (world.reshape(-1, 17, 3)[:, 0, 0].mean(), world.reshape(-1, 17, 3)[:, 0, 2].mean())
        dist, look_h = _look_at_of(R, center, root_xz)
        assert VIEW_HEIGHT_MM[0] - 1 <= center[1] <= VIEW_HEIGHT_MM[1] + 1
        assert VIEW_DISTANCE_MM[0] - 1 <= dist <= VIEW_DISTANCE_MM[1] + 1
        assert VIEW_LOOK_AT_HEIGHT_MM[0] - 1 <= look_h <= VIEW_LOOK_AT_HEIGHT_MM[1] + 1
        assert R[1] @ np.array([0.0, 1.0, 0.0]) < 0 and abs(R[0, 1]) < 1e-4  # upright: no roll


def test_views_keep_every_joint_in_front_of_the_camera():
    # a clip that crosses 5 m: some draws would see it from behind or from too close, and are redrawn
    T = 60
    world = np.zeros((T, 17, 3))
    world[:, :, 0] = np.linspace(-2500.0, 2500.0, T)[:, None]
    world[:, :, 1] = np.linspace(0.0, 1700.0, 17)[None]
    for i in range(50):
        _, cam = virtual_view(world, view_generator(0, "far/walk", i))
        assert ((world - cam.center) @ cam.R[2]).min() >= VIEW_MIN_DEPTH_MM
    hopeless = np.zeros((4, 17, 3))  # 20 m to every side of its centre: every camera has one frame behind it
    hopeless[:, :, 0] = np.array([20_000.0, -20_000.0, 0.0, 0.0])[:, None]
    hopeless[:, :, 2] = np.array([0.0, 0.0, 20_000.0, -20_000.0])[:, None]
    with pytest.raises(SkelgnnError, match="in front of it"):
        virtual_view(hopeless, view_generator(0, "x", 0), name="x/v0")


@pytest.mark.parametrize("override, message", [
    ("data.extra_views=-1", r"data.extra_views .*must be an integer >= 0, got -1"),
    ("data.extra_views=1.5", r"data.extra_views .*must be an integer, got 1.5"),
    ("data.extra_views='2'", r"data.extra_views must be a number, got '2'"),
    ("data.extra_views=true", r"data.extra_views must be a number, got True"),
    ("data.view_seed=-3", r"data.view_seed must be an integer between 0 and"),
])
def test_bad_extra_views_are_clear_errors(override, message):
    with pytest.raises(SkelgnnError, match=message):
        load_config(None, [override])


def test_extra_views_are_recorded_and_h36m_refuses_them(tmp_path):
    cfg = load_config(None, ["data.extra_views=3", "data.view_seed=11"])
    assert cfg.data.extra_views == 3 and cfg.data.view_seed == 11
    assert cfg.to_dict()["data"]["extra_views"] == 3 and cfg.to_dict()["data"]["view_seed"] == 11
    d = load_config(None).data
    assert d.extra_views == 0 and d.view_seed == 0
    with pytest.raises(SkelgnnError, match=r"data.extra_views = 2 is not supported with data.kind = 'h36m'"):
        load_config(None, ["data.kind='h36m'", "data.input='gt'", "data.extra_views=2"])
    assert load_config(None,
                       ["data.kind='h36m'", "data.input='gt'", "data.extra_views=0"]).data.extra_views == 0
    with pytest.raises(SkelgnnError, match=r"not supported with data\.kind = 'h36m'"):
        training_sequences(DataConfig(kind="h36m", path=str(tmp_path), extra_views=1))


def test_extra_view_sequences_checks_its_arguments(bench):
    for bad in (-1, 1.0, True):
        with pytest.raises(SkelgnnError, match="extra views must be an integer >= 0"):
            extra_view_sequences(bench, bad)
    with pytest.raises(SkelgnnError, match="input must be 'gt' or 'noisy'"):
        extra_view_sequences(bench, 1, input_kind="cpn")


def test_robustness_sequences_are_unchanged_by_the_shared_code(bench):
    """camera_change_sequences now calls skelgnn.data.views; this is its former inline loop, verbatim."""
    from skelgnn.data.hdm05 import NOISE_SIGMA_PX, OUTLIER_PROB, OUTLIER_SIGMA_PX
    from skelgnn.evaluation.robustness import camera_change, camera_change_sequences, changed_cameras

    for name, kind, norm in (("image_1920x1080", "noisy", "bbox"), ("distance_3m", "noisy", "screen"),
                             ("focal_x2", "gt", "screen")):
        change = camera_change(name)
        got, _ = camera_change_sequences(bench, change, input_kind=kind, input_norm=norm, seed=4)
        rng = np.random.Generator(np.random.PCG64(4))
        s = change.noise_scale
        ref = SequenceSet()
        for c in range(len(bench.clip_keys)):
            sl = bench.clip_frames(c)
            world = bench.joints_world[sl].astype(np.float64)
            shape = (4, sl.stop - sl.start) + world.shape[1:2]
            if kind == "noisy":
                noise = rng.normal(0.0, NOISE_SIGMA_PX, size=shape + (2,)) * s
                outlier = rng.random(shape) < OUTLIER_PROB
                offset = rng.normal(0.0, OUTLIER_SIGMA_PX, size=shape + (2,)) * s
            if str(bench.clip_split[c]) != "test":
                continue
            for i, cam in enumerate(changed_cameras(world, change)):
                xc = (world - cam.center) @ np.asarray(cam.R).T
                uv = project(xc, cam)
                if kind == "noisy":
                    uv = uv + noise[i] + outlier[i][..., None] * offset[i]
                ref.targets.append((xc - xc[:, :1]).astype(np.float32))
                ref.inputs.append(normalize_input(uv, norm, cam.width, cam.height).astype(np.float32))
                ref.keys.append(f"{bench.clip_keys[c]}/{i}")
                ref.classes.append(str(bench.clip_class[c]))
                ref.rare.append(bench.rare20[sl].copy())
                ref.pixels.append(np.asarray(uv, dtype=np.float32))
                ref.roots.append(xc[:, 0].astype(np.float32))
                ref.intrinsics.append((float(cam.f[0]), float(cam.f[1]), float(cam.c[0]), float(cam.c[1])))
        _same(got, ref)


def test_training_with_extra_views_records_them_and_resumes_only_with_them(tiny_bench_dir, tmp_path, capsys):
    from pathlib import Path

    from skelgnn.cli import main
    from skelgnn.lifting.checkpoint import read_checkpoint

    config = Path(__file__).resolve().parents[1] / "configs" / "skeletal_gnn_hdm05.toml"

    def train(out, *sets):
        args = ["train", str(config), "--out", str(out), "--set", f"data.path='{tiny_bench_dir}'",
                "--set", "model.name='fc'", "--set", "model.kwargs={'channels': 16}", "--set",
                "train.epochs=1",
                "--set", "train.batch_size=64", "--set", "train.threads=1", "--set",
                "data.max_frames_per_clip=40"]
        for s in sets:
            args += ["--set", s]
        return main(args)

    assert train(tmp_path / "a", "data.extra_views=2", "data.view_seed=3") == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert train(tmp_path / "b") == 0
    header0 = capsys.readouterr().out.splitlines()[0]
    n_clips = len(_train_clip_keys(load_benchmark(tiny_bench_dir)))
    assert f"from {6 * n_clips} sequences;" in header and f"from {4 * n_clips} sequences;" in header0
    assert header.split("; validation")[1] == header0.split("; validation")[1]
    data = read_checkpoint(tmp_path / "a" / "best.pt")["config"]["data"]
    assert data["extra_views"] == 2 and data["view_seed"] == 3
    assert train(tmp_path / "a", "train.epochs=2") == 2  # resuming without the views is refused
    assert "data.extra_views: 2 in the checkpoint, 0 now" in capsys.readouterr().err


def test_view_max_height_changes_only_the_heights_of_the_views(bench):
    """``data.view_max_height`` raises the top of the camera heights; every other draw stays the default's."""
    low = [draw_view(np.random.default_rng(s)) for s in range(200)]
    high = [draw_view(np.random.default_rng(s), 3500.0) for s in range(200)]
    for a, b in zip(low, high):
        assert replace(a, height_mm=0.0) == replace(b, height_mm=0.0)
        # the same uniform draw, mapped onto [300, 2800] and onto [300, 3500] mm
        assert (b.height_mm - 300.0) / 3200.0 == pytest.approx((a.height_mm - 300.0) / 2500.0)
    assert max(v.height_mm for v in high) > 2800.0 >= max(v.height_mm for v in low)
    seqs = extra_view_sequences(bench, 2, input_kind="gt", max_height_mm=3500.0)
    assert len(seqs) == 2 * len(extra_view_sequences(bench, 1, input_kind="gt"))
    assert load_config(None, ["data.extra_views=1", "data.view_max_height=3.5"]).data.view_max_height == 3.5
    assert load_config(None).data.view_max_height == 2.8
    for bad in ("0.5", "7", "nan", "'3'"):
        with pytest.raises(SkelgnnError, match=r"data.view_max_height"):
            load_config(None, [f"data.view_max_height={bad}"])
    with pytest.raises(SkelgnnError, match="highest virtual camera"):
        extra_view_sequences(bench, 1, max_height_mm=500.0)


def test_high_cameras_that_cannot_be_placed_are_drawn_again(bench):
    world = bench.joints_world[bench.clip_frames(0)].astype(np.float64)
    for i in range(200):
        v, cam = virtual_view(world, view_generator(0, "x/y", i), max_height_mm=6000.0)
        assert abs(v.height_mm - v.look_at_height_mm) <= 0.9 * v.distance_mm
        assert cam.center[1] == pytest.approx(v.height_mm)
