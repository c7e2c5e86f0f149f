"""Other body proportions for the extra training views (``data.bone_jitter``):
skelgnn.core.skeleton.scale_bones and its use in skelgnn.data.views.extra_view_sequences."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from skelgnn.core.errors import SkelgnnError
from skelgnn.core.skeleton import H36M_16, H36M_17, scale_bones
from skelgnn.data.hdm05_files import load_benchmark
from skelgnn.data.views import bone_generator, draw_bone_factors, extra_view_sequences
from skelgnn.training.config import DataConfig, load_config
from skelgnn.training.datasets import training_sequences


@pytest.fixture(scope="module")
def bench(tiny_bench_dir):
    return load_benchmark(tiny_bench_dir)


def _bones(x, sk=H36M_17):
    """(..., J-1) bone lengths in joint order."""
    return np.stack([np.linalg.norm(x[..., j, :] - x[..., p, :], axis=-1) for p, j in sk.edges], -1)


def _random_pose(rng, n=5, sk=H36M_17):
    return rng.normal(size=(n, sk.num_joints, 3)) * 300.0


def test_bone_groups_pair_each_bone_with_its_mirror():
    g = H36M_17.bone_groups
    assert g[0] == -1 and H36M_17.num_bone_groups == 10
    for a, b in zip(H36M_17.left, H36M_17.right):
        assert g[a] == g[b]
    # every non-mirrored bone (spine, thorax, neck, head) has a group of its own
    singles = [j for j in range(1, 17) if j not in H36M_17.left + H36M_17.right]
    assert len({g[j] for j in singles}) == len(singles) == 4
    assert H36M_16.num_bone_groups == 9


def test_scale_bones_scales_each_bone_by_its_group_factor_and_keeps_directions():
    rng = np.random.default_rng(0)
    x = _random_pose(rng)
    f = rng.uniform(0.7, 1.3, size=10)
    y = scale_bones(x, H36M_17, f)
    expected = _bones(x) * np.array([f[H36M_17.bone_groups[j]] for _, j in H36M_17.edges])
    np.testing.assert_allclose(_bones(y), expected, rtol=1e-10)
    np.testing.assert_array_equal(y[:, 0], x[:, 0])  # root trajectory kept
    for p, j in H36M_17.edges:  # joint angles kept: each bone points the same way
        u = (x[:, j] - x[:, p]) / np.linalg.norm(x[:, j] - x[:, p], axis=-1, keepdims=True)
        v = (y[:, j] - y[:, p]) / np.linalg.norm(y[:, j] - y[:, p], axis=-1, keepdims=True)
        np.testing.assert_allclose(u, v, atol=1e-10)
    np.testing.assert_allclose(scale_bones(x, H36M_17, np.ones(10)), x, atol=1e-9)
    assert not np.shares_memory(y, x)


def test_scale_bones_does_not_need_parents_before_children():
    # the same tree with its joints listed in reverse order gives the same bodies
    perm = list(range(16, -1, -1))
    inv = np.argsort(perm)
    from skelgnn.core.skeleton import Skeleton
    rev = Skeleton("rev", tuple(H36M_17.joint_names[k] for k in perm),
                   tuple(-1 if H36M_17.parents[k] == -1 else int(inv[H36M_17.parents[k]]) for k in perm),
                   tuple(int(inv[k]) for k in H36M_17.left), tuple(int(inv[k]) for k in H36M_17.right))
    rng = np.random.default_rng(1)
    x = _random_pose(rng)
    f = rng.uniform(0.8, 1.2, size=10)
    y = scale_bones(x, H36M_17, f)
    # group numbering follows joint order, so map the factors onto the reversed tree's groups
    f_rev = np.empty(10)
    for j in range(1, 17):
        f_rev[rev.bone_groups[inv[j]]] = f[H36M_17.bone_groups[j]]
    np.testing.assert_allclose(scale_bones(x[:, perm], rev, f_rev), y[:, perm], atol=1e-9)


@pytest.mark.parametrize("joints, factors, match", [
    (np.zeros((4, 16, 3)), np.ones(10), r"shape \(\.\.\., 17, D\)"),
    (np.zeros((4, 17, 3)), np.ones(9), "10 positive finite"),
    (np.zeros((4, 17, 3)), np.r_[np.ones(9), 0.0], "10 positive finite"),
    (np.zeros((4, 17, 3)), np.r_[np.ones(9), np.nan], "10 positive finite"),
])
def test_scale_bones_rejects_bad_input(joints, factors, match):
    with pytest.raises(SkelgnnError, match=match):
        scale_bones(joints, H36M_17, factors)


def test_jittered_views_have_other_bodies_and_the_same_cameras(bench):
    plain = extra_view_sequences(bench, 2, seed=3, input_kind="noisy", input_norm="bbox")
    jit = extra_view_sequences(bench, 2, seed=3, input_kind="noisy", input_norm="bbox", bone_jitter=0.2)
    assert jit.keys == plain.keys and jit.intrinsics == plain.intrinsics
    key = plain.keys[0]
    clip, view = key.rsplit("/v", 1)
    f = draw_bone_factors(bone_generator(3, clip, int(view)), 0.2, 10)
    assert np.all((f >= 0.8) & (f <= 1.2)) and np.ptp(f) > 0.01
    ratio = _bones(jit.targets[0].astype(np.float64)) / _bones(plain.targets[0].astype(np.float64))
    expected = np.array([f[H36M_17.bone_groups[j]] for _, j in H36M_17.edges])
    np.testing.assert_allclose(ratio, np.broadcast_to(expected, ratio.shape), rtol=2e-3)
    for a, b in zip(jit.targets, plain.targets):
        assert not np.allclose(a, b)
    # the same draw again: deterministic; another seed: other bodies
    again = extra_view_sequences(bench, 2, seed=3, input_kind="noisy", input_norm="bbox", bone_jitter=0.2)
    np.testing.assert_array_equal(again.targets[0], jit.targets[0])
    other = extra_view_sequences(bench, 2, seed=4, input_kind="noisy", input_norm="bbox", bone_jitter=0.2)
    assert not np.allclose(_bones(other.targets[0][:1].astype(np.float64)),
                           _bones(jit.targets[0][:1].astype(np.float64)))


@pytest.mark.parametrize("bad", [-0.1, 0.5, 2.0, True, "0.1"])
def test_bad_bone_jitter_is_refused(bench, bad):
    with pytest.raises(SkelgnnError, match=r"bone jitter \(.*must be a finite number >= 0 and < 0\.5"):
        extra_view_sequences(bench, 1, bone_jitter=bad)


def test_bone_jitter_changes_only_the_extra_views(tiny_bench_dir):
    cfg = DataConfig(path=str(tiny_bench_dir), input="gt", input_norm="bbox", extra_views=1)
    plain, val_a, _ = training_sequences(cfg)
    jit, val_b, _ = training_sequences(replace(cfg, bone_jitter=0.15))
    assert plain.keys == jit.keys
    n_bench = sum("/v" not in k for k in plain.keys)
    assert 0 < n_bench < len(plain.keys)
    for i, k in enumerate(plain.keys):
        same = np.array_equal(plain.targets[i], jit.targets[i])
        assert same == ("/v" not in k), k
    for a, b in zip(val_a.targets, val_b.targets):
        np.testing.assert_array_equal(a, b)


def test_config_checks_bone_jitter(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[model]\nname = "fc"\n[data]\nextra_views = 2\nbone_jitter = 0.1\n')
    assert load_config(path).data.bone_jitter == 0.1
    path.write_text('[model]\nname = "fc"\n[data]\nbone_jitter = 0.1\n')
    with pytest.raises(SkelgnnError, match=r"extra views only; set data\.extra_views >= 1"):
        load_config(path)
    path.write_text('[model]\nname = "fc"\n[data]\nextra_views = 2\nbone_jitter = 0.7\n')
    with pytest.raises(SkelgnnError, match=r"data.bone_jitter .* must be a finite number >= 0 and < 0.5"):
        load_config(path)
