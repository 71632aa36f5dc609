"""Cookies bounded like a browser's, so one page cannot poison the jar for the rest of its site.

A page that sends thousands of ``Set-Cookie`` headers would otherwise make every later request to its site carry
a huge ``Cookie`` header that servers refuse (400/431), and good reports would be lost. Scrapy's
:class:`~scrapy.downloadermiddlewares.cookies.CookiesMiddleware` is kept as it is; each of its jars gets a
:class:`BoundedCookiePolicy` (the standard library's documented ``CookiePolicy.set_ok`` hook) that refuses:

* a cookie whose name and value pass ``GOVCRAWL_COOKIE_MAX_BYTES`` (4096, as browsers);
* a new cookie once its domain holds ``GOVCRAWL_COOKIES_PER_HOST`` cookies (50);
* a new cookie that would take its domain's cookies past ``GOVCRAWL_COOKIE_HEADER_BYTES`` (6144): the
  ``Cookie`` header sent to that host stays under the 8 KB most servers accept.

Refusals are counted in the stats (``govcrawl/cookies/refused``, ``.../refused/<domain>``), and a domain with
more than ``POISONED_AFTER`` refusals is reported once as ``govcrawl/cookies/poisoned/<domain>`` and in the log.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from http.cookiejar import Cookie, DefaultCookiePolicy
from typing import Any

from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http.cookies import CookieJar

logger = logging.getLogger(__name__)

#: refusals after which a domain is reported as poisoning its jar
POISONED_AFTER = 20


class BoundedCookiePolicy(DefaultCookiePolicy):
    """The default policy, plus browser-like bounds on cookie size, count and bytes per domain."""

    def __init__(self, *, max_bytes: int = 4096, per_host: int = 50, header_bytes: int = 6144,
                 stats: Any = None) -> None:
        super().__init__()
        self.max_bytes, self.per_host, self.header_bytes = max_bytes, per_host, header_bytes
        self.stats = stats
        self._held: defaultdict[str, dict[tuple[str, str], int]] = defaultdict(dict)
        self._refused: defaultdict[str, int] = defaultdict(int)

    def set_ok(self, cookie: Cookie, request: Any) -> bool:
        if not super().set_ok(cookie, request):
            return False
        domain = (cookie.domain or "").lstrip(".").lower()
        size = len(cookie.name or "") + len(cookie.value or "")
        held = self._held[domain]
        key = (cookie.name, cookie.path or "/")
        others = sum(held.values()) - held.get(key, 0)
        if size > self.max_bytes:
            return self._refuse(domain, "too_large")
        if key not in held and len(held) >= self.per_host:
            return self._refuse(domain, "too_many")
        if others + size + 2 * len(held) > self.header_bytes:
            return self._refuse(domain, "header_full")
        held[key] = size
        return True

    def _refuse(self, domain: str, reason: str) -> bool:
        self._refused[domain] += 1
        if self.stats is not None:
            self.stats.inc_value("govcrawl/cookies/refused")
            self.stats.inc_value(f"govcrawl/cookies/refused/{reason}")
            self.stats.inc_value(f"govcrawl/cookies/refused/{domain}")
        if self._refused[domain] == POISONED_AFTER + 1:
            logger.warning("%s keeps sending cookies past a browser's limits: refused, its reports still fetched",
                           domain)
            if self.stats is not None:
                self.stats.set_value(f"govcrawl/cookies/poisoned/{domain}", True)
        return False


class BoundedCookiesMiddleware(CookiesMiddleware):
    """Scrapy's cookies middleware whose jars use :class:`BoundedCookiePolicy` (replaces it at the same slot)."""

    def __init__(self, debug: bool = False, *, policy_args: dict[str, int] | None = None,
                 stats: Any = None) -> None:
        super().__init__(debug)
        args = dict(policy_args or {})
        self.jars = defaultdict(lambda: CookieJar(policy=BoundedCookiePolicy(stats=stats, **args)))

    @classmethod
    def from_crawler(cls, crawler: Any) -> BoundedCookiesMiddleware:
        settings = crawler.settings
        if not settings.getbool("COOKIES_ENABLED"):
            raise NotConfigured
        middleware = cls(settings.getbool("COOKIES_DEBUG"), stats=crawler.stats, policy_args={
            "max_bytes": settings.getint("GOVCRAWL_COOKIE_MAX_BYTES"),
            "per_host": settings.getint("GOVCRAWL_COOKIES_PER_HOST"),
            "header_bytes": settings.getint("GOVCRAWL_COOKIE_HEADER_BYTES"),
        })
        middleware.crawler = crawler
        return middleware
