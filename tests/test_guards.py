"""Units behind the fault portal's outcomes: truncated gzip, NUL bytes, limits in build_item, scheme guard."""

from __future__ import annotations

import gzip
import logging

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from govcrawl.capture import Capture
from govcrawl.charset import decode_body
from govcrawl.extract import gzip_truncated
from govcrawl.guards import RobotsErrorLogExtension, SchemeGuardMiddleware, TruncatedGzipMiddleware
from govcrawl.report import build_item, resource_limit_message
from tests.fault_portal import REPORT_TEXT, W_NS, docx, pdf_bomb, report_html

PAGE = report_html("某某县财政局2023年政府信息公开工作年度报告")


def test_gzip_cut_anywhere_is_truncated_and_whole_gzip_is_not() -> None:
    packed = gzip.compress(PAGE * 4)
    assert not gzip_truncated(packed, 0)
    for cut in (20, len(packed) // 2, len(packed) - 8, len(packed) - 1):
        assert gzip_truncated(packed[:cut], 0), cut
    wrong_size = packed[:-4] + (12345).to_bytes(4, "little")
    assert gzip_truncated(wrong_size, 0)
    assert not gzip_truncated(b"<html>not gzip</html>", 0)


def test_the_middleware_marks_a_truncated_gzip_capture() -> None:
    crawler = get_crawler(settings_dict={"DOWNLOAD_MAXSIZE": 1 << 20})
    middleware = TruncatedGzipMiddleware.from_crawler(crawler)
    request = Request("http://127.0.0.1/r.html", meta={"govcrawl_discovery": {}})
    cut = Response(request.url, body=gzip.compress(PAGE)[:200], headers={"Content-Encoding": "gzip"}, request=request)
    assert middleware.process_response(request, cut) is cut
    assert request.meta["govcrawl_discovery"]["content_flags"] == ["truncated_gzip"]
    whole = Request("http://127.0.0.1/w.html", meta={"govcrawl_discovery": {}})
    middleware.process_response(whole, Response(whole.url, body=gzip.compress(PAGE),
                                                headers={"Content-Encoding": "gzip"}, request=whole))
    assert "content_flags" not in whole.meta["govcrawl_discovery"]


def test_build_item_flags_a_capture_marked_truncated() -> None:
    item = build_item(Capture(url="http://127.0.0.1/r.html", body=PAGE, content_type="text/html; charset=utf-8",
                              discovery={"content_flags": ["truncated_gzip"]}))
    assert "truncated_gzip" in item["flags"]


def test_nul_bytes_are_removed_before_decoding_but_not_from_utf16() -> None:
    decoded = decode_body(PAGE.replace(b"<p>", b"<p>\0\0", 3), "text/html; charset=utf-8")
    assert "\0" not in decoded.text and decoded.nuls == 6 and REPORT_TEXT.splitlines()[1] in decoded.text
    utf16 = "\ufeff政府信息公开".encode("utf-16-le")
    assert decode_body(utf16).text.lstrip("\ufeff") == "政府信息公开"


def test_a_report_with_a_few_nul_bytes_is_parsed() -> None:
    item = build_item(Capture(url="http://127.0.0.1/n.html", body=PAGE.replace(b"<p>", b"<p>\0", 4),
                              content_type="text/html; charset=utf-8"))
    assert "nul_bytes_removed" in item["flags"] and item["sections"]
    assert not any(flag.startswith("extract_error") for flag in item["flags"])


@pytest.mark.parametrize(("body", "limit"), [
    (docx(f"<w:document {W_NS}/>".encode(), bomb_megabytes=100), "zip_member"),
    (pdf_bomb(100), "pdf_stream"),
])
def test_an_attachment_over_a_limit_is_flagged_with_its_limit(body: bytes, limit: str) -> None:
    page = report_html("某某县教育局2023年政府信息公开工作年度报告", '<p><a href="/a/x">附件</a></p>')
    capture = Capture(url="http://127.0.0.1/r.html", body=page, content_type="text/html; charset=utf-8",
                      attachments=[Capture(url="http://127.0.0.1/a/x", body=body)])
    item = build_item(capture)
    assert f"resource_limit: {limit}" in item["flags"]
    assert item["attachments"][0]["error"].startswith(f"resource_limit: {limit} (")
    assert f"GOVCRAWL_LIMIT_{limit.upper()}" in (resource_limit_message(item) or "")


def test_a_page_over_the_html_limit_is_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCRAWL_LIMIT_HTML_BYTES", "1000")
    item = build_item(Capture(url="http://127.0.0.1/big.html", body=PAGE + b" " * 2000,
                              content_type="text/html; charset=utf-8"))
    assert item["flags"] == ["resource_limit: html_bytes"]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x.pdf", "data:text/html,x", "s3://b/k"])
def test_requests_of_other_schemes_are_refused_and_counted(url: str) -> None:
    crawler = get_crawler()
    middleware = SchemeGuardMiddleware.from_crawler(crawler)
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request(url))
    assert crawler.stats.get_value("govcrawl/refused_scheme/request") == 1
    assert middleware.process_request(Request("https://127.0.0.1/ok.html")) is None


def test_a_redirect_to_another_scheme_is_counted() -> None:
    crawler = get_crawler()
    middleware = SchemeGuardMiddleware.from_crawler(crawler)
    request = Request("http://127.0.0.1/r.html")
    response = HtmlResponse(request.url, status=302, headers={"Location": "file:///etc/passwd"}, request=request)
    assert middleware.process_response(request, response) is response
    assert crawler.stats.get_value("govcrawl/refused_scheme/redirect") == 1


def test_the_addon_removes_the_handlers_of_other_schemes() -> None:
    from govcrawl.addon import COMPONENTS

    handlers = COMPONENTS["DOWNLOAD_HANDLERS"]
    assert all(handlers[scheme] is None for scheme in ("file", "data", "ftp", "s3"))


def test_a_robots_txt_timeout_is_logged_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    RobotsErrorLogExtension()
    logger = logging.getLogger(RobotsErrorLogExtension.LOGGER)
    try:
        raise DownloadTimeoutError("Getting https://127.0.0.1/robots.txt took longer than 4.0 seconds.")
    except DownloadTimeoutError:
        logger.error("Error downloading robots.txt", exc_info=True)
    try:
        raise ZeroDivisionError
    except ZeroDivisionError:
        logger.error("a bug", exc_info=True)
    timeout, bug = caplog.records[-2:]
    assert timeout.exc_info is None and bug.exc_info is not None
