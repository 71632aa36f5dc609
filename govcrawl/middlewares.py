"""Downloader middlewares of the gov_reports crawl.

* :class:`HostPortOffsiteMiddleware` drops requests leaving their site's allowed ``host`` / ``host:port``
  (Scrapy's OffsiteMiddleware ignores ports).
* :class:`CanonicalRedirectMiddleware` is Scrapy's RedirectMiddleware, except that a redirect to the same
  document (http -> https, adding/removing ``;jsessionid=``, tracking parameters) is not dropped by the
  dupefilter, whose fingerprints are scheme- and session-blind.

The browser's components (``ChallengeMiddleware``, ``OnDemandPlaywrightHandler``) live in :mod:`govcrawl.browser`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest

from govcrawl.discovery.urls import dedupe_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


def _use_bundled_public_suffix_list() -> None:
    """Make Scrapy's cookie middleware split domains with the public suffix list tldextract ships.

    Left alone, tldextract downloads the list on first use; offline (CI, firewalled crawl hosts) that logs a
    traceback before it falls back to the same bundled snapshot. A crawler must not phone home for it.
    """
    import scrapy.downloadermiddlewares.cookies as scrapy_cookies
    from tldextract import TLDExtract

    scrapy_cookies._split_domain = TLDExtract(include_psl_private_domains=True, suffix_list_urls=(), cache_dir=None)


_use_bundled_public_suffix_list()


class HostPortOffsiteMiddleware:
    """Ignore requests whose URL is not on the allowed hosts of the site that scheduled them.

    The spider sets ``meta["govcrawl_site"]``; the site object must offer ``allows(url)`` (see
    :class:`govcrawl.sites.Site`). Requests without a site (robots.txt) pass. Redirects keep the meta, so
    a redirect off-site is dropped too. Counted as ``offsite/filtered`` and ``offsite/domains``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self._reported: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostPortOffsiteMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        site_name = request.meta.get("govcrawl_site")
        sites = getattr(self.crawler.spider, "sites_by_name", None)
        if not site_name or not sites or site_name not in sites or request.meta.get("govcrawl_offsite_ok"):
            return None
        if sites[site_name].allows(request.url):
            return None
        self.stats.inc_value("offsite/filtered")
        host = request.url.split("/")[2] if "://" in request.url else request.url
        if host not in self._reported:
            self._reported.add(host)
            self.stats.inc_value("offsite/domains")
            logger.debug("Filtered offsite request to %s (site %s)", host, site_name)
        raise IgnoreRequest(f"offsite for site {site_name}: {request.url}")


class CanonicalRedirectMiddleware(RedirectMiddleware):
    """RedirectMiddleware that lets same-document redirects through the scheme-blind dupefilter.

    With :class:`govcrawl.discovery.urls.CanonicalRequestFingerprinter`, ``http://x/a`` and ``https://x/a``
    share a fingerprint, so Scrapy's redirect from one to the other would be filtered as a duplicate and
    the page lost. Counted as ``govcrawl/redirect/same_document``.
    """

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        result = super()._redirect(redirected, request, reason)
        if not result.dont_filter and dedupe_key(result.url) == dedupe_key(request.url):
            result.dont_filter = True
            self.crawler.stats.inc_value("govcrawl/redirect/same_document")
        return result
