"""A list the browser must page: the mock site ``jspager`` (a JSON API read by an inline script, a
``javascript:load(n)`` pager, a site menu with its own 首页), crawled for real through Chromium.

Two routes to its 3 pages are checked apart: clicking the pager (``follow_pager``), and the captured XHR API's
own paging followed until an empty page (the site without its pager). Plus the pure helpers behind them.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from govcrawl.browser import next_xhr_page, pager_call, xhr_pages
from govcrawl.demo.portal import Portal
from govcrawl.demo.site_jspager import PER_PAGE, build_jspager
from govcrawl.discovery.pagination import PageRequest
from tests.crawling import crawl_column

ROOT = Path(__file__).resolve().parents[1]
API = "/api/xxgk/ndbg/list"


def _crawl(tmp: Path, pager: bool) -> dict[str, Any]:
    extra = {} if pager else {"jspager": partial(build_jspager, pager=False)}
    with Portal(sites=["jspager"], extra=extra).start() as portal:
        (start,) = portal.start_urls["jspager"]
        items, stats = crawl_column(start, tmp)
        api_pages = [r.path for r in portal.site_requests("jspager") if r.path.startswith(API + "?")]
        result = {"expected": portal.expected_for(start), "decoys": set(portal.decoys("jspager")),
                  "api_queries": [parse_qs(urlsplit(path).query) for path in api_pages]}
    result["items"], result["stats"] = items, stats
    result["archive"] = tmp / "archive"
    return result


def _api_pages_requested(queries: list[dict[str, list[str]]]) -> list[int]:
    return sorted({int(q["page"][0]) for q in queries})


def _archived_api_pages(archive: Path) -> set[int]:
    """Page numbers of the API answers archived as WARC response records."""
    pages = set()
    for path in archive.glob("*.warc.gz"):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                if record.rec_type == "response" and API in uri:
                    pages.add(int(uri.split("page=")[1].split("&")[0]))
    return pages


@pytest.fixture(scope="module")
def pager_crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _crawl(tmp_path_factory.mktemp("jspager"), pager=True)


@pytest.mark.browser
def test_all_17_reports_are_found_through_the_javascript_pager_with_no_decoy(pager_crawl: dict[str, Any]) -> None:
    urls = [item["url"] for item in pager_crawl["items"]]
    assert len(pager_crawl["expected"]) == 17 and len(pager_crawl["decoys"]) == 4
    assert len(urls) == len(set(urls)), "a report was emitted twice"
    assert set(urls) == pager_crawl["expected"]
    assert not set(urls) & pager_crawl["decoys"]
    stats = pager_crawl["stats"]
    assert stats["govcrawl/browser/auto_render"] == 1, "the site menu's 首页 did not stop the browser"
    assert stats["govcrawl/browser/pager_pages"] == 2, "pages 2 and 3 reached by clicking load(2), load(3)"
    # the clicks made the browser call pages 2 and 3; the crawler then asked the one after (empty: the end)
    assert _api_pages_requested(pager_crawl["api_queries"]) == [1, 2, 3, 4]
    assert stats["govcrawl/browser/json_lists"] == 3


@pytest.mark.browser
def test_everything_the_browser_loaded_is_archived(pager_crawl: dict[str, Any]) -> None:
    assert _archived_api_pages(pager_crawl["archive"]) == {1, 2, 3, 4}
    assert pager_crawl["stats"]["warc/browser_exchanges"] >= 4  # the document and the three XHR answers
    assert pager_crawl["stats"]["warc/conversions"] == 1


@pytest.mark.browser
def test_without_a_pager_the_xhr_api_is_paged_until_its_first_empty_page(tmp_path: Path) -> None:
    crawl = _crawl(tmp_path, pager=False)
    assert {item["url"] for item in crawl["items"]} == crawl["expected"]
    assert "govcrawl/browser/pager_pages" not in crawl["stats"]
    assert _api_pages_requested(crawl["api_queries"]) == [1, 2, 3, 4]
    assert crawl["stats"]["govcrawl/list_pages/json"] == 3  # pages 2, 3 and the empty 4, outside the browser


def test_only_the_next_pages_call_is_a_pager_click() -> None:
    assert pager_call("javascript:load(2)", "2", 1) == 2
    assert pager_call("javascript:load(2);", " 下一页 ", 1) == 2
    assert pager_call("javascript:goPage('3', 'list')", "3", 2) == 3
    assert pager_call("javascript:load(1)", "首页", 1) is None  # the pager's own first page
    assert pager_call("javascript:load(3)", "尾页", 1) is None
    assert pager_call("javascript:load(3)", "3", 1) is None  # not the next page
    assert pager_call("javascript:void(0)", "首页", 1) is None  # a site menu link
    assert pager_call("/index.html", "2", 1) is None


def _exchange(url: str, answer: Any) -> dict[str, Any]:
    return {"url": url, "status": 200, "method": "GET", "headers": [("Content-Type", "application/json")],
            "body": json.dumps(answer, ensure_ascii=False).encode()}


def _rows(n: int) -> dict[str, Any]:
    return {"data": {"rows": [{"title": f"t{i}", "url": f"/a/{i}.html"} for i in range(n)]}}


def test_xhr_pages_go_to_the_announced_total_skipping_the_pages_the_browser_loaded() -> None:
    base = "http://127.0.0.1:1/api/list?page={}&size=7"
    answer = {**_rows(7), "total": 30}
    pages = xhr_pages([_exchange(base.format(1), answer), _exchange(base.format(3), answer)], max_pages=100)
    assert [p.url for p in pages] == [base.format(n) for n in (2, 4, 5)]
    assert all(p.kind == "json" and not p.context for p in pages)
    assert [p.page for p in xhr_pages([_exchange(base.format(1), answer)], max_pages=3)] == [2, 3]


def test_xhr_pages_without_a_total_are_followed_one_by_one_until_an_empty_answer() -> None:
    base = "http://127.0.0.1:1/api/list?pageNo={}"
    (second,) = xhr_pages([_exchange(base.format(1), _rows(PER_PAGE))], max_pages=100)
    assert second.url == base.format(2) and second.context["until_empty"]
    (third,) = next_xhr_page(second, has_entries=True, max_pages=100)
    assert third.url == base.format(3) and third.page == 3
    assert next_xhr_page(third, has_entries=False, max_pages=100) == []
    assert next_xhr_page(third, has_entries=True, max_pages=3) == []
    assert next_xhr_page(PageRequest(url=base.format(2), kind="json", page=2), True, 100) == []  # announced
    # an API the browser already paged to an empty answer, or one with no page parameter, asks nothing more
    assert xhr_pages([_exchange(base.format(1), _rows(3)), _exchange(base.format(2), _rows(0))], 100) == []
    assert xhr_pages([_exchange("http://127.0.0.1:1/api/list.json", _rows(3))], 100) == []
