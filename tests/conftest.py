"""Shared fixtures: the real HDM05 folder (../shared beside the repo) and a tiny benchmark built from it."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HDM05 = REPO.parent / "shared" / "data" / "hdm05"

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


def _need_hdm05() -> Path:
    if not (HDM05 / "MANIFEST.tsv").is_file():
        pytest.skip(f"the HDM05 data is not at {HDM05}")
    return HDM05


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
