"""``govcrawl demo``: the bundled portal crawled end to end in a child process (real spider, real WARC, real SQLite
catalog under the --archive folder), and its summary against the portal's ground truth. A plain ``scrapy crawl``
with the project's defaults (catalog under ./archive, its rows) is checked in test_e2e_crawl.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest


def test_demo_crawls_the_county_site(tmp_path, read_warc):
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
    types = [record.type for record in read_warc(warcs[0])]
    assert types[0] == "warcinfo" and types.count("response") >= 19 + 3

    # the catalog sits next to the WARC files (its rows are checked on a plain crawl in test_e2e_crawl.py)
    assert f"catalog: 19 reports in {Path('arc') / 'catalog.sqlite'}" in result.stdout
    assert (tmp_path / "arc" / "catalog.sqlite").is_file()
    assert not list(tmp_path.glob("archive")), "the demo wrote outside its --archive folder"


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
