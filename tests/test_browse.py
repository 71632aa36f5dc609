"""Datasette over the catalog (issue 13): views, column descriptions, the JSON API on 127.0.0.1."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

from govcrawl.browse import VIEWS, ensure_views, start_datasette

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def catalog(demo_archive: Path) -> Path:
    return demo_archive / "catalog.sqlite"


def _get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_datasette_serves_views_and_descriptions_over_the_catalog(catalog: Path, tmp_path: Path) -> None:
    import shutil

    served = tmp_path / "catalog.sqlite"
    shutil.copy(catalog, served)  # the shared demo archive stays as the crawl left it
    process, port, _ = start_datasette(served)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                _get(f"{base}/-/versions.json")
                break
            except OSError:
                time.sleep(0.2)
        reports = _get(f"{base}/catalog/latest_reports.json?_shape=array&_size=max")
        assert len(reports) == 19 and all("云岭县" in r["agency"] for r in reports)
        failed = _get(f"{base}/catalog/failed_checks.json?_shape=array&_size=max")
        within = [(f["report_year"], f["rule"]) for f in failed if f["rule"] != "t3_carryover"]
        assert within == [(2022, "format_matches_year")]
        # the demo draws each year's table independently, so the cross-year check fails where both years have one
        across = [f for f in failed if f["rule"] == "t3_carryover"]
        assert across and all("http" in f["detail"] for f in across)
        figures = _get(f"{base}/catalog/report_figures.json?_shape=array&_size=max&figure=proactive_total")
        assert len(figures) >= 10 and all(isinstance(f["value"], int) for f in figures)
        regions = _get(f"{base}/catalog/regions.json?_shape=array")
        assert sum(r["reports"] for r in regions) == 19
        meta = _get(f"{base}/-/metadata.json")
        columns = meta["databases"]["catalog"]["tables"]["reports"]["columns"]
        assert "report_year" in columns and "warc_record_id" in columns
        with pytest.raises(urllib.error.HTTPError):  # read-only: no writes through the API
            urllib.request.urlopen(urllib.request.Request(f"{base}/catalog/reports/-/insert", data=b"{}",
                                                          method="POST"), timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_views_are_created_once_and_leave_tables_alone(catalog: Path, tmp_path: Path) -> None:
    import shutil
    import sqlite3

    copy = tmp_path / "catalog.sqlite"
    shutil.copy(catalog, copy)
    ensure_views(copy)
    ensure_views(copy)
    with sqlite3.connect(copy) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='view'")}
        count = conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    assert names >= set(VIEWS) and count >= 19
