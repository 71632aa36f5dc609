"""The add-on switching a crawl to the shared frontier when ``GOVCRAWL_DISTRIBUTED`` is true."""

from __future__ import annotations

from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from scrapy.settings import BaseSettings

from govcrawl.distributed.keys import DUPEFILTER_KEY, QUEUE_KEY

#: what ``GOVCRAWL_DISTRIBUTED=True`` switches on (add-on priority)
DISTRIBUTED_SETTINGS: dict[str, Any] = {
    "SCHEDULER": "govcrawl.distributed.scheduler.SharedFrontierScheduler",
    "DUPEFILTER_CLASS": "govcrawl.distributed.dupefilter.SharedDupeFilter",
    "SCHEDULER_PERSIST": True,
    "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
    "SCHEDULER_QUEUE_KEY": QUEUE_KEY,
    "SCHEDULER_DUPEFILTER_KEY": DUPEFILTER_KEY,
}
INFLIGHT_MIDDLEWARE = "govcrawl.distributed.ack.InflightAckMiddleware"
#: global per-site slots (GOVCRAWL_DISTRIBUTED_POLITENESS); just before the download, after the WARC middleware
SITE_SLOT_MIDDLEWARE = "govcrawl.distributed.politeness.SiteSlotMiddleware"
#: the shared payload-digest index the WARC middleware asks (cross-URL, cross-worker revisits)
REDIS_PAYLOAD_INDEX = "govcrawl.distributed.payload_index.RedisPayloadIndex"


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
        settings["DOWNLOADER_MIDDLEWARES"][SITE_SLOT_MIDDLEWARE] = 960
        settings.set("GOVCRAWL_PAYLOAD_INDEX", REDIS_PAYLOAD_INDEX, priority="addon")
        settings.set("REDIS_PARAMS", redis_params(settings.getfloat("GOVCRAWL_DISTRIBUTED_REDIS_RETRY", 60.0)),
                     priority="addon")


def redis_params(outage: float) -> dict[str, Any]:
    """scrapy-redis client parameters riding out a Redis restart: every command is retried on a connection
    error, with backoff capped at 1 s, for about ``outage`` seconds (the worker waits, then carries on where it
    was; docs/distributed.md). The defaults of scrapy-redis are kept."""
    return {
        "socket_timeout": 30, "socket_connect_timeout": 5, "retry_on_timeout": True, "encoding": "utf-8",
        "retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=max(1, int(outage)) + 5),
        "retry_on_error": [redis.ConnectionError, redis.TimeoutError],
    }
