"""bench/default/cross: the stored choice and seed tables are what their scripts print from the stored
measurements, and the seed table's target check fails a seed that misses a target."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parents[1] / "bench" / "default" / "cross"


def _print(script: str, names: list[str]) -> str:
    out = subprocess.run([sys.executable, str(HERE / script), *names], capture_output=True, text=True,
                         check=True)
    return out.stdout


def _first_cells(text: str) -> list[str]:
    """The first column of the first table in ``text``, header and mean row left out."""
    table = text.split("\n\n")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| mean")]
    return [row.split("|")[1].strip() for row in rows[1:]]  # rows[0] is the header


def test_choice_md_is_what_choose_py_prints():
    stored = (HERE / "choice.md").read_text()
    names = _first_cells(stored)
    assert names[:4] == ["A", "B", "C", "D"]
    assert _print("choose.py", names) == stored
    assert "Choice (RULE.md): D " in stored  # the bundled default is the candidate the rule chose


def test_seeds_md_is_what_seeds_py_prints():
    stored = (HERE / "seeds.md").read_text()
    names = _first_cells(stored)
    assert names[0] == "D" and len(names) >= 2
    assert _print("seeds.py", names) == stored
    assert "| `fc` |" in stored  # the recipe paired with the MLP row over the same seeds


@pytest.fixture
def seeds(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    import seeds as mod  # the script's folder is on the path only inside this fixture

    return mod


def test_a_seed_missing_one_target_does_not_meet_them(seeds):
    ok = seeds.measure("D")
    assert seeds.meets_targets(ok)
    for key, bad in (("p_mpjpe", 53.3), ("n_mpjpe", 74.5), ("mpjpe_height", 80.1), ("pck150_height", 0.892)):
        worse = {**ok, "cross_gt": {**ok["cross_gt"], key: bad}}
        assert not seeds.meets_targets(worse), key
    assert not seeds.meets_targets({**ok, "passes": False})


def test_paired_differences_are_recipe_minus_row(seeds):
    names = ["D", "D_s1"]
    ours = [seeds.measure(x)["cross_gt"]["p_mpjpe"] for x in names]
    theirs = [json.loads((seeds.RUNS / f"fc__gt__s{s}" / "cross.json").read_text())["in_view"]["p_mpjpe"]
              for s in range(2)]
    fc_line = next(line for line in seeds.paired(names).splitlines() if line.startswith("| `fc` |"))
    mean = fc_line.split("|")[2].split("[")[0].strip()
    assert float(mean) == round((ours[0] - theirs[0] + ours[1] - theirs[1]) / 2, 1)
    assert float(mean) < 0  # the default's recipe is ahead of the MLP in shape on both seeds
