"""Atomic file writes: write to a temporary file in the same folder, fsync, then rename.

A crash or a kill at any moment leaves either the old file or the new one, never a torn file.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_save_npz", "atomic_write_with"]


def atomic_write_with(path: str | os.PathLike, write: Callable[[io.BufferedWriter], None]) -> Path:
    """Call ``write(fh)`` on a temporary binary file, fsync it, and rename it onto ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write_with(path, lambda fh: fh.write(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_save_npz(path: str | os.PathLike, compressed: bool = False, **arrays) -> Path:
    """``np.savez`` (or ``savez_compressed``) to ``path`` atomically. Object arrays are pickled by numpy."""
    saver = np.savez_compressed if compressed else np.savez
    return atomic_write_with(path, lambda fh: saver(fh, **arrays))
