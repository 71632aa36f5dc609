"""Benchmark govcrawl on the real-page corpus (pages nobody here wrote).

Sections (each a function returning rows, so more can be added without touching the others):

* :func:`report_rows`: per field group (title, agency, report_year, published, format, figures, table cells,
  inconsistencies flagged), how many labelled values of the real reports ``build_item`` reads right.

The corpus is ``shared/real`` (``$GOVCRAWL_SHARED/real``, else ``<repo>/../shared/real``, else
``/work/shared/real``); truth and scoring live in ``benchmarks/real_reports.py`` (shared with the tests).
Run: ``python benchmarks/bench_real.py`` (prints Markdown; ``--write`` also writes benchmarks/results/real.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_MD = ROOT / "benchmarks" / "results" / "real.md"
if str(ROOT) not in sys.path:  # run as a script: make ``benchmarks.real_reports`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.real_reports import (  # noqa: E402
    all_results,
    fixture_results,
    report_entries,
    twin_cell_results,
    verbatim_results,
)

GROUPS = ("title", "agency", "report_year", "published", "format", "figures", "t3_cells", "t4_cells",
          "inconsistencies")


def report_rows() -> list[dict[str, Any]]:
    """One row per field group over every real report: labelled values, values read right, misses (file:field)."""
    results = all_results()
    rows = []
    for group in GROUPS:
        chosen = [r for r in results if r[1] == group]
        rows.append({
            "field": group, "labelled": len(chosen), "correct": sum(1 for r in chosen if r[3]),
            "misses": [f"{r[0]}:{r[2]} got {r[4]!r} want {r[5]!r}" for r in chosen if not r[3]],
        })
    twins = twin_cell_results()
    rows.append({
        "field": "archive text cells = page <table> cells", "labelled": len(twins),
        "correct": sum(1 for r in twins if r[2]),
        "misses": [f"{r[0]}:{r[1]} got {r[3]!r} want {r[4]!r}" for r in twins if not r[2]],
    })
    fixtures = fixture_results()
    rows.append({
        "field": "tests/data/real fixtures (peer-expected + hand-read values)", "labelled": len(fixtures),
        "correct": sum(1 for r in fixtures if r[2]),
        "misses": [f"{r[0]}:{r[1]} got {r[3]!r} want {r[4]!r}" for r in fixtures if not r[2]],
    })
    verbatim = verbatim_results()
    rows.append({
        "field": "published sentences verbatim in text", "labelled": len(verbatim),
        "correct": sum(1 for r in verbatim if r[2]), "misses": [f"{r[0]}: {r[1]}" for r in verbatim if not r[2]],
    })
    return rows


def _report_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [f"{len(report_entries())} real reports (HTML pages, archive texts, PDFs), through build_item.\n",
             "| field | correct / labelled | accuracy |", "|---|---|---|"]
    for row in rows:
        accuracy = f"{100 * row['correct'] / row['labelled']:.1f}%" if row["labelled"] else "n/a"
        lines.append(f"| {row['field']} | {row['correct']} / {row['labelled']} | {accuracy} |")
    total = sum(r["labelled"] for r in rows)
    correct = sum(r["correct"] for r in rows)
    lines.append(f"\n**All labelled report fields: {correct} / {total} ({100 * correct / max(total, 1):.1f}%).**")
    misses = [miss for row in rows for miss in row["misses"]]
    if misses:
        lines.append("\nMisses:\n")
        lines.extend(f"- {miss}" for miss in misses)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the real-corpus tables; ``--write`` also writes benchmarks/results/real.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS_MD.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    text = "## Parsing: real reports\n\n" + _report_markdown(report_rows())
    print(text)
    if args.write:
        RESULTS_MD.write_text("# govcrawl on real pages\n\n" + text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
