"""Distributed crawling with scrapy-redis: several workers (processes or machines) share one frontier.

Enable with ``-s GOVCRAWL_DISTRIBUTED=True -s REDIS_URL=redis://host:6379/0`` once the add-on is listed in
``ADDONS`` (``{"govcrawl.distributed.DistributedAddon": 0}``; add it with ``-s ADDONS=...`` otherwise).
The add-on then sets, at add-on priority (project settings and ``-s`` still win):

- ``SCHEDULER = "govcrawl.distributed.scheduler.SharedFrontierScheduler"``: a ``scrapy_redis.scheduler.Scheduler``
  whose request queue (``SCHEDULER_QUEUE_KEY``, default ``govcrawl:<spider>:requests``, a Redis sorted set
  ordered by request priority) is shared by every worker;
- ``DUPEFILTER_CLASS = "govcrawl.distributed.dupefilter.SharedDupeFilter"``: ``scrapy_redis.dupefilter.RFPDupeFilter``
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
  pushed back to Redis (or replaced by :func:`resume.resume_request` when they cannot be serialised: the
  spider's report callbacks re-bound by name).
- **Surviving a hard kill.** scrapy-redis has no acknowledgement step: a popped request lives only in the
  worker's memory, and it is already in the dupefilter, so a ``kill -9`` would lose it for good. Here a request
  is moved from the queue into the worker's in-flight hash (``govcrawl:<spider>:inflight:<worker>``) by one
  atomic Lua script, and :class:`ack.InflightAckMiddleware` deletes it once the callback's output has been consumed
  (its new requests are in Redis by then). Any worker (at start, on every heartbeat, when idle) moves the
  in-flight requests of a dead worker back to the queue (stat ``govcrawl/distributed/reclaimed``); a worker is
  dead when its heartbeat is older than ``GOVCRAWL_DISTRIBUTED_WORKER_TIMEOUT`` or, on the same host, when its
  process is gone. Delivery is at least once: a report whose item was emitted just before the kill, but not yet
  acknowledged, is fetched and emitted again by the worker that reclaims it; items still in a killed worker's
  item pipelines are lost with it. Failed downloads (errbacks) are not acknowledged, so after a kill they are
  tried again.
- **Clean finish.** When the last live worker finishes (reason ``finished``) with an empty queue, it clears the
  dupefilter and the queue so the next crawl starts fresh; other close reasons keep them for resuming.
  :func:`keys.flush_frontier` clears them by hand.

- **Politeness across workers.** :class:`politeness.SiteSlotMiddleware` (downloader middleware 960,
  ``GOVCRAWL_DISTRIBUTED_POLITENESS``) holds each site's ``CONCURRENT_REQUESTS_PER_DOMAIN`` and ``DOWNLOAD_DELAY``
  in Redis: one expiring lease per request in flight, granted by a Lua script on Redis's clock.
- **Content dedup across workers.** ``GOVCRAWL_PAYLOAD_INDEX`` is :class:`payload_index.RedisPayloadIndex`: the
  same payload at another URL, fetched by any worker, is archived as a revisit of the first capture.
- **Redis restarts.** ``REDIS_PARAMS`` retries every command on a connection error for
  ``GOVCRAWL_DISTRIBUTED_REDIS_RETRY`` seconds (docs/distributed.md: run Redis with an append-only file).

Modules: :mod:`.addon` (the add-on), :mod:`.scheduler`, :mod:`.dupefilter`, :mod:`.ack` (the in-flight
acknowledging spider middleware), :mod:`.resume` (worker-local requests and their stand-ins), :mod:`.keys` (Redis
keys, :func:`~.keys.flush_frontier`), :mod:`.politeness` (per-site slots), :mod:`.payload_index`.
"""

from __future__ import annotations

from govcrawl.distributed.ack import InflightAckMiddleware
from govcrawl.distributed.addon import DISTRIBUTED_SETTINGS, DistributedAddon
from govcrawl.distributed.dupefilter import SharedDupeFilter
from govcrawl.distributed.keys import flush_frontier
from govcrawl.distributed.payload_index import RedisPayloadIndex
from govcrawl.distributed.politeness import SiteSlotMiddleware
from govcrawl.distributed.resume import LOCAL_META, resume_request, stays_local
from govcrawl.distributed.scheduler import SharedFrontierScheduler

__all__ = [
    "DISTRIBUTED_SETTINGS", "LOCAL_META", "DistributedAddon", "InflightAckMiddleware", "RedisPayloadIndex",
    "SharedDupeFilter", "SharedFrontierScheduler", "SiteSlotMiddleware", "flush_frontier", "resume_request",
    "stays_local",
]
