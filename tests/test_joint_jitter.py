"""data.joint_jitter: the extra views' joint definitions (hips, spine, thorax, neck, head, shoulders) moved
along and across their bones, consistently over a clip, before projection."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from skelgnn.core.errors import SkelgnnError
from skelgnn.data.hdm05_files import load_benchmark
from skelgnn.data.views import (
    DEFINITION_JOINTS,
    definition_generator,
    draw_definition_offsets,
    extra_view_sequences,
    move_joint_definitions,
)
from skelgnn.training.config import DataConfig, load_config
from skelgnn.training.datasets import training_sequences

MOVED = sorted(j for group in DEFINITION_JOINTS for j in group)


@pytest.fixture(scope="module")
def bench(tiny_bench_dir):
    return load_benchmark(tiny_bench_dir)


def _clip(bench, c=0):
    return bench.joints_world[bench.clip_frames(c)].astype(np.float64)


def test_only_the_definition_joints_move_and_zero_moves_nothing(bench):
    w = _clip(bench)
    np.testing.assert_array_equal(move_joint_definitions(w, np.zeros((len(DEFINITION_JOINTS), 3))), w)
    off = draw_definition_offsets(definition_generator(0, "a/b", 0), 0.4)
    m = move_joint_definitions(w, off)
    still = [j for j in range(17) if j not in MOVED]
    np.testing.assert_array_equal(m[:, still], w[:, still])
    assert np.all(np.linalg.norm(m[:, MOVED] - w[:, MOVED], axis=-1) > 0)


def test_along_moves_by_the_share_of_the_bone(bench):
    w = _clip(bench)
    off = np.zeros((len(DEFINITION_JOINTS), 3))
    g = next(i for i, grp in enumerate(DEFINITION_JOINTS) if grp == (14, 11))
    off[g, 0] = -0.5  # shoulders half-way towards the thorax (another studio's 105 mm against HDM05's ~210)
    m = move_joint_definitions(w, off)
    for j in (11, 14):
        np.testing.assert_allclose(m[:, j], w[:, 8] + 0.5 * (w[:, j] - w[:, 8]), atol=1e-9)


def test_across_is_perpendicular_and_mirrored_pairs_share_a_draw(bench):
    w = _clip(bench)
    off = np.zeros((len(DEFINITION_JOINTS), 3))
    off[0, 1] = 0.2  # hips up (along the body's up axis made orthogonal to the bone)
    m = move_joint_definitions(w, off)
    for j in (1, 4):
        bone = w[:, j] - w[:, 0]
        d = m[:, j] - w[:, j]
        np.testing.assert_allclose(np.sum(d * bone, axis=-1), 0, atol=1e-6)
        np.testing.assert_allclose(np.linalg.norm(d, axis=-1), 0.2 * np.linalg.norm(bone, axis=-1), rtol=1e-9)
    up = w[:, 8] - w[:, 0]
    assert np.all(np.sum((m[:, 1] - w[:, 1]) * up, axis=-1) > 0)
    assert np.all(np.sum((m[:, 4] - w[:, 4]) * up, axis=-1) > 0)


def test_views_with_joint_jitter_are_deterministic_and_change_only_extra_views(tiny_bench_dir, bench):
    a = extra_view_sequences(bench, 1, seed=2, input_kind="gt", input_norm="bbox", joint_jitter=0.3)
    b = extra_view_sequences(bench, 1, seed=2, input_kind="gt", input_norm="bbox", joint_jitter=0.3)
    plain = extra_view_sequences(bench, 1, seed=2, input_kind="gt", input_norm="bbox")
    np.testing.assert_array_equal(a.targets[0], b.targets[0])
    assert a.intrinsics == plain.intrinsics
    moved = np.abs(a.targets[0] - plain.targets[0]).max(axis=(0, 2))
    assert np.all(moved[[j for j in range(17) if j not in MOVED]] < 1e-3) and np.all(moved[MOVED] > 1.0)
    cfg = DataConfig(path=str(tiny_bench_dir), input="gt", input_norm="bbox", extra_views=1)
    p, val_p, _ = training_sequences(cfg)
    j, val_j, _ = training_sequences(replace(cfg, joint_jitter=0.3))
    for i, k in enumerate(p.keys):
        assert np.array_equal(p.targets[i], j.targets[i]) == ("/v" not in k), k
    for x, y in zip(val_p.targets, val_j.targets):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("bad", [-0.1, 1.0, True, "0.1"])
def test_bad_joint_jitter_is_refused(bench, bad):
    with pytest.raises(SkelgnnError, match=r"joint jitter \(.*must be a finite number >= 0 and < 1"):
        extra_view_sequences(bench, 1, joint_jitter=bad)


def test_config_checks_joint_jitter(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[model]\nname = "fc"\n[data]\nextra_views = 2\njoint_jitter = 0.4\n')
    assert load_config(path).data.joint_jitter == 0.4
    path.write_text('[model]\nname = "fc"\n[data]\njoint_jitter = 0.4\n')
    with pytest.raises(SkelgnnError, match="joints of the extra views only"):
        load_config(path)
