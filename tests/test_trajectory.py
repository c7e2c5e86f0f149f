"""skelgnn.lifting.trajectory: the least-squares root recovers a known camera-frame pelvis from its
projection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from skelgnn.core.errors import ShapeError, SkelgnnError
from skelgnn.lifting.trajectory import (
    DEFAULT_FOV_DEG,
    Intrinsics,
    fit_root,
    intrinsics_from_image,
    place_in_camera,
    reprojection_error,
)


def _scene(seed=0, T=6):
    rng = np.random.default_rng(seed)
    rel = rng.normal(0.0, 300.0, (T, 17, 3))
    rel -= rel[:, :1]
    root = np.stack([rng.uniform(-800, 800, T), rng.uniform(-300, 600, T), rng.uniform(2500, 9000, T)], -1)
    k = Intrinsics(1145.0, 1100.0, 512.0, 480.0)
    cam = rel + root[:, None]
    uv = np.stack([k.fx * cam[..., 0] / cam[..., 2] + k.cx, k.fy * cam[..., 1] / cam[..., 2] + k.cy], -1)
    return rel, root, k, uv


def test_exact_projection_gives_the_true_root():
    rel, root, k, uv = _scene()
    r = fit_root(rel, uv, k)
    np.testing.assert_allclose(r, root, atol=1e-6)
    assert reprojection_error(place_in_camera(rel, r), uv, k).max() < 1e-6


def test_gauss_newton_lowers_the_reprojection_error_of_noisy_input():
    rel, root, k, uv = _scene(seed=1, T=40)
    noisy = uv + np.random.default_rng(2).normal(0.0, 4.0, uv.shape)
    lin = fit_root(rel, noisy, k, iterations=0)
    gn = fit_root(rel, noisy, k)

    def squared_px(r):  # per-frame sum of squared pixel residuals, what the Gauss-Newton steps minimise
        q = place_in_camera(rel, r)
        proj = np.stack([k.fx * q[..., 0] / q[..., 2] + k.cx, k.fy * q[..., 1] / q[..., 2] + k.cy], -1)
        return ((proj - noisy) ** 2).sum((-1, -2))

    assert (squared_px(gn) <= squared_px(lin) + 1e-9).all() and squared_px(gn).mean() < squared_px(lin).mean()
    assert reprojection_error(place_in_camera(rel, gn), noisy, k).mean() < 6.0  # about the 4 px noise
    assert np.linalg.norm(gn - root, axis=-1).mean() < 0.02 * np.linalg.norm(root, axis=-1).mean()


def test_a_too_small_skeleton_is_placed_proportionally_closer():
    rel, root, k, uv = _scene(seed=3)
    r = fit_root(0.9 * rel, uv, k)
    np.testing.assert_allclose(r, 0.9 * root, rtol=1e-6)


def test_weights_ignore_a_wrong_joint():
    rel, root, k, uv = _scene(seed=4)
    bad = uv.copy()
    bad[:, 13] += 300.0
    w = np.ones(uv.shape[:2])
    w[:, 13] = 0.0
    np.testing.assert_allclose(fit_root(rel, bad, k, weights=w), root, atol=1e-6)
    assert np.abs(fit_root(rel, bad, k) - root).max() > 10.0


def test_intrinsics_from_image_and_errors():
    k = intrinsics_from_image(1920, 1080)
    assert (k.cx, k.cy) == (960.0, 540.0)
    assert math.isclose(2 * math.degrees(math.atan(960 / k.fx)), DEFAULT_FOV_DEG)
    assert "assumed" in k.source
    assert intrinsics_from_image(640, 480, focal_px=500.0).fx == 500.0
    with pytest.raises(SkelgnnError, match="image size"):
        intrinsics_from_image(0, 480)
    with pytest.raises(SkelgnnError, match="field of view"):
        intrinsics_from_image(640, 480, fov_deg=180.0)
    with pytest.raises(SkelgnnError, match="focal"):
        Intrinsics(0.0, 1.0, 0.0, 0.0)
    rel, _root, k, uv = _scene()
    with pytest.raises(ShapeError):
        fit_root(rel, uv[:, :16], k)
    nan = uv.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(SkelgnnError, match="NaN"):
        fit_root(rel, nan, k)
    with pytest.raises(SkelgnnError, match="weight"):
        fit_root(rel, uv, k, weights=np.zeros(uv.shape[:2]))


def test_a_collapsed_frame_is_interpolated_from_its_neighbours():
    rel, root, k, uv = _scene(seed=6, T=5)
    rel[2] = 0.0  # a degenerate prediction: every joint at the pelvis
    uv[2] = uv[2, :1]
    r = fit_root(rel, uv, k)
    np.testing.assert_allclose(r[[0, 1, 3, 4]], root[[0, 1, 3, 4]], atol=1e-6)
    np.testing.assert_allclose(r[2], 0.5 * (root[1] + root[3]), atol=1e-6)
    with pytest.raises(SkelgnnError, match="in front of the camera"):
        fit_root(np.zeros_like(rel), np.repeat(uv[:, :1], 17, axis=1), k)
