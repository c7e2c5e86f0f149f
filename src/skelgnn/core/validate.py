"""Range and type checks of configuration values, each error naming the key, the value and what is expected.

:func:`check_model_kwargs` checks the builder arguments that the registered lifters share (``channels``,
``dropout``, ...) before a model is built, so ``model.kwargs = {channels = 0}`` (in a config, a
benchmark run, ``speed --model-kwargs`` or a crafted checkpoint) is a one-line error instead of a
traceback from inside torch. Arguments a builder does not know are left to the builder.

Every number the user gives goes through these checks: TOML configs and ``--set`` overrides
(:mod:`skelgnn.training.config`), benchmark configs (:mod:`skelgnn.tools.benchmark`) and the numeric
command-line flags, whose argparse types are :func:`arg_type` of the same functions. Seeds are
:func:`seed` (``0 <= seed < 2**64``), thread counts :func:`threads` (at most :data:`MAX_THREADS`).
"""

from __future__ import annotations

import math

from .errors import SkelgnnError

__all__ = ["ConfigError", "MAX_THREADS", "SEED_LIMIT", "integer", "real", "seed", "torch_seed", "threads",
           "parse_number", "arg_type", "show", "check_model_kwargs", "nearest"]


class ConfigError(SkelgnnError, ValueError):
    """A configuration value of the wrong type or out of range.

    ``expected`` (what the value must be, e.g. ``"an integer between 0 and 1024"``) and ``got`` (the value,
    shortened) let the command line word the same check as an argparse usage error (:func:`arg_type`).
    """

    def __init__(self, where: str, expected: str, got) -> None:
        self.where, self.expected, self.got = where, expected, got
        super().__init__(f"{where} must be {expected}, got {show(got)}")


MAX_THREADS = 1024
"""The most CPU threads any setting may ask for (``train.threads``, ``speed --threads``): far above any
machine's cores, and far below the counts at which the OpenMP runtime aborts the process (libgomp cannot
create the threads)."""

SEED_LIMIT = 2 ** 64
"""Seeds are integers in ``[0, 2**64)``, everywhere (config, benchmark, command line); every consumer
(``torch.manual_seed``, :class:`numpy.random.SeedSequence`, PCG64) takes that whole range."""


def show(v) -> str:
    """``repr(v)``, with integers of more than 30 digits shortened (``"123456789012... (401 digits)"``)."""
    if isinstance(v, int) and not isinstance(v, bool):
        try:
            text = str(v)
        except ValueError:  # more digits than Python prints (sys.get_int_max_str_digits)
            return f"an integer of about {int(v.bit_length() * 0.30103)} digits"
        return text if len(text) <= 30 else f"{text[:12]}... ({len(text.lstrip('-'))} digits)"
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _int_text(x: int) -> str:
    """``x``, with the limits of machine integers as powers of two (``2**63 - 1``, ``-2**63``)."""
    for k in (31, 32, 63, 64):
        if x == 2 ** k - 1:
            return f"2**{k} - 1"
        if x == -(2 ** k):
            return f"-2**{k}"
    return str(x)


def _bounds(lo, hi, fmt=_int_text, lo_open=False, hi_open=False) -> str:
    if lo is not None and hi is not None and not lo_open and not hi_open:
        return f" between {fmt(lo)} and {fmt(hi)}"
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {fmt(lo)}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {fmt(hi)}")
    return (" " + " and ".join(parts)) if parts else ""


def integer(v, where: str, lo: int | None = None, hi: int | None = None) -> int:
    """``v`` as an int in ``[lo, hi]`` (bounds optional); booleans, fractions, NaN and infinities are
    refused."""
    expected = "an integer" + _bounds(lo, hi)
    if isinstance(v, bool) or not isinstance(v, (int, float)) \
            or (isinstance(v, float) and not v.is_integer()):
        raise ConfigError(where, expected, v)
    v = int(v)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ConfigError(where, expected, v)
    return v


def real(v, where: str, lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
         hi_open: bool = False) -> float:
    """``v`` as a finite float in the interval given (``lo_open``/``hi_open``: the bound itself excluded)."""
    expected = "a finite number" + _bounds(lo, hi, lambda x: f"{x:g}", lo_open, hi_open)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(where, expected, v)
    try:
        f = float(v)
    except OverflowError:  # an integer beyond the float range (more than 308 digits)
        f = math.inf
    low_bad = lo is not None and (f <= lo if lo_open else f < lo)
    high_bad = hi is not None and (f >= hi if hi_open else f > hi)
    if not math.isfinite(f) or low_bad or high_bad:
        raise ConfigError(where, expected, v)
    return f


def seed(v, where: str) -> int:
    """A seed: an integer in ``[0, 2**64)`` (:data:`SEED_LIMIT`)."""
    return integer(v, where, 0, SEED_LIMIT - 1)


def torch_seed(x: int) -> int:
    """``x`` (any integer, e.g. a seed mixed with an epoch) as a value ``torch.manual_seed`` and
    ``torch.Generator.manual_seed`` accept: congruent modulo 2**64 and in ``[-2**63, 2**63)``, so that a
    small offset added to it (``DistributedSampler`` adds the epoch) stays in range. Values below 2**63 are
    returned unchanged (the seeds of earlier runs give the same draws)."""
    x %= SEED_LIMIT
    return x - SEED_LIMIT if x >= SEED_LIMIT // 2 else x


def threads(v, where: str) -> int:
    """A CPU thread count: 0 (leave the library's choice) to :data:`MAX_THREADS`."""
    try:
        return integer(v, where, 0, MAX_THREADS)
    except ConfigError:
        raise ConfigError(where, f"an integer between 0 (the library's choice) and {MAX_THREADS}", v) \
            from None


def parse_number(text: str) -> int | float:
    """A command-line number: an int when the text is integer digits, else a float (``"1e9"``, ``"nan"``,
    ``"1e400"`` = inf); anything else raises ``ValueError``."""
    text = text.strip()
    try:
        return int(text, 10)
    except ValueError:
        pass
    return float(text)  # ValueError for words; Python's own int-digit limit falls through to float (inf)


def arg_type(check, *args, **kwargs):
    """An argparse ``type=`` built on a check of this module: ``check(value, where, *args, **kwargs)`` on the
    parsed number. A refusal is argparse's one-line usage error ``argument --flag: expected ..., got '...'``.

    ``arg_type(integer, 1, 1 << 20)``, ``arg_type(real, 0.0, 1.0)``, ``arg_type(seed)``.
    """
    import argparse

    def parse(text: str):
        try:
            return check(parse_number(text), "the value", *args, **kwargs)
        except ConfigError as e:
            raise argparse.ArgumentTypeError(f"expected {e.expected}, got {_quote(text)}") from None
        except ValueError:
            expected = _expected(check, *args, **kwargs)
            raise argparse.ArgumentTypeError(f"expected {expected}, got {_quote(text)}") from None

    parse.__name__ = getattr(check, "__name__", "number")
    return parse


def _quote(text: str) -> str:
    """``repr(text)``, shortened beyond 40 characters (``'1000000000...' (401 characters)``)."""
    return repr(text) if len(text) <= 40 else f"{text[:20]!r}... ({len(text)} characters)"


def _expected(check, *args, **kwargs) -> str:
    """What ``check`` expects (its :class:`ConfigError`'s wording for a value it refuses)."""
    try:
        check(None, "", *args, **kwargs)
    except ConfigError as e:
        return e.expected
    return "a number"  # pragma: no cover


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
        raise ConfigError(where, "a table of builder arguments", kwargs)
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
            raise ConfigError(at, "true or false", v)
        elif key in ("filter_widths", "dilations"):
            if not isinstance(v, (list, tuple)):
                raise ConfigError(at, "a list of positive integers", v)
            for x in v:
                integer(x, at, 1, 1023)
