"""skelgnn: Skeletal Graph Neural Networks for hard 3D human pose lifting.

Import the pieces you need from their modules (``skelgnn.skeleton``, ``skelgnn.cameras``,
``skelgnn.core.metrics``, ``skelgnn.models``); nothing heavy happens at import time.
"""

__version__ = "0.1.0"

from .core.errors import SkelgnnError  # noqa: E402
from .core.skeleton import H36M_16, H36M_17, Skeleton  # noqa: E402

__all__ = ["__version__", "SkelgnnError", "Skeleton", "H36M_17", "H36M_16"]
