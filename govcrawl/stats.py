"""``StatsDumpExtension``: write the crawl stats as JSON to ``GOVCRAWL_STATS_FILE`` when the spider closes.

For tests and run reports. Values with ``isoformat`` (start/finish times) are written as ISO strings, anything
else JSON cannot hold with ``str``; ``govcrawl/close_reason`` holds the close reason. Disabled (NotConfigured)
when the setting is empty.
"""

from __future__ import annotations

import json
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class StatsDumpExtension:
    """Dump ``crawler.stats`` to ``GOVCRAWL_STATS_FILE`` on ``spider_closed``."""

    def __init__(self, crawler: Crawler, path: str) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsDumpExtension:
        path = crawler.settings.get("GOVCRAWL_STATS_FILE")
        if not path:
            raise NotConfigured("GOVCRAWL_STATS_FILE is empty")
        extension = cls(crawler, path)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats: dict[str, Any] = {
            key: (value.isoformat() if hasattr(value, "isoformat") else value)
            for key, value in self.crawler.stats.get_stats().items()
        }
        stats["govcrawl/close_reason"] = reason
        with open(self.path, "w", encoding="utf-8") as handle:
            json.dump(stats, handle, ensure_ascii=False, indent=1, sort_keys=True, default=str)
