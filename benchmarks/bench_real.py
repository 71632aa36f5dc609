"""Benchmark govcrawl on the real-page corpus (pages nobody here wrote).

Sections (each a function returning rows, so more can be added without touching the others):

* :func:`list_rows`: per real list page, the report links discovery takes against the manifest's truth
  (found / expected, decoys, links the mirror destroyed), and per front/platform page the column links.
* :func:`report_rows`: per field group (title, agency, report_year, published, format, figures, table cells,
  inconsistencies flagged), how many labelled values of the real reports ``build_item`` reads right (truth and
  scoring in ``benchmarks/real_reports.py``, shared with the tests).

The corpus is ``shared/real`` (``$GOVCRAWL_SHARED/real``, else ``<repo>/../shared/real``, else
``/work/shared/real``) plus ``tests/data/real`` (pages found later, provenance in its manifest).
Run: ``python benchmarks/bench_real.py`` (prints Markdown; ``--write`` also writes benchmarks/results/real.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from govcrawl.discovery.columns import column_links
from govcrawl.discovery.decisions import decide_link
from govcrawl.discovery.links import decode_html, list_links, parse_html
from govcrawl.discovery.urls import dedupe_key

ROOT = Path(__file__).resolve().parent.parent
LOCAL_REAL = ROOT / "tests" / "data" / "real"
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


def shared_real_dir() -> Path:
    """``shared/real`` (see the module docstring for the search order)."""
    env = os.environ.get("GOVCRAWL_SHARED")
    candidates = ([Path(env)] if env else []) + [ROOT.parent / "shared", Path("/work/shared")]
    for candidate in candidates:
        if (candidate / "real" / "manifest.json").is_file():
            return candidate / "real"
    raise FileNotFoundError(f"no shared/real corpus in {candidates}")


def corpus_entries() -> list[tuple[Path, dict[str, Any], str]]:
    """``(file, manifest entry, origin)`` of every real page, origin ``shared`` or ``tests/data/real``."""
    rows: list[tuple[Path, dict[str, Any], str]] = []
    for base, origin in ((shared_real_dir(), "shared"), (LOCAL_REAL, "tests/data/real")):
        manifest = base / "manifest.json"
        if manifest.is_file():
            for entry in json.loads(manifest.read_text(encoding="utf-8"))["files"]:
                rows.append((base / entry["file"], entry, origin))
    return rows


def _base_url(entry: dict[str, Any]) -> str:
    source = entry.get("source") or {}
    return urljoin("http://real.test/", source.get("path") or entry["file"])


def list_rows() -> list[dict[str, Any]]:
    """One row per real list/front/platform page: what discovery takes vs the hand-checked truth."""
    rows: list[dict[str, Any]] = []
    for path, entry, origin in corpus_entries():
        kind = entry.get("kind")
        if kind not in ("list", "home", "platform"):
            continue
        url = _base_url(entry)
        text, _ = decode_html(path.read_bytes())
        links = list_links(parse_html(text, url), url)
        if kind == "list":
            truth = entry.get("report_links", [])
            live = [t for t in truth if not t.get("href_rewritten_by_mirror")]
            expected = {dedupe_key(urljoin(url, t["href"])) for t in live}
            taken = {dedupe_key(d.url) for d in (decide_link(link, url) for link in links) if d.taken}
        else:
            targets = [c.get("tppabs") or c["href"] for c in entry.get("column_links", [])]
            expected = {dedupe_key(urljoin(url, t)) for t in targets
                        if t.strip().lower() not in ("javascript:;", "javascript:void(0)")}
            taken = {dedupe_key(link.url) for link in column_links(links) if dedupe_key(link.url) != dedupe_key(url)}
            truth = entry.get("column_links", [])
        rows.append({
            "page": entry["file"], "origin": origin, "kind": kind,
            "what": "report links" if kind == "list" else "column links",
            "expected": len(expected), "found": len(taken & expected), "decoys": len(taken - expected),
            "destroyed_by_mirror": len(truth) - len(expected) if kind == "list" else 0,
        })
    return rows


def _markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| page | origin | kind | counted | found / expected | decoys | destroyed by the mirror |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| `{row['page']}` | {row['origin']} | {row['kind']} | {row['what']} | "
                     f"{row['found']} / {row['expected']} | {row['decoys']} | {row['destroyed_by_mirror']} |")
    expected = sum(r["expected"] for r in rows)
    found = sum(r["found"] for r in rows)
    decoys = sum(r["decoys"] for r in rows)
    recall = f"{100 * found / expected:.1f}%" if expected else "n/a"
    lines.append(f"\n**Discovery on {len(rows)} real pages: {found} / {expected} links found ({recall}), "
                 f"{decoys} decoys.**")
    return "\n".join(lines)


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
    text = ("## Discovery: real list, front and platform pages\n\n" + _markdown(list_rows())
            + "\n\n## Parsing: real reports\n\n" + _report_markdown(report_rows()))
    print(text)
    if args.write:
        RESULTS_MD.write_text("# govcrawl on real pages\n\n" + text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
