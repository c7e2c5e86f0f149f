"""Test-time flip written here, independently of the library, for the tests that check its values.

The library's rule (skelgnn.core.skeleton.flip_joints): mirror a pose by negating its first coordinate and
swapping every left_* joint with its right_* partner; with test-time flip a prediction is averaged with
the mirrored-back prediction of the mirrored input.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def mirror(x: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Mirror poses (..., J, D): swap left_/right_ joints by name and negate the first coordinate."""
    swap = {"left_": "right_", "right_": "left_"}
    partner = [names.index(next((swap[p] + n[len(p):] for p in swap if n.startswith(p)), n)) for n in names]
    assert partner != list(range(len(names))), "no left/right joints to swap"
    y = np.array(x, dtype=np.float64)[..., partner, :]
    y[..., 0] = -y[..., 0]
    return y


def with_flip(run: Callable[[np.ndarray], np.ndarray], x: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The test-time flip prediction of ``run`` (2D (..., J, 2) -> 3D (..., J, 3)) on ``x``."""
    return 0.5 * (np.asarray(run(x), dtype=np.float64) + mirror(run(mirror(x, names)), names))
