"""Copy the tables of bench/hdm05/results.md into docs/results.md, between its two marker lines, section
headers as third-level headings (skelgnn.tools.benchmark_summary.results_page). The benchmark writes the page
itself when asked:

    skelgnn benchmark configs/benchmark_hdm05.toml --out bench/hdm05 --report-only \
        --results-page docs/results.md

This script is that last step alone, and the check the tests run:

    python bench/results_page.py            # rewrites docs/results.md in place (atomically)
    python bench/results_page.py --check    # exit 1 when the page's tables differ from results.md
"""

import sys
from pathlib import Path

from skelgnn.tools.benchmark_summary import results_page, write_results_page

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "results.md"
RESULTS = ROOT / "bench" / "hdm05" / "results.md"


def main(argv: list[str]) -> int:
    results_md = RESULTS.read_text(encoding="utf-8")
    if "--check" in argv:
        page = PAGE.read_text(encoding="utf-8")
        same = results_page(page, results_md, str(PAGE)) == page
        print("docs/results.md tables match bench/hdm05/results.md" if same
              else "docs/results.md tables differ from bench/hdm05/results.md: run skelgnn benchmark "
                   "configs/benchmark_hdm05.toml --out bench/hdm05 --report-only "
                   "--results-page docs/results.md (or python bench/results_page.py)")
        return 0 if same else 1
    write_results_page(PAGE, results_md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
