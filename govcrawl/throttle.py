"""Global crawl budgets sized from the sites being crawled, and ``Retry-After`` honoured per site.

Politeness is per site (Scrapy's download slot: ``CONCURRENT_REQUESTS_PER_DOMAIN``, ``DOWNLOAD_DELAY``,
AutoThrottle); the global budgets only have to be large enough that they are never what limits a polite crawl
of many sites at once. :class:`CrawlBudgetExtension` sizes them when the crawl starts:

* ``CONCURRENT_REQUESTS`` = sites x the requests one site can have in flight (Little's law: ``latency / delay``
  rounded up, plus one, at most ``CONCURRENT_REQUESTS_PER_DOMAIN``; the per-domain cap itself without a delay),
  never below the profile's value and at most ``GOVCRAWL_BUDGET_MAX_CONCURRENCY``;
* the reactor thread pool (DNS lookups run there): a thread per four sites, 10 to ``GOVCRAWL_BUDGET_MAX_THREADS``;
* the DNS cache: room for every site twice (sites and their attachment hosts), at least Scrapy's 10,000;
* the scheduler: Scrapy's ``DownloaderAwarePriorityQueue`` (its broad-crawl queue) when there are several
  sites, so the global budget is shared between the sites instead of filling with one site's waiting requests;
* open files: the soft ``RLIMIT_NOFILE`` raised to the hard limit when the sockets (two per request in flight)
  plus a reserve for WARC files, workers and the catalog need more; the concurrency is cut to fit a hard limit.

:class:`SendPacing` (``GOVCRAWL_SEND_PACING``) makes a site's delay hold at the site, not only in Scrapy's
slot. The slot counts the delay from when it releases a request; the request's bytes leave one or more reactor
turns later, and under load a turn lasts tens of milliseconds, so two requests could reach the site closer
together than the delay (measured: 0.34 s apart at a 0.5 s delay over 100 sites). The HTTP download handler
awaits :meth:`SendPacing.before_send` for each request:

* a gate per site: a request goes on only once the site's spacing (``DOWNLOAD_DELAY`` less Scrapy's jitter, the
  least Scrapy itself allows) has passed since the previous send; its turn is reserved on arrival;
* the spacing counts from the handler's turn and again from the ``SEND_TURNS`` reactor turns after it, by when
  the bytes are written on an open connection; a request that needs a new connection (more of the site's
  requests transferring at once than ever: the first, or a second in flight) waits for turns no one counts (the
  resolver's thread, the connect), so the spacing after it also counts from its response's headers;
* Scrapy's slot releases the next request a lead early (the moving average plus twice the mean deviation of
  how long a released request takes to reach the handler, at most a quarter of the spacing; none with jitter,
  whose random delays are no lag), and the gate waits out what is left: that lag is not added to every delay.
  Stats: ``govcrawl/pacing/held`` and ``…/held_seconds`` (requests the gate held and for how long),
  ``…/late_seconds`` (how late the others came after their turn).

:class:`CollectorBudgetExtension` (``GOVCRAWL_GC_THRESHOLD``) runs the crawl process's cyclic garbage collector
less often while the engine runs: with Python's default (700 allocations) a 100-sites crawl spent ~0.5 s of
its reactor thread in ~500 collections, four of them full ones of up to 0.1 s, each a pause of every site's
sends; at 20,000 the same crawl ran 5 collections (0.04 s). It is restored when the spider closes.

The turn-counted anchor is a measured bound, not a proof: over 100 sites at 0.5 s, some runs still show one
pair of a site's requests 0.48 s apart in the server's log (cause not found; it did not occur under the
instrumented probe), against 0.34–0.40 s in every run without pacing.

``sites`` is the number of distinct hosts in the spider's registry (``spider.registry``); ``latency`` is
``GOVCRAWL_BUDGET_LATENCY`` (seconds a site takes to answer, an estimate). A setting given explicitly (project
settings, ``custom_settings``, ``-s``) is left alone, and ``GOVCRAWL_BUDGET=False`` disables the sizing.

:class:`RetryAfterMiddleware` replaces Scrapy's RetryMiddleware: a 429/503 answer carrying ``Retry-After``
pauses that site's download slot for the time asked (up to ``GOVCRAWL_RETRY_AFTER_MAX`` seconds; longer waits
give the request up) and retries the request through Scrapy's public ``get_retry_request``. The pause is a
slot delay, so the reactor and the other sites go on.
"""

from __future__ import annotations

import gc
import logging
import math
import resource
import time
import weakref
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.response import response_status_message

from govcrawl.urlkeys import host_port

logger = logging.getLogger(__name__)

#: file descriptors kept for everything but sockets (WARC files, worker pipes, the catalog, logs)
FD_RESERVE = 256
#: Scrapy's defaults, the floors of the sized budgets
SCRAPY_THREADPOOL = 10
SCRAPY_DNSCACHE = 10_000
RETRY_AFTER_CODES = frozenset({429, 503})
#: Scrapy's scheduler queue for broad crawls: the next request comes from the site with the fewest in the
#: downloader, so a site waiting out its delay does not take the global budget from the others
DOWNLOADER_AWARE_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
_EXPLICIT = SETTINGS_PRIORITIES["addon"]


@dataclass(frozen=True)
class Budgets:
    """The global budgets for one crawl (see the module docstring)."""

    sites: int
    per_site: int
    concurrent_requests: int
    threadpool: int
    dnscache: int
    open_files: int


def per_site_inflight(per_domain: int, delay: float, latency: float) -> int:
    """Requests one site can have in flight under its delay: latency / delay rounded up, plus one, capped."""
    if delay <= 0:
        return max(1, per_domain)
    return max(1, min(per_domain, math.ceil(latency / delay) + 1))


def size_budgets(settings: BaseSettings, sites: int) -> Budgets:
    """The budgets for ``sites`` sites under ``settings`` (pure: nothing is applied)."""
    sites = max(1, sites)
    per_site = per_site_inflight(settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
                                 settings.getfloat("DOWNLOAD_DELAY"), settings.getfloat("GOVCRAWL_BUDGET_LATENCY"))
    concurrency = min(settings.getint("GOVCRAWL_BUDGET_MAX_CONCURRENCY"),
                      max(settings.getint("CONCURRENT_REQUESTS"), sites * per_site))
    threads = min(settings.getint("GOVCRAWL_BUDGET_MAX_THREADS"), max(SCRAPY_THREADPOOL, math.ceil(sites / 4)))
    return Budgets(sites=sites, per_site=per_site, concurrent_requests=concurrency, threadpool=threads,
                   dnscache=max(SCRAPY_DNSCACHE, 2 * sites), open_files=2 * concurrency + FD_RESERVE)


def raise_open_files(needed: int) -> int:
    """Raise the soft ``RLIMIT_NOFILE`` to the hard limit when ``needed`` exceeds it; returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = hard if hard != resource.RLIM_INFINITY else needed
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            logger.warning("could not raise the open-file limit to %s: %s", target, exc)
    return soft


def registry_sites(spider: Any) -> int:
    """Distinct hosts among the start URLs of the spider's registry (0 when the spider has none)."""
    hosts = {host_port(url) for site in getattr(spider, "registry", None) or () for url in site.start_urls}
    return len(hosts)


class CollectorBudgetExtension:
    """The crawl process's garbage-collector threshold while the engine runs (module docstring)."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.previous: tuple[int, ...] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CollectorBudgetExtension:
        threshold = crawler.settings.getint("GOVCRAWL_GC_THRESHOLD")
        if threshold <= 0:
            raise NotConfigured("GOVCRAWL_GC_THRESHOLD is 0: Python's own collector threshold")
        extension = cls(threshold)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def engine_started(self) -> None:
        self.previous = gc.get_threshold()
        gc.set_threshold(self.threshold, *self.previous[1:])

    def spider_closed(self) -> None:
        if self.previous is not None:
            gc.set_threshold(*self.previous)
            self.previous = None


class CrawlBudgetExtension:
    """Sizes the global budgets from the number of sites (module docstring); built before settings freeze."""

    def __init__(self, crawler: Any, budgets: Budgets) -> None:
        self.crawler = crawler
        self.budgets = budgets
        self.threads_explicit = crawler.settings.getpriority("REACTOR_THREADPOOL_MAXSIZE") > _EXPLICIT

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlBudgetExtension:
        settings = crawler.settings
        if not settings.getbool("GOVCRAWL_BUDGET"):
            raise NotConfigured("GOVCRAWL_BUDGET is off")
        sites = settings.getint("GOVCRAWL_BUDGET_SITES") or registry_sites(getattr(crawler, "spider", None))
        budgets = size_budgets(settings, sites)
        soft = raise_open_files(budgets.open_files)
        if soft != resource.RLIM_INFINITY and soft < budgets.open_files:  # a hard limit we cannot pass
            fitting = max(settings.getint("CONCURRENT_REQUESTS"), (soft - FD_RESERVE) // 2)
            budgets = Budgets(**{**budgets.__dict__, "concurrent_requests": min(budgets.concurrent_requests, fitting),
                                 "open_files": soft})
        if not settings.frozen:
            if settings.getpriority("CONCURRENT_REQUESTS") <= _EXPLICIT:
                settings.set("CONCURRENT_REQUESTS", budgets.concurrent_requests, priority="addon")
            if settings.getpriority("DNSCACHE_SIZE") <= _EXPLICIT:
                settings.set("DNSCACHE_SIZE", budgets.dnscache, priority="addon")
            if (budgets.sites > 1 and settings.getpriority("SCHEDULER_PRIORITY_QUEUE") <= _EXPLICIT
                    and not settings.getint("CONCURRENT_REQUESTS_PER_IP")):  # that queue refuses per-IP slots
                settings.set("SCHEDULER_PRIORITY_QUEUE", DOWNLOADER_AWARE_QUEUE, priority="addon")
        extension = cls(crawler, budgets)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        return extension

    def engine_started(self) -> None:
        """Apply what lives outside the crawler's settings: the reactor's thread pool and the DNS cache."""
        from scrapy.resolver import dnscache
        from twisted.internet import reactor

        settings = self.crawler.settings
        if not self.threads_explicit:
            reactor.getThreadPool().adjustPoolsize(maxthreads=self.budgets.threadpool)
        if settings.getbool("DNSCACHE_ENABLED") and dnscache.limit:
            dnscache.limit = max(dnscache.limit, settings.getint("DNSCACHE_SIZE"))
        stats = self.crawler.stats
        for name in ("sites", "per_site", "concurrent_requests", "threadpool", "dnscache", "open_files"):
            stats.set_value(f"govcrawl/budget/{name}", getattr(self.budgets, name))
        logger.info("crawl budgets for %d sites: %s", self.budgets.sites, self.budgets)


def download_slot(crawler: Any, request: Request) -> tuple[str | None, Any]:
    """The key and Scrapy download slot of ``request`` ((None, None) before the engine has a downloader; the
    slot is None while the downloader has none for that key)."""
    downloader = getattr(getattr(crawler, "engine", None), "downloader", None)
    if downloader is None:
        return None, None
    key = request.meta.get("download_slot") or downloader.get_slot_key(request)
    return key, downloader.slots.get(key)


#: reactor turns after a request reaches the download handler by which its bytes are written on a connection that
#: is already open (the write waits for the next turn's writable socket; a call scheduled with ``callLater(0)``
#: in the handler's turn runs in that turn after the socket callbacks)
SEND_TURNS = 2
#: the release lead is at most this share of a site's delay
MAX_LEAD_SHARE = 0.25
#: weight of a new sample in the moving average of the release-to-handler lag
LAG_WEIGHT = 0.1


class SendPacing:
    """Per-site delays counted from when requests reach the site (module docstring); owned by the handler."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.next_send: dict[str, float] = {}  # per slot: when the site may get its next request
        self.connections: dict[str, int] = {}  # per slot: the most requests seen transferring at once
        self.opening: weakref.WeakSet[Request] = weakref.WeakSet()  # requests opening a connection, until headers
        self.lag = self.lag_spread = 0.0  # moving average and mean deviation of the release-to-handler lag
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SendPacing | None:
        """The pacing of ``crawler``, or None with ``GOVCRAWL_SEND_PACING`` off or under distributed politeness
        (there the Redis grants space a site's requests across workers, and a hold in one worker after its grant
        would push its request towards another worker's next grant)."""
        settings = crawler.settings
        shared = settings.getbool("GOVCRAWL_DISTRIBUTED") and settings.getbool("GOVCRAWL_DISTRIBUTED_POLITENESS")
        return cls(crawler) if settings.getbool("GOVCRAWL_SEND_PACING") and not shared else None

    @staticmethod
    def spacing(slot: Any) -> float:
        """The least time between two of the slot's requests that Scrapy itself allows (its delay less jitter)."""
        return max(0.0, slot.delay * (1.0 - min(1.0, slot.jitter or 0.0)))

    def lead(self, slot: Any) -> float:
        """How early the slot releases a request before the site may have it: the usual lag of a released request
        reaching the handler (the handler waits out what is left), so that lag is not added to every delay."""
        if slot.jitter:  # a random delay is no lag to make up for
            return 0.0
        return min(MAX_LEAD_SHARE * self.spacing(slot), self.lag + 2 * self.lag_spread)

    async def before_send(self, request: Request) -> None:
        """``request`` reached the download handler: wait until its site may have it, then count the site's next
        delay from now and from the turns after it (and from the response's headers when it opens a connection)."""
        key, slot = download_slot(self.crawler, request)
        if key is None or slot is None or not slot.delay:
            return
        spacing, now = self.spacing(slot), time.monotonic()
        due = self.next_send.get(key)
        if due is not None and not slot.jitter:  # how long it took from Scrapy's release (``lastseen``) to here
            sample = min(max(0.0, now - slot.lastseen), 2 * MAX_LEAD_SHARE * spacing)
            self.lag_spread += LAG_WEIGHT * (abs(sample - self.lag) - self.lag_spread)
            self.lag += LAG_WEIGHT * (sample - self.lag)
        start = max(now, due or 0.0)
        self.next_send[key] = start + spacing  # reserved at once: a request arriving meanwhile waits behind it
        transferring = len(slot.transferring)  # this request included
        if transferring > self.connections.get(key, 0):  # more at once than ever: a new connection opens
            self.connections[key] = transferring
            self.opening.add(request)
        stats = self.crawler.stats
        if start > now:
            from twisted.internet import reactor
            from twisted.internet.task import deferLater

            stats.inc_value("govcrawl/pacing/held")
            stats.inc_value("govcrawl/pacing/held_seconds", round(start - now, 6))
            await maybe_deferred_to_future(deferLater(reactor, start - now, lambda: None))
        elif due is not None:
            stats.inc_value("govcrawl/pacing/late_seconds", round(now - due, 6))  # after its turn: the lag
        self._hold(key, slot, SEND_TURNS)

    def _hold(self, key: str, slot: Any, turns_left: int) -> None:
        """The site's next request no sooner than its spacing after now; Scrapy's slot releases it a lead early."""
        now = time.monotonic()
        self.next_send[key] = max(self.next_send.get(key, 0.0), now + self.spacing(slot))
        slot.lastseen = max(slot.lastseen, now - self.lead(slot))
        if turns_left:
            from twisted.internet import reactor

            reactor.callLater(0, self._hold, key, slot, turns_left - 1)

    def headers_received(self, headers: Any, body_length: Any, request: Request, spider: Any = None) -> None:
        """A response on a new connection began: its request has certainly reached the site by now."""
        if request in self.opening:
            self.opening.discard(request)
            key, slot = download_slot(self.crawler, request)
            if key is not None and slot is not None:
                self._hold(key, slot, 0)


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware that, on 429/503 with ``Retry-After``, pauses the site before the retry."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("GOVCRAWL_RETRY_AFTER_MAX")
        self.paused: dict[str, tuple[float, float, float, float]] = {}  # slot -> (until, wait, delay, jitter)

    def process_request(self, request: Request, spider: Any = None) -> None:
        """While a site is paused, keep its slot's delay at the pause (AutoThrottle may have lowered it)."""
        key = request.meta.get("download_slot")
        pause = self.paused.get(key) if key is not None else None
        if pause is not None and time.monotonic() < pause[0]:
            _, slot = download_slot(self.crawler, request)
            if slot is not None and slot.delay < pause[1]:
                slot.delay, slot.jitter = pause[1], 0.0
        return None

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if (wait is None or response.status not in RETRY_AFTER_CODES or request.meta.get("dont_retry", False)
                or response.status not in self.retry_http_codes):
            return super().process_response(request, response)
        stats = self.crawler.stats
        if wait > self.max_wait:
            stats.inc_value("govcrawl/retry_after/too_long")
            self._pause(request, self.max_wait)
            logger.warning("%s asks to wait %.0f s (Retry-After), more than GOVCRAWL_RETRY_AFTER_MAX=%.0f: "
                           "given up", request.url, wait, self.max_wait)
            return response
        retry = get_retry_request(
            request, spider=self.crawler.spider, reason=response_status_message(response.status),
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            give_up_log_level=request.meta.get("give_up_log_level", self.give_up_log_level))
        if retry is None:
            return response
        stats.inc_value("govcrawl/retry_after/count")
        stats.inc_value("govcrawl/retry_after/seconds", round(wait, 3))
        self._pause(request, wait)
        return retry

    def _pause(self, request: Request, wait: float) -> None:
        """No request of this site leaves before ``wait`` seconds: the slot's delay counts from now."""
        key, slot = download_slot(self.crawler, request)
        if slot is None or wait <= 0:
            return
        from twisted.internet import reactor

        now = time.monotonic()
        previous = self.paused.get(key)
        delay, jitter = (previous[2], previous[3]) if previous else (slot.delay, slot.jitter)
        until = max(now + wait, previous[0] if previous else 0.0)
        self.paused[key] = (until, until - now, delay, jitter)
        slot.delay, slot.jitter = max(slot.delay if previous else 0.0, until - now), 0.0
        slot.lastseen = now
        reactor.callLater(until - now, self._resume, key, until)

    def _resume(self, key: str, until: float) -> None:
        pause = self.paused.get(key)
        if pause is None or pause[0] != until:  # extended by a later Retry-After
            return
        del self.paused[key]
        engine = getattr(self.crawler, "engine", None)
        slot = engine.downloader.slots.get(key) if engine is not None else None
        if slot is not None:
            slot.delay, slot.jitter = pause[2], pause[3]
