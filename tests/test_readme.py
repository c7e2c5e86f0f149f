"""The README stays a true front page: exactly two set-up commands (.ci/run runs the test one verbatim), at
most 200 lines, its model table's numbers are bench/hdm05/results.md's, its Python quickstart is the file the
docs include (and that test_quickstart_runs runs), and docs/results.md holds results.md's tables."""

import re
from pathlib import Path

from skelgnn.cli import _parser

REPO = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set up on a new machine", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)]


def test_exactly_two_setup_commands_and_ci_runs_the_test_one():
    cmds = _setup_commands()
    assert len(cmds) == 2 and all("\n" not in c for c in cmds)
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert cmds[1] in ci.splitlines()
    assert "pytest" in cmds[1] and "pytest" not in cmds[0]


def test_main_job_uses_a_real_subcommand():
    main_job = _setup_commands()[0]
    cli_part = main_job.split(".venv/bin/skelgnn ", 1)[1].split()
    args = _parser().parse_args(cli_part)
    assert callable(args.func)


def _readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_is_a_front_page():
    assert len(_readme().splitlines()) <= 200


def test_results_page_tables_are_the_ones_results_md_holds():
    """docs/results.md's HDM05-Lift tables are copied from bench/hdm05/results.md by bench/results_page.py."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, str(REPO / "bench" / "results_page.py"), "--check"],
                          check=False, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _results_rows() -> dict[tuple[str, str], str]:
    """(model, input) -> the MPJPE cell of the comparison tables of bench/hdm05/results.md."""
    rows = {}
    inp = None
    for line in (REPO / "bench" / "hdm05" / "results.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"## (gt|noisy) input — comparison", line)
        if m:
            inp = m.group(1)
            continue
        if line.startswith("## "):
            inp = None
        if inp and line.startswith("| ") and not line.startswith(("| model", "|---")):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[(cells[0].removesuffix(" (GPU)"), inp)] = (cells[1], cells[7])  # params, MPJPE
    return rows


def test_readme_model_table_numbers_come_from_results_md():
    section = _readme().split("## Models", 1)[1].split("\n## ", 1)[0]
    table = [ln for ln in section.splitlines() if ln.startswith("| `")]
    assert len(table) >= 5
    rows = _results_rows()
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        name, params, gt, noisy, cross = cells[0].strip("`"), cells[2], cells[3], cells[4], cells[5]
        assert rows[(name, "gt")] == (params, gt), name
        assert rows[(name, "noisy")] == (params, noisy), name
        assert cross == _cross_cell(name), \
            f"{name}: the Bandai2-Cross cell must be bench/hdm05/results.json's"


def _cross_cell(name: str) -> str:
    """The README's Bandai2-Cross cell of a model: gt input, in-view P-MPJPE / N-MPJPE from results.json's
    aggregates (mean ± sd over two or more seeds) with the seeds scored, or "–" where the row has none."""
    import json

    summary = json.loads((REPO / "bench" / "hdm05" / "results.json").read_text(encoding="utf-8"))
    for row in summary["aggregates"]:
        if row["label"] == name and row["input"] == "gt":
            cross = row.get("cross")
            if not cross:
                return "–"
            v = cross["in_view"]
            seeds = ",".join(str(x) for x in cross["seeds"])
            if len(cross["seeds"]) == 1:
                return f"{v['p_mpjpe']:.1f} / {v['n_mpjpe']:.1f} (seed {seeds})"
            p, n = (f"{v[m]:.1f} ± {v[m + '_sd']:.1f}" for m in ("p_mpjpe", "n_mpjpe"))
            return f"{p} / {n} (seeds {seeds})"
    return "–"


def test_readme_python_quickstart_is_the_docs_snippet():
    blocks = re.findall(r"```python\n(.*?)```", _readme(), flags=re.DOTALL)
    snippet = (REPO / "docs" / "snippets" / "quickstart.py").read_text(encoding="utf-8")
    assert blocks == [snippet]
    assert len(snippet.strip().splitlines()) <= 10


def test_readme_cli_quickstart_parses():
    section = _readme().split("## Command line", 1)[1].split("\n## ", 1)[0]
    block = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)[0]
    lines = [ln.split("#", 1)[0].split() for ln in block.splitlines() if ln.startswith("skelgnn ")]
    assert len(lines) >= 3
    for words in lines:
        assert callable(_parser().parse_args(words[1:]).func), words


def test_readme_links_point_inside_the_repository():
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", _readme()):
        assert not target.startswith(("/", "..")), target
        if "://" not in target:
            assert (REPO / target).exists(), target
