"""The registry itself: a dict of builders and the decorator that fills it (the model files import only this),
and the checkpoint migrations the model files register beside their builders.

A migration rewrites the model description of a checkpoint written by an older skelgnn (its builder
keywords and weights) into the form of the version that introduced a change, so that the builders keep no
trace of older forms: ``@register_migration("skeletal_gnn", before="0.3.0")`` on
``fn(name, kwargs, state_dict) -> (kwargs, state_dict)`` runs for every checkpoint of that builder whose
``package_version`` is older than 0.3.0 (no recorded version counts as the oldest). Migrations run in the
order of their versions and must leave a description that is already in the new form unchanged (a
checkpoint written by a development version older than its release passes through them too).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from torch import nn

__all__ = ["MIGRATIONS", "REGISTRY", "migrate", "register", "register_migration", "version_key"]

REGISTRY: dict[str, Callable[..., nn.Module]] = {}

Migration = Callable[[str, dict, dict], "tuple[dict, dict]"]
#: (version it migrates to, builder names, function), in the order they were registered.
MIGRATIONS: list[tuple[tuple[int, ...], frozenset[str], Migration]] = []


def register(name: str):
    """Decorator: register a builder ``fn(skeleton, **kwargs) -> nn.Module`` under ``name``."""

    def deco(fn):
        if name in REGISTRY:
            raise ValueError(f"model {name!r} registered twice")
        REGISTRY[name] = fn
        return fn

    return deco


def version_key(version) -> tuple[int, ...]:
    """``"0.2.0"`` -> ``(0, 2, 0)``: the release numbers of a version string; anything without them
    (``None``, ``"0+unknown"``, not a string) sorts as the oldest, ``(0,)``.

    Example:
        >>> version_key("0.10.1") > version_key("0.9") > version_key(None)
        True
    """
    match = re.match(r"\s*v?(\d+(?:\.\d+)*)", version) if isinstance(version, str) else None
    key = tuple(int(x) for x in match.group(1).split(".")) if match else (0,)
    while len(key) > 1 and key[-1] == 0:
        key = key[:-1]
    return key


def register_migration(*names: str, before: str):
    """Decorator: run ``fn(name, kwargs, state_dict) -> (kwargs, state_dict)`` on the checkpoints of the
    builders ``names`` written by a version older than ``before``."""

    def deco(fn):
        MIGRATIONS.append((version_key(before), frozenset(names), fn))
        return fn

    return deco


def migrate(name: str, kwargs: dict, state_dict: dict, written_by) -> tuple[dict, dict]:
    """The builder keywords and weights of a checkpoint of ``name`` written by version ``written_by``, in the
    current form (the inputs are not modified; unchanged when no migration applies)."""
    version = version_key(written_by)
    for before, names, fn in sorted(MIGRATIONS, key=lambda m: m[0]):
        if name in names and version < before:
            kwargs, state_dict = fn(name, dict(kwargs), state_dict)
    return kwargs, state_dict
