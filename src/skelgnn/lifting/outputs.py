"""One output guard for every command: check where results will go before any work is done.

:func:`check_outputs` refuses

* an output that is one of the command's inputs (the same file after resolving links, hard links
  included), or two outputs that are the same file;
* an existing directory where a file is expected, or an existing file where a folder is expected;
* an output whose folder cannot be created or written (the nearest existing ancestor is a file, or
  is not writable);
* an output inside the installed skelgnn package (its bundled assets, e.g. ``viewer.html``);
* an existing output that is not a regular file once links are resolved (a FIFO, a device, a socket,
  a link to ``/dev/stdout``), and anything under ``/proc``, ``/sys`` or ``/dev``.

Replacing an existing unrelated file stays allowed: :func:`check_outputs` returns those files so
that the CLI can say so. All checks raise :class:`OutputError` naming the path and the option.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..core.errors import SkelgnnError

__all__ = ["OutputError", "check_outputs", "same_file"]

PathLike = str | os.PathLike


class OutputError(SkelgnnError, ValueError):
    """An output path that would destroy an input, or that cannot be written."""


def same_file(a: PathLike, b: PathLike) -> bool:
    """True when ``a`` and ``b`` name the same existing file (links resolved), or the same path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


_PACKAGE = Path(__file__).resolve().parents[1]  # the installed skelgnn package folder
_SPECIAL_TREES = (Path("/proc"), Path("/sys"), Path("/dev"))


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop
        raise OutputError(f"{path}: cannot resolve the path (a loop of symbolic links?)") from None


def _not_special(path: Path, what: str) -> None:
    """Refuse the package's own files, the kernel's trees and existing files that are not regular files."""
    import stat

    real = _resolved(path)
    if real == _PACKAGE or _PACKAGE in real.parents:
        raise OutputError(f"{what} {path}: is inside the installed skelgnn package ({_PACKAGE}); skelgnn "
                          "never writes over its own files: choose another path")
    for tree in _SPECIAL_TREES:
        if real == tree or tree in real.parents:
            raise OutputError(f"{what} {path}: is under {tree}, not a place for output files; choose another "
                              "path")
    try:
        st = os.stat(real)
    except OSError:
        return  # a new path
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        kind = ("a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a special file")
        link = f" (a link to {real})" if real != path.absolute() else ""
        raise OutputError(f"{what} {path}: is {kind}{link}, not a regular file; skelgnn writes regular files "
                          "only: choose another path")


def _writable_parent(path: Path, what: str) -> None:
    """The nearest existing ancestor of ``path`` must be a writable folder (missing folders get created)."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        if parent.is_symlink():  # a dangling link: mkdir would fail
            raise OutputError(f"{what} {path}: {parent} is a broken link")
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{what} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {path}: the folder {parent} is not writable")


def _input_files(inputs: Iterable[PathLike | None]) -> dict[tuple[int, int], Path]:
    """``{(device, inode): path}`` of the existing input files; a folder stands for the files directly in
    it."""
    out: dict[tuple[int, int], Path] = {}

    def add(p: Path) -> None:
        try:
            st = p.stat()  # follows links: a link and its target are the same file
        except OSError:
            return
        out.setdefault((st.st_dev, st.st_ino), p)

    for p in inputs:
        if p is None:
            continue
        p = Path(p)
        if p.is_dir():
            try:
                for q in p.iterdir():
                    if q.is_file():
                        add(q)
            except OSError:
                pass
        else:
            add(p)
    return out


def check_outputs(files: dict[str, PathLike | None] | None = None, *, inputs: Iterable[PathLike | None] = (),
                  folders: dict[str, tuple[PathLike | None, Iterable[str]]] | None = None) -> list[Path]:
    """Check output files and folders against the inputs before any work; raise :class:`OutputError`.

    Args:
        files: ``{option: path}`` of files to be written (``None`` values are skipped), e.g.
            ``{"--json": "report.json"}``.
        inputs: files or folders the command reads (a folder covers the files directly in it).
        folders: ``{option: (folder, names)}``: output folders and the file names written into them.

    Returns:
        the existing files among ``files`` that will be replaced (unrelated to every input).
    """
    ins = _input_files(inputs)
    targets: list[tuple[str, Path]] = []
    for opt, (folder, names) in (folders or {}).items():
        if folder is None:
            continue
        folder = Path(folder)
        what = f"output folder ({opt})"
        _not_special(folder, what)
        if folder.exists() and not folder.is_dir():
            raise OutputError(f"{what} {folder}: is an existing file, not a folder; choose another path")
        if folder.is_dir():
            if not os.access(folder, os.W_OK | os.X_OK):
                raise OutputError(f"{what} {folder}: the folder is not writable")
        else:
            _writable_parent(folder, what)
        for n in names:
            _not_special(folder / n, f"{what} file")
        targets.extend((f"{opt} {folder}", folder / n) for n in names)
    replaced = []
    for opt, path in (files or {}).items():
        if path is None:
            continue
        path = Path(path)
        what = f"output ({opt})"
        _not_special(path, what)
        if path.is_dir():
            raise OutputError(f"{what} {path}: is an existing folder; expected a file path")
        _writable_parent(path, what)
        targets.append((opt, path))
        if path.exists():
            replaced.append(path)
    for i, (opt, path) in enumerate(targets):
        try:
            st = path.stat()
            p = ins.get((st.st_dev, st.st_ino))
        except OSError:  # not there yet: no input can be it
            p = None
        if p is not None:
            raise OutputError(f"output ({opt}) {path} is also an input ({p}); writing it would destroy "
                              "the input: choose another output path")
        for opt2, path2 in targets[:i]:
            if same_file(path, path2):
                raise OutputError(f"outputs {opt2} and {opt} are the same file {path}; give each its own "
                                  "path")
    return replaced
