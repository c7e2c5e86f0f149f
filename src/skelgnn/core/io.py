"""Atomic file writes (write to a temporary file in the same folder, fsync, then rename) and npz reading.

A crash or a kill at any moment leaves either the old file or the new one, never a torn file. The
temporary file is named ``.<name>.skelgnn-<pid>-<random>.tmp``; one left behind by a killed process is
removed by the next successful write of the same file (:func:`stale_temp_files`), and nothing else is.
:func:`read_npz` reads the members of an npz so that a damaged file only ever raises a
:class:`~skelgnn.core.errors.FormatError`.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from glob import escape as glob_escape
from pathlib import Path

import numpy as np

from .errors import FormatError, SkelgnnError

__all__ = ["one_line", "atomic_write_bytes", "atomic_write_text", "atomic_save_npz", "atomic_write_with",
           "read_npz", "stale_temp_files", "WriteError", "NAME_MAX", "FolderLockedError", "LOCK_NAME",
           "folder_lock"]


def one_line(text) -> str:
    """``text`` as it may go into single-line metadata (a CSV ``#`` comment, a header line): unchanged when
    every character is printable, else its ``repr`` (quoted, with ``\\n``, ``\\t``, ``\\x1b`` ... escaped),
    so a newline or control character in a file name cannot break or forge a line."""
    text = str(text)
    return text if text.isprintable() else repr(text)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


NAME_MAX = 255
"""The longest file name (bytes) most file systems take; temporary names stay within it."""


class WriteError(SkelgnnError, OSError):
    """Writing an output failed (disk full, no permission, a name too long, ...); the message names the
    path."""


def _temp_stem(name: str) -> str:
    """``.<name>`` for the temporary files of ``name``, shortened (with a hash) so that the whole temporary
    name (stem + ``.skelgnn-<pid>-<random>.tmp``, at most 48 more bytes) fits :data:`NAME_MAX`."""
    stem = f".{name}"
    if len(stem.encode("utf-8", "surrogateescape")) <= NAME_MAX - 48:
        return stem
    import hashlib

    digest = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    short = name.encode("utf-8", "surrogateescape")[:NAME_MAX - 48 - 14].decode("utf-8", "ignore")
    return f".{short}~{digest}"


def stale_temp_files(path: str | os.PathLike) -> list[Path]:
    """Temporary files of atomic writes of ``path`` whose writing process no longer runs."""
    path = Path(path)
    out = []
    stem = _temp_stem(path.name)
    for tmp in path.parent.glob(f"{glob_escape(stem)}.skelgnn-*-*.tmp"):
        pid = tmp.name[len(stem) + len(".skelgnn-"):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            out.append(tmp)
    return out


def atomic_write_with(path: str | os.PathLike, write: Callable[[io.BufferedWriter], None]) -> Path:
    """Call ``write(fh)`` on a temporary binary file, fsync it, and rename it onto ``path``.

    Every ``OSError`` on the way (a full disk at fsync, no permission, a read-only file system, a name
    too long) is a one-line :class:`WriteError` naming ``path`` and the reason; the temporary file is removed.
    """
    path = Path(path)
    try:
        return _atomic_write_with(path, write)
    except WriteError:
        raise
    except OSError as e:
        reason = e.strerror or str(e) or type(e).__name__
        raise WriteError(f"{path}: cannot write: {reason}") from None


def _atomic_write_with(path: Path, write: Callable[[io.BufferedWriter], None]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{_temp_stem(path.name)}.skelgnn-{os.getpid()}-", suffix=".tmp",
                               dir=path.parent)
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
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    for stale in stale_temp_files(path):  # left by a killed writer of the same file
        stale.unlink(missing_ok=True)
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


def atomic_save_npz(path: str | os.PathLike, compressed: bool = False, *, plain: bool = False,
                    **arrays) -> Path:
    """``np.savez`` (or ``savez_compressed``) to ``path`` atomically. Object arrays are pickled by numpy.

    ``plain=True`` (user-facing outputs): every member must be a plain numeric, boolean or string
    array; a value numpy would store as a pickled object array (a dict, or an int beyond int64) raises
    :class:`FormatError` naming the member, since reading it back would need unsafe unpickling.
    """
    if plain:
        for key, value in arrays.items():
            if np.asarray(value).dtype.hasobject:
                raise FormatError(path, f"member {key!r} ({type(value).__name__}) cannot be stored as a "
                                        "plain array (numbers, booleans or strings); nothing was written")
    saver = np.savez_compressed if compressed else np.savez
    return atomic_write_with(path, lambda fh: saver(fh, **arrays))


def read_text_lines(path: str | os.PathLike, expected: str) -> list[str]:
    """Lines of a text file with any line ends, Latin-1 decoded (never fails on a byte), each stripped.

    Args:
        path: the file.
        expected: what the file should be, for the error, e.g. ``"a BVH file"``.

    Raises:
        FormatError: ``path`` is a folder.
    """
    if os.path.isdir(path):
        raise FormatError(path, f"is a folder; expected {expected}")
    with open(path, encoding="latin-1", newline=None) as f:
        lines = f.read().split("\n")
    if lines[-1] == "":
        lines.pop()  # a final line end does not start another line
    return [s.strip() for s in lines]


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0]}" if text else type(e).__name__


def read_npz(path: str | os.PathLike, keys: Iterable[str] | None = None, *, allow_pickle: bool = False,
             encoding: str = "ASCII") -> tuple[list[str], dict[str, np.ndarray]]:
    """Open an npz and decode its members, turning every decoding failure into a :class:`FormatError`.

    numpy, zipfile, zlib, the npy header parser and (with ``allow_pickle``) pickle raise almost any
    exception type on a damaged file (found by fuzzing), and numpy hands back the raw bytes of a member
    that is no ``.npy`` array; callers see only ``FormatError`` naming the file and the member.

    Args:
        path: the file (must exist).
        keys: the members to decode (without ``.npy``); those absent from the file are skipped (the
            caller reports what is missing). ``None``: every member.
        allow_pickle: passed to :func:`numpy.load` (only for files you trust).
        encoding: passed to :func:`numpy.load` (``"latin1"`` for Python 2 pickles).

    Returns:
        ``(names, arrays)``: every member name of the file, and the decoded arrays of ``keys``.
    """
    try:
        npz = np.load(path, allow_pickle=allow_pickle, encoding=encoding)
    except FileNotFoundError:
        raise
    except Exception as e:  # a decoding boundary: report, never crash
        if "allow_pickle" in str(e):  # numpy's last guess for unknown bytes; never suggest unsafe loading
            raise FormatError(path, "not a readable npz file (neither a zip of .npy arrays nor an .npy "
                                    "array)") \
                from None
        raise FormatError(path, f"not a readable npz file ({_first_line(e)})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        kind = "pickled object" if allow_pickle and not isinstance(npz, np.ndarray) else ".npy array"
        raise FormatError(path, f"not a readable npz file (it holds a single {kind}, not a zip of arrays)")
    with npz:
        names = list(npz.files)
        arrays = {}
        for key in names if keys is None else [k for k in keys if k in names]:
            try:
                value = npz[key]
            except ValueError as e:
                if "allow_pickle" in str(e):
                    raise FormatError(path, f"member {key!r} holds pickled Python objects, which are not "
                                            "read (expected plain numeric or string arrays)") from None
                raise FormatError(path, f"member {key!r} cannot be decoded ({_first_line(e)})") from None
            except Exception as e:  # a decoding boundary: report, never crash
                raise FormatError(path, f"member {key!r} cannot be decoded ({_first_line(e)})") from None
            if not isinstance(value, np.ndarray):
                raise FormatError(path, f"member {key!r} is not a .npy array (expected {key}.npy)")
            if value.dtype.kind == "U" and value.size and value.dtype.itemsize:
                native = value.astype(value.dtype.newbyteorder("=")).reshape(-1)
                if (np.ascontiguousarray(native).view(np.uint32) > 0x10FFFF).any():
                    # numpy keeps such code points; Python string methods then fail with SystemError
                    raise FormatError(path, f"member {key!r} holds invalid text (code points beyond "
                                            "U+10FFFF)")
            arrays[key] = value
    return names, arrays


# ------------------------------------------------------------------------------- one writer per folder
LOCK_NAME = ".skelgnn.lock"
"""The lock file in a run folder; it holds the pid of the process writing into the folder."""

_held: dict[str, list] = {}  # resolved folder -> [fd, depth]: the locks this process holds (re-entrant)


class FolderLockedError(SkelgnnError):
    """Another process is writing into the same run folder."""


@contextmanager
def folder_lock(folder: str | os.PathLike, what: str = "run folder") -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` (created if missing) while the block runs.

    The lock is :func:`fcntl.flock` on ``folder/.skelgnn.lock``, which holds the holder's pid; the operating
    system releases it when the holder exits or is killed, so a stale lock file never blocks. A second
    process gets :class:`FolderLockedError` naming the holder's pid; the same process may nest locks of
    one folder. Where ``fcntl`` is missing (Windows) the block runs unlocked.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SkelgnnError(f"{folder}: cannot create the {what}: {e.strerror or e}") from None
    key = str(folder.resolve())
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield folder
        return
    if key in _held:
        _held[key][1] += 1
        try:
            yield folder
        finally:
            _held[key][1] -= 1
        return
    path = folder / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # never O_TRUNC: the holder's pid stays readable
    except OSError as e:
        raise SkelgnnError(f"{path}: cannot open the lock file of the {what}: {e.strerror or e}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        try:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        finally:
            os.close(fd)
        raise FolderLockedError(f"{folder}: another skelgnn process (pid {holder}) is writing into this "
                                f"{what}; wait for it to finish or choose another output folder") from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        pass
    _held[key] = [fd, 1]
    try:
        yield folder
    finally:
        del _held[key]
        with suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # releases the lock
