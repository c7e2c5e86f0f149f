"""The ../shared guard: tests needing it skip loudly, naming the path; CI (.ci/run) makes such a skip fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_PROBE = '''
import pytest
from conftest import SHARED


def test_uses_the_data(hdm05_dir):
    assert hdm05_dir.is_dir()


def test_asks_for_a_file(need_shared_path):
    need_shared_path(SHARED / "docs" / "BENCHMARK.md", "the benchmark spec")


@pytest.mark.skipif(True, reason=f"no data in {SHARED}")
def test_skipif_naming_shared():
    pass


@pytest.mark.skip(reason="unrelated to ../shared")
def test_other_skip():
    pass
'''


def _run_probe(tmp_path: Path, require: str | None) -> subprocess.CompletedProcess:
    """pytest over the probe tests with this repository's conftest, in a tree with no ../shared beside it."""
    tree = tmp_path / "clone"
    (tree / "tests").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "conftest.py", tree / "tests" / "conftest.py")
    (tree / "tests" / "test_probe.py").write_text(_PROBE)
    assert not (tmp_path / "shared").exists()
    env = {k: v for k, v in os.environ.items() if k != "SKELGNN_REQUIRE_SHARED"}
    if require is not None:
        env["SKELGNN_REQUIRE_SHARED"] = require
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-ra", "-q", "tests"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=300)


def test_missing_shared_skips_loudly(tmp_path):
    for require in (None, "0"):
        r = _run_probe(tmp_path / f"r{require}", require)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "4 skipped" in r.stdout, r.stdout
        shared = tmp_path / f"r{require}" / "shared"
        assert f"needs ../shared: the HDM05 data (MANIFEST.tsv) is not at {shared}/data/hdm05/MANIFEST.tsv" \
               in r.stdout
        assert f"needs ../shared: the benchmark spec is not at {shared}/docs/BENCHMARK.md" in r.stdout
        assert "3 test(s) SKIPPED because ../shared is missing" in r.stdout


def test_missing_shared_fails_when_required(tmp_path):
    r = _run_probe(tmp_path, "1")
    assert r.returncode == 1, r.stdout + r.stderr
    # the two need_shared tests and the skipif naming ../shared fail; the unrelated skip stays a skip
    assert "1 failed, 1 skipped, 2 errors" in r.stdout and "unrelated to ../shared" in r.stdout, r.stdout
    summary = r.stdout.split("short test summary info")[1]
    assert "FAILED tests/test_probe.py::test_asks_for_a_file" in summary  # pytest.fail in the test
    assert "ERROR tests/test_probe.py::test_uses_the_data" in summary  # in the hdm05_dir fixture
    assert "ERROR tests/test_probe.py::test_skipif_naming_shared" in summary  # turned into a failure
    assert "SKELGNN_REQUIRE_SHARED=1 (CI) requires" in r.stdout
    assert "passed" not in r.stdout


def test_ci_requires_shared_before_running_the_readme_tests():
    lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    pytest_line = next(i for i, line in enumerate(lines) if "-m pytest -q" in line and ".venv/bin" in line)
    assert "export SKELGNN_REQUIRE_SHARED=1" in lines[:pytest_line]
