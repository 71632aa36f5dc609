"""Incremental crawling: re-validate pages the catalog already holds instead of archiving them again.

:class:`IncrementalMiddleware` is a downloader middleware (``DOWNLOADER_MIDDLEWARES`` priority 560: after
``RetryMiddleware`` 550, before ``HttpCompressionMiddleware`` 590 and the WARC middleware 950). With
``GOVCRAWL_INCREMENTAL`` on, for every GET it looks the URL up in the catalog and

- sets ``request.meta["govcrawl_prior"] = {"payload_digest", "uri", "date"}`` of the latest full capture, so the
  WARC middleware writes a ``revisit`` record instead of a second copy when the payload is unchanged (list
  pages are always re-fetched; they only profit from this);
- for report pages (``govcrawl_role == "report"``) whose report is catalogued, adds ``If-None-Match`` /
  ``If-Modified-Since``. A ``304`` answer has been archived as a server-not-modified revisit by the time it
  reaches this middleware; it marks the report as seen in this run, counts
  ``govcrawl/incremental/not_modified`` and raises :class:`NotModified` (an ``IgnoreRequest``), so the spider
  callback never sees it. Spider errbacks should ignore ``failure.check(NotModified)``.

Attachments are never fetched conditionally (a report page that changed needs their bodies), but get
``govcrawl_prior`` too. Set ``request.meta["govcrawl_revalidate"] = False`` to opt a request out.
Whether or not incremental mode is on, the middleware counts download exceptions per site for the run report.
It needs the :class:`~govcrawl.catalog.crawl.CatalogExtension` (the catalog session) and is disabled without it.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest

from govcrawl.catalog.crawl import CatalogExtension, CrawlSession, catalog_extension
from govcrawl.catalog.schema import host_of
from govcrawl.errors import NotModified

CONDITIONAL_ROLES = frozenset({"report"})
SKIPPED_ROLES = frozenset({"robots"})


class IncrementalMiddleware:
    """Conditional requests and ``govcrawl_prior`` from the catalog (see module docstring)."""

    def __init__(self, crawler: Any, extension: CatalogExtension, *, enabled: bool) -> None:
        self.crawler = crawler
        self.extension = extension
        self.enabled = enabled
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> IncrementalMiddleware:
        return cls(crawler, catalog_extension(crawler), enabled=crawler.settings.getbool("GOVCRAWL_INCREMENTAL", False))

    @property
    def session(self) -> CrawlSession:
        """The crawl's catalog session (held by the :class:`CatalogExtension`)."""
        return self.extension.session

    def _inc(self, key: str) -> None:
        if self.stats:
            self.stats.inc_value(f"govcrawl/incremental/{key}")

    def process_request(self, request: Any, spider: Any = None) -> None:
        if not self.enabled or request.method != "GET" or request.meta.get("govcrawl_revalidate") is False:
            return None
        role = request.meta.get("govcrawl_role")
        if role in SKIPPED_ROLES or "govcrawl_prior" in request.meta:
            return None
        prior = self.session.catalog.prior_for(request.url)
        if prior is None:
            return None
        request.meta["govcrawl_prior"] = prior.as_meta()
        self._inc("prior")
        if role in CONDITIONAL_ROLES and prior.has_report and (prior.etag or prior.last_modified):
            if prior.etag and b"If-None-Match" not in request.headers:
                request.headers[b"If-None-Match"] = prior.etag
            if prior.last_modified and b"If-Modified-Since" not in request.headers:
                request.headers[b"If-Modified-Since"] = prior.last_modified
            request.meta["govcrawl_conditional"] = True
            self._inc("conditional")
        return None

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        if response.status == 304 and request.meta.get("govcrawl_conditional"):
            self.session.record_response(response, request)  # response_received never fires for it
            self.session.catalog.touch_report(request.url, run_id=self.session.run_id)
            self._inc("not_modified")
            raise NotModified(f"not modified since last capture: {request.url}")
        if response.status == 200 and request.meta.get("govcrawl_prior"):
            self._inc("refetched")
        return response

    def process_exception(self, request: Any, exception: BaseException, spider: Any = None) -> None:
        if not isinstance(exception, IgnoreRequest):
            self.session.record_error(host_of(request.url), type(exception).__name__)
        return None
