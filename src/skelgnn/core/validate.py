"""Range and type checks of configuration values, each error naming the key, the value and what is expected.

:func:`check_model_kwargs` checks the builder arguments that the registered lifters share (``channels``,
``dropout``, ...) before a model is built, so ``model.kwargs = {channels = 0}`` (in a config, a
benchmark run, ``speed --model-kwargs`` or a crafted checkpoint) is a one-line error instead of a
traceback from inside torch. Arguments a builder does not know are left to the builder.
"""

from __future__ import annotations

import math

from .errors import SkelgnnError

__all__ = ["ConfigError", "integer", "real", "check_model_kwargs", "nearest"]


class ConfigError(SkelgnnError, ValueError):
    """A configuration value of the wrong type or out of range."""


def integer(v, where: str, lo: int | None = None, hi: int | None = None) -> int:
    """``v`` as an int in ``[lo, hi]`` (bounds optional); booleans and fractions are refused."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) \
            or (isinstance(v, float) and not v.is_integer()):
        raise ConfigError(f"{where} must be an integer, got {v!r}")
    v = int(v)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        bounds = f">= {lo}" if hi is None else f"between {lo} and {hi}" if lo is not None else f"<= {hi}"
        raise ConfigError(f"{where} must be an integer {bounds}, got {v!r}")
    return v


def real(v, where: str, lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
         hi_open: bool = False) -> float:
    """``v`` as a finite float in the interval given (``lo_open``/``hi_open``: the bound itself excluded)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(f"{where} must be a number, got {v!r}")
    try:
        f = float(v)
    except OverflowError:
        f = math.inf
    low_bad = lo is not None and (f <= lo if lo_open else f < lo)
    high_bad = hi is not None and (f >= hi if hi_open else f > hi)
    if not math.isfinite(f) or low_bad or high_bad:
        parts = []
        if lo is not None:
            parts.append(f"{'>' if lo_open else '>='} {lo:g}")
        if hi is not None:
            parts.append(f"{'<' if hi_open else '<='} {hi:g}")
        raise ConfigError(f"{where} must be a finite number{' ' + ' and '.join(parts) if parts else ''}, got "
                          f"{v!r}")
    return f


def nearest(names, allowed) -> str:
    """``" (did you mean 'x'?)"`` for the first of ``names`` with a close match in ``allowed`` (difflib),
    or ``""``."""
    import difflib

    for name in sorted(map(str, names)):
        close = difflib.get_close_matches(name, [str(a) for a in allowed], n=1)
        if close:
            return f" (did you mean {close[0]!r} for {name!r}?)"
    return ""


# name -> check(value, where); shared builder arguments of the registered lifters
_POSITIVE_INT = {"channels": (1, 8192), "S": (0, 64), "L": (1, 64), "knn": (1, 64),
                 "temporal_kernel": (1, 1023)}
_BOOLS = ("max_norm", "nonlocal_layers", "mask_dynamic", "root_relative", "o_scale", "o_gate")


def check_model_kwargs(name: str, kwargs, where: str = "model.kwargs") -> None:
    """Check the shared builder arguments of model ``name``; raise :class:`ConfigError` naming the key."""
    if not isinstance(kwargs, dict):
        raise ConfigError(f"{where} must be a table of builder arguments, got {kwargs!r}")
    for key, v in kwargs.items():
        at = f"{where}.{key} (model {name!r})"
        if key in _POSITIVE_INT:
            integer(v, at, *_POSITIVE_INT[key])
        elif key == "num_blocks":
            integer(v, at, 0, 1000)
        elif key == "dropout":
            real(v, at, 0.0, 1.0, hi_open=True)
        elif key == "d":
            real(v, at, 0.0, 1.0, lo_open=True)
        elif key in _BOOLS and not isinstance(v, bool):
            raise ConfigError(f"{at} must be true or false, got {v!r}")
        elif key in ("filter_widths", "dilations"):
            if not isinstance(v, (list, tuple)):
                raise ConfigError(f"{at} must be a list of positive integers, got {v!r}")
            for x in v:
                integer(x, at, 1, 1023)
