"""``sites_check``: fetch every start URL of a site registry once and judge it (``govcrawl sites check``).

Usage::

    scrapy crawl sites_check -a sites=sites.toml
    govcrawl sites check sites.toml --json status.json   # the same, with a table and a JSON report

The judgement is :func:`govcrawl.sitecheck.probe`; results are read from ``crawler.spider.results``.
No browser, no archive, no items.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from govcrawl.sitecheck import EntryStatus, probe
from govcrawl.sites import load_registry

#: error answers reach the callback (to be judged); redirects are still followed
ERROR_STATUSES = list(range(400, 600))


class SitesCheckSpider(scrapy.Spider):
    """One request per registry start URL; :attr:`results` holds an :class:`EntryStatus` for each."""

    name = "sites_check"
    custom_settings = {"GOVCRAWL_WARC_ENABLED": False, "GOVCRAWL_CATALOG": "", "ITEM_PIPELINES": {},
                       "GOVCRAWL_BROWSER": "off"}

    def __init__(self, sites: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not sites:
            raise ValueError("sites_check needs -a sites=FILE")
        self.registry = load_registry(sites)
        self.results: list[EntryStatus] = []

    async def start(self) -> AsyncIterator[Request]:
        for index, site in enumerate(self.registry):
            for url in site.start_urls:
                yield Request(url, callback=self.parse_start, errback=self.start_failed, dont_filter=True,
                              meta={"govcrawl_check": (index, url), "handle_httpstatus_list": ERROR_STATUSES})

    def parse_start(self, response: Response) -> Iterator[Any]:
        index, url = response.meta["govcrawl_check"]
        declared = response.headers.get(b"Content-Type", b"").decode("latin-1")
        charset = declared.split("charset=", 1)[1].strip() if "charset=" in declared else None
        self.results.append(probe(self.registry[index], url, response.status, response.body, response.url, charset))
        return iter(())

    def start_failed(self, failure: Failure) -> Iterator[Any]:
        index, url = failure.request.meta["govcrawl_check"]
        if failure.check(IgnoreRequest):
            status = failure.getErrorMessage() or "ignored"
        else:
            status = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        self.results.append(probe(self.registry[index], url, status))
        return iter(())
