"""Exports from the catalog: JSONL, CSV and Parquet read back with json / csv / pyarrow."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from govcrawl.catalog import Catalog
from govcrawl.export import CSV_COLUMNS, export
from tests.test_catalog import make_item


@pytest.fixture()
def catalog_path(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.sqlite"
    with Catalog(path) as cat:
        run = cat.start_run()
        cat.upsert_report(make_item("http://a.example/1.html", year=2022, agency="广东省深圳市南山区人民政府",
                                    granted=7), run_id=run)
        cat.upsert_report(make_item("http://a.example/2.html", year=2023, agency="广东省深圳市南山区人民政府",
                                    granted=9), run_id=run)
        cat.upsert_report(make_item("http://b.example/3.html", year=2023, agency="宿州市人民政府", granted=5),
                          run_id=run)
        # a second version of report 3: only the latest is exported by default
        cat.upsert_report(make_item("http://b.example/3.html", year=2023, agency="宿州市人民政府", granted=6,
                                    fetched_at="2026-11-05T00:00:00Z"), run_id=run)
    return path


def test_csv_export_reads_back(catalog_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    assert export(catalog_path, out, "csv") == 3
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3 and list(rows[0]) == list(CSV_COLUMNS)
    by_url = {r["url"]: r for r in rows}
    assert by_url["http://b.example/3.html"]["version"] == "2"
    assert by_url["http://b.example/3.html"]["applications_new_total"] == "6"
    assert by_url["http://a.example/1.html"]["agency"] == "广东省深圳市南山区人民政府"
    assert by_url["http://a.example/1.html"]["city"] == "深圳市"
    assert by_url["http://a.example/1.html"]["granted_total"] == "5"


def test_csv_filters(catalog_path: Path, tmp_path: Path) -> None:
    assert export(catalog_path, tmp_path / "y.csv", "csv", year=2023) == 2
    assert export(catalog_path, tmp_path / "a.csv", "csv", agency="宿州") == 1
    assert export(catalog_path, tmp_path / "r.csv", "csv", region="深圳", year=2022) == 1
    assert export(catalog_path, tmp_path / "all.csv", "csv", latest_only=False) == 4
    with open(tmp_path / "a.csv", encoding="utf-8-sig") as fh:
        assert [r["url"] for r in csv.DictReader(fh)] == ["http://b.example/3.html"]


def test_parquet_export_reads_back_with_pyarrow(catalog_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    assert export(catalog_path, out, "parquet") == 3
    table = pq.read_table(out)
    assert table.num_rows == 3
    rows = {r["url"]: r for r in table.to_pylist()}
    third = rows["http://b.example/3.html"]
    assert third["version"] == 2 and third["figures"]["applications_new_total"] == 6
    assert json.loads(third["tables"])["t3_applications"]["values"]["r1_new"]["total"] == 6
    assert third["checks"][0] == {"rule": "t3_total", "ok": True, "detail": ""}
    assert third["sections"][0]["heading"] == "一、总体情况"
    assert json.loads(third["item_json"])["agency"] == "宿州市人民政府"
    assert table.schema.field("report_year").type == "int64"
    empty = tmp_path / "none.parquet"
    assert export(catalog_path, empty, "parquet", year=1999) == 0
    assert pq.read_table(empty).num_rows == 0


def test_jsonl_export_is_the_items(catalog_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    assert export(catalog_path, out, "jsonl", year=2022) == 1
    (item,) = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    citation, withdrawn = item.pop("citation"), item.pop("withdrawn")
    assert item == make_item("http://a.example/1.html", year=2022, agency="广东省深圳市南山区人民政府", granted=7)
    assert withdrawn is None
    assert citation["warc_record_id"] == item["source"]["warc_record_id"] and citation["captured_at"] == item[
        "source"]["fetched_at"]
    assert citation["pywb_url"] == "/govcrawl/20261101000000/http://a.example/1.html"
    assert citation["wacz_replay_url"] == ("https://replayweb.page/?source=corpus.wacz#view=pages"
                                           "&url=http%3A%2F%2Fa.example%2F1.html&ts=20261101000000")
    assert citation["text"].startswith("广东省深圳市南山区人民政府. 广东省深圳市南山区人民政府2022年")
    assert citation["text"].endswith(f"Captured 2026-11-01T00:00:00Z UTC, WARC-Record-ID {citation['warc_record_id']}.")


def test_csv_and_parquet_rows_carry_the_citation_and_replay_urls(catalog_path: Path, tmp_path: Path) -> None:
    export(catalog_path, tmp_path / "c.csv", "csv", collection="nb", wacz="https://data.example/c.wacz")
    with open(tmp_path / "c.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {row["url"]: row for row in csv.DictReader(handle)}
    row = rows["http://b.example/3.html"]
    assert row["pywb_url"] == "/nb/20261105000000/http://b.example/3.html"
    assert row["wacz_replay_url"].startswith("https://replayweb.page/?source=https%3A%2F%2Fdata.example%2Fc.wacz#")
    assert row["warc_record_id"] in row["citation"] and row["withdrawn_at"] == ""
    export(catalog_path, tmp_path / "c.parquet", "parquet")
    table = pq.read_table(tmp_path / "c.parquet").to_pydict()
    assert all(text and record in text for text, record in zip(table["citation"], table["warc_record_id"], strict=True))
    assert all(url.startswith("/govcrawl/2026110") for url in table["pywb_url"])


def test_cli_export_and_missing_catalog(catalog_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.csv"
    done = subprocess.run([sys.executable, "-m", "govcrawl.cli", "export", "--format", "csv", "-o", str(out),
                           "--catalog", str(catalog_path), "--no-progress"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "exported 3 report(s)" in done.stderr
    missing = subprocess.run([sys.executable, "-m", "govcrawl.cli", "export", "--format", "csv", "-o", str(out),
                              "--catalog", str(tmp_path / "nope.sqlite")], capture_output=True, text=True)
    assert missing.returncode == 2 and "no catalog at" in missing.stderr
