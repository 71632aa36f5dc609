"""Downloader middlewares of the gov_reports crawl.

* :class:`HostPortOffsiteMiddleware` is Scrapy's OffsiteMiddleware with a per-site ``host`` / ``host:port``
  rule (Scrapy's ``allowed_domains`` ignores ports).
* :class:`CanonicalRedirectMiddleware` is Scrapy's RedirectMiddleware, except that a redirect to the same
  document (http -> https, adding/removing ``;jsessionid=``, tracking parameters) is not dropped by the
  dupefilter, whose fingerprints are scheme- and session-blind.

The browser's components (``ChallengeMiddleware``, ``OnDemandPlaywrightHandler``) live in :mod:`govcrawl.browser`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.http import Response

from govcrawl.discovery.urls import dedupe_key

if TYPE_CHECKING:
    pass

logger = logging.getLogger(__name__)


class HostPortOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's offsite middleware with govcrawl's rule: each site's allowed ``host`` / ``host:port``.

    The spider sets ``meta["govcrawl_site"]``; :meth:`should_follow` asks that site's ``allows(url)`` (see
    :class:`govcrawl.sites.Site`), which, unlike Scrapy's ``allowed_domains``, tells ports apart. Requests
    without a known site (robots.txt) pass, and so do requests with ``meta["allow_offsite"]``. Redirects keep
    the meta, so a redirect off-site is dropped too. Counted as ``offsite/filtered`` and ``offsite/domains``.

    Two of Scrapy's choices are not govcrawl's, and stay as they were before this class subclassed Scrapy's:
    ``dont_filter`` (set to pass the dupefilter: attachments, browser retries) does not let a request leave
    its site, and requests are checked when they are downloaded, not when they are scheduled, so a dropped
    request's errback runs (the spider fetches a report's attachments one after another, going on from the
    errback of one that failed).
    """

    def should_follow(self, request: Request, spider: Spider) -> bool:
        site_name = request.meta.get("govcrawl_site")
        site = (getattr(spider, "sites_by_name", None) or {}).get(site_name) if site_name else None
        return site is None or site.allows(request.url)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        super().process_request(request.replace(dont_filter=False) if request.dont_filter else request)

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        """Nothing at scheduling time: :meth:`process_request` checks the request when it is downloaded."""


class CanonicalRedirectMiddleware(RedirectMiddleware):
    """RedirectMiddleware that lets same-document redirects through the scheme-blind dupefilter.

    With :class:`govcrawl.discovery.urls.CanonicalRequestFingerprinter`, ``http://x/a`` and ``https://x/a``
    share a fingerprint, so Scrapy's redirect from one to the other would be filtered as a duplicate and
    the page lost. Counted as ``govcrawl/redirect/same_document``.
    """

    def process_response(self, request: Request, response: Response, spider: Spider | None = None
                         ) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request) and not result.dont_filter and dedupe_key(result.url) == dedupe_key(request.url):
            result.dont_filter = True
            self.crawler.stats.inc_value("govcrawl/redirect/same_document")
        return result
