"""Per-site politeness shared by every worker: a Redis-held slot per site.

Stock scrapy-redis shares the frontier, not the politeness: each worker keeps its own download slots, so two
workers double a site's load. :class:`SiteSlotMiddleware` (a downloader middleware, enabled by the distributed
add-on at order 960, just before the download) takes a lease on the request's site before it is downloaded:

- at most ``CONCURRENT_REQUESTS_PER_DOMAIN`` leases of a site are held at once, by all workers together;
- two leases of a site are granted at least ``DOWNLOAD_DELAY`` seconds apart (``DOWNLOAD_SLOTS`` entries
  override both per site, as in Scrapy);
- a lease expires by itself after ``GOVCRAWL_DISTRIBUTED_SITE_LEASE`` seconds (0: ``DOWNLOAD_TIMEOUT`` + 30),
  so a killed worker's leases free themselves; a response or a download error returns it at once.

The site key is Scrapy's slot key (``meta["download_slot"]`` or the host name), so it is global across
spiders and crawls on one Redis. Both checks and the grant are one Lua script reading Redis's own clock
(``TIME``): workers on different machines need no synchronised clocks. A request whose site is busy is not
blocked on: ``process_request`` waits (a Twisted timer, the reactor keeps running) for as long as the script
says and asks again. Stats: ``govcrawl/politeness/leases``, ``govcrawl/politeness/waits``,
``govcrawl/politeness/wait_seconds``.

The worker's own download slot still applies its delay after the grant. With ``DOWNLOAD_DELAY_JITTER`` 0 and
AutoThrottle off the grant spacing is what the site sees; with jitter or AutoThrottle a worker's slot may hold
a granted request a little longer, so the floor between two workers' requests is then ``(1 - jitter) x
DOWNLOAD_DELAY`` (see docs/distributed.md).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from scrapy import Request, Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis.connection import get_redis_from_settings
from twisted.internet.task import deferLater

logger = logging.getLogger(__name__)

SITE_KEY = "govcrawl:site:%(site)s:"  # + "leases" (sorted set token -> expiry ms) | "next" (ms of the next grant)
#: request meta key of the lease a request holds while it is downloaded
LEASE_META = "govcrawl_site_lease"

# KEYS: leases, next; ARGV: token, concurrency, delay ms, lease ms, poll ms.  0 = granted, else ms to wait.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local wait = 0
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if nxt > now then wait = nxt - now end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = math.max(wait, math.min(tonumber(first[2]) - now, tonumber(ARGV[5])))
end
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], now + tonumber(ARGV[3]), 'PX', tonumber(ARGV[3])) end
return 0
"""


class SiteSlotMiddleware:
    """Downloader middleware: a global per-site lease before each download (module docstring)."""

    def __init__(self, server: Any, settings: Any, stats: Any = None) -> None:
        self.server = server
        self.stats = stats
        self.concurrency = max(1, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 8))
        self.delay = max(0.0, settings.getfloat("DOWNLOAD_DELAY", 0.0))
        self.slots: dict[str, dict[str, Any]] = settings.getdict("DOWNLOAD_SLOTS")
        lease = settings.getfloat("GOVCRAWL_DISTRIBUTED_SITE_LEASE", 0.0)
        self.lease_ms = int(1000 * (lease or settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 30))
        self.poll_ms = int(1000 * settings.getfloat("GOVCRAWL_DISTRIBUTED_SITE_POLL", 0.05))
        self._acquire = server.register_script(_ACQUIRE)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SiteSlotMiddleware:
        settings = crawler.settings
        if not settings.getbool("GOVCRAWL_DISTRIBUTED") or not settings.getbool("GOVCRAWL_DISTRIBUTED_POLITENESS"):
            raise NotConfigured("global politeness needs GOVCRAWL_DISTRIBUTED and GOVCRAWL_DISTRIBUTED_POLITENESS")
        return cls(get_redis_from_settings(settings), settings, crawler.stats)

    @staticmethod
    def site(request: Request) -> str:
        """The site a request counts against: Scrapy's download slot key."""
        return str(request.meta.get("download_slot") or urlparse_cached(request).hostname or "")

    def limits(self, site: str) -> tuple[int, float]:
        """(concurrency, delay seconds) of a site: ``DOWNLOAD_SLOTS[site]`` or the crawl's settings."""
        own = self.slots.get(site) or {}
        return max(1, int(own.get("concurrency", self.concurrency))), float(own.get("delay", self.delay))

    def try_acquire(self, site: str, token: str) -> float:
        """Take a lease of ``site`` now if its limits allow: 0.0, else the seconds to wait before asking again."""
        concurrency, delay = self.limits(site)
        prefix = SITE_KEY % {"site": site}
        wait_ms = self._acquire(keys=[prefix + "leases", prefix + "next"],
                                args=[token, concurrency, int(delay * 1000), self.lease_ms, self.poll_ms])
        return int(wait_ms) / 1000.0

    def release(self, request: Request) -> None:
        """Give a request's lease back (after its response or download error)."""
        token = request.meta.pop(LEASE_META, None)
        if token is None:
            return
        try:
            self.server.zrem(SITE_KEY % {"site": self.site(request)} + "leases", token)
        except Exception:  # the lease expires by itself
            logger.warning("Could not release the site lease of %s", request.url, exc_info=True)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        site = self.site(request)
        if not site or LEASE_META in request.meta:
            return None
        token = uuid.uuid4().hex
        waited = 0.0
        while (wait := self.try_acquire(site, token)) > 0:
            waited += wait
            from twisted.internet import reactor  # the crawl's installed reactor

            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        request.meta[LEASE_META] = token
        self._inc("govcrawl/politeness/leases")
        if waited:
            self._inc("govcrawl/politeness/waits")
            self._inc("govcrawl/politeness/wait_seconds", round(waited, 3))
        return None

    def process_response(self, request: Request, response: Any, spider: Spider | None = None) -> Any:
        self.release(request)
        return response

    def process_exception(self, request: Request, exception: BaseException, spider: Spider | None = None) -> None:
        self.release(request)
        return None

    def _inc(self, key: str, count: float = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)
