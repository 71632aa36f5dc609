"""The browser side of the crawl (scrapy-playwright with Chromium): one module for everything browser.

* :func:`browser_meta` is the request meta of a page rendered in Chromium. The browser's own HTTP exchanges
  (document, XHR/JSON) are collected into ``meta["govcrawl_browser_exchanges"]``, each with the WARC record id
  its response record will get, so the WARC middleware archives them and the rendered page's ``conversion``
  record can refer to the raw document.
* :func:`json_answers` picks the JSON the browser loaded (XHR list APIs) from those exchanges.
* :func:`follow_pager` (a page coroutine) clicks a rendered list's ``javascript:`` pager (``load(2)``, 下一页 …)
  page after page and keeps each page's DOM (:func:`pager_snapshots`); the XHR answers those clicks cause are
  collected like the first one. :func:`xhr_pages` gives the pages of a captured XHR list API still to fetch
  (up to its announced total, or one by one until an empty page: :func:`next_xhr_page`).
* :func:`render_again` re-issues a request through the browser (a list page with scripts but no links).
* :class:`ChallengeMiddleware` recognises JS cookie challenges (412/521 with a script), reports the site as
  ``govcrawl/blocked/<site>`` in the stats, and retries through the browser when the site allows it; the
  cookies the browser earned go into Scrapy's cookie jar (:func:`browser_cookies`, :func:`playwright_cookie`,
  :func:`cookie_jar`).
* :class:`OnDemandPlaywrightHandler` is an http/https download handler that behaves like Scrapy's default one
  and only starts scrapy-playwright (and Chromium) for the first request with ``meta["playwright"]``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from http.cookiejar import Cookie
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from govcrawl.discovery.links import decode_html
from govcrawl.discovery.pagination import PageRequest, json_entries, json_page_count, set_query_param
from govcrawl.discovery.traps import challenge_kind
from govcrawl.throttle import SendPacing
from govcrawl.warc.records import new_record_id

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: most ``javascript:`` pager clicks on one rendered list page
MAX_PAGER_CLICKS = 50
#: how long one click may take to change the page (ms)
PAGER_WAIT_MS = 5000
#: how long to let a changed page settle after a click (ms)
PAGER_SETTLE_MS = 250
_NEXT_WORDS = frozenset({"下一页", "下页", "后页", "下一頁", "next", ">", "›", "»", ">>"})
_PAGER_CALL_RE = re.compile(r"^javascript:\s*[\w.$]+\(\s*['\"]?(\d+)['\"]?\s*(?:,[^)]*)?\)\s*;?\s*$", re.IGNORECASE)
_PAGE_PARAMS = ("page", "pageNo", "pageNum", "pageIndex", "curPage", "p")


def browser_meta(request: Request | None = None) -> dict[str, Any]:
    """Meta for a request rendered through scrapy-playwright; browser exchanges are collected for WARC.

    For a JS cookie challenge (``request.meta["govcrawl_challenge"]``) the page is given time to set its
    cookie and reload before it is read; any other page's ``javascript:`` pager is then clicked through
    (:func:`follow_pager`).
    """
    from scrapy_playwright.page import PageMethod

    waits = [PageMethod("wait_for_load_state", "networkidle"), PageMethod(follow_pager)]
    if request is not None and request.meta.get("govcrawl_challenge"):
        waits = [PageMethod("wait_for_timeout", 1500), PageMethod("wait_for_load_state", "networkidle")]
    exchanges: list[dict[str, Any]] = []

    async def on_response(pw_response: Any) -> None:
        exchanges.append(await _exchange(pw_response))

    return {
        "playwright": True,
        "govcrawl_rendered": True,  # the response body is the rendered DOM, not the server's payload
        "playwright_page_event_handlers": {"response": on_response},
        "playwright_page_methods": waits,
        "govcrawl_browser_exchanges": exchanges,
    }


async def _exchange(pw_response: Any) -> dict[str, Any]:
    """One HTTP exchange Chromium made, as the WARC middleware archives it."""
    try:
        body = await pw_response.body()
    except Exception:  # redirects and aborted fetches have no body
        body = b""
    try:
        headers = [(h["name"], h["value"]) for h in await pw_response.headers_array()]
        request_headers = [(h["name"], h["value"]) for h in await pw_response.request.headers_array()]
    except Exception:  # no raw header list: fall back to the merged headers
        headers, request_headers = list(pw_response.headers.items()), []
    return {
        "url": pw_response.url, "status": pw_response.status, "headers": headers, "body": body,
        "method": pw_response.request.method, "request_headers": request_headers,
        "request_body": pw_response.request.post_data_buffer or b"",
        "resource_type": pw_response.request.resource_type,
        # the id its response record will get, so the rendered page's conversion record can refer to it
        "warc_record_id": new_record_id(),
    }


def json_answers(exchanges: list[dict[str, Any]]) -> Iterator[tuple[str, bytes]]:
    """``(url, body)`` of the successful GET answers with a JSON content type among the browser's exchanges
    (the XHR list APIs a script-only list page called)."""
    for exchange in exchanges:
        content_type = next((v for n, v in exchange["headers"] if n.lower() == "content-type"), "")
        if exchange["status"] == 200 and "json" in content_type.lower() and exchange["method"] == "GET":
            yield exchange["url"], exchange["body"]


def pager_call(href: str | None, text: str, current: int) -> int | None:
    """The page a ``javascript:`` pager link leads to when it is the next one after ``current``: a call with
    one page number (``load(2)``, ``goPage('2', …)``) whose text is that number or a 下一页 word; else None."""
    match = _PAGER_CALL_RE.match((href or "").strip())
    if match is None or int(match.group(1)) != current + 1:
        return None
    label = re.sub(r"\s+", "", text).lower()
    return current + 1 if label == str(current + 1) or label in _NEXT_WORDS else None


async def follow_pager(page: Any, max_clicks: int = MAX_PAGER_CLICKS) -> list[str]:
    """scrapy-playwright page method: the DOM of each page of a list reached by clicking its ``javascript:``
    pager (the link to page N+1 by number or 下一页), first page included; stops when no such link is left,
    a click changes nothing, or after ``max_clicks``. Navigation links (a site menu's 首页) are never clicked:
    only calls with the next page's number are."""
    snapshots = [await page.content()]
    current = 1
    for _ in range(max_clicks):
        target = None
        for handle in await page.query_selector_all("a[href^='javascript:'], a[href^='JavaScript:']"):
            if pager_call(await handle.get_attribute("href"), await handle.inner_text(), current) is not None:
                target = handle
                break
        if target is None:
            break
        before, url = snapshots[-1], page.url
        body = "() => document.body ? document.body.innerHTML : ''"
        try:
            marker = await page.evaluate(body)
            await target.evaluate("element => element.click()")
            await page.wait_for_function(f"old => ({body})() !== old", arg=marker, timeout=PAGER_WAIT_MS)
            await page.wait_for_timeout(PAGER_SETTLE_MS)  # the rest of the script's writes
            content = await page.content()
        except Exception as exc:  # no change in time, or the click navigated away: the pager ends here
            logger.info("Pager click to page %d on %s changed nothing (%s)", current + 1, url, exc)
            break
        if content == before:
            break
        snapshots.append(content)
        current += 1
        if page.url != url:  # a pager that loads another document: that page is crawled as any other
            break
    return snapshots


def pager_snapshots(meta: dict[str, Any]) -> list[str]:
    """The DOM of every page :func:`follow_pager` reached on a rendered request (empty when it did not run)."""
    for method in meta.get("playwright_page_methods") or []:
        if getattr(method, "method", None) is follow_pager and isinstance(method.result, list):
            return [html for html in method.result if isinstance(html, str)]
    return []


def _page_param(url: str) -> tuple[str, int] | None:
    """``(name, number)`` of the page parameter of an API URL (``page=2``, ``pageNo=2`` …), if any."""
    query = dict(re.findall(r"[?&]([^=&#]+)=([^&#]*)", url))
    for name in _PAGE_PARAMS:
        if query.get(name, "").isdigit():
            return name, int(query[name])
    return None


def xhr_pages(exchanges: list[dict[str, Any]], max_pages: int) -> list[PageRequest]:
    """The pages of each paged XHR list API the browser called that it did not load itself: up to the total
    the API announces, or (no total) the one after the last page it loaded, followed until an empty page
    (``context["until_empty"]``, see :func:`next_xhr_page`)."""
    apis: dict[str, dict[str, Any]] = {}
    for url, body in json_answers(exchanges):
        param = _page_param(url)
        if param is None:
            continue
        try:
            data = json.loads(decode_html(body, None)[0])
        except ValueError:
            continue
        entries = json_entries(data)
        name, number = param
        api = apis.setdefault(set_query_param(url, name, 0), {"url": url, "name": name, "loaded": set(),
                                                            "total": None, "empty": False})
        api["loaded"].add(number)
        api["empty"] = api["empty"] or not entries
        if entries and api["total"] is None:
            api["total"] = json_page_count(data, len(entries))
    wanted: list[PageRequest] = []
    for api in apis.values():
        loaded: set[int] = api["loaded"]
        if api["total"] is not None:
            numbers = [n for n in range(1, min(api["total"], max_pages) + 1) if n not in loaded]
            context: dict[str, Any] = {}
        elif api["empty"] or max(loaded) >= max_pages:
            continue
        else:
            numbers, context = [max(loaded) + 1], {"until_empty": True, "page_param": api["name"]}
        wanted.extend(PageRequest(url=set_query_param(api["url"], api["name"], n), kind="json", page=n,
                                  style="js-xhr", context=dict(context)) for n in numbers)
    return wanted


def next_xhr_page(page: PageRequest, has_entries: bool, max_pages: int) -> list[PageRequest]:
    """The page after ``page`` of an XHR list API with no announced total, while its answers have entries."""
    if not page.context.get("until_empty") or not has_entries or page.page >= max_pages:
        return []
    name = str(page.context.get("page_param") or "page")
    return [PageRequest(url=set_query_param(page.url, name, page.page + 1), kind="json", page=page.page + 1,
                        style=page.style, context=dict(page.context))]


def render_again(request: Request) -> Request:
    """``request`` once more, rendered in the browser: its ``govcrawl_*`` meta kept, not filtered as a duplicate."""
    own_meta = {k: v for k, v in request.meta.items() if k.startswith("govcrawl_")}
    return request.replace(meta={**own_meta, **browser_meta()}, dont_filter=True)


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
        request.meta["govcrawl_challenge"] = kind
        if (
            site is not None
            and site.browser_on_challenge
            and self.browser_enabled
            and not request.meta.get("playwright")
        ):
            self.stats.inc_value("govcrawl/browser/challenge_retry")
            return self._browser_retry(request)
        return response

    @staticmethod
    def _browser_retry(request: Request) -> Request:
        """The challenged request through the browser, reading the browser's cookies once the challenge ran."""
        from scrapy_playwright.page import PageMethod

        stale = {"warc_ref", "download_latency", "download_slot"}  # belong to the challenged exchange
        meta = {**{k: v for k, v in request.meta.items() if k not in stale}, "playwright": True}
        meta.update(browser_meta(request))
        # read the browser's cookies once the challenge has run, so later pages can go through plain HTTP
        meta["playwright_page_methods"] = [*meta.get("playwright_page_methods", []), PageMethod(browser_cookies)]
        return request.replace(meta=meta, dont_filter=True)

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
        # imported here: the add-on must configure tldextract (Scrapy's cookies module) before it is imported
        from scrapy.downloadermiddlewares.cookies import CookiesMiddleware

        middleware = crawler.get_downloader_middleware(CookiesMiddleware)
    except RuntimeError:  # no engine yet
        return None
    return middleware.jars[key] if middleware is not None else None


class OnDemandPlaywrightHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler that hands ``meta["playwright"]`` requests to scrapy-playwright.

    The Playwright driver and Chromium start on the first such request only, so crawls that never need
    a browser pay nothing and work without Chromium installed. Launch options come from the usual
    ``PLAYWRIGHT_*`` settings. Each request first tells :class:`govcrawl.throttle.SendPacing` it is being sent,
    so the site's delay counts from the send.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._crawler_ref = crawler
        self._playwright: Any = None
        self._pacing = SendPacing.from_crawler(crawler)

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
        if self._pacing is not None:
            await self._pacing.before_send(request)
        if request.meta.get("playwright"):
            handler = await self._browser_handler()
            return await handler.download_request(request)
        return await super().download_request(request)

    async def close(self) -> None:
        if self._playwright is not None:
            await self._playwright.close()
        await super().close()
