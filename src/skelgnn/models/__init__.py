"""Model registry: every lifter is built by name.

All models share one contract::

    forward(joints_2d: (B, T, J, 2)) -> (B, T', J, 3),   T' = T - receptive_field + 1

with an int attribute ``receptive_field`` (1 for single-frame models). Inputs are normalised
screen coordinates; outputs are root-relative joints in the units of the training targets.
"""

from __future__ import annotations

from torch import nn

from ..core.errors import SkelgnnError
from ..core.skeleton import Skeleton
from ..core.validate import check_model_kwargs
from .registry import REGISTRY, register
from .registry import migrate as _migrate

__all__ = ["REGISTRY", "register", "build", "names", "migrate"]


def build(name: str, skeleton: Skeleton, **kwargs) -> nn.Module:
    """Build the registered model ``name`` for ``skeleton`` with keyword arguments ``kwargs``."""
    _load_all()
    try:
        fn = REGISTRY[name]
    except KeyError:
        raise SkelgnnError(f"unknown model {name!r}; known: {sorted(REGISTRY)}") from None
    check_model_kwargs(name, kwargs)  # shared arguments (channels, dropout, ...): skelgnn.core.validate
    try:
        return fn(skeleton, **kwargs)
    except TypeError as e:
        raise SkelgnnError(f"model {name!r}: bad arguments {sorted(kwargs)}: {e}") from None
    except SkelgnnError:
        raise
    except (ValueError, RuntimeError, ZeroDivisionError, OverflowError, IndexError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise SkelgnnError(f"model {name!r}: cannot be built with {kwargs}: {msg}") from None


def migrate(name: str, kwargs: dict, state_dict: dict, written_by) -> tuple[dict, dict]:
    """A checkpoint's builder keywords and weights, written by skelgnn ``written_by`` (its
    ``package_version``), rewritten into the form the current builders take (:mod:`.registry`)."""
    _load_all()
    return _migrate(name, kwargs, state_dict, written_by)


def names() -> list[str]:
    """Sorted names of every registered model."""
    _load_all()
    return sorted(REGISTRY)


def _load_all() -> None:
    # Explicit imports (no scanning); deferred so that importing the package stays cheap.
    from . import fc, lcn, semgcn, skeletal_gnn, tcn  # noqa: F401
