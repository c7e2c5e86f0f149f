"""skelgnn.lifting.smoothing: Savitzky-Golay keeps polynomials and removes noise; One-Euro; bone lengths."""

from __future__ import annotations

import numpy as np
import pytest

from skelgnn.core.errors import ShapeError, SkelgnnError
from skelgnn.core.skeleton import H36M_17
from skelgnn.lifting.smoothing import (
    enforce_bone_lengths,
    median_bone_lengths,
    one_euro,
    postprocess,
    savgol_smooth,
)

PARENTS = H36M_17.parents


def _bone_len(x):
    return np.stack([np.linalg.norm(x[:, j] - x[:, p], axis=-1) for j, p in enumerate(PARENTS) if p >= 0], -1)


def test_savgol_keeps_polynomials_up_to_its_order_edges_included():
    t = np.arange(30, dtype=np.float64)
    x = np.stack([3 + 2 * t - 0.1 * t ** 2, 5 - t], -1)[:, None, :]  # (T, 1, 2)
    np.testing.assert_allclose(savgol_smooth(x, window=9, order=2), x, atol=1e-9)
    cubic = (0.01 * t ** 3)[:, None]
    assert np.abs(savgol_smooth(cubic, window=9, order=2) - cubic).max() > 1e-3


def test_savgol_matches_a_direct_least_squares_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 3))
    out = savgol_smooth(x, window=7, order=2)
    for t in (0, 2, 3, 10, 17, 19):  # edges use the first / last full window
        lo = min(max(t - 3, 0), 20 - 7)
        tt = np.arange(lo, lo + 7)
        coef = np.polyfit(tt, x[lo:lo + 7], 2)
        np.testing.assert_allclose(out[t], np.stack([np.polyval(coef[:, c], t) for c in range(3)]), atol=1e-9)


def test_savgol_reduces_jitter_and_short_clips_work():
    rng = np.random.default_rng(1)
    clean = np.sin(np.linspace(0, 3, 90))[:, None, None] * 100 * np.ones((1, 17, 3))
    noisy = clean + rng.normal(0, 5, clean.shape)
    assert np.abs(savgol_smooth(noisy) - clean).mean() < 0.6 * np.abs(noisy - clean).mean()
    assert savgol_smooth(noisy[:4]).shape == (4, 17, 3)
    np.testing.assert_array_equal(savgol_smooth(noisy[:1]), noisy[:1])
    with pytest.raises(SkelgnnError, match="odd"):
        savgol_smooth(noisy, window=8)
    with pytest.raises(SkelgnnError, match="order"):
        savgol_smooth(noisy, window=5, order=5)


def test_one_euro_is_causal_keeps_constants_and_smooths():
    rng = np.random.default_rng(2)
    const = np.full((50, 17, 3), 7.0)
    np.testing.assert_allclose(one_euro(const, 30.0), const)
    noisy = const + rng.normal(0, 5, const.shape)
    out = one_euro(noisy, 30.0)
    assert np.abs(out - const)[10:].mean() < 0.6 * np.abs(noisy - const)[10:].mean()
    changed = noisy.copy()
    changed[30:] += 100.0
    np.testing.assert_array_equal(one_euro(changed, 30.0)[:30], out[:30])  # the past ignores the future
    with pytest.raises(SkelgnnError, match="frame rate"):
        one_euro(noisy, 0.0)


def test_enforce_bone_lengths_makes_the_skeleton_rigid_and_keeps_directions():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 200, (25, 17, 3))
    x -= x[:, :1]
    med = median_bone_lengths(x, PARENTS)
    y = enforce_bone_lengths(x, PARENTS)
    assert _bone_len(y).std(0).max() < 1e-9
    np.testing.assert_allclose(_bone_len(y)[0], med[1:], rtol=1e-9)
    np.testing.assert_array_equal(y[:, 0], x[:, 0])
    for j, p in enumerate(PARENTS):
        if p >= 0:
            a, b = x[:, j] - x[:, p], y[:, j] - y[:, p]
            cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
            assert cos.min() > 1 - 1e-9
    with pytest.raises(ShapeError):
        enforce_bone_lengths(x[:, :16], PARENTS)


def test_postprocess_chain_and_errors():
    rng = np.random.default_rng(4)
    x = rng.normal(0, 200, (12, 17, 3))
    y = postprocess(x, PARENTS, smooth="savgol", bones=True)
    assert _bone_len(y).std(0).max() < 1e-9
    np.testing.assert_allclose(postprocess(x, PARENTS, smooth=None), x)
    with pytest.raises(SkelgnnError, match="unknown smoothing"):
        postprocess(x, PARENTS, smooth="kalman")
