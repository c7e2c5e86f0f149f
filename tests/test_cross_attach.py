"""bench/cross/attach.py: retrained runs join the stored benchmark runs only when they are the same model,
and a row that cannot be reproduced is replaced as a whole or not at all."""

import importlib.util
import json
from pathlib import Path

import pytest


@pytest.fixture
def attach(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "attach", Path(__file__).resolve().parents[1] / "bench" / "cross" / "attach.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "ROOT", tmp_path)
    return mod


def _run(root: Path, where: str, name: str, mpjpe: float, cross: float | None = None) -> Path:
    folder = root / "bench" / where / "runs" / name
    folder.mkdir(parents=True)
    run = {"mpjpe": mpjpe, "p_mpjpe": mpjpe - 10, "ht10": mpjpe + 30, "rare20": mpjpe + 20}
    if cross is not None:
        run["cross"] = {"mpjpe": cross}
        (folder / "cross.json").write_text(json.dumps(run["cross"]))
    (folder / "test.json").write_text(json.dumps(run))
    return folder / "test.json"


def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def test_same_model_attaches_other_model_does_not_new_run_is_adopted(attach, tmp_path, capsys):
    same = _run(tmp_path, "hdm05", "a__gt__s0", 40.0)
    _run(tmp_path, "cross", "a__gt__s0", 40.0, cross=80.0)
    other = _run(tmp_path, "hdm05", "b__gt__s0", 50.0)
    _run(tmp_path, "cross", "b__gt__s0", 50.2, cross=90.0)
    _run(tmp_path, "cross", "c__gt__s0", 45.0, cross=85.0)
    assert attach.main([]) == 1  # b differs: said, and the status says so
    out = capsys.readouterr().out
    assert "a__gt__s0: attached" in out and "b__gt__s0: NOT attached" in out and "c__gt__s0: adopted" in out
    assert _read(same)["cross"] == {"mpjpe": 80.0}
    assert "cross" not in _read(other)
    adopted = tmp_path / "bench" / "hdm05" / "runs" / "c__gt__s0" / "test.json"
    assert _read(adopted)["cross"] == {"mpjpe": 85.0}
    assert attach.main([]) == 1  # a second pass changes nothing and says the adopted run is the stored one
    assert "c__gt__s0: adopted before" in capsys.readouterr().out
    assert "cross_source" not in _read(adopted)


def test_a_row_is_replaced_only_with_every_seed_retrained(attach, tmp_path, capsys):
    stored = [_run(tmp_path, "hdm05", f"t__gt__s{s}", 50.0 + s) for s in range(2)]
    _run(tmp_path, "cross", "t__gt__s0", 49.0, cross=95.0)
    assert attach.main(["--replace", "t:gt"]) == 1  # seed 1 not retrained: nothing replaced
    assert "NOT replaced" in capsys.readouterr().out
    assert [_read(p)["mpjpe"] for p in stored] == [50.0, 51.0]
    _run(tmp_path, "cross", "t__gt__s1", 52.5, cross=96.0)
    assert attach.main(["--replace", "t:gt"]) == 0
    new = [_read(p) for p in stored]
    assert [r["mpjpe"] for r in new] == [49.0, 52.5]
    assert [r["cross"]["mpjpe"] for r in new] == [95.0, 96.0]
    assert [r["replaces"]["mpjpe"] for r in new] == [50.0, 51.0]
    assert "this run replaced the stored one" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        attach.main(["--replace", "t"])
