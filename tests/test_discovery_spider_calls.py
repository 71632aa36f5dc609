"""The spider's call sites of discovery: a year-panel page of unit-name links, its stats and title hints,
and the browser decision for a script-built list beside ordinary navigation (markup written for the test,
on the patterns of issue 10)."""

from __future__ import annotations

from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from govcrawl.discovery.pagination import PageRequest
from spiders.gov_reports import GovReportsSpider

COLUMN = "http://127.0.0.1:8080/col/col37703/index.html"
PANELS = """<html><head><title>政府信息公开年报</title></head><body>
<div class="nav"><a href="/">首页</a></div>
<div class="panel"><div class="title">2021年度政府信息公开工作年度报告</div><ul>
<li><a href="javascript:window.open('http://127.0.0.1:8080/art/2022/1/20/art_37703_1.html?xxgkhide=1');">区发改局</a></li>
<li><a href="javascript:window.open('http://127.0.0.1:8080/art/2022/1/21/art_37703_2.html?xxgkhide=1');">城关街道</a></li>
<li><a href="javascript:;">区财政局</a></li>
</ul></div></body></html>"""


def _parse(html: str, **settings: object) -> tuple[GovReportsSpider, list[Request]]:
    crawler = get_crawler(GovReportsSpider, settings_dict=dict(settings))
    spider = GovReportsSpider.from_crawler(crawler, start_urls=COLUMN)
    crawler.stats.open_spider()
    spider.traps.stats = crawler.stats  # what the spider_opened signal does in a crawl
    site = spider.registry[0]
    meta = {"govcrawl_role": "list", "govcrawl_site": site.name, "govcrawl_column": COLUMN,
            "govcrawl_page": PageRequest(url=COLUMN, style=site.list_style)}
    response = HtmlResponse(COLUMN, body=html.encode("utf-8"), encoding="utf-8",
                            request=Request(COLUMN, meta=meta))
    return spider, list(spider.parse_list(response))


def test_unit_name_links_in_a_year_panel_are_requested_with_their_panel_title() -> None:
    spider, requests = _parse(PANELS)
    reports = [r for r in requests if r.meta.get("govcrawl_role") == "report"]
    assert [r.url.rsplit("/", 1)[1] for r in reports] == ["art_37703_1.html?xxgkhide=1", "art_37703_2.html?xxgkhide=1"]
    discovery = reports[0].meta["govcrawl_discovery"]
    assert discovery["link_text"] == "区发改局"
    assert discovery["link_title"] == "区发改局 2021年度政府信息公开工作年度报告"
    stats = spider.crawler.stats.get_stats()
    assert stats["govcrawl/decisions/report/context"] == 2
    assert stats["govcrawl/links/javascript"] == 2
    assert stats["govcrawl/trap/javascript_link"] == 1  # only the targetless javascript:; link is a trap


def test_script_list_beside_navigation_goes_to_the_browser() -> None:
    html = """<html><head><script>$.getJSON('/api/list?page=1', function (d) { render(d) })</script></head>
    <body><div class="nav"><a href="/index.html">首页</a><a href="/zwgk/index.html">政务公开</a></div>
    <ul id="list"></ul><div class="page"><a href="javascript:load(2)">下一页</a></div></body></html>"""
    spider, requests = _parse(html, GOVCRAWL_BROWSER="auto")
    assert len(requests) == 1 and requests[0].meta.get("playwright") is True
    assert spider.crawler.stats.get_value("govcrawl/browser/auto_render") == 1
