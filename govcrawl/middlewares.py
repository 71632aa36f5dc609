"""Downloader middlewares and the on-demand browser download handler of the gov_reports crawl.

* :class:`HostPortOffsiteMiddleware` is Scrapy's OffsiteMiddleware with a per-site ``host`` / ``host:port``
  rule (Scrapy's ``allowed_domains`` ignores ports).
* :class:`ChallengeMiddleware` recognises JS cookie challenges (412/521 with a script), reports the site
  as ``govcrawl/blocked/<site>`` in the stats, and retries through the browser when the site allows it;
  the cookies the browser earned go into Scrapy's cookie jar.
* :class:`CanonicalRedirectMiddleware` is Scrapy's RedirectMiddleware, except that a redirect to the same
  document (http -> https, adding/removing ``;jsessionid=``, tracking parameters) is not dropped by the
  dupefilter, whose fingerprints are scheme- and session-blind.
* :class:`OnDemandPlaywrightHandler` is an http/https download handler that behaves like Scrapy's default
  one and only starts scrapy-playwright (and Chromium) for the first request with ``meta["playwright"]``.
"""

from __future__ import annotations

import logging
from http.cookiejar import Cookie
from typing import TYPE_CHECKING, Any

from scrapy import Request, Spider
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from govcrawl.discovery.traps import challenge_kind
from govcrawl.discovery.urls import dedupe_key

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

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


class ChallengeMiddleware:
    """Detect JS cookie challenges and report them by site name; retry through the browser if allowed.

    A challenge is a 412/521 answer carrying a script (瑞数, 加速乐) or a tiny cookie-setting page
    (:func:`govcrawl.discovery.traps.challenge_kind`). Stats: ``govcrawl/blocked/<site>`` and
    ``govcrawl/blocked/<site>/<kind>``. When the site's registry entry has ``browser_on_challenge = true``
    the request is re-issued once with ``meta["playwright"] = True``; otherwise the response goes on (and
    the spider logs it as blocked). Sits below the retry middleware so 5xx retries are not spent on it.
    Once the browser has passed the challenge, the cookies it holds for the page are copied into Scrapy's
    cookie jar (``govcrawl/browser/cookies_copied``): the site's later pages go through plain HTTP.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.browser_enabled = crawler.settings.get("GOVCRAWL_BROWSER", "auto") != "off"

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChallengeMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        kind = challenge_kind(response.status, response.body)
        if request.meta.get("playwright") and request.meta.get("govcrawl_challenge"):
            # scrapy-playwright reports the status of the first navigation (the challenge) but its body is
            # the DOM after the challenge script set its cookie and reloaded
            if b"<a " in response.body.lower():
                self.stats.inc_value("govcrawl/browser/challenge_passed")
                self._copy_browser_cookies(request)
                return response.replace(status=200)
            self.stats.inc_value("govcrawl/browser/challenge_failed")
            return response
        if kind is None:
            return response
        spider = self.crawler.spider
        site_name = request.meta.get("govcrawl_site") or "unknown"
        tracker = getattr(spider, "traps", None)
        if tracker is not None:
            tracker.blocked(site_name, kind)
        else:
            self.stats.inc_value(f"govcrawl/blocked/{site_name}")
        logger.warning("Site %s answered %s with a JS challenge (%s)", site_name, request.url, kind)
        sites = getattr(spider, "sites_by_name", {}) or {}
        site = sites.get(site_name)
        if (
            site is not None
            and site.browser_on_challenge
            and self.browser_enabled
            and not request.meta.get("playwright")
        ):
            self.stats.inc_value("govcrawl/browser/challenge_retry")
            request.meta["govcrawl_challenge"] = kind
            stale = {"warc_ref", "download_latency", "download_slot"}  # belong to the challenged exchange
            meta = {**{k: v for k, v in request.meta.items() if k not in stale}, "playwright": True}
            meta.update(getattr(spider, "browser_meta", lambda r: {})(request))
            # read the browser's cookies once the challenge has run, so later pages can go through plain HTTP
            from scrapy_playwright.page import PageMethod

            meta["playwright_page_methods"] = [*meta.get("playwright_page_methods", []),
                                               PageMethod(browser_cookies)]
            return request.replace(meta=meta, dont_filter=True)
        request.meta["govcrawl_challenge"] = kind
        return response

    def _copy_browser_cookies(self, request: Request) -> int:
        """Put the cookies the browser holds after passing a challenge into Scrapy's cookie jar of the request
        (``meta["cookiejar"]``), so the site's later pages are fetched over plain HTTP. Returns how many."""
        cookies: list[dict[str, Any]] = []
        for method in request.meta.get("playwright_page_methods") or []:
            if getattr(method, "method", None) is browser_cookies and isinstance(method.result, list):
                cookies = method.result
        jar = cookie_jar(self.crawler, request.meta.get("cookiejar"))
        if jar is None or not cookies:
            logger.warning("Could not copy the browser's cookies for %s (jar: %s, cookies: %d)", request.url,
                           jar is not None, len(cookies))
            return 0
        for cookie in cookies:
            jar.set_cookie(playwright_cookie(cookie))
        self.stats.inc_value("govcrawl/browser/cookies_copied", len(cookies))
        logger.info("Copied %d browser cookies for %s into the crawl's cookie jar", len(cookies), request.url)
        return len(cookies)


async def browser_cookies(page: Any) -> list[dict[str, Any]]:
    """scrapy-playwright page method: the cookies the browser context holds for the page's URL."""
    return await page.context.cookies(page.url)


def playwright_cookie(cookie: dict[str, Any]) -> Cookie:
    """A Playwright cookie dict (``name, value, domain, path, expires, httpOnly, secure``) as an http.cookiejar
    Cookie. A domain with a leading dot is a domain cookie, otherwise host-only."""
    domain = str(cookie.get("domain") or "")
    expires_at = cookie.get("expires")
    expires = int(expires_at) if isinstance(expires_at, int | float) and expires_at > 0 else None
    return Cookie(
        version=0, name=str(cookie["name"]), value=str(cookie.get("value", "")), port=None, port_specified=False,
        domain=domain, domain_specified=domain.startswith("."), domain_initial_dot=domain.startswith("."),
        path=str(cookie.get("path") or "/"), path_specified=True, secure=bool(cookie.get("secure")),
        expires=expires, discard=expires is None, comment=None, comment_url=None,
        rest={"HttpOnly": ""} if cookie.get("httpOnly") else {}, rfc2109=False,
    )


def cookie_jar(crawler: Crawler, key: Any = None) -> Any:
    """Scrapy's cookie jar (``scrapy.http.cookies.CookieJar``) for ``meta["cookiejar"]`` key, or None when the
    cookies middleware is not running."""
    try:
        middlewares = crawler.engine.downloader.middleware.middlewares
    except AttributeError:
        return None
    for middleware in middlewares:
        if isinstance(middleware, CookiesMiddleware):
            return middleware.jars[key]
    return None


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


class OnDemandPlaywrightHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler that hands ``meta["playwright"]`` requests to scrapy-playwright.

    The Playwright driver and Chromium start on the first such request only, so crawls that never need
    a browser pay nothing and work without Chromium installed. Launch options come from the usual
    ``PLAYWRIGHT_*`` settings.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._crawler_ref = crawler
        self._playwright: Any = None

    async def _browser_handler(self) -> Any:
        if self._playwright is None:
            try:
                from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
            except ImportError as exc:  # pragma: no cover - dependency declared in pyproject
                raise NotConfigured("scrapy-playwright is not installed") from exc
            handler = ScrapyPlaywrightDownloadHandler.from_crawler(self._crawler_ref)
            await handler._maybe_launch_in_thread()  # the engine_started signal has already fired
            self._crawler_ref.stats.inc_value("govcrawl/browser/started")
            self._playwright = handler
        return self._playwright

    async def download_request(self, request: Request) -> Response:  # type: ignore[override]
        if request.meta.get("playwright"):
            handler = await self._browser_handler()
            return await handler.download_request(request)
        return await super().download_request(request)

    async def close(self) -> None:
        if self._playwright is not None:
            await self._playwright.close()
        await super().close()

