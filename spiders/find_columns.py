"""``find_columns``: from government front pages to their 信息公开年报 column(s). Discovery only.

Usage::

    scrapy crawl find_columns -a start_urls=URL[,URL…] [-a max_depth=3] [-a max_pages=20]
    govcrawl find-columns URL… -o sites.toml          # the same, writing registry entries and a report

Each front page gets a :class:`govcrawl.discovery.finder.SiteSearch`: a bounded best-first search (navigation
hops, a page budget per site, stop once a column is found). Pages of one site are fetched one at a time (the
next request is issued when the previous answered), on top of the project's politeness (robots.txt,
download delay, AutoThrottle). Nothing is archived and no item is written: the searches are read from the
spider after the crawl (``crawler.spider.searches``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from govcrawl.discovery.finder import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_PAGES,
    SiteSearch,
    Step,
    read_page,
    read_url_list,
)
from govcrawl.discovery.traps import challenge_kind

_HTML_TYPES = (b"text/html", b"application/xhtml", b"text/plain", b"application/xml", b"text/xml", b"")

#: error answers reach the callback (to be judged); redirects are still followed
ERROR_STATUSES = list(range(400, 600))


class FindColumnsSpider(scrapy.Spider):
    """Search each front page's site for its 年报 column(s); results in :attr:`searches`."""

    name = "find_columns"
    custom_settings = {
        "GOVCRAWL_WARC_ENABLED": False,  # a search archives nothing
        "GOVCRAWL_CATALOG": "",
        "ITEM_PIPELINES": {},
        "METAREFRESH_ENABLED": False,  # refreshes are followed by the search, which records them
    }

    def __init__(self, start_urls: str | None = None, urls_file: str | None = None,
                 max_depth: int | str = DEFAULT_MAX_DEPTH, max_pages: int | str = DEFAULT_MAX_PAGES,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        urls = [u.strip() for u in (start_urls or "").split(",") if u.strip()]
        if urls_file:
            urls += read_url_list(urls_file)
        if not urls:
            raise ValueError("find_columns needs -a start_urls=URL[,URL…] or -a urls_file=FILE")
        self.searches: dict[str, SiteSearch] = {}
        for url in urls:
            self.searches.setdefault(url, SiteSearch(url, int(max_depth), int(max_pages)))

    async def start(self) -> AsyncIterator[Request]:
        for front in list(self.searches):
            for request in self._next(front):
                yield request

    def _next(self, front: str) -> Iterator[Request]:
        step = self.searches[front].next_step()
        if step is None:
            return
        yield Request(step.url, callback=self.parse_page, errback=self.page_failed, dont_filter=True,
                      meta={"govcrawl_front": front, "govcrawl_step": step, "handle_httpstatus_list": ERROR_STATUSES})

    def parse_page(self, response: Response) -> Iterator[Request]:
        """Record what the page offers (or why it could not be read), then ask for the site's next page."""
        front: str = response.meta["govcrawl_front"]
        step: Step = response.meta["govcrawl_step"]
        search = self.searches[front]
        content_type = response.headers.get(b"Content-Type", b"").split(b";")[0].strip().lower()
        challenge = challenge_kind(response.status, response.body)
        if challenge:
            search.record(step, f"blocked by a JS challenge ({challenge}, HTTP {response.status})", None)
        elif response.status >= 400:
            search.record(step, response.status, None)
        elif not content_type.startswith(_HTML_TYPES):
            search.record(step, f"{response.status} not a page ({content_type.decode('latin-1')})", None)
        else:
            declared = response.headers.get(b"Content-Type", b"").decode("latin-1")
            charset = declared.split("charset=", 1)[1].strip() if "charset=" in declared else None
            self.crawler.stats.inc_value("govcrawl/find_columns/pages")
            search.record(step, response.status, read_page(response.body, response.url, front, charset))
        yield from self._next(front)

    def page_failed(self, failure: Failure) -> Iterator[Request]:
        """A page that did not answer (robots.txt, DNS, timeout): recorded with the reason; the search goes on."""
        request = failure.request
        front: str = request.meta["govcrawl_front"]
        if failure.check(HttpError):
            status: int | str = failure.value.response.status
        elif failure.check(IgnoreRequest):
            status = f"not fetched: {failure.getErrorMessage() or 'ignored'}"
            if "robots" in status.lower() or "robots" in repr(failure.value).lower():
                status = "forbidden by robots.txt"
        else:
            status = f"failed: {failure.type.__name__}: {failure.getErrorMessage()}"
        self.searches[front].record(request.meta["govcrawl_step"], status, None)
        yield from self._next(front)
