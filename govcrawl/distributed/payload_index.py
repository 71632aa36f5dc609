"""The shared payload-digest index of a distributed crawl: one Redis hash for every worker.

Named by ``GOVCRAWL_PAYLOAD_INDEX`` when ``GOVCRAWL_DISTRIBUTED`` is true. ``HSETNX`` makes the first worker to
archive a payload its owner; every later capture of the same bytes, by any worker and at any URL, is written by
the WARC middleware as an identical-payload-digest revisit referring to that first capture
(``WARC-Refers-To-Target-URI``/``-Date``). The hash (``govcrawl:payloads``) is kept across crawls, like the
catalog's captures: delete it when the WARC files it points at are no longer kept together.
"""

from __future__ import annotations

import json
from typing import Any

from scrapy_redis.connection import get_redis_from_settings

PAYLOADS_KEY = "govcrawl:payloads"


class RedisPayloadIndex:
    """Payload digest -> (URI, WARC-Date) of its first capture, in Redis (module docstring)."""

    def __init__(self, server: Any, key: str = PAYLOADS_KEY) -> None:
        self.server = server
        self.key = key

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedisPayloadIndex:
        return cls(get_redis_from_settings(crawler.settings))

    def claim(self, digest: str, uri: str, date: str) -> tuple[str, str] | None:
        """None when this capture is the first of ``digest`` (now recorded), else the first capture's
        (URI, WARC-Date)."""
        if self.server.hsetnx(self.key, digest, json.dumps([uri, date])):
            return None
        raw = self.server.hget(self.key, digest)
        if raw is None:
            return None
        first_uri, first_date = json.loads(raw)
        return str(first_uri), str(first_date)
