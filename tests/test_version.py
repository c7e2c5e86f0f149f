"""One version: pyproject.toml's, read back by skelgnn.__version__, printed by --version, kept in
checkpoints."""

import re
import sys
from pathlib import Path

import pytest
import torch

import skelgnn
from skelgnn.cli import _parser
from skelgnn.core.skeleton import H36M_17
from skelgnn.lifting.checkpoint import load_checkpoint, make_checkpoint, save_checkpoint
from skelgnn.models import build

REPO = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _pyproject_version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def test_version_is_pyprojects_and_semantic():
    assert re.fullmatch(r"\d+\.\d+\.\d+", _pyproject_version())
    assert skelgnn.__version__ == _pyproject_version(), (
        "the installed metadata is stale: reinstall with pip install -e . after a version bump")


def test_changelog_has_a_section_for_this_version_and_an_unreleased_one():
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    version = re.escape(_pyproject_version())
    assert re.search(rf"^## \[{version}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, flags=re.MULTILINE)


def test_cli_version_flag(capsys):
    with pytest.raises(SystemExit) as e:
        _parser().parse_args(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"skelgnn {skelgnn.__version__}"


def test_checkpoints_record_the_version_that_wrote_them(tmp_path):
    model = build("fc", H36M_17, channels=8)
    ckpt = make_checkpoint("fc", {"channels": 8}, H36M_17, model)
    assert ckpt["package_version"] == skelgnn.__version__
    path = save_checkpoint(tmp_path / "new.pt", ckpt)
    assert torch.load(path, weights_only=True)["package_version"] == skelgnn.__version__
    _, meta = load_checkpoint(path)
    assert meta["package_version"] == skelgnn.__version__


def test_checkpoints_without_a_version_still_load(tmp_path):
    model = build("fc", H36M_17, channels=8)
    old = make_checkpoint("fc", {"channels": 8}, H36M_17, model)
    del old["package_version"]  # as written before versions were recorded
    loaded, _ = load_checkpoint(save_checkpoint(tmp_path / "old.pt", old))
    x = torch.zeros(2, 1, 17, 2)
    model.eval()
    loaded.eval()
    assert torch.equal(loaded(x), model(x))
