"""The Python quickstart that the README and the docs show (docs/snippets/quickstart.py) runs as written."""

import runpy
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNIPPET = REPO / "docs" / "snippets" / "quickstart.py"


def test_quickstart_runs(tmp_path, monkeypatch):
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(SNIPPET), run_name="__main__")
    bvh = tmp_path / "walk.bvh"
    assert bvh.is_file() and bvh.read_text(encoding="utf-8").startswith("HIERARCHY")
