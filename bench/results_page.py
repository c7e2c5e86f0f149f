"""Copy the tables of bench/hdm05/results.md into docs/results.md, between its two marker lines, section
headers as third-level headings. Run after `skelgnn benchmark configs/benchmark_hdm05.toml --out bench/hdm05
--report-only`:

    python bench/results_page.py            # rewrites docs/results.md in place (atomically)
    python bench/results_page.py --check    # exit 1 when the page's tables differ from results.md
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "results.md"
RESULTS = ROOT / "bench" / "hdm05" / "results.md"
BEGIN = "<!-- tables from bench/hdm05/results.md: begin -->"
END = "<!-- tables from bench/hdm05/results.md: end -->"


def tables(results_md: str) -> str:
    body = results_md[results_md.index("## gt input — comparison"):]
    lines = [f"### {ln[3:]}" if ln.startswith("## ") else ln for ln in body.splitlines()]
    return "\n".join(lines).rstrip() + "\n"


def render(page: str, results_md: str) -> str:
    start = page.index(BEGIN) + len(BEGIN)
    end = page.index(END, start)
    return page[:start] + "\n\n" + tables(results_md) + "\n" + page[end:]


def main(argv: list[str]) -> int:
    page = PAGE.read_text(encoding="utf-8")
    new = render(page, RESULTS.read_text(encoding="utf-8"))
    if "--check" in argv:
        same = new == page
        print("docs/results.md tables match bench/hdm05/results.md" if same
              else "docs/results.md tables differ from bench/hdm05/results.md: "
                   "run python bench/results_page.py")
        return 0 if same else 1
    fd, tmp = tempfile.mkstemp(dir=PAGE.parent, prefix=".results.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(new)
    os.replace(tmp, PAGE)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
