"""``govcrawl demo`` and a plain ``scrapy crawl gov_reports``: the bundled portal crawled end to end in a child
process (real spider, real WARC, real SQLite catalog under the archive folder)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from govcrawl.demo.portal import Portal


def _catalog_rows(path: Path) -> dict[str, list[sqlite3.Row]]:
    """All rows of the catalog tables a crawl fills."""
    assert path.exists(), f"no catalog at {path}"
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return {table: conn.execute(f"SELECT * FROM {table}").fetchall() for table in ("runs", "captures", "reports")}


def test_demo_crawls_the_county_site(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "govcrawl.cli", "demo", "--sites", "county", "--archive", "arc", "-o", "out.jsonl"],
        cwd=tmp_path, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "reports found: 19 of 19 expected (19 items written)" in result.stdout
    assert "decoys emitted as reports: 0" in result.stdout
    match = re.search(r"figures equal to the portal's ground truth: (\d+) of (\d+)", result.stdout)
    assert match and int(match.group(2)) > 100 and match.group(1) == match.group(2)
    items = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(items) == 19 and all(item["source"]["warc_filename"] for item in items)
    warcs = list((tmp_path / "arc").glob("*.warc.gz"))
    assert warcs and not list((tmp_path / "arc").glob("*.open"))
    with warcs[0].open("rb") as stream:
        types = [record.rec_type for record in ArchiveIterator(stream)]
    assert types[0] == "warcinfo" and types.count("response") >= 19 + 3

    # the catalog sits next to the WARC files: one report row per item, captures point into the WARC files
    assert f"catalog: 19 reports in {Path('arc') / 'catalog.sqlite'}" in result.stdout
    rows = _catalog_rows(tmp_path / "arc" / "catalog.sqlite")
    assert len(rows["reports"]) == len(items)
    assert {row["url"] for row in rows["reports"]} == {item["url"] for item in items}
    assert [row["status"] for row in rows["runs"]] == ["finished"]
    assert {row["warc_filename"] for row in rows["captures"] if row["warc_filename"]} == {p.name for p in warcs}
    assert not list(tmp_path.glob("archive")), "the demo wrote outside its --archive folder"


def test_plain_scrapy_crawl_fills_the_catalog_under_archive(tmp_path):
    with Portal(sites=["county"]).start() as portal:
        (start,) = portal.start_urls["county"]
        expected = portal.expected_for(start)
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-a", f"start_urls={start}", "-O", "items.jsonl",
             "-s", "GOVCRAWL_FAST_LOCAL=True"],
            cwd=tmp_path, capture_output=True, text=True, timeout=240,
            env={**os.environ, "SCRAPY_SETTINGS_MODULE": "govcrawl.settings"},
        )
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in (tmp_path / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {item["url"] for item in items} == expected
    rows = _catalog_rows(tmp_path / "archive" / "catalog.sqlite")  # the default: <GOVCRAWL_ARCHIVE_DIR>/catalog.sqlite
    assert len(rows["reports"]) == len(items) == len(expected)
    assert {row["url"] for row in rows["reports"]} == expected
    assert len(rows["runs"]) == 1 and rows["runs"][0]["status"] == "finished"
    report_captures = [row for row in rows["captures"] if row["role"] == "report"]
    assert len(report_captures) == len(items) and all(row["warc_record_id"] for row in report_captures)


@pytest.mark.browser
def test_demo_registry_lets_the_browser_pass_the_js_challenge(tmp_path):
    """The demo crawls through a site registry with each mock site's hints: the challenge site's reports are
    reached through Chromium instead of being reported missing."""
    result = subprocess.run(
        [sys.executable, "-m", "govcrawl.cli", "demo", "--sites", "challenge", "--archive", "arc", "-o", "out.jsonl"],
        cwd=tmp_path, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    match = re.search(r"reports found: (\d+) of (\d+) expected", result.stdout)
    assert match and match.group(1) == match.group(2) and int(match.group(2)) >= 1, result.stdout
    assert "JS challenge met at: demo-challenge (1 passed in the browser)" in result.stdout
