"""The shared-frontier scheduler: scrapy-redis's scheduler + worker-local queue + shared idleness + in-flight
tracking + clean finish (see :mod:`govcrawl.distributed`)."""

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
from scrapy.utils.request import request_from_dict
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from govcrawl.distributed.keys import INFLIGHT_KEY, INFLIGHT_META, WORKERS_KEY, inflight_done
from govcrawl.distributed.resume import resume_request, stays_local

logger = logging.getLogger(__name__)

_RECLAIMING = ":reclaiming:"

# pop the best request and record it as in flight, atomically (a kill can come between any two commands)
_POP_TRACKED = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0)
if #found == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], found[1])
return found[1]
"""


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
        serialised is replaced by :func:`govcrawl.distributed.resume.resume_request` (e.g. by the report page
        an attachment belongs to); otherwise it is lost, and counted."""
        returned = lost = 0
        while self._local:
            request = heapq.heappop(self._local)[2]
            for candidate in (request, self._resume(request)):
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

    def _resume(self, request: Request) -> Request | None:
        try:
            return resume_request(request, self.spider)
        except ValueError:  # the spider lacks a callback the stand-in names
            logger.warning("Spider %s cannot resume %s", self.spider.name, request.url, exc_info=True)
            return None

    def _decode(self, data: bytes) -> Request:
        """A request as read back from Redis (callbacks re-bound to the spider by name)."""
        return request_from_dict(self.queue.serializer.loads(data), spider=self.spider)

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
        request = self._decode(data)
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
                request = self._decode(data)
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
