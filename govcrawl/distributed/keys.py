"""Where the shared frontier lives in Redis, and how to clear it by hand."""

from __future__ import annotations

from scrapy_redis.connection import get_redis

QUEUE_KEY = "govcrawl:%(spider)s:requests"
DUPEFILTER_KEY = "govcrawl:%(spider)s:dupefilter"
WORKERS_KEY = "govcrawl:%(spider)s:workers"
INFLIGHT_KEY = "govcrawl:%(spider)s:inflight:"  # + worker id
#: request meta key holding the token of a request popped from Redis (its field in the in-flight hash)
INFLIGHT_META = "govcrawl_inflight"
#: custom signal sent by InflightAckMiddleware when a request's callback output has been consumed
inflight_done = object()


def flush_frontier(redis_url: str, spider_name: str = "gov_reports") -> int:
    """Delete a spider's shared queue, dupefilter, worker registry and in-flight hashes; returns how many keys
    existed."""
    server = get_redis(url=redis_url)
    keys = [template % {"spider": spider_name} for template in (QUEUE_KEY, DUPEFILTER_KEY, WORKERS_KEY)]
    keys += list(server.scan_iter(match=INFLIGHT_KEY % {"spider": spider_name} + "*"))
    return int(server.delete(*keys))
