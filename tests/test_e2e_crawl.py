"""The full crawl path end to end: ``scrapy crawl gov_reports`` in a child process against the mock portal with the
project's own settings and defaults (archive and catalog under ``./archive``), then the items, the discovery
provenance and stats, the ``source`` pointers into the WARC files, the catalog, and ``govcrawl rebuild`` on the
archive yielding the crawl's items. Two crawls: the county site; the encodings and attachments sites.

``BodyRecorder`` (enabled for these crawls only) records, for every capture the spider yields, the body it saw,
its status and discovery, and the text extraction made of it, so the tests can compare them with the archive.
WARC-format details (gzip/chunked payloads, ``warcio check``, file names) are checked in test_warc_crawl.py.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import unicodedata
from base64 import b32encode
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from itemadapter import ItemAdapter

from govcrawl.extract import extract_document
from govcrawl.schema import schema_errors

REPO = Path(__file__).resolve().parents[1]
RECORD_SETTING = "GOVCRAWL_TEST_BODY_RECORD"


PORTAL_SITES = ["county", "encodings", "attachments"]
FILE_SUFFIXES = (".pdf", ".doc", ".docx", ".wps")


class BodyRecorder:
    """Item pipeline (test only, runs before ReportPipeline): logs each capture's body digest, status, discovery
    and live text (attachments too, with their parent's URL)."""

    def __init__(self, path: str) -> None:
        self.handle = open(path, "a", encoding="utf-8")

    @classmethod
    def from_crawler(cls, crawler: Any) -> BodyRecorder:
        return cls(crawler.settings.get(RECORD_SETTING))

    def _record(self, item: Any, role: str, parent: str | None = None) -> None:
        capture = ItemAdapter(item)
        body = bytes(capture.get("body") or b"")
        document = extract_document(body, capture.get("content_type"), capture["url"])
        self.handle.write(json.dumps({
            "url": capture["url"], "role": role, "parent": parent, "sha256": hashlib.sha256(body).hexdigest(),
            "length": len(body), "status": capture.get("status"), "content_type": capture.get("content_type"),
            "discovery": capture.get("discovery"), "text": document.text}, ensure_ascii=False) + "\n")
        for attachment in capture.get("attachments") or []:
            self._record(attachment, "attachment", capture["url"])

    def process_item(self, item: Any, spider: Any = None) -> Any:
        self._record(item, "report")
        self.handle.flush()
        return item

    def close_spider(self, spider: Any = None) -> None:
        self.handle.close()


def _folded(text: str) -> str:
    """Text compared modulo the parser's width folding (：-> :) and line breaks."""
    return unicodedata.normalize("NFKC", text).replace("\n", "")


def _sha1_b32(data: bytes) -> str:
    return "sha1:" + b32encode(hashlib.sha1(data).digest()).decode("ascii")


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_crawl(work: Path, start_urls: list[str]) -> dict[str, Any]:
    """A plain ``scrapy crawl gov_reports`` run from ``work`` with the project's settings and defaults (so
    ``./archive`` holds the WARC files and the catalog), plus the BodyRecorder and a stats file."""
    from govcrawl.addon import COMPONENTS

    pipelines = dict(COMPONENTS["ITEM_PIPELINES"])  # a -s dict replaces the add-on's
    pipelines["tests.test_e2e_crawl.BodyRecorder"] = 100
    command = [
        sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-a", "start_urls=" + ",".join(start_urls),
        "-s", "GOVCRAWL_FAST_LOCAL=True", "-s", f"GOVCRAWL_STATS_FILE={work / 'stats.json'}",
        "-s", f"ITEM_PIPELINES={json.dumps(pipelines)}", "-s", f"{RECORD_SETTING}={work / 'bodies.jsonl'}",
        "-s", "LOG_LEVEL=INFO", "-O", "items.jsonl:jsonlines",
    ]
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="govcrawl.settings",
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    captures = _jsonl(work / "bodies.jsonl")
    return {"work": work, "archive": work / "archive", "items": _jsonl(work / "items.jsonl"), "captures": captures,
            "bodies": {c["url"]: c for c in captures},
            "stats": json.loads((work / "stats.json").read_text(encoding="utf-8")), "log": result.stderr}


def assert_exact_reports(items: list[dict[str, Any]], expected: set[str]) -> None:
    urls = Counter(item["url"] for item in items)
    duplicates = sorted(url for url, count in urls.items() if count > 1)
    assert not duplicates, f"reports emitted more than once: {duplicates}"
    assert set(urls) == expected, f"missing {sorted(expected - set(urls))}, extra {sorted(set(urls) - expected)}"


def assert_discovery_provenance(crawl: dict[str, Any]) -> None:
    """Every report capture says where it was listed, came with a 200 and a body; the stats count them (HTML
    report pages and attachment-only entries apart)."""
    reports = [c for c in crawl["captures"] if c["role"] == "report"]
    assert reports and len(reports) == len(crawl["items"])
    assert all(c["discovery"]["list_url"] and c["discovery"]["site"] for c in reports)
    assert all(c["status"] == 200 and c["length"] > 0 for c in reports)
    stats = crawl["stats"]
    assert stats["govcrawl/reports"] + stats.get("govcrawl/reports/attachment_only", 0) == len(crawl["items"])


def _catalog_rows(path: Path) -> dict[str, list[sqlite3.Row]]:
    """All rows of the catalog tables a crawl fills."""
    assert path.exists(), f"no catalog at {path}"
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return {table: conn.execute(f"SELECT * FROM {table}").fetchall() for table in ("runs", "captures", "reports")}


def _rebuild(archive: Path, out: Path, *args: str) -> dict[str, dict[str, Any]]:
    result = subprocess.run([sys.executable, "-m", "govcrawl.cli", "rebuild", str(archive), "-o", str(out), *args],
                            cwd=REPO, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    return {item["url"]: item for item in _jsonl(out)}


@pytest.fixture(scope="module")
def crawl(portal, read_warc, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The county site: TRS list pages, decoys, a GBK page, a gzip and a chunked response."""
    (start,) = portal.start_urls["county"]
    result = run_crawl(tmp_path_factory.mktemp("e2e"), [start])
    return {**result, "start": start, "expected": portal.expected_for(start), "records": read_warc(result["archive"]),
            "reports": portal.reports("county"), "decoys": portal.decoys("county"), "twins": portal.twins("county"),
            "traps": portal.traps("county")}


def test_every_report_found_once_and_no_decoy(crawl: dict[str, Any]) -> None:
    assert_exact_reports(crawl["items"], crawl["expected"])
    urls = [item["url"] for item in crawl["items"]]
    assert set(urls) == set(crawl["reports"])
    assert not set(urls) & set(crawl["decoys"]) and not set(urls) & set(crawl["twins"])
    assert_discovery_provenance(crawl)
    for item in crawl["items"]:
        assert schema_errors(item) == [], item["url"]
        assert not [flag for flag in item["flags"] if flag.startswith("extract_error")], item["flags"]
        truth = crawl["reports"][item["url"]]
        assert (item["title"], item["report_year"], item["agency"]) == (truth.title, truth.year, truth.agency)
        if truth.phrase:  # includes the GBK page: its text decoded right
            assert _folded(truth.phrase) in _folded(item["text"]), item["url"]


def test_no_browser_started_for_a_static_site(crawl: dict[str, Any]) -> None:
    assert "govcrawl/browser/started" not in crawl["stats"]
    assert not any(key.startswith("playwright/") for key in crawl["stats"])


def test_source_points_at_the_response_record_and_text_rebuilds(crawl: dict[str, Any], read_warc) -> None:
    assert {"warcinfo", "response", "request", "metadata"} <= {record.type for record in crawl["records"]}
    for item in crawl["items"]:
        source = item["source"]
        assert source["url"] == item["url"] and source["list_url"] and source["link_text"]
        (record,) = read_warc(crawl["archive"] / source["warc_filename"], source["warc_offset"])
        assert record.type == "response"
        assert record.id == source["warc_record_id"] and record.uri == item["url"]
        assert record.headers.get_header("WARC-Payload-Digest") == source["payload_digest"] == _sha1_b32(record.raw)
        assert record.headers.get_header("WARC-Date") == source["fetched_at"]
        decoded = record.decoded()
        live = crawl["bodies"][item["url"]]
        assert hashlib.sha256(decoded).hexdigest() == live["sha256"] and len(decoded) == live["length"]
        if item["url"] == crawl["traps"]["gzip_page"]:  # archived before HttpCompressionMiddleware: as sent
            assert record.http.get_header("Content-Encoding") == "gzip" and record.raw[:2] == b"\x1f\x8b"
            assert gzip.decompress(record.raw) == decoded
        rebuilt = extract_document(decoded, record.http.get_header("Content-Type"), item["url"])
        assert rebuilt.text == live["text"], item["url"]


def test_catalog_sits_under_the_archive_with_one_report_row_per_item(crawl: dict[str, Any]) -> None:
    rows = _catalog_rows(crawl["archive"] / "catalog.sqlite")  # the default: <GOVCRAWL_ARCHIVE_DIR>/catalog.sqlite
    items = crawl["items"]
    assert len(rows["reports"]) == len(items) == len(crawl["expected"])
    assert {row["url"] for row in rows["reports"]} == crawl["expected"]
    assert [row["status"] for row in rows["runs"]] == ["finished"]
    report_captures = [row for row in rows["captures"] if row["role"] == "report"]
    assert len(report_captures) == len(items) and all(row["warc_record_id"] for row in report_captures)
    warc_names = {path.name for path in crawl["archive"].glob("*.warc.gz")}
    assert {row["warc_filename"] for row in rows["captures"] if row["warc_filename"]} == warc_names


def test_feed_lines_are_the_catalogs_item_json(crawl: dict[str, Any]) -> None:
    """The JSON lines feed reuses the catalog's encoding of each report item (govcrawl.catalog.feed): every
    line is the item's catalog JSON (sorted, compact), and the report row holds that item (plus the checks
    across reports the catalog adds to a stored item when the other year's report turns up)."""
    from govcrawl.catalog.schema import CROSS_REPORT_RULES, ItemEncoding

    rows = _catalog_rows(crawl["archive"] / "catalog.sqlite")["reports"]
    stored = {row["url"]: json.loads(row["item_json"]) for row in rows}
    lines = (crawl["work"] / "items.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(stored) == len(crawl["items"])
    for line, item in zip(lines, crawl["items"], strict=True):
        assert line == ItemEncoding(item).item_json(), item["url"]
        row = stored[item["url"]]
        row["checks"] = [c for c in row["checks"] if c["rule"] not in CROSS_REPORT_RULES]
        assert row == item, item["url"]


def test_govcrawl_rebuild_yields_the_crawls_items(crawl: dict[str, Any]) -> None:
    one = _rebuild(crawl["archive"], crawl["work"] / "rebuilt-j1.jsonl", "-j", "1")
    two = _rebuild(crawl["archive"], crawl["work"] / "rebuilt-j2.jsonl", "-j", "2")
    # deterministic, whatever the worker count
    assert (crawl["work"] / "rebuilt-j1.jsonl").read_bytes() == (crawl["work"] / "rebuilt-j2.jsonl").read_bytes()
    assert one == two
    live = {item["url"]: item for item in crawl["items"]}
    assert one.keys() == live.keys()
    for url, item in live.items():
        assert one[url] == item, url


@pytest.fixture(scope="module")
def attachment_crawl(portal, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The encodings and attachments sites: GBK/GB18030/wrong charsets; PDF/DOCX/DOC/WPS attachments,
    attachment-only list entries, an image-only PDF."""
    sites = ["encodings", "attachments"]
    starts = [url for site in sites for url in portal.start_urls[site]]
    result = run_crawl(tmp_path_factory.mktemp("e2e-attachments"), starts)
    return {**result, "by_url": {item["url"]: item for item in result["items"]},
            "expected": set().union(*(portal.expected_for(start) for start in starts)),
            "reports": {url: truth for site in sites for url, truth in portal.reports(site).items()},
            "phrases": {url: phrase for site in sites for url, phrase in portal.phrases(site).items()}}


def test_encodings_and_attachment_reports_extracted(attachment_crawl: dict[str, Any]) -> None:
    assert_exact_reports(attachment_crawl["items"], attachment_crawl["expected"])
    assert_discovery_provenance(attachment_crawl)
    items, reports = attachment_crawl["by_url"], attachment_crawl["reports"]
    assert set(items) == set(reports)
    phrases = attachment_crawl["phrases"]
    assert phrases
    for url, phrase in phrases.items():
        if url in items:
            assert _folded(phrase) in _folded(items[url]["text"]), url
    kinds = {truth.kind for truth in reports.values()}
    assert {"pdf", "docx", "doc", "wps", "image_pdf"} <= kinds
    for url, truth in reports.items():
        item = items[url]
        assert schema_errors(item) == [], url
        if truth.kind == "image_pdf":
            assert "image_only" in item["flags"] and item["title"] == truth.title, url
        elif truth.kind in ("pdf", "docx", "doc", "wps"):
            if url.endswith(f".{truth.kind}"):  # attachment-only list entry: the report IS the file
                assert item["attachments"] == [], url
            else:  # an HTML stub page: the text came from its attachment of that kind
                (source,) = [a for a in item["attachments"] if a.get("text_source")]
                assert source["kind"] == truth.kind and source["text_chars"] > 200, url
            assert item["report_year"] == truth.year and "image_only" not in item["flags"], url
            if truth.phrase:
                assert _folded(truth.phrase) in _folded(item["text"]), url
            if truth.kind in ("doc", "wps"):  # binary Word: its standard tables come through exactly
                assert {key: table["values"] for key, table in item["tables"].items()} == truth.tables, url
                assert all(check["ok"] for check in item["checks"]), (url, item["checks"])
        for attachment_url in truth.attachments:
            assert any(a["url"] == attachment_url for a in item["attachments"]) or attachment_url == url, url


def test_attachments_fetched_with_their_parent_and_attachment_only_entries(attachment_crawl: dict[str, Any]) -> None:
    captures, reports = attachment_crawl["captures"], attachment_crawl["reports"]
    for report in (c for c in captures if c["role"] == "report"):
        truth = reports[report["url"]]
        attachments = [c for c in captures if c["role"] == "attachment" and c["parent"] == report["url"]]
        if report["url"].lower().endswith(FILE_SUFFIXES):
            assert attachments == [] and report["content_type"].startswith("application/"), report["url"]
        else:
            assert len(attachments) == len(truth.attachments), (report["url"], attachments, truth.attachments)
            assert all(a["length"] > 0 and a["discovery"]["parent_url"] == report["url"] for a in attachments)
    assert attachment_crawl["stats"]["govcrawl/reports/attachment_only"] >= 1


def test_rebuild_joins_attachments_like_the_crawl(attachment_crawl: dict[str, Any]) -> None:
    rebuilt = _rebuild(attachment_crawl["archive"], attachment_crawl["work"] / "rebuilt.jsonl")
    assert rebuilt.keys() == attachment_crawl["by_url"].keys()
    for url, item in attachment_crawl["by_url"].items():
        assert rebuilt[url] == item, url
