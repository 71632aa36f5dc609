"""Spider units without a crawl: which list links are report links, and what a stopping distributed worker
hands back to Redis for requests it cannot serialise."""

from __future__ import annotations

import pickle
import threading

from scrapy.http import HtmlResponse, Request
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler

from govcrawl.discovery.links import Link, list_links, parse_html
from govcrawl.discovery.pagination import PageRequest
from govcrawl.distributed.resume import resume_request
from spiders.gov_reports import GovReportsSpider

COLUMN = "http://127.0.0.1:8080/zwgk/xxgknb/index.html"
REPORT_TITLE = "云岭县人民政府2023年政府信息公开工作年度报告"


def _spider() -> GovReportsSpider:
    crawler = get_crawler(GovReportsSpider)
    return GovReportsSpider.from_crawler(crawler, start_urls=COLUMN)


def test_report_link_accepted_when_title_attribute_or_text_passes_the_classifier() -> None:
    spider = _spider()
    site = spider.registry[0]
    html = f"""<ul>
      <li><a href="./202402/t20240201_1.html" title="在新窗口打开">{REPORT_TITLE}</a></li>
      <li><a href="./202402/t20240201_2.html" title="{REPORT_TITLE}">云岭县人民政府2023年政府信息公开工...</a></li>
      <li><a href="./202402/t20240201_3.html" title="在新窗口打开">关于开展2023年政务公开工作要点的通知</a></li>
      <li><a href="./202402/t20240201_4.html">{REPORT_TITLE}</a></li>
    </ul>"""
    links = list_links(parse_html(html, COLUMN), COLUMN)
    accepted = [link.url.rsplit("/", 1)[1] for link in links if spider._is_report_link(link, site, COLUMN)]
    assert accepted == ["t20240201_1.html", "t20240201_2.html", "t20240201_4.html"]
    assert links[0].best_title == "在新窗口打开"  # the old rule (title attribute wins) would have dropped it
    assert not spider._is_report_link(Link(url=COLUMN, text=REPORT_TITLE, title=""), site, COLUMN)


def test_junk_title_attribute_is_not_recorded_as_the_title_hint() -> None:
    spider = _spider()
    site = spider.registry[0]
    page = PageRequest(url=COLUMN, style=site.list_style)
    junk = Link(url="http://127.0.0.1:8080/zwgk/xxgknb/202402/t20240201_1.html", text=REPORT_TITLE, title="在新窗口打开")
    discovery = spider._report_request(junk, site, COLUMN, page).meta["govcrawl_discovery"]
    assert (discovery["link_title"], discovery["link_text"], discovery["link_title_attr"]) == ("", REPORT_TITLE, "在新窗口打开")
    good = Link(url="http://127.0.0.1:8080/zwgk/xxgknb/202402/t20240201_2.html", text="云岭县…", title=REPORT_TITLE)
    discovery = spider._report_request(good, site, COLUMN, page).meta["govcrawl_discovery"]
    assert discovery["link_title"] == REPORT_TITLE and "link_title_attr" not in discovery


def test_resume_request_replaces_an_unpicklable_attachment_request_by_its_report_page() -> None:
    spider = _spider()
    site = spider.registry[0]
    report_url = "http://127.0.0.1:8080/zwgk/xxgknb/202402/t20240201_1.html"
    report = spider._report_request(Link(url=report_url, text=REPORT_TITLE, title=""), site, COLUMN,
                                    PageRequest(url=COLUMN, style=site.list_style))
    body = ('<html><body><div class="TRS_Editor"><p>全文见附件</p>'
            '<a href="./P020240201.pdf">年报.pdf</a><a href="./P020240202.docx">年报.docx</a></div></body></html>')
    response = HtmlResponse(report_url, body=body.encode("utf-8"), encoding="utf-8", request=report)
    response.meta["warc_ref"] = threading.Lock()  # like a WarcRef waiting on the writer thread: cannot be pickled
    (attachment,) = list(spider.parse_report(response))
    assert isinstance(attachment, Request) and attachment.meta["govcrawl_role"] == "attachment"
    try:
        pickle.dumps(attachment.to_dict(spider=spider))
    except (TypeError, pickle.PicklingError):
        pass
    else:
        raise AssertionError("the attachment request was expected to hold unpicklable state")

    resumed = resume_request(attachment, spider)
    assert resumed is not None and resumed.url == report_url and resumed.dont_filter
    assert resumed.callback == spider.parse_report and resumed.errback == spider.report_failed
    assert resumed.meta["govcrawl_role"] == "report" and resumed.meta["govcrawl_site"] == site.name
    assert resumed.meta["govcrawl_discovery"] == report.meta["govcrawl_discovery"]  # no parent_url / link text
    restored = request_from_dict(pickle.loads(pickle.dumps(resumed.to_dict(spider=spider))), spider=spider)
    assert restored.url == report_url and restored.callback == spider.parse_report

    assert resume_request(Request(report_url, meta={"govcrawl_role": "report"}), spider) is None
    orphan = Request("http://127.0.0.1:8080/x.pdf", meta={"govcrawl_role": "attachment"})
    assert resume_request(orphan, spider) is None


def test_resume_request_drops_the_browser_state_of_a_list_request() -> None:
    spider = _spider()
    site = spider.registry[0]
    rendered = spider._list_request(PageRequest(url=COLUMN, style=site.list_style), site, COLUMN, render=True)
    assert rendered.meta["playwright"] and rendered.meta["playwright_page_event_handlers"]
    resumed = resume_request(rendered, spider)
    assert resumed is not None and resumed.url == rendered.url and resumed.dont_filter
    assert not any(key.startswith("playwright") for key in resumed.meta)
    assert resumed.meta["govcrawl_role"] == "list" and resumed.meta["govcrawl_page"].url == COLUMN
    pickle.dumps(resumed.to_dict(spider=spider))


def test_not_modified_report_is_counted_unchanged_not_failed(caplog) -> None:
    from twisted.python.failure import Failure

    from govcrawl.errors import NotModified

    spider = _spider()
    spider.crawler.stats.open_spider()
    request = Request("http://127.0.0.1:8080/zwgk/xxgknb/202402/t20240201_1.html", meta={"govcrawl_role": "report"})
    for exception in (NotModified(f"not modified since last capture: {request.url}"), ConnectionRefusedError()):
        try:
            raise exception
        except Exception:
            failure = Failure()
        failure.request = request
        with caplog.at_level("DEBUG", logger="spiders.gov_reports"):
            spider.report_failed(failure)
    stats = spider.crawler.stats.get_stats()
    assert stats["govcrawl/unchanged"] == 1 and stats["govcrawl/errors/report"] == 1
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "not modified" not in warnings[0].getMessage()


def test_report_page_and_its_attachment_come_out_as_one_capture_item() -> None:
    from scrapy.http import Response

    from govcrawl.capture import Capture

    spider = _spider()
    site = spider.registry[0]
    report_url = "http://127.0.0.1:8080/zwgk/xxgknb/202402/t20240201_1.html"
    report = spider._report_request(Link(url=report_url, text=REPORT_TITLE, title=""), site, COLUMN,
                                    PageRequest(url=COLUMN, style=site.list_style))
    body = f'<html><body><div class="TRS_Editor"><p>{REPORT_TITLE}</p><a href="./P1.pdf">年报.pdf</a></div></body></html>'
    page = HtmlResponse(report_url, body=body.encode("utf-8"), encoding="utf-8", request=report,
                        headers={"Content-Type": "text/html; charset=utf-8"})
    page_ref, pdf_ref = object(), object()  # what the WARC middleware would have put in meta["warc_ref"]
    page.meta["warc_ref"] = page_ref
    (attachment,) = list(spider.parse_report(page))
    pdf = Response(attachment.url, body=b"%PDF-1.4 " + b"x" * 100, request=attachment,
                   headers={"Content-Type": "application/pdf"})
    pdf.meta["warc_ref"] = pdf_ref
    (item,) = list(spider.parse_attachment(pdf))
    assert isinstance(item, Capture) and item.url == report_url and item.warc is page_ref
    assert item.content_type == "text/html; charset=utf-8" and item.status == 200
    assert item.discovery == report.meta["govcrawl_discovery"]
    (attached,) = item.attachments
    assert attached.url.endswith("/P1.pdf") and attached.warc is pdf_ref and attached.body.startswith(b"%PDF")
    assert attached.discovery["parent_url"] == report_url and attached.discovery["link_text"] == "年报.pdf"


def test_reports_are_scheduled_before_further_list_pages_and_attachments_before_reports() -> None:
    """The scheduler then holds about one list page of report requests, not every report of every list page."""
    spider = _spider()
    site = spider.registry[0]
    listing = spider._list_request(PageRequest(url=COLUMN, style=site.list_style), site, column=COLUMN)
    html = f"""<html><body><ul>
      <li><a href="./202402/t20240201_1.html">{REPORT_TITLE}</a></li>
      <li><a href="https://127.0.0.1:8080/zwgk/xxgknb/202402/t20240201_1.html">{REPORT_TITLE}</a></li>
    </ul><a class="next" href="./index_1.html">下一页</a></body></html>"""
    page = HtmlResponse(COLUMN, body=html.encode("utf-8"), encoding="utf-8", request=listing)
    requests = list(spider.parse_list(page))
    reports = [r for r in requests if r.meta["govcrawl_role"] == "report"]
    lists = [r for r in requests if r.meta["govcrawl_role"] == "list"]
    assert len(reports) == 1 and lists  # the https twin of the same report is one report (digest of its key)
    assert spider.crawler.stats.get_value("govcrawl/duplicate_report_links") == 1
    assert all(report.priority > listed.priority for report in reports for listed in lists)
    body = f'<html><body><p>{REPORT_TITLE}</p><a href="./P1.pdf">年报.pdf</a></body></html>'
    report_page = HtmlResponse(reports[0].url, body=body.encode("utf-8"), encoding="utf-8", request=reports[0])
    (attachment,) = list(spider.parse_report(report_page))
    assert attachment.priority > reports[0].priority
