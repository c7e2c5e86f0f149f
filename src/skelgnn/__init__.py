"""skelgnn: Skeletal Graph Neural Networks for hard 3D human pose lifting.

Import the pieces you need from their modules (``skelgnn.core.skeleton``, ``skelgnn.core.cameras``,
``skelgnn.core.metrics``, ``skelgnn.models``); nothing heavy happens at import time.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:  # one source of truth: the version in pyproject.toml, as installed
    __version__ = _version("skelgnn")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

from .core.errors import SkelgnnError  # noqa: E402
from .core.skeleton import H36M_16, H36M_17, Skeleton  # noqa: E402

__all__ = ["H36M_16", "H36M_17", "Skeleton", "SkelgnnError", "__version__"]
