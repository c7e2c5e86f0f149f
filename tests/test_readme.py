"""The README's set-up commands stay true: exactly two, and .ci/run runs the test one verbatim."""

import re
from pathlib import Path

from skelgnn.cli import _parser

REPO = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set up on a new machine", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


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


def test_readme_benchmark_tables_are_the_ones_results_md_holds():
    """The README's HDM05-Lift tables are copied from bench/hdm05/results.md by bench/readme_tables.py."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, str(root / "bench" / "readme_tables.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
