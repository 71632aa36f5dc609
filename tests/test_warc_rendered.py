"""Browser-rendered pages in the archive: a real crawl of the mock portal's JS-only list (site ``jsonly``) through
Chromium (scrapy-playwright). The rendered DOM is a ``conversion`` record, not a response/request pair; the raw
document and the XHR JSON are response records; ``warcio check`` passes; rebuild yields exactly the live items.
Plus middleware-level tests of the conversion record (rendered report page, WARC-Refers-To) and the reader.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from govcrawl.demo.portal import Portal
from govcrawl.rebuild import rebuild_items
from govcrawl.warc.middleware import WarcArchiveMiddleware
from govcrawl.warc.reader import index_captures, iter_captures
from govcrawl.warc.records import new_record_id, payload_digest
from tests.crawling import crawl_column

ROOT = Path(__file__).resolve().parents[1]


def read_archive(archive: Path) -> list[dict[str, Any]]:
    """Every record of every closed WARC file: type, WARC headers, HTTP headers, payload."""
    out = []
    for path in sorted(archive.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                out.append({"type": record.rec_type, "headers": record.rec_headers, "http": record.http_headers,
                            "payload": record.content_stream().read()})
    return out


@pytest.fixture(scope="module")
def jsonly_crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("rendered")
    with Portal(sites=["jsonly"]).start() as portal:
        (start,) = portal.start_urls["jsonly"]
        items, stats = crawl_column(start, tmp, timeout=180)
        expected = portal.expected_for(start)
    return {"start": start, "archive": tmp / "archive", "items": items, "stats": stats, "expected": expected}


@pytest.mark.browser
def test_rendered_dom_is_a_conversion_record_next_to_the_raw_exchanges(jsonly_crawl: dict[str, Any]) -> None:
    start, stats = jsonly_crawl["start"], jsonly_crawl["stats"]
    assert stats["govcrawl/browser/started"] == 1 and stats["warc/conversions"] == 1
    assert {item["url"] for item in jsonly_crawl["items"]} == jsonly_crawl["expected"]
    records = read_archive(jsonly_crawl["archive"])
    (conversion,) = [r for r in records if r["type"] == "conversion"]
    headers = conversion["headers"]
    assert headers.get_header("WARC-Target-URI") == start
    assert headers.get_header("Content-Type") == "text/html; charset=utf-8"
    assert headers.get_header("Govcrawl-Rendered-By") == "chromium"
    assert headers.get_header("WARC-Payload-Digest") == payload_digest(conversion["payload"])
    dom = conversion["payload"]
    report_paths = [u.split("/", 3)[3] for u in jsonly_crawl["expected"]]
    assert any(path.encode() in dom for path in report_paths), "the DOM holds the links the script inserted"
    # the raw document (as the server sent it, without the links) and the XHR JSON are response records
    responses = [r for r in records if r["type"] == "response"]
    raw = [r for r in responses if r["headers"].get_header("WARC-Target-URI") == start]
    assert raw and all(r["payload"] != dom for r in raw)
    assert not any(path.encode() in r["payload"] for r in raw for path in report_paths)
    xhr = [r for r in responses if "json" in (r["http"].get_header("Content-Type") or "")]
    assert xhr and any(any(path.encode() in r["payload"] for path in report_paths) for r in xhr)
    assert all(r["payload"] != dom for r in responses), "the DOM is never stored as an HTTP response"
    record_id = headers.get_header("WARC-Record-ID")
    assert not [r for r in records if r["headers"].get_header("WARC-Concurrent-To") == record_id], \
        "a rendered list page has no request and no metadata record"
    refers_to = headers.get_header("WARC-Refers-To")
    if refers_to is not None:  # the spider gave the document exchange its record id
        (document,) = [r for r in raw if r["headers"].get_header("WARC-Record-ID") == refers_to]
    check = subprocess.run(["warcio", "check", "-v", *map(str, sorted(jsonly_crawl["archive"].glob("*.warc.gz")))],
                           capture_output=True, text=True)
    assert check.returncode == 0 and "digest pass" in check.stdout, check.stdout + check.stderr


@pytest.mark.browser
def test_rebuild_of_a_rendered_crawl_yields_the_reports_only(jsonly_crawl: dict[str, Any]) -> None:
    live = {item["url"]: item for item in jsonly_crawl["items"]}
    rebuilt = list(rebuild_items([jsonly_crawl["archive"]]))
    assert [item["url"] for item in rebuilt] == sorted(live), "the rendered list page is not a report"
    for item in rebuilt:
        assert item == live[item["url"]]


@pytest.mark.browser
def test_js_only_list_is_rendered_on_its_own_and_its_json_api_followed(jsonly_crawl: dict[str, Any]) -> None:
    urls = [item["url"] for item in jsonly_crawl["items"]]
    assert len(urls) == len(set(urls)), "a report was emitted twice"
    stats = jsonly_crawl["stats"]
    assert stats["govcrawl/browser/auto_render"] == 1  # no site hint: the empty scripted list asked for it
    assert stats["warc/browser_exchanges"] >= 2  # at least the document and the XHR JSON
    assert stats["govcrawl/browser/json_lists"] == 1  # the XHR list API was read too (and its pages followed)


def _middleware(tmp_path: Path) -> WarcArchiveMiddleware:
    crawler = get_crawler(settings_dict={"GOVCRAWL_ARCHIVE_DIR": str(tmp_path)})
    middleware = WarcArchiveMiddleware(crawler)
    assert middleware.writer is None and not list(tmp_path.iterdir()), "building it has no side effects"
    middleware.open()
    return middleware


def test_rendered_report_page_is_rebuilt_from_its_conversion_record(tmp_path: Path) -> None:
    """A report page fetched through the browser (e.g. behind a JS challenge): conversion + metadata; the
    WARC-Refers-To names the raw document's response record, written from the collected exchange."""
    url = "http://127.0.0.1:8000/nb/t1.html"
    raw = "<html><script>document.write('<p>二〇二三年报告</p>')</script></html>".encode("gbk")
    dom = "<html><head></head><body><p>二〇二三年报告</p></body></html>".encode("gbk")
    document = {"url": url, "status": 200, "method": "GET", "resource_type": "document", "body": raw,
                "headers": [("Content-Type", "text/html; charset=gbk"), ("Content-Encoding", "gzip")],
                "request_headers": [("user-agent", "Chromium")], "request_body": b"",
                "warc_record_id": new_record_id()}
    discovery = {"list_url": "http://127.0.0.1:8000/nb/index.html", "link_text": "2023年报", "site": "x"}
    request = Request(url, meta={"playwright": True, "govcrawl_rendered": True, "govcrawl_role": "report",
                                 "govcrawl_discovery": discovery, "govcrawl_browser_exchanges": [document]})
    response = HtmlResponse(url, status=200, body=dom, encoding="gbk", request=request, flags=["playwright"],
                            headers={"Content-Type": "text/html; charset=gbk"})
    middleware = _middleware(tmp_path)
    middleware.process_response(request, response)
    ref = request.meta["warc_ref"]
    middleware.close()
    ref.result(5)
    assert ref.record_type == "conversion" and ref.payload_digest == payload_digest(dom)
    records = read_archive(tmp_path)
    # the browser's raw exchange first (archived by the middleware), then the rendered DOM and its metadata
    assert [r["type"] for r in records] == ["warcinfo", "response", "request", "conversion", "metadata"]
    conversion = records[3]["headers"]
    assert conversion.get_header("WARC-Refers-To") == document["warc_record_id"]
    assert records[1]["headers"].get_header("WARC-Record-ID") == document["warc_record_id"]
    assert records[1]["payload"] == raw and records[1]["http"].get_header("X-Orig-Content-Encoding") == "gzip"
    assert conversion.get_header("Content-Type") == "text/html; charset=gbk"
    (capture,) = iter_captures([tmp_path])
    assert capture.body == dom and capture.content_type == "text/html; charset=gbk" and capture.status == 200
    assert capture.discovery == discovery
    assert capture.warc == ref.as_dict()
    (indexed,) = index_captures([tmp_path])
    assert indexed.record.record_type == "conversion" and indexed.payload_record == indexed.record


def test_rendered_page_without_known_document_has_no_refers_to(tmp_path: Path) -> None:
    url = "http://127.0.0.1:8000/list.html"
    request = Request(url, meta={"playwright": True, "govcrawl_role": "list", "govcrawl_browser_exchanges": [
        {"url": url, "resource_type": "document", "status": 200, "body": b"<html></html>"}]})
    response = HtmlResponse(url, body=b"<html><body><a href='/r'>r</a></body></html>", encoding="utf-8",
                            request=request, flags=["playwright"])
    middleware = _middleware(tmp_path)
    middleware.process_response(request, response)
    middleware.close()
    records = read_archive(tmp_path)
    assert [r["type"] for r in records] == ["warcinfo", "response", "request", "conversion"]
    assert records[3]["headers"].get_header("WARC-Refers-To") is None
    assert records[3]["headers"].get_header("Content-Type") == "text/html; charset=utf-8"
    assert index_captures([tmp_path]) == [], "a rendered list page is not a report"
