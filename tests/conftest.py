"""Shared fixtures: the real HDM05 folder (../shared beside the repo) and a tiny benchmark built from it.

Tests that need ``../shared`` (the HDM05 data, the docs) call :func:`need_shared`: without the folder they
skip with a reason naming the missing path, and the run ends with a warning listing them. CI sets
``SKELGNN_REQUIRE_SHARED=1`` (``.ci/run``), which turns those skips into failures.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
HDM05 = SHARED / "data" / "hdm05"
REQUIRE_SHARED_ENV = "SKELGNN_REQUIRE_SHARED"
NEEDS_SHARED = "needs ../shared:"  # every skip reason of need_shared starts with this

# 13 short training clips (so that every 10th is a validation clip) and 3 short test clips
TINY_CLIPS = (
    "HDM_bk_hopBothLegs1hops_020_120.amc", "HDM_dg_hopBothLegs1hops_026_120.amc",
    "HDM_dg_hopBothLegs1hops_029_120.amc", "HDM_bd_hopBothLegs1hops_005_120.amc",
    "HDM_dg_hopBothLegs1hops_028_120.amc", "HDM_bd_hopBothLegs1hops_002_120.amc",
    "HDM_bd_hopBothLegs1hops_001_120.amc", "HDM_bd_hopBothLegs1hops_003_120.amc",
    "HDM_bd_rotateArmsBothBackward1Reps_003_120.amc", "HDM_bk_hopBothLegs1hops_013_120.amc",
    "HDM_dg_rotateArmsBothBackward1Reps_010_120.amc", "HDM_bd_rotateArmsBothBackward1Reps_004_120.amc",
    "HDM_bk_hopBothLegs1hops_014_120.amc",
    "HDM_mm_rotateArmsBothBackward1Reps_013_120.amc", "HDM_tr_rotateArmsBothBackward1Reps_015_120.amc",
    "HDM_mm_hopBothLegs1hops_031_120.amc",
)


def shared_required() -> bool:
    """True when ``SKELGNN_REQUIRE_SHARED`` is set to anything but empty/0 (CI: a missing ../shared fails)."""
    return os.environ.get(REQUIRE_SHARED_ENV, "").strip() not in ("", "0")


def need_shared(path: Path, what: str) -> Path:
    """``path`` (inside ../shared) if it exists; else skip loudly, or fail under SKELGNN_REQUIRE_SHARED=1."""
    if path.exists():
        return path
    reason = (f"{NEEDS_SHARED} {what} is not at {path} (check out the shared folder beside the repository "
              f"as {SHARED})")
    if shared_required():
        pytest.fail(f"{reason}; {REQUIRE_SHARED_ENV}=1 (CI) requires it", pytrace=False)
    pytest.skip(reason)


def _need_hdm05() -> Path:
    need_shared(HDM05 / "MANIFEST.tsv", "the HDM05 data (MANIFEST.tsv)")
    return HDM05


@pytest.fixture
def need_shared_path():
    """:func:`need_shared` for test modules (``need_shared_path(path, what)``)."""
    return need_shared


@pytest.fixture(scope="session")
def hdm05_dir() -> Path:
    return _need_hdm05()


@pytest.fixture(scope="session")
def tiny_hdm05_src(tmp_path_factory) -> Path:
    """A folder shaped like the HDM05 data (asf/, amc/, MANIFEST.tsv) holding 16 short real clips."""
    src = _need_hdm05()
    out = tmp_path_factory.mktemp("hdm05_tiny")
    (out / "asf").mkdir()
    (out / "amc").mkdir()
    for asf in (src / "asf").iterdir():
        (out / "asf" / asf.name).symlink_to(asf)
    with open(src / "MANIFEST.tsv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    keep = [rows[0]] + [r for r in rows[1:] if r and r[0] in TINY_CLIPS]
    assert len(keep) == len(TINY_CLIPS) + 1
    for r in keep[1:]:
        (out / "amc" / r[0]).symlink_to(src / "amc" / r[0])
    with open(out / "MANIFEST.tsv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter="\t", lineterminator="\n").writerows(keep)
    return out


@pytest.fixture(scope="session")
def tiny_bench_dir(tiny_hdm05_src, tmp_path_factory) -> Path:
    """HDM05-Lift built (through the CLI) from the 16 tiny clips."""
    from skelgnn.cli import main

    out = tmp_path_factory.mktemp("tiny_bench")
    assert main(["data", "hdm05", "--src", str(tiny_hdm05_src), "--out", str(out), "--quiet"]) == 0
    return out


# ------------------------------------------------------------------------------ no bundled default.pt
class _Hiding:
    """A resource folder (``importlib.resources.files(...)``) in which files named ``hidden`` are absent."""

    def __init__(self, inner, hidden: str, absent: Path) -> None:
        self._inner, self._hidden, self._absent = inner, hidden, absent

    def joinpath(self, *parts):
        child = self._inner.joinpath(*parts)
        if child.name == self._hidden:
            return self._absent / self._hidden  # a path that does not exist: is_file() False, open() fails
        return _Hiding(child, self._hidden, self._absent) if child.is_dir() else child

    __truediv__ = joinpath

    def iterdir(self):
        return (c for c in self._inner.iterdir() if c.name != self._hidden)

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def __fspath__(self) -> str:
        return os.fspath(self._inner)

    def __str__(self) -> str:
        return str(self._inner)


@pytest.fixture
def no_bundled_checkpoint(monkeypatch, tmp_path) -> None:
    """This installation without its bundled ``skelgnn/assets/default.pt``, whether or not it ships one.

    The library finds its assets through ``importlib.resources.files``; every way to reach it (the
    function in ``importlib.resources`` and names bound to it in skelgnn's modules) answers for skelgnn's
    package with a folder lacking ``default.pt``.
    """
    import importlib.resources
    import sys

    real = importlib.resources.files
    absent = tmp_path / "no-bundled-assets"

    def files(anchor=None):
        if anchor is None:  # files() names its caller's package
            anchor = sys._getframe(1).f_globals.get("__name__")
        res = real(anchor)
        name = anchor if isinstance(anchor, str) else getattr(anchor, "__name__", "")
        return _Hiding(res, "default.pt", absent) if name.split(".")[0] == "skelgnn" else res

    monkeypatch.setattr(importlib.resources, "files", files)
    for mod_name, mod in list(sys.modules.items()):
        if mod_name.split(".")[0] == "skelgnn" and getattr(mod, "files", None) is real:
            monkeypatch.setattr(mod, "files", files)


# ---------------------------------------------------------------------------------------- loud skips
def pytest_report_header(config) -> str:
    found = "found" if (HDM05 / "MANIFEST.tsv").is_file() else "MISSING: the tests that need it will skip"
    req = f"; {REQUIRE_SHARED_ENV}=1: skipping them fails" if shared_required() else ""
    return f"skelgnn: ../shared HDM05 data at {HDM05}: {found}{req}"


def _names_shared(report) -> bool:
    """A skip report whose reason is need_shared's, or names the ../shared folder."""
    if not isinstance(report.longrepr, tuple):
        return False
    reason = str(report.longrepr[2])
    return NEEDS_SHARED in reason or str(SHARED) in reason


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under SKELGNN_REQUIRE_SHARED=1 a skip that names ../shared, raised any other way (a skipif, a
    plain pytest.skip), fails too."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and shared_required() and _names_shared(report):
        reason = str(report.longrepr[2])
        report.outcome = "failed"
        report.longrepr = f"{reason}\n{REQUIRE_SHARED_ENV}=1 (CI) requires ../shared; this test may not skip"


def pytest_terminal_summary(terminalreporter) -> None:
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if _names_shared(r)]
    if skipped:
        title = f"{len(skipped)} test(s) SKIPPED because ../shared is missing"
        terminalreporter.write_sep("!", title, red=True, bold=True)
        for reason in sorted({str(r.longrepr[2]) for r in skipped}):
            terminalreporter.write_line(f"  {reason}")
        terminalreporter.write_line(f"  (CI sets {REQUIRE_SHARED_ENV}=1, where these skips fail)")


@pytest.fixture
def one_thread():
    """Torch on one thread for the test (tiny tensors: OpenMP overhead dominates on a shared, busy machine);
    modules opt in with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
