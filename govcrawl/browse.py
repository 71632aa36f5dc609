"""Browsing the catalog with SQL: Datasette on 127.0.0.1, with views researchers start from.

``govcrawl serve [--catalog PATH] [--port N]`` adds the views below to the catalog (``CREATE VIEW IF NOT
EXISTS``: the tables are untouched) and starts Datasette bound to 127.0.0.1 only, with no write API, and metadata that
describes every column. Datasette's JSON API answers at ``/catalog/<table or view>.json``.

Views:
- ``latest_reports``: the latest version of each report, without the item JSON;
- ``report_figures``: one row per report and key figure (long format, for plotting and joins);
- ``failed_checks``: one row per failed 勾稽关系 / consistency check, with its detail;
- ``regions``: reports per province / city / county, with the years covered.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from govcrawl.catalog.schema import LATEST_REPORTS

VIEWS: dict[str, str] = {
    "latest_reports": """
        SELECT id, url, version, title, agency, admin_level, adcode, division_level, province, city, county,
               report_year, published, format, site, checks_ok, checks_failed, flags, warc_filename, warc_offset,
               warc_record_id, fetched_at, first_seen_at, last_seen_at,
               (SELECT w.withdrawn_at FROM withdrawals AS w WHERE w.canonical_url = r.canonical_url
                AND w.reinstated_at IS NULL ORDER BY w.id DESC LIMIT 1) AS withdrawn_at
        FROM """ + LATEST_REPORTS + """ AS r WHERE _rank = 1""",
    "report_figures": """
        SELECT r.id AS report_id, r.url, r.agency, r.province, r.report_year, f.key AS figure, f.value AS value
        FROM reports AS r, json_each(json_extract(r.item_json, '$.figures')) AS f
        WHERE f.value IS NOT NULL""",
    "failed_checks": """
        SELECT r.id AS report_id, r.url, r.agency, r.report_year, json_extract(c.value, '$.rule') AS rule,
               json_extract(c.value, '$.detail') AS detail
        FROM reports AS r, json_each(json_extract(r.item_json, '$.checks')) AS c
        WHERE json_extract(c.value, '$.ok') = 0""",
    "regions": """
        SELECT adcode, division_level, province, city, county, COUNT(*) AS reports, MIN(report_year) AS first_year,
               MAX(report_year) AS last_year
        FROM reports GROUP BY adcode, division_level, province, city, county ORDER BY reports DESC""",
}

REPORT_COLUMNS: dict[str, str] = {
    "url": "URL of the report page (or of the attachment for attachment-only reports)",
    "version": "1 for the first capture of this URL; +1 each time its content changed",
    "title": "title as published",
    "agency": "issuing body (发布机构), validated against the division table and agency suffixes",
    "admin_level": "ministry, province, city, county, township or unknown",
    "adcode": "6-digit administrative-division code (行政区划代码) of the agency's most specific division; "
              "empty when no code places it (govcrawl regions --unmatched)",
    "division_level": "level of that code: province, city (prefecture level) or county (county level)",
    "province": "province of the agency (from China's administrative-division codes)",
    "city": "prefecture-level city of the agency",
    "county": "county-level division of the agency",
    "report_year": "the year the report covers (not the year it was published)",
    "published": "publication date (ISO), from the page's metadata or the signature date",
    "format": "template generation: pre2019, 2019 (国办发〔2019〕) or 2021 (国办公开办函〔2021〕30号)",
    "site": "registry name of the site the report was found on",
    "checks_ok": "consistency checks passed",
    "checks_failed": "consistency checks failed (flagged, never fixed: see failed_checks)",
    "flags": "machine-readable problems with the capture or its parse (JSON list)",
    "warc_filename": "WARC file holding the response record",
    "warc_offset": "byte offset of the record in that file",
    "warc_record_id": "WARC-Record-ID of the response (or revisit) record: cite it with the URL and time",
    "fetched_at": "capture time (UTC)",
    "first_seen_at": "when this version was first catalogued",
    "last_seen_at": "when this version was last seen listed",
    "withdrawn_at": "when a nightly run found the report gone (see the withdrawals table); empty while listed",
}
VIEW_DESCRIPTIONS: dict[str, str] = {
    "latest_reports": "The latest version of each report (one row per URL).",
    "report_figures": "Key figures of every report in long format: one row per report and figure.",
    "failed_checks": "Every failed consistency check (勾稽关系, narrative vs table, cross-year), with its detail.",
    "regions": "How many reports each province / city / county has, and which years they cover.",
}


def ensure_views(catalog: Path) -> None:
    """(Re)create the browsing views in ``catalog`` (the tables are not touched; an older catalog is migrated
    first, so the views' columns exist)."""
    from govcrawl.catalog import Catalog

    Catalog(catalog).close()
    with sqlite3.connect(catalog, timeout=60) as conn:
        for name, sql in VIEWS.items():
            conn.execute(f"DROP VIEW IF EXISTS {name}")
            conn.execute(f"CREATE VIEW {name} AS {sql}")


def metadata(database: str = "catalog") -> dict[str, Any]:
    """Datasette metadata: a title, and a description of every table, view and report column."""
    tables: dict[str, Any] = {
        "reports": {"description": "Every catalogued version of every report.", "columns": REPORT_COLUMNS},
        "latest_reports": {"description": VIEW_DESCRIPTIONS["latest_reports"], "columns": REPORT_COLUMNS},
    }
    tables["withdrawals"] = {
        "description": "Reports a nightly run found gone: no longer listed in their column, answering 404/410, or "
                       "replaced by a 'content deleted' page; with the evidence capture's WARC record.",
        "columns": {"reason": "unlisted, http_404, http_410 or removed_stub",
                    "withdrawn_at": "time of the evidence capture (UTC)",
                    "evidence_url": "the URL whose answer shows it: the report's own, or the column page",
                    "evidence_record_id": "WARC-Record-ID of that capture",
                    "reinstated_at": "set when the report was listed and answered again"}}
    for name in ("report_figures", "failed_checks", "regions"):
        tables[name] = {"description": VIEW_DESCRIPTIONS[name]}
    tables["report_figures"]["columns"] = {"figure": "figure key (see docs/schema.md)", "value": "its value"}
    tables["failed_checks"]["columns"] = {"rule": "check name", "detail": "what disagreed, with both numbers"}
    return {"title": "govcrawl catalog: 政府信息公开工作年度报告",
            "description": "Reports, figures and checks of the corpus. Read-only.",
            "databases": {database: {"tables": tables}}}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def datasette_command(catalog: Path, metadata_file: Path, port: int) -> list[str]:
    """The Datasette command line: 127.0.0.1 only; no write API is allowed (Datasette denies writes without a
    token, and none is created), and the catalog is read live (a running crawl's WAL included)."""
    return [sys.executable, "-m", "datasette", "serve", str(catalog), "--host", "127.0.0.1",
            "--port", str(port), "--metadata", str(metadata_file), "--setting", "sql_time_limit_ms", "5000"]


def start_datasette(catalog: Path, port: int = 0) -> tuple[subprocess.Popen[bytes], int, Path]:
    """Start Datasette over ``catalog``; returns the process, its port and the metadata file it reads."""
    catalog = Path(catalog)
    if not catalog.is_file():
        raise FileNotFoundError(f"no catalog at {catalog}")
    ensure_views(catalog)
    port = port or free_port()
    metadata_file = Path(tempfile.mkdtemp(prefix="govcrawl-serve-")) / "metadata.json"
    metadata_file.write_text(json.dumps(metadata(catalog.stem), ensure_ascii=False, indent=1), encoding="utf-8")
    process = subprocess.Popen(datasette_command(catalog, metadata_file, port))
    return process, port, metadata_file


def add_arguments(parser: Any) -> None:
    """Arguments of ``govcrawl serve``."""
    parser.add_argument("--catalog", default="archive/catalog.sqlite", help="catalog file (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8001, help="port on 127.0.0.1 (default: %(default)s; 0: any)")


def run(args: Any) -> int:
    """``govcrawl serve``: Datasette over the catalog on 127.0.0.1 until interrupted (SIGINT or SIGTERM)."""
    import signal

    catalog = Path(args.catalog)
    if not catalog.is_file():
        print(f"govcrawl serve: no catalog at {catalog}", file=sys.stderr)
        return 2

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    process, port, _ = start_datasette(catalog, args.port)
    print(f"govcrawl serve: http://127.0.0.1:{port}/{catalog.stem} (Ctrl-C stops)", file=sys.stderr, flush=True)
    try:
        return process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
