"""Distributed crawling with scrapy-redis: several workers (processes or machines) share one frontier.

Enable with ``-s GOVCRAWL_DISTRIBUTED=True -s REDIS_URL=redis://host:6379/0`` once the add-on is listed in
``ADDONS`` (``{"govcrawl.distributed.DistributedAddon": 0}``; add it with ``-s ADDONS=...`` otherwise).
The add-on then sets, at add-on priority (project settings and ``-s`` still win):

- ``SCHEDULER = "govcrawl.distributed.SharedFrontierScheduler"``: a ``scrapy_redis.scheduler.Scheduler``
  whose request queue (``SCHEDULER_QUEUE_KEY``, default ``govcrawl:<spider>:requests``, a Redis sorted set
  ordered by request priority) is shared by every worker;
- ``DUPEFILTER_CLASS = "govcrawl.distributed.SharedDupeFilter"``: ``scrapy_redis.dupefilter.RFPDupeFilter``
  keyed by the project's request fingerprinter (``CanonicalRequestFingerprinter``: ``_wap``/big5 twins and
  session ids collapse exactly as in a single-process crawl), fingerprints in ``govcrawl:<spider>:dupefilter``;
- ``SCHEDULER_PERSIST = True``: a worker that stops (Ctrl-C, ``CLOSESPIDER_*``, crash) leaves the frontier in
  Redis, and any worker started later resumes it.

A worker's engine moves up to ``CONCURRENT_REQUESTS`` requests from Redis into its own downloader queue at
once, so keep that setting near the per-domain concurrency when several workers crawl the same few sites.

Why a scheduler subclass rather than the stock one:

- **Worker-local requests.** Attachment requests carry the report page's capture (bytes, WARC reference) in
  ``meta`` and browser requests carry page-event callables; neither belongs in Redis (and callables cannot be
  pickled). Such requests, and any request that fails to serialise, stay in an in-memory queue of the worker
  that made them (stat ``govcrawl/distributed/local``). They still pass the shared dupefilter.
- **Prompt pick-up.** An idle Scrapy engine polls its scheduler only every 5 s; a worker with nothing in
  progress polls Redis
  every ``GOVCRAWL_DISTRIBUTED_POLL_INTERVAL`` seconds (0.5), taking ``GOVCRAWL_DISTRIBUTED_POLL_BATCH`` (2)
  requests at a time, and feeds them to ``engine.crawl``.
- **Shared idleness.** A plain Scrapy spider closes when its own queue is empty, even while another worker is
  about to push new list pages. Each worker registers in ``govcrawl:<spider>:workers`` (busy/idle + heartbeat);
  an idle worker stays open (``DontCloseSpider``) while the shared queue is non-empty or another live worker is
  busy. Workers whose heartbeat is older than ``GOVCRAWL_DISTRIBUTED_WORKER_TIMEOUT`` seconds count as gone.
- **Stopping early.** Scrapy's graceful close (``CLOSESPIDER_*``, one Ctrl-C) finishes the requests in
  progress, and the requests they yield land in Redis; requests still waiting in the worker-local queue are
  pushed back to Redis (or replaced by ``spider.resume_request(request)`` when they cannot be serialised).
- **Surviving a hard kill.** scrapy-redis has no acknowledgement step: a popped request lives only in the
  worker's memory, and it is already in the dupefilter, so a ``kill -9`` would lose it for good. Here a request
  is moved from the queue into the worker's in-flight hash (``govcrawl:<spider>:inflight:<worker>``) by one
  atomic Lua script, and :class:`InflightAckMiddleware` deletes it once the callback's output has been consumed
  (its new requests are in Redis by then). Any worker (at start, on every heartbeat, when idle) moves the
  in-flight requests of a dead worker back to the queue (stat ``govcrawl/distributed/reclaimed``); a worker is
  dead when its heartbeat is older than ``GOVCRAWL_DISTRIBUTED_WORKER_TIMEOUT`` or, on the same host, when its
  process is gone. Delivery is at least once: a report whose item was emitted just before the kill, but not yet
  acknowledged, is fetched and emitted again by the worker that reclaims it; items still in a killed worker's
  item pipelines are lost with it. Failed downloads (errbacks) are not acknowledged, so after a kill they are
  tried again.
- **Clean finish.** When the last live worker finishes (reason ``finished``) with an empty queue, it clears the
  dupefilter and the queue so the next crawl starts fresh; other close reasons keep them for resuming.
  :func:`flush_frontier` clears them by hand.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import os
import pickle
import socket
import time
import uuid
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import BaseSettings
from scrapy_redis.connection import get_redis, get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

logger = logging.getLogger(__name__)

QUEUE_KEY = "govcrawl:%(spider)s:requests"
DUPEFILTER_KEY = "govcrawl:%(spider)s:dupefilter"
WORKERS_KEY = "govcrawl:%(spider)s:workers"
INFLIGHT_KEY = "govcrawl:%(spider)s:inflight:"  # + worker id
INFLIGHT_META = "govcrawl_inflight"
_RECLAIMING = ":reclaiming:"
#: custom signal sent by InflightAckMiddleware when a request's callback output has been consumed
inflight_done = object()

# pop the best request and record it as in flight, atomically (a kill can come between any two commands)
_POP_TRACKED = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0)
if #found == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], found[1])
return found[1]
"""

#: what ``GOVCRAWL_DISTRIBUTED=True`` switches on (add-on priority)
DISTRIBUTED_SETTINGS: dict[str, Any] = {
    "SCHEDULER": "govcrawl.distributed.SharedFrontierScheduler",
    "DUPEFILTER_CLASS": "govcrawl.distributed.SharedDupeFilter",
    "SCHEDULER_PERSIST": True,
    "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
    "SCHEDULER_QUEUE_KEY": QUEUE_KEY,
    "SCHEDULER_DUPEFILTER_KEY": DUPEFILTER_KEY,
}
INFLIGHT_MIDDLEWARE = "govcrawl.distributed.InflightAckMiddleware"
#: roles whose requests never leave the worker that made them (see module docstring)
LOCAL_ROLES = frozenset({"attachment"})


class DistributedAddon:
    """Scrapy add-on: applies :data:`DISTRIBUTED_SETTINGS` when ``GOVCRAWL_DISTRIBUTED`` is true."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.getbool("GOVCRAWL_DISTRIBUTED"):
            return
        if not settings.get("REDIS_URL") and not settings.get("REDIS_HOST"):
            raise ValueError("GOVCRAWL_DISTRIBUTED=True needs REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
        for name, value in DISTRIBUTED_SETTINGS.items():
            settings.set(name, value, priority="addon")
        settings["SPIDER_MIDDLEWARES"][INFLIGHT_MIDDLEWARE] = 1  # outermost: sees the whole callback output


class SharedDupeFilter(RFPDupeFilter):
    """scrapy-redis dupefilter that uses the crawler's request fingerprinter (canonical dedupe keys)."""

    def __init__(self, server: Any, key: str, debug: bool = False, fingerprinter: Any = None) -> None:
        super().__init__(server, key, debug)
        self.fingerprinter = fingerprinter

    @classmethod
    def from_spider(cls, spider: Spider) -> SharedDupeFilter:
        settings = spider.settings
        key = settings.get("SCHEDULER_DUPEFILTER_KEY", DUPEFILTER_KEY) % {"spider": spider.name}
        crawler = getattr(spider, "crawler", None)
        return cls(get_redis_from_settings(settings), key=key, debug=settings.getbool("DUPEFILTER_DEBUG"),
                   fingerprinter=getattr(crawler, "request_fingerprinter", None))

    def request_fingerprint(self, request: Request) -> str:
        if self.fingerprinter is None:
            return super().request_fingerprint(request)
        return self.fingerprinter.fingerprint(request).hex()


class SharedFrontierScheduler(Scheduler):
    """scrapy-redis scheduler + worker-local queue + shared idleness + clean finish (module docstring)."""

    def __init__(self, server: Any, *args: Any, worker_timeout: float = 120.0, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        self.worker_timeout = worker_timeout
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.workers_key = ""
        self._local: list[tuple[int, int, Request]] = []
        self._counter = itertools.count()
        self._state = "idle"
        self._heartbeat: task.LoopingCall | None = None
        self._poll: task.LoopingCall | None = None
        self.poll_interval = 0.5
        self.poll_batch = 2
        self.crawler: Any = None
        self._prefetched: set[int] = set()
        self.inflight_prefix = ""
        self.inflight_key = ""
        self._pop_tracked: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedFrontierScheduler:
        instance = super().from_crawler(crawler)
        instance.worker_timeout = crawler.settings.getfloat("GOVCRAWL_DISTRIBUTED_WORKER_TIMEOUT", 120.0)
        instance.poll_interval = crawler.settings.getfloat("GOVCRAWL_DISTRIBUTED_POLL_INTERVAL", 0.5)
        instance.poll_batch = max(1, crawler.settings.getint("GOVCRAWL_DISTRIBUTED_POLL_BATCH", 2))
        instance.crawler = crawler
        crawler.signals.connect(instance.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(instance.acknowledge, signal=inflight_done)
        return instance

    # ------------------------------------------------------------------------------------ lifecycle
    def open(self, spider: Spider) -> None:
        super().open(spider)
        self.workers_key = WORKERS_KEY % {"spider": spider.name}
        self.inflight_prefix = INFLIGHT_KEY % {"spider": spider.name}
        self.inflight_key = self.inflight_prefix + self.worker_id
        self._pop_tracked = self.server.register_script(_POP_TRACKED)
        self._set_state("busy")
        self.reclaim_orphans()
        if self.crawler is not None:  # timers need the crawl's reactor
            self._heartbeat = task.LoopingCall(self._beat)
            self._heartbeat.start(max(1.0, self.worker_timeout / 6), now=False)
            self._poll = task.LoopingCall(self._pull_when_idle)
            self._poll.start(self.poll_interval, now=False)
        logger.info("Distributed worker %s joined frontier %s (%d requests queued)",
                    self.worker_id, self.queue.key, len(self.queue))

    def close(self, reason: str) -> None:
        for loop in (self._heartbeat, self._poll):
            if loop is not None and loop.running:
                loop.stop()
        # a graceful close finished every request in progress; what is left failed (errbacks are not acked).
        # Deleted before deregistering: an in-flight hash without a registered owner reads as a crashed worker's.
        self.server.delete(self.inflight_key)
        self.server.hdel(self.workers_key, self.worker_id)
        if self._local and reason != "finished":
            self._return_local_requests()
        if reason == "finished" and len(self.queue) == 0 and not self.live_workers():
            self.flush()
            self._inc("govcrawl/distributed/flushed")
            logger.info("Last worker finished: frontier %s and its dupefilter cleared", self.queue.key)
        elif not self.persist:
            self.flush()

    # ------------------------------------------------------------------------------------ queueing
    def enqueue_request(self, request: Request) -> bool:
        if id(request) in self._prefetched:  # popped from Redis by _pull_when_idle: already deduplicated
            self._prefetched.discard(id(request))
            self._push_local(request, count=False)
            return True
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if stays_local(request):
            self._push_local(request)
            return True
        try:
            self.queue.push(request)
        except (pickle.PicklingError, TypeError, AttributeError, ValueError) as exc:
            logger.debug("Request %s cannot be serialised (%s): kept worker-local", request.url, exc)
            self._push_local(request)
            return True
        self._inc("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self._local:
            if self._state == "idle":
                self._set_state("busy")
            self._inc("scheduler/dequeued/local")
            return heapq.heappop(self._local)[2]
        previous = self._state
        self._set_state("busy")  # before popping, so no other worker sees "queue empty and everyone idle"
        request = self._pop()
        if request is None:
            if previous == "idle":
                self._set_state("idle")
            return None
        self._inc("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return bool(self._local) or len(self.queue) > 0

    def __len__(self) -> int:
        return len(self._local) + len(self.queue)

    def _push_local(self, request: Request, count: bool = True) -> None:
        heapq.heappush(self._local, (-request.priority, next(self._counter), request))
        if count:
            self._inc("govcrawl/distributed/local")

    def _return_local_requests(self) -> None:
        """A worker stopping early hands its unprocessed local requests back to Redis: they (or the report
        they belong to) are in the dupefilter, so nobody else would fetch them. A request that cannot be
        serialised is replaced by ``spider.resume_request(request)`` when the spider offers it (e.g. the
        report page an attachment belongs to); otherwise it is lost, and counted."""
        returned = lost = 0
        resume = getattr(self.spider, "resume_request", None)
        while self._local:
            request = heapq.heappop(self._local)[2]
            for candidate in (request, resume(request) if callable(resume) else None):
                if candidate is None:
                    continue
                try:
                    self.queue.push(candidate)
                except (pickle.PicklingError, TypeError, AttributeError, ValueError):
                    continue
                returned += 1
                break
            else:
                lost += 1
                logger.warning("Worker %s stops early: %s cannot be returned to Redis and is lost", self.worker_id,
                               request.url)
        self._inc("govcrawl/distributed/returned", returned)
        if lost:
            self._inc("govcrawl/distributed/lost", lost)
        logger.info("Worker %s returned %d local requests to %s (%d lost)", self.worker_id, returned,
                    self.queue.key, lost)

    def _pull_when_idle(self) -> None:
        """A Scrapy engine with nothing in progress asks its scheduler for work only on its 5 s heartbeat;
        pull shared requests sooner.

        When this worker downloads nothing and has no local requests, pop up to
        ``GOVCRAWL_DISTRIBUTED_POLL_BATCH`` requests and hand them to ``engine.crawl`` (which also wakes the
        engine); :meth:`enqueue_request` recognises them and keeps them local without a second dupefilter
        check. A busy worker is left to its engine, so it does not hoard requests other workers could take."""
        engine = getattr(self.crawler, "engine", None)
        if engine is None or self._local or engine.downloader.active:
            return
        try:
            for _ in range(self.poll_batch):
                if not len(self.queue):
                    break
                self._set_state("busy")
                request = self._pop()
                if request is None:
                    break
                self._inc("scheduler/dequeued/redis")
                self._prefetched.add(id(request))
                engine.crawl(request)
        except Exception:
            logger.warning("Worker %s could not pull from Redis", self.worker_id, exc_info=True)

    # ------------------------------------------------------------------------------------ in flight
    def _pop(self) -> Request | None:
        """The best shared request, moved into this worker's in-flight hash in the same atomic step."""
        token = uuid.uuid4().hex
        data = self._pop_tracked(keys=[self.queue.key, self.inflight_key], args=[token])
        if not data:
            return None
        request = self.queue._decode_request(data)
        request.meta[INFLIGHT_META] = token
        return request

    def acknowledge(self, request: Request) -> None:
        """The request's work is done (its callback output consumed): forget it from the in-flight hash."""
        token = request.meta.get(INFLIGHT_META)
        if token:
            self.server.hdel(self.inflight_key, token)

    def reclaim_orphans(self) -> int:
        """Move the in-flight requests of dead workers back to the shared queue; returns how many."""
        reclaimed = 0
        for raw_key in self.server.scan_iter(match=self.inflight_prefix + "*", count=100):
            key = raw_key.decode() if isinstance(raw_key, bytes) else raw_key
            owner = key[len(self.inflight_prefix):].rsplit(_RECLAIMING, 1)[-1]
            if owner == self.worker_id or self._worker_alive(owner):
                continue
            claim = f"{self.inflight_prefix}{owner}{_RECLAIMING}{self.worker_id}"
            try:
                self.server.rename(key, claim)  # atomic: of two reclaiming workers, one gets it
            except Exception:
                continue
            entries = self.server.hvals(claim)
            for data in entries:
                request = self.queue._decode_request(data)
                request.meta.pop(INFLIGHT_META, None)
                self.queue.push(request)
            self.server.delete(claim)
            self.server.hdel(self.workers_key, owner)
            reclaimed += len(entries)
            logger.warning("Worker %s returned %d in-flight requests of dead worker %s to %s", self.worker_id,
                           len(entries), owner, self.queue.key)
        if reclaimed:
            self._inc("govcrawl/distributed/reclaimed", reclaimed)
        return reclaimed

    def _worker_alive(self, worker_id: str) -> bool:
        raw = self.server.hget(self.workers_key, worker_id)
        if raw is None:
            return False  # deregistered without deleting its in-flight hash: it crashed
        try:
            state = json.loads(raw)
        except ValueError:
            return False
        return time.time() - float(state.get("at", 0)) <= self.worker_timeout and _process_may_live(worker_id)

    # ------------------------------------------------------------------------------------ workers
    def spider_idle(self, spider: Spider) -> None:
        """Stay open while the shared queue has work or another live worker may still add some."""
        self._set_state("idle")
        self.reclaim_orphans()
        queued = len(self.queue)
        busy = [worker for worker, state in self.live_workers().items() if state == "busy"]
        if queued or busy:
            logger.debug("Worker %s idle but frontier not done (%d queued, busy: %s)", self.worker_id, queued, busy)
            raise DontCloseSpider

    def live_workers(self) -> dict[str, str]:
        """Other workers with a fresh heartbeat: worker id -> "busy" | "idle"."""
        now = time.time()
        workers: dict[str, str] = {}
        for raw_id, raw_state in self.server.hgetall(self.workers_key).items():
            worker_id = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
            if worker_id == self.worker_id:
                continue
            try:
                state = json.loads(raw_state)
            except ValueError:
                continue
            if now - float(state.get("at", 0)) <= self.worker_timeout and _process_may_live(worker_id):
                workers[worker_id] = str(state.get("state"))
        return workers

    def _set_state(self, state: str) -> None:
        self._state = state
        self.server.hset(self.workers_key, self.worker_id, json.dumps({"state": state, "at": time.time()}))

    def _beat(self) -> None:
        try:
            self._set_state(self._state)
            self.reclaim_orphans()
        except Exception:
            logger.warning("Heartbeat to Redis failed for worker %s", self.worker_id, exc_info=True)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats:
            self.stats.inc_value(key, count)


def stays_local(request: Request) -> bool:
    """Requests carrying one worker's crawl state (attachments, browser requests) never go to Redis."""
    return request.meta.get("govcrawl_role") in LOCAL_ROLES or bool(request.meta.get("playwright"))


def _process_may_live(worker_id: str) -> bool:
    """False only when ``worker_id`` ("host:pid:nonce") names a process of this host that no longer runs."""
    parts = worker_id.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return True  # another host (or an id we did not make): only its heartbeat can tell
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped) answers kill(pid, 0) but does nothing any more
        with open(f"/proc/{parts[1]}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


class _Work:
    """One tokened response being processed: items still in the item pipelines, callback output finished?"""

    __slots__ = ("request", "items", "output_done", "handed")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.items = 0
        self.output_done = False
        self.handed = False


class InflightAckMiddleware:
    """Spider middleware (outermost) acknowledging in-flight requests (module docstring).

    A request is done once its callback output has been consumed (its new shared requests are in Redis) AND every
    item it yielded has left the item pipelines (``item_scraped``/``item_dropped``/``item_error``), or once the
    callback raised: then signal :data:`inflight_done` so the scheduler drops it from the in-flight hash. When the
    output holds a worker-local follow-up (the next attachment of a report, which carries the report's capture),
    the token is handed on to it instead: the report page counts as done only when its last attachment's callback
    has emitted the item and the item is through the pipelines. Requests that never came from Redis carry no
    token."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self._work: dict[int, _Work] = {}  # id(response) -> its work, while items are in the pipelines

    @classmethod
    def from_crawler(cls, crawler: Any) -> InflightAckMiddleware:
        middleware = cls(crawler)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(middleware.item_finished, signal=signal)
        return middleware

    def _start(self, response: Any) -> _Work | None:
        request = getattr(response, "request", None)
        if request is None or not request.meta.get(INFLIGHT_META):
            return None
        return _Work(request)

    def _see(self, response: Any, work: _Work | None, entry: Any) -> None:
        if work is None:
            return
        if isinstance(entry, Request):
            if stays_local(entry) and not entry.meta.get(INFLIGHT_META):
                entry.meta[INFLIGHT_META] = work.request.meta[INFLIGHT_META]
                work.handed = True
        elif entry is not None:
            work.items += 1
            self._work[id(response)] = work

    def _finish(self, response: Any, work: _Work | None) -> None:
        if work is not None:
            work.output_done = True
            self._maybe_done(response, work)

    def _maybe_done(self, response: Any, work: _Work) -> None:
        if work.output_done and work.items <= 0:
            self._work.pop(id(response), None)
            if not work.handed:
                self.crawler.signals.send_catch_log(signal=inflight_done, request=work.request)

    def item_finished(self, item: Any = None, response: Any = None, **_: Any) -> None:
        work = self._work.get(id(response))
        if work is not None:
            work.items -= 1
            self._maybe_done(response, work)

    def process_spider_output(self, response: Any, result: Any, spider: Spider | None = None) -> Any:
        work = self._start(response)
        for entry in result:
            self._see(response, work, entry)
            yield entry
        self._finish(response, work)

    async def process_spider_output_async(self, response: Any, result: Any, spider: Spider | None = None) -> Any:
        work = self._start(response)
        async for entry in result:
            self._see(response, work, entry)
            yield entry
        self._finish(response, work)

    def process_spider_exception(self, response: Any, exception: BaseException, spider: Spider | None = None) -> None:
        work = self._start(response)  # a callback that raised is done too: a broken page is not retried forever
        self._finish(response, work)


def flush_frontier(redis_url: str, spider_name: str = "gov_reports") -> int:
    """Delete a spider's shared queue, dupefilter, worker registry and in-flight hashes; returns how many keys
    existed."""
    server = get_redis(url=redis_url)
    keys = [template % {"spider": spider_name} for template in (QUEUE_KEY, DUPEFILTER_KEY, WORKERS_KEY)]
    keys += list(server.scan_iter(match=INFLIGHT_KEY % {"spider": spider_name} + "*"))
    return int(server.delete(*keys))
