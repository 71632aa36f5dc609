"""Disappearances (issue 13): reports that vanish from the mock portal between two nightly runs are recorded as
withdrawn (unlisted, 410, a removal stub), listed in the run report and flagged in the exports."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest

from govcrawl.catalog import Catalog, canonical_url
from govcrawl.demo.chrome import SiteInfo
from govcrawl.demo.context import BuildContext
from govcrawl.demo.portal import Portal
from govcrawl.demo.server import Page
from govcrawl.demo.trs import ReportSpec, TrsColumn, add_trs_report
from govcrawl.export import export

pytestmark = pytest.mark.timeout(600)

AGENCY = "云岭县人民政府"
REMOVAL_STUB = '<html><head><meta http-equiv="refresh" content="0;URL=../"></head><body></body></html>'


class VanishingColumn:
    """A TRS column of four reports whose links and pages the test takes away between runs."""

    def __init__(self) -> None:
        self.column: TrsColumn | None = None
        self.ctx: BuildContext | None = None
        self.urls: dict[int, str] = {}  # report year -> URL

    def build(self, ctx: BuildContext) -> None:
        info = SiteInfo(name=AGENCY, site_code="5323000099", icp="滇ICP备05009999号", police="53232502000199号",
                        big5_link="")
        self.ctx = ctx
        self.column = TrsColumn(ctx, info, "/zwgk/nb/", "政府信息公开年报", chnl_id=1900, per_page=10)
        for number, year in enumerate((2020, 2021, 2022, 2023)):
            spec = ReportSpec(agency=AGENCY, year=year, doc_id=91000 + number, title_style=0)
            self.urls[year] = add_trs_report(ctx, self.column, spec)
        self.column.register()
        ctx.ground.add_column(ctx.site.name, self.column.url, set(self.urls.values()))

    def drop_link(self, year: int) -> None:
        """The column no longer lists this report (its page still answers)."""
        assert self.column is not None
        path = urlsplit(self.urls[year]).path
        self.column.entries = [e for e in self.column.entries if not path.endswith(e.href.lstrip("."))]

    def replace_page(self, year: int, page: Page) -> None:
        assert self.ctx is not None
        self.ctx.site.add(urlsplit(self.urls[year]).path, page)


def nightly(start_url: str, archive: Path, name: str) -> tuple[subprocess.CompletedProcess, dict[str, Any]]:
    done = subprocess.run([sys.executable, "-m", "govcrawl.cli", "nightly", "--start-urls", start_url, "--archive",
                           str(archive), "-o", str(archive / f"{name}.jsonl"), "--report", str(archive / f"{name}.json"),
                           "-s", "GOVCRAWL_FAST_LOCAL=True"], capture_output=True, text=True, cwd="/", timeout=400)
    report = json.loads((archive / f"{name}.json").read_text("utf-8")) if (archive / f"{name}.json").exists() else {}
    return done, report


def test_reports_gone_between_two_nightly_runs_are_recorded_as_withdrawn(tmp_path: Path) -> None:
    site = VanishingColumn()
    archive = tmp_path / "archive"
    with Portal(sites=["vanishing"], extra={"vanishing": site.build}).start() as portal:
        (start,) = portal.start_urls["vanishing"]
        first, report = nightly(start, archive, "run1")
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        assert report["totals"]["new"] == 4 and report["withdrawn"] == []

        site.drop_link(2020)  # unlisted, the page is still there
        site.replace_page(2021, Page.html("<html><body><h1>410 Gone</h1></body></html>", status=410))
        site.replace_page(2022, Page.html(REMOVAL_STUB))  # "content deleted": a meta-refresh stub
        second, report = nightly(start, archive, "run2")
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]

        gone = {entry["url"]: entry for entry in report["withdrawn"]}
        assert {canonical_url(u) for u in gone} == {canonical_url(site.urls[y]) for y in (2020, 2021, 2022)}
        by_year = {entry["report_year"]: entry for entry in gone.values()}
        assert by_year[2020]["reason"] == "unlisted" and by_year[2020]["evidence_url"] == start
        assert by_year[2021]["reason"] == "http_410" and by_year[2021]["evidence_status"] == 410
        assert by_year[2022]["reason"] == "removed_stub"
        assert all(e["evidence_record_id"].startswith("<urn:uuid:") and e["withdrawn_at"] for e in gone.values())
        assert "WITHDRAWN (unlisted" in second.stdout and "withdrawn 3" in second.stdout
        assert "WITHDRAWN (http_410" in (archive / "run2.txt").read_text("utf-8")

        with Catalog(archive / "catalog.sqlite") as catalog:
            evidence = {catalog.capture_by_record(e["evidence_record_id"])["status"] for e in gone.values()}
            assert evidence == {200, 410}  # the column page (unlisted, stub) and the 410 answer, all archived

        third, report = nightly(start, archive, "run3")  # nothing new vanished: recorded once only
        assert third.returncode == 0 and report["withdrawn"] == []

    catalog_path = archive / "catalog.sqlite"
    export(catalog_path, tmp_path / "all.csv", "csv")
    with open(tmp_path / "all.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {row["url"]: row for row in csv.DictReader(handle)}
    assert len(rows) == 4 and sum(bool(r["withdrawn_at"]) for r in rows.values()) == 3
    assert {r["withdrawn_reason"] for r in rows.values()} == {"", "unlisted", "http_410", "removed_stub"}
    assert export(catalog_path, tmp_path / "kept.parquet", "parquet", exclude_withdrawn=True) == 1
    kept = pq.read_table(tmp_path / "kept.parquet").to_pydict()
    assert kept["report_year"] == [2023] and kept["withdrawn_at"] == [None]
    export(catalog_path, tmp_path / "all.jsonl", "jsonl")
    lines = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text("utf-8").splitlines()]
    assert sorted(bool(line["withdrawn"]) for line in lines) == [False, True, True, True]
    done = subprocess.run([sys.executable, "-m", "govcrawl.cli", "export", "--format", "csv", "-o",
                           str(tmp_path / "kept.csv"), "--catalog", str(catalog_path), "--exclude-withdrawn",
                           "--no-progress"], capture_output=True, text=True)
    assert done.returncode == 0 and "exported 1 report(s)" in done.stderr
