"""Committed files carry no path of the machine that wrote them (result files name checkpoints and configs
relative to the repository, as anyone who rebuilds them would)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# an absolute path into a home or work folder: at a line start, or after a quote, space, `, ( or =
MACHINE_PATH = re.compile(r'(?:^|["\s`(=])/(?:home|Users|work|root)/[\w.-]+')
TEXT = (".py", ".md", ".json", ".jsonl", ".txt", ".toml", ".sh", ".cfg", ".yml", ".yaml")


def test_no_committed_text_file_holds_a_machine_path():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the committed files cannot be listed")
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    found = []
    for name in files.splitlines():
        path = REPO / name
        if path.suffix not in TEXT or not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = MACHINE_PATH.search(line)
            if m:
                found.append(f"{name}:{lineno}: {m.group(0).strip()}")
    assert not found, "machine paths in committed files:\n" + "\n".join(found[:20])
