"""The package's floors hold: imports point down, never up, and form no circle (pyproject
[tool.importlinter])."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _lint_imports() -> list[str]:
    script = Path(sys.executable).parent / "lint-imports"
    if script.exists():
        return [str(script)]
    found = shutil.which("lint-imports")
    assert found, "lint-imports not found: install the test extra (pip install -e '.[test]')"
    return [found]


def test_import_contracts_are_kept():
    proc = subprocess.run([*_lint_imports(), "--no-cache"], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_a_module_calling_up_a_floor_is_caught(tmp_path):
    """The contract is not vacuous: the same check fails on a copy where a floor imports the one above it."""
    src = tmp_path / "src"
    shutil.copytree(REPO / "src" / "skelgnn", src / "skelgnn",
                    ignore=shutil.ignore_patterns("assets", "__pycache__"))
    metrics = src / "skelgnn" / "core" / "metrics.py"
    up = "\nfrom ..evaluation import evaluate  # noqa: E402\n"
    metrics.write_text(metrics.read_text(encoding="utf-8") + up, encoding="utf-8")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    proc = subprocess.run([*_lint_imports(), "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(src), "PATH": ""})
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert "skelgnn.core.metrics -> skelgnn.evaluation.evaluate" in proc.stdout
