"""The library's own exception types.

Every error that bad input can cause is one of these, so callers (and the CLI) can catch
``SkelgnnError`` and print a one-line message instead of a traceback.
"""

from __future__ import annotations

from os import PathLike

__all__ = ["SkelgnnError", "FormatError", "ShapeError", "MappingError", "CheckpointError", "ParameterError"]


class SkelgnnError(Exception):
    """Base class of every error skelgnn raises on purpose."""


class FormatError(SkelgnnError, ValueError):
    """A file does not follow its format.

    Args:
        path: the file.
        message: what was wrong and what was expected.
        line: 1-based line number, when the format is line based.
    """

    def __init__(self, path: str | PathLike | None, message: str, line: int | None = None) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.detail = message
        where = self.path or "<input>"
        if line is not None:
            where += f", line {line}"
        super().__init__(f"{where}: {message}")


class ShapeError(SkelgnnError, ValueError):
    """An array or tensor has the wrong shape (the message names it and the expected shape)."""


class MappingError(SkelgnnError, KeyError):
    """A joint mapping names a bone, joint or key that does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class CheckpointError(SkelgnnError):
    """A checkpoint is missing, truncated, corrupt or not a skelgnn checkpoint."""


class ParameterError(SkelgnnError, ValueError):
    """Arguments that do not apply to the call (or values they cannot take), named as the function names them.

    The message is ``template`` with every ``{name}`` replaced by the parameter's name; a front end with its
    own names for them (the CLI's options) renders it with :meth:`renamed`.

    Args:
        template: the message, with ``{name}`` where a parameter is named.
        params: the parameters the template names.
    """

    def __init__(self, template: str, params) -> None:
        self.template = template
        self.params = tuple(params)
        super().__init__(self.render({}))

    def render(self, names: dict[str, str]) -> str:
        """The message with each parameter called ``names.get(param, param)``."""
        return self.template.format(**{p: names.get(p, p) for p in self.params})

    def renamed(self, names: dict[str, str]) -> ParameterError:
        """The same error, its parameters called by ``names`` (e.g. ``{"split": "--split"}``)."""
        out = ParameterError(self.template, self.params)
        out.args = (self.render(names),)
        return out
