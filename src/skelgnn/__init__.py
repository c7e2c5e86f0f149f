"""skelgnn: Skeletal Graph Neural Networks for hard 3D human pose lifting.

``skelgnn.Lifter`` is the Python API (:mod:`skelgnn.lifting.api`): ``skelgnn.Lifter.default().lift(keypoints,
width=..., height=...)``. Import other pieces from their modules (``skelgnn.core.skeleton``,
``skelgnn.core.cameras``, ``skelgnn.core.metrics``, ``skelgnn.models``); nothing heavy happens at import time
(``Lifter`` and ``LiftResult`` are imported on first use).
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:  # one source of truth: the version in pyproject.toml, as installed
    __version__ = _version("skelgnn")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

from .core.errors import SkelgnnError
from .core.skeleton import H36M_16, H36M_17, Skeleton

__all__ = ["H36M_16", "H36M_17", "LiftResult", "Lifter", "Skeleton", "SkelgnnError", "__version__"]

_LAZY = {"Lifter": "skelgnn.lifting.api", "LiftResult": "skelgnn.lifting.api"}


def __getattr__(name: str):
    """``skelgnn.Lifter`` and ``skelgnn.LiftResult``, imported (with torch) on first use."""
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skelgnn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
