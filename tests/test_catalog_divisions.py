"""Division codes in the catalog and exports (issue 13), and the schema-version-1 -> 2 migration."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq

from govcrawl.catalog import SCHEMA_VERSION, Catalog
from govcrawl.export import export
from tests.test_catalog import make_item


def version_1_catalog(path: Path) -> None:
    """A catalog as schema version 1 left it: no division columns, no stub column, no withdrawals table."""
    with Catalog(path) as cat:
        cat.upsert_report(make_item("http://a.example/1.html", agency="河北省秦皇岛市山海关区人民政府"),
                          run_id=cat.start_run())
    with sqlite3.connect(path) as conn:
        conn.executescript("ALTER TABLE reports DROP COLUMN adcode; ALTER TABLE reports DROP COLUMN division_level;"
                           "ALTER TABLE captures DROP COLUMN stub_kind; DROP TABLE withdrawals;"
                           "PRAGMA user_version=1;")


def test_reports_carry_the_division_code_of_their_agency(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with Catalog(path) as cat:
        run = cat.start_run()
        cat.upsert_report(make_item("http://a.example/1.html", agency="山海关区人民政府办公室"), run_id=run)
        cat.upsert_report(make_item("http://a.example/2.html", agency="广东省人民政府"), run_id=run)
        cat.upsert_report(make_item("http://a.example/3.html", agency="青山县人民政府"), run_id=run)
        rows = {r["url"]: (r["adcode"], r["division_level"]) for r in cat.reports()}
    assert rows == {"http://a.example/1.html": ("130303", "county"), "http://a.example/2.html": ("440000", "province"),
                    "http://a.example/3.html": (None, None)}
    export(path, tmp_path / "r.csv", "csv")
    with open(tmp_path / "r.csv", encoding="utf-8-sig", newline="") as handle:
        exported = {r["url"]: (r["adcode"], r["division_level"]) for r in csv.DictReader(handle)}
    assert exported["http://a.example/1.html"] == ("130303", "county")
    assert exported["http://a.example/3.html"] == ("", "")
    export(path, tmp_path / "r.parquet", "parquet")
    table = pq.read_table(tmp_path / "r.parquet").to_pydict()
    assert sorted(zip(table["adcode"], table["division_level"], strict=True), key=str) == sorted(
        [("130303", "county"), ("440000", "province"), (None, None)], key=str)


def test_a_version_1_catalog_gains_the_new_columns_and_backfilled_codes(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    version_1_catalog(path)
    with Catalog(path) as cat:
        (row,) = cat.conn.execute("SELECT adcode, division_level FROM reports").fetchall()
        assert tuple(row) == ("130303", "county")
        assert "stub_kind" in {r["name"] for r in cat.conn.execute("PRAGMA table_info(captures)")}
        assert cat.conn.execute("SELECT COUNT(*) FROM withdrawals").fetchone()[0] == 0
        assert cat.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    Catalog(path).close()  # opening again changes nothing
