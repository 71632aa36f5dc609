"""Issue 3 "Must show": crawl the mock county portal with ``scrapy crawl gov_reports -a start_urls=…`` in a
subprocess, then check the items, the WARC archive (warcio, digests), the gzip/chunked round trips, the
``source`` pointers, and that ``govcrawl rebuild`` on the archive yields the crawl's items.

``BodyRecorder`` (enabled for the test crawl only) records, for every Capture, the body the spider saw and
the text extraction made of it, so the test can compare them with what the archive holds.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import unicodedata
from base64 import b32encode
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from govcrawl.capture import Capture
from govcrawl.extract import extract_document
from govcrawl.schema import schema_errors

REPO = Path(__file__).resolve().parents[1]
RECORD_SETTING = "GOVCRAWL_TEST_BODY_RECORD"


class BodyRecorder:
    """Item pipeline (test only, runs before ReportPipeline): logs each capture's body digest and live text."""

    def __init__(self, path: str) -> None:
        self.handle = open(path, "a", encoding="utf-8")

    @classmethod
    def from_crawler(cls, crawler: Any) -> BodyRecorder:
        return cls(crawler.settings.get(RECORD_SETTING))

    def _record(self, item: Capture, role: str) -> None:
        body = bytes(item.body or b"")
        document = extract_document(body, item.content_type, item.url)
        self.handle.write(json.dumps({"url": item.url, "role": role, "sha256": hashlib.sha256(body).hexdigest(),
                                      "length": len(body), "text": document.text}, ensure_ascii=False) + "\n")
        for attachment in item.attachments:
            self._record(attachment, "attachment")

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


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from govcrawl.addon import COMPONENTS
    from govcrawl.demo.portal import Portal

    work = tmp_path_factory.mktemp("e2e")
    archive = work / "archive"
    pipelines = dict(COMPONENTS["ITEM_PIPELINES"])  # a -s dict replaces the add-on's
    pipelines["tests.test_e2e_crawl.BodyRecorder"] = 100
    with Portal(sites=["county"]).start() as portal:
        start_url = portal.start_urls["county"][0]
        command = [
            sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-a", f"start_urls={start_url}",
            "-s", f"GOVCRAWL_ARCHIVE_DIR={archive}", "-s", "GOVCRAWL_CATALOG=", "-s", "GOVCRAWL_FAST_LOCAL=1",
            "-s", f"ITEM_PIPELINES={json.dumps(pipelines)}", "-s", f"{RECORD_SETTING}={work / 'bodies.jsonl'}",
            "-s", "LOG_LEVEL=INFO", "-O", f"{work / 'items.jsonl'}:jsonlines",
        ]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
        result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
        truth = {"reports": portal.reports("county"), "decoys": portal.decoys("county"),
                 "twins": portal.twins("county"), "traps": portal.traps("county")}
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in (work / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    bodies = [json.loads(line) for line in (work / "bodies.jsonl").read_text(encoding="utf-8").splitlines()]
    return {"work": work, "archive": archive, "items": items, "bodies": {b["url"]: b for b in bodies},
            "log": result.stderr, **truth}


def _records(archive: Path) -> list[dict[str, Any]]:
    """Every record of every file, read with digest checking that raises on a mismatch."""
    records = []
    for path in sorted(archive.iterdir()):
        with open(path, "rb") as handle:
            iterator = ArchiveIterator(handle, check_digests="raise")
            for record in iterator:
                raw = record.raw_stream.read() if record.rec_type in ("response", "revisit") else b""
                records.append({"file": path.name, "offset": iterator.get_record_offset(), "type": record.rec_type,
                                "id": record.rec_headers.get_header("WARC-Record-ID"),
                                "uri": record.rec_headers.get_header("WARC-Target-URI"),
                                "payload_digest": record.rec_headers.get_header("WARC-Payload-Digest"),
                                "http": record.http_headers, "raw": raw})
    return records


def _payload_at(archive: Path, filename: str, offset: int) -> tuple[Any, bytes, bytes]:
    """(record, raw stored payload, decoded payload) of the record at ``offset`` of ``filename``."""
    with open(archive / filename, "rb") as handle:
        handle.seek(offset)
        record = next(iter(ArchiveIterator(handle)))
        raw = record.raw_stream.read()
    with open(archive / filename, "rb") as handle:
        handle.seek(offset)
        decoded = next(iter(ArchiveIterator(handle))).content_stream().read()
    return record, raw, decoded


def test_every_report_found_once_and_no_decoy(crawl: dict[str, Any]) -> None:
    urls = [item["url"] for item in crawl["items"]]
    assert len(urls) == len(set(urls)), "a report was emitted twice"
    assert set(urls) == set(crawl["reports"])
    assert not set(urls) & set(crawl["decoys"]) and not set(urls) & set(crawl["twins"])
    for item in crawl["items"]:
        assert schema_errors(item) == [], item["url"]
        assert not [flag for flag in item["flags"] if flag.startswith("extract_error")], item["flags"]
        truth = crawl["reports"][item["url"]]
        assert (item["title"], item["report_year"], item["agency"]) == (truth.title, truth.year, truth.agency)
        if truth.phrase:  # includes the GBK page: its text decoded right
            assert _folded(truth.phrase) in _folded(item["text"]), item["url"]


def test_warc_files_closed_and_digests_verified(crawl: dict[str, Any]) -> None:
    names = sorted(os.listdir(crawl["archive"]))
    assert names and all(name.endswith(".warc.gz") for name in names), names  # no .open left behind
    records = _records(crawl["archive"])  # check_digests="raise": any mismatch fails here
    kinds = {record["type"] for record in records}
    assert {"warcinfo", "response", "request", "metadata"} <= kinds
    checker = subprocess.run([sys.executable, "-c", "import sys; from warcio.cli import main; sys.exit(main())",
                              "check", "-v", *[str(crawl["archive"] / n) for n in names]],
                             capture_output=True, text=True, timeout=120)
    assert checker.returncode == 0, checker.stdout[-2000:] + checker.stderr[-2000:]
    passes = checker.stdout.count("digest pass")
    assert passes >= len([r for r in records if r["type"] in ("response", "request")])
    assert "fail" not in checker.stdout.lower()


def test_gzip_response_stored_as_sent_and_decodes_to_the_body_the_spider_saw(crawl: dict[str, Any]) -> None:
    url = crawl["traps"]["gzip_page"]
    record = next(r for r in _records(crawl["archive"]) if r["type"] == "response" and r["uri"] == url)
    assert record["http"].get_header("Content-Encoding") == "gzip"
    assert record["raw"][:2] == b"\x1f\x8b"  # stored compressed, as the server sent it
    assert record["payload_digest"] == _sha1_b32(record["raw"])
    seen = crawl["bodies"][url]
    item = next(i for i in crawl["items"] if i["url"] == url)
    _, raw, decoded = _payload_at(crawl["archive"], item["source"]["warc_filename"], item["source"]["warc_offset"])
    assert raw == record["raw"] and gzip.decompress(raw) == decoded
    assert hashlib.sha256(decoded).hexdigest() == seen["sha256"] and len(decoded) == seen["length"]


def test_chunked_response_round_trips(crawl: dict[str, Any]) -> None:
    url = crawl["traps"]["chunked_page"]
    record = next(r for r in _records(crawl["archive"]) if r["type"] == "response" and r["uri"] == url)
    headers = record["http"]
    # stored de-chunked: a Content-Length that matches, the original framing kept as X-Orig-Transfer-Encoding
    assert headers.get_header("Transfer-Encoding") is None
    assert headers.get_header("X-Orig-Transfer-Encoding") == "chunked"
    assert int(headers.get_header("Content-Length")) == len(record["raw"])
    assert hashlib.sha256(record["raw"]).hexdigest() == crawl["bodies"][url]["sha256"]


def test_source_points_at_the_response_record_and_text_rebuilds(crawl: dict[str, Any]) -> None:
    for item in crawl["items"]:
        source = item["source"]
        assert source["url"] == item["url"] and source["list_url"] and source["link_text"]
        record, raw, decoded = _payload_at(crawl["archive"], source["warc_filename"], source["warc_offset"])
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Record-ID") == source["warc_record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == item["url"]
        assert record.rec_headers.get_header("WARC-Payload-Digest") == source["payload_digest"] == _sha1_b32(raw)
        assert record.rec_headers.get_header("WARC-Date") == source["fetched_at"]
        live = crawl["bodies"][item["url"]]
        assert hashlib.sha256(decoded).hexdigest() == live["sha256"]
        rebuilt = extract_document(decoded, record.http_headers.get_header("Content-Type"), item["url"])
        assert rebuilt.text == live["text"], item["url"]


def test_govcrawl_rebuild_yields_the_crawls_items(crawl: dict[str, Any]) -> None:
    outputs = {}
    for jobs in ("1", "2"):
        out = crawl["work"] / f"rebuilt-j{jobs}.jsonl"
        result = subprocess.run([sys.executable, "-m", "govcrawl.cli", "rebuild", str(crawl["archive"]), "-o", str(out),
                                 "-j", jobs], cwd=REPO, capture_output=True, text=True, timeout=240)
        assert result.returncode == 0, result.stderr[-2000:]
        outputs[jobs] = out.read_text(encoding="utf-8")
    assert outputs["1"] == outputs["2"]  # deterministic, whatever the worker count
    rebuilt = {item["url"]: item for item in map(json.loads, outputs["1"].splitlines())}
    live = {item["url"]: item for item in crawl["items"]}
    assert rebuilt.keys() == live.keys()
    for url, item in live.items():
        assert rebuilt[url] == item, url


@pytest.fixture(scope="module")
def attachment_crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A crawl of the encodings and attachments mock sites (issue 4 items 2 and 4)."""
    from govcrawl.demo.portal import Portal

    work = tmp_path_factory.mktemp("e2e-attachments")
    sites = ["encodings", "attachments"]
    with Portal(sites=sites).start() as portal:
        start_urls = ",".join(url for site in sites for url in portal.start_urls[site])
        command = [
            sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-a", f"start_urls={start_urls}",
            "-s", f"GOVCRAWL_ARCHIVE_DIR={work / 'archive'}", "-s", "GOVCRAWL_CATALOG=",
            "-s", "GOVCRAWL_FAST_LOCAL=1", "-s", "LOG_LEVEL=INFO", "-O", f"{work / 'items.jsonl'}:jsonlines",
        ]
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=240)
        truth = {"reports": portal.reports(), "phrases": portal.phrases()}
    assert result.returncode == 0, result.stderr[-3000:]
    items = [json.loads(line) for line in (work / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    return {"work": work, "items": {item["url"]: item for item in items}, **truth}


def test_encodings_and_attachment_reports_extracted(attachment_crawl: dict[str, Any]) -> None:
    items, reports = attachment_crawl["items"], attachment_crawl["reports"]
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


def test_rebuild_joins_attachments_like_the_crawl(attachment_crawl: dict[str, Any]) -> None:
    out = attachment_crawl["work"] / "rebuilt.jsonl"
    result = subprocess.run([sys.executable, "-m", "govcrawl.cli", "rebuild", str(attachment_crawl["work"] / "archive"),
                             "-o", str(out)], cwd=REPO, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    rebuilt = {item["url"]: item for item in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert rebuilt.keys() == attachment_crawl["items"].keys()
    for url, item in attachment_crawl["items"].items():
        assert rebuilt[url] == item, url
