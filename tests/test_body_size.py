"""data.target_height: every training target drawn at one standing height (the pose without the actors'
size)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from skelgnn.core.errors import SkelgnnError
from skelgnn.core.height import standing_height
from skelgnn.data.body_size import scale_targets_to_height
from skelgnn.data.sequences import SequenceSet
from skelgnn.lifting.predict import Prediction, size_statement
from skelgnn.training.config import DataConfig, load_config
from skelgnn.training.datasets import training_sequences


def _project(points: np.ndarray, intr) -> np.ndarray:
    fx, fy, cx, cy = intr
    z = points[..., 2]
    return np.stack([fx * points[..., 0] / z + cx, fy * points[..., 1] / z + cy], -1)


def _seqs(rng) -> SequenceSet:
    out = SequenceSet()
    for i, size in enumerate((0.9, 1.1)):
        pose = rng.normal(0, 300, (5, 17, 3))
        pose -= pose[:, :1]
        pose[:, 1:] *= size
        out.targets.append(pose.astype(np.float32))
        out.inputs.append(rng.normal(size=(5, 17, 2)).astype(np.float32))
        out.keys.append(f"a/clip{i}/0")
        out.classes.append("walk")
        out.rare.append(np.zeros(5, bool))
        root = np.array([100.0, 200.0, 4000.0 + 1000 * i]) + rng.normal(0, 50, (5, 3))
        out.roots.append(root.astype(np.float32))
        out.intrinsics.append((1145.0, 1145.0, 500.0, 500.0))
        pixels = _project(out.targets[-1] + out.roots[-1][:, None], out.intrinsics[-1])
        out.pixels.append(pixels.astype(np.float32))
    return out


def test_every_target_gets_the_height_and_the_image_stays_the_same():
    seqs = _seqs(np.random.default_rng(0))
    before = [y.copy() for y in seqs.targets]
    scaled, factors = scale_targets_to_height(seqs, 1.7)
    assert factors.shape == (2,) and not np.allclose(factors[0], factors[1])
    for i, y in enumerate(scaled.targets):
        assert standing_height(y) == pytest.approx(1700.0, rel=1e-5)
        np.testing.assert_allclose(y, before[i] * factors[i], rtol=1e-5, atol=1e-3)
        np.testing.assert_array_equal(seqs.targets[i], before[i])  # the argument is not changed
        assert scaled.inputs[i] is seqs.inputs[i]
        # a body scaled about the camera centre projects to the same pixels
        proj = _project(y.astype(np.float64) + scaled.roots[i][:, None], scaled.intrinsics[i])
        np.testing.assert_allclose(proj, seqs.pixels[i], atol=0.05)
        np.testing.assert_allclose(scaled.roots[i], seqs.roots[i] * factors[i], rtol=1e-5)


@pytest.mark.parametrize("bad", [0.7, 2.5, True, "1.7", float("nan")])
def test_out_of_range_heights_are_refused(bad):
    with pytest.raises(SkelgnnError, match=r"data\.target_height"):
        scale_targets_to_height(_seqs(np.random.default_rng(1)), bad)


def test_a_sequence_without_17_joints_is_named():
    seqs = _seqs(np.random.default_rng(2))
    seqs.targets[1] = seqs.targets[1][:, :16]
    with pytest.raises(SkelgnnError, match=r"a/clip1/0.*shape"):
        scale_targets_to_height(seqs, 1.7)


def test_training_targets_are_scaled_and_validation_keeps_true_sizes(tiny_bench_dir):
    cfg = DataConfig(path=str(tiny_bench_dir), input="gt", input_norm="bbox", extra_views=1, bone_jitter=0.1)
    train, val, _ = training_sequences(cfg)
    htrain, hval, _ = training_sequences(replace(cfg, target_height=1.6))
    own = [standing_height(y) for y in train.targets]
    assert max(own) - min(own) > 10.0  # the actors (and the jittered views) differ in size
    for y in htrain.targets:
        assert standing_height(y) == pytest.approx(1600.0, rel=1e-4)
    for a, b in zip(val.targets, hval.targets):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(train.inputs, htrain.inputs):
        np.testing.assert_array_equal(a, b)


def test_the_config_checks_the_range(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[model]\nname = "fc"\n[data]\ntarget_height = 0.7\n')
    with pytest.raises(SkelgnnError, match=r"data\.target_height"):
        load_config(path)
    path.write_text('[model]\nname = "fc"\n[data]\ntarget_height = 1.68\n')
    assert load_config(path).data.target_height == 1.68


def test_the_output_says_the_size_the_model_was_trained_at():
    z = np.zeros((1, 2, 17, 3), np.float32)
    pred = Prediction(joints_3d=z, joints_2d=z[..., :2], flags=np.zeros((1, 2, 17), bool),
                      confidence=np.ones((1, 2, 17)), track_ids=np.zeros(1, np.int64), frames=np.arange(2),
                      fps=None, width=None, height=None, layout="h36m17", layout_guessed=False, model="fc",
                      checkpoint="x.pt", source="k.npz", model_height=1.68)
    assert "1.68 m tall" in size_statement(pred) and "not measured" in size_statement(pred)
    assert "1.68" not in size_statement(replace(pred, model_height=None))


def _bench_config(tmp_path, data_table: str):
    path = tmp_path / "b.toml"
    path.write_text('[benchmark]\ndata = "data/hdm05"\ninputs = ["gt"]\n[train]\nepochs = 1\n'
                    f'[[runs]]\nlabel = "a"\nmodel = "fc"\ndata = {data_table}\n')
    return path


def test_a_benchmark_run_may_set_training_set_switches_and_nothing_else(tmp_path):
    from skelgnn.tools.benchmark import load_benchmark_config

    cfg = load_benchmark_config(_bench_config(tmp_path, "{ target_height = 1.7 }"))
    assert cfg["runs"][0]["data"] == {"target_height": 1.7}
    with pytest.raises(SkelgnnError, match=r"runs\[0\]\.data.*target_height"):
        load_benchmark_config(_bench_config(tmp_path, "{ target_height = 3.0 }"))
    with pytest.raises(SkelgnnError, match=r"runs\[0\]\.data.*path"):
        load_benchmark_config(_bench_config(tmp_path, '{ path = "elsewhere" }'))
