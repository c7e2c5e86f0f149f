"""The registry itself: a dict of builders and the decorator that fills it (the model files import only this)."""

from __future__ import annotations

from typing import Callable

from torch import nn

__all__ = ["REGISTRY", "register"]

REGISTRY: dict[str, Callable[..., nn.Module]] = {}


def register(name: str):
    """Decorator: register a builder ``fn(skeleton, **kwargs) -> nn.Module`` under ``name``."""

    def deco(fn):
        if name in REGISTRY:
            raise ValueError(f"model {name!r} registered twice")
        REGISTRY[name] = fn
        return fn

    return deco
