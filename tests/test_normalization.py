import numpy as np
import pytest

from skelgnn.core.cameras import denormalize_screen
from skelgnn.core.errors import ShapeError, SkelgnnError
from skelgnn.core.normalization import normalize_bbox, normalize_input


def _pose(n=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(100, 600, size=(n, 17, 2))


def test_bbox_is_pelvis_centred_and_box_scaled():
    x = _pose()
    y = normalize_bbox(x)
    np.testing.assert_allclose(y[:, 0], 0.0)
    np.testing.assert_allclose((y.max(1) - y.min(1)).max(-1), 2.0)  # larger box side maps to 2
    # invariant to image position and scale (focal length, image size, distance to first order)
    np.testing.assert_allclose(normalize_bbox(x * 2.5 + 37.0), y, atol=1e-12)
    assert np.isfinite(normalize_bbox(np.zeros((2, 17, 2)))).all()
    with pytest.raises(ShapeError):
        normalize_bbox(np.zeros((17, 3)))


def test_screen_mode_matches_cameras_and_round_trips():
    x = _pose()
    y = normalize_input(x, "screen", 1000, 800)
    np.testing.assert_allclose(denormalize_screen(y, 1000, 800), x, atol=1e-9)
    with pytest.raises(SkelgnnError, match="unknown input normalisation"):
        normalize_input(x, "zscore", 1000, 800)


def test_atomic_writes_keep_old_file_on_failure_and_use_normal_permissions(tmp_path):
    import os

    from skelgnn.core.io import atomic_write_text, atomic_write_with

    p = tmp_path / "out.txt"
    atomic_write_text(p, "old")
    assert oct(p.stat().st_mode & 0o777) == oct(0o666 & ~_umask())

    def boom(fh):
        fh.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write_with(p, boom)
    assert p.read_text() == "old" and os.listdir(tmp_path) == ["out.txt"]


def _umask():
    import os

    m = os.umask(0)
    os.umask(m)
    return m
