"""Copy the tables of bench/hdm05/results.md into the README (between the "Tables (`bench/hdm05/results.md`"
paragraph and "## Human3.6M"), section headers as bold lines. Run after `skelgnn benchmark ... --report-only`:

    python bench/readme_tables.py            # rewrites README.md in place (atomically)
    python bench/readme_tables.py --check    # exit 1 when the README's tables differ from results.md
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START = "Tables (`bench/hdm05/results.md`"
END = "## Human3.6M"


def tables(results_md: str) -> str:
    body = results_md[results_md.index("## gt input — comparison"):]
    lines = [f"**{ln[3:]}**" if ln.startswith("## ") else ln for ln in body.splitlines()]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    results = (ROOT / "bench" / "hdm05" / "results.md").read_text(encoding="utf-8")
    start = readme.index(START)
    start = readme.index("\n\n", start) + 2  # after the paragraph that introduces the tables
    end = readme.index(END, start)
    new = readme[:start] + tables(results) + "\n" + readme[end:]
    if "--check" in argv:
        same = new == readme
        print("README tables match bench/hdm05/results.md" if same else "README tables differ from results.md")
        return 0 if same else 1
    fd, tmp = tempfile.mkstemp(dir=ROOT, prefix=".README.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(new)
    os.replace(tmp, ROOT / "README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
