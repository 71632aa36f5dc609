"""IncrementalMiddleware on its own: which requests get validators / govcrawl_prior, and what a 304 becomes."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefused

from govcrawl.catalog import Catalog
from govcrawl.catalog.crawl import CatalogExtension, CatalogPipeline
from govcrawl.catalog.incremental import IncrementalMiddleware
from govcrawl.errors import NotModified
from tests.test_catalog import make_item

REPORT = "http://gov.example/xxgk/t1.html"
ATTACHMENT = "http://gov.example/xxgk/P020240101.pdf"


def seeded_catalog(path: Path) -> None:
    with Catalog(path) as cat:
        run = cat.start_run()
        for url, digest, rid in ((REPORT, "sha1:R", "<urn:uuid:r>"), (ATTACHMENT, "sha1:A", "<urn:uuid:a>")):
            cat.add_capture(url=url, status=200, run_id=run, record_type="response", payload_digest=digest,
                            warc_record_id=rid, fetched_at="2026-11-01T00:00:00Z", etag='"e1"',
                            last_modified="Sun, 01 Nov 2026 00:00:00 GMT")
        item = make_item(REPORT, record_id="<urn:uuid:r>")
        item["source"]["payload_digest"] = "sha1:R"
        cat.upsert_report(item, run_id=run, etag='"e1"', last_modified="Sun, 01 Nov 2026 00:00:00 GMT")
        cat.finish_run(run, "finished")


def middleware(tmp_path: Path, *, incremental: bool = True) -> IncrementalMiddleware:
    path = tmp_path / "catalog.sqlite"
    if not path.exists():
        seeded_catalog(path)
    crawler = get_crawler(settings_dict={"GOVCRAWL_CATALOG": str(path), "GOVCRAWL_INCREMENTAL": incremental,
                                         "EXTENSIONS": {CatalogExtension: 500}})
    mw = IncrementalMiddleware.from_crawler(crawler)
    crawler.get_extension(CatalogExtension).spider_opened(Spider("t"))  # the session opens with the spider
    return mw


def test_report_pages_are_revalidated_and_attachments_only_get_a_prior(tmp_path: Path) -> None:
    mw = middleware(tmp_path)
    report = Request(REPORT, meta={"govcrawl_role": "report"})
    mw.process_request(report)
    assert report.headers[b"If-None-Match"] == b'"e1"'
    assert report.headers[b"If-Modified-Since"] == b"Sun, 01 Nov 2026 00:00:00 GMT"
    assert report.meta["govcrawl_prior"] == {"payload_digest": "sha1:R", "uri": REPORT,
                                             "date": "2026-11-01T00:00:00Z"}
    attachment = Request(ATTACHMENT, meta={"govcrawl_role": "attachment"})
    mw.process_request(attachment)
    assert b"If-None-Match" not in attachment.headers  # its body is needed whenever the page changed
    assert attachment.meta["govcrawl_prior"]["payload_digest"] == "sha1:A"
    unknown = Request("http://gov.example/xxgk/new.html", meta={"govcrawl_role": "report"})
    mw.process_request(unknown)
    assert "govcrawl_prior" not in unknown.meta and b"If-None-Match" not in unknown.headers
    opted_out = Request(REPORT, meta={"govcrawl_role": "report", "govcrawl_revalidate": False})
    mw.process_request(opted_out)
    assert "govcrawl_prior" not in opted_out.meta


def test_a_304_marks_the_report_seen_and_never_reaches_the_spider(tmp_path: Path) -> None:
    mw = middleware(tmp_path)
    request = Request(REPORT, meta={"govcrawl_role": "report"})
    mw.process_request(request)
    with pytest.raises(NotModified):
        mw.process_response(request, Response(REPORT, status=304, headers={"ETag": '"e1"'}, request=request))
    ok = HtmlResponse(REPORT, status=200, body=b"<html></html>", request=request)
    assert mw.process_response(request, ok) is ok
    mw.session.catalog.commit()
    row = next(mw.session.catalog.reports())
    assert row["last_seen_run"] == mw.session.run_id != row["first_seen_run"]
    captures = mw.session.catalog.conn.execute("SELECT status, run_id FROM captures WHERE status=304").fetchall()
    assert [tuple(c) for c in captures] == [(304, mw.session.run_id)]
    # an unconditional 304 (not ours) is left to the rest of the stack
    plain = Request(REPORT)
    response = Response(REPORT, status=304, request=plain)
    assert mw.process_response(plain, response) is response


def test_off_by_default_but_still_counts_errors(tmp_path: Path) -> None:
    mw = middleware(tmp_path, incremental=False)
    request = Request(REPORT, meta={"govcrawl_role": "report"})
    mw.process_request(request)
    assert "govcrawl_prior" not in request.meta and b"If-None-Match" not in request.headers
    mw.process_exception(request, TxConnectionRefused())
    assert mw.session.counts()["sites"]["gov.example"]["errors"] == {"ConnectionRefusedError": 1}


def test_disabled_catalog_disables_the_components(tmp_path: Path) -> None:
    from scrapy.exceptions import NotConfigured

    crawler = get_crawler(settings_dict={"GOVCRAWL_CATALOG": "", "GOVCRAWL_INCREMENTAL": True,
                                         "EXTENSIONS": {CatalogExtension: 500}})
    assert crawler.get_extension(CatalogExtension) is None
    with pytest.raises(NotConfigured):
        IncrementalMiddleware.from_crawler(crawler)
    with pytest.raises(NotConfigured):
        CatalogPipeline.from_crawler(crawler)


def test_the_components_share_the_extensions_session_opened_with_the_spider(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    crawler = get_crawler(settings_dict={"GOVCRAWL_CATALOG": str(path), "EXTENSIONS": {CatalogExtension: 500}})
    extension = crawler.get_extension(CatalogExtension)
    pipeline, mw = CatalogPipeline.from_crawler(crawler), IncrementalMiddleware.from_crawler(crawler)
    assert not path.exists()  # nothing opened before the spider opens
    with pytest.raises(RuntimeError, match="spider_opened"):
        _ = extension.session
    extension.spider_opened(Spider("t"))
    assert pipeline.extension.session is mw.session is extension.session
    pipeline.process_item(make_item(REPORT))
    extension.spider_closed(Spider("t"), "finished")
    with Catalog(path) as cat:
        assert cat.count_reports() == 1
        assert cat.run(mw.session.run_id)["status"] == "finished"


def test_an_unusable_catalog_closes_the_spider(tmp_path: Path) -> None:
    from scrapy.exceptions import CloseSpider

    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(b"this is not sqlite at all" * 100)
    crawler = get_crawler(settings_dict={"GOVCRAWL_CATALOG": str(bogus), "EXTENSIONS": {CatalogExtension: 500}})
    extension = crawler.get_extension(CatalogExtension)
    with pytest.raises(CloseSpider) as closed:
        extension.spider_opened(Spider("t"))
    assert closed.value.reason == "catalog_unusable"
    extension.spider_closed(Spider("t"), "catalog_unusable")  # nothing to close
