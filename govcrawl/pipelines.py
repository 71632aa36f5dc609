"""Item pipelines: ``ReportPipeline`` turns the spider's :class:`govcrawl.capture.Capture` items into report items
via ``build_item``; ``CaptureSummaryPipeline`` shows what discovery found instead.

Orchestration only: waits for the WARC references in ``Capture.warc`` (the WARC middleware's
``response.meta["warc_ref"]``) to be written, so ``source`` carries the file name and offset, resolves them with
:func:`govcrawl.capture.warc_location`, runs :func:`govcrawl.report.build_item` and returns the report dict.

``build_item`` runs in a pool of worker processes (:class:`govcrawl.workers.JobPool`):
``GOVCRAWL_EXTRACT_WORKERS`` of them (default cores - 1, at least 1; ``0`` runs it in the crawl process). At
most ``8 x workers + 8`` jobs are in flight (:func:`in_flight_bound`), so a worker never waits for the reactor
thread to hand it the next job, even through a long reactor iteration; further items wait here, which holds
their responses in Scrapy's scraper slot and so backs the downloader off (``SCRAPER_SLOT_MAX_ACTIVE_SIZE``)
instead of growing a queue. Workers run ``GOVCRAWL_EXTRACT_NICE`` steps below the crawl's CPU priority, so the
reactor thread that times every site's requests gets a busy core first. A job past ``GOVCRAWL_EXTRACT_TIMEOUT`` seconds or ``GOVCRAWL_EXTRACT_MEMORY``
bytes, or whose worker dies, becomes a flagged item (``resource_limit: time``, ``resource_limit: memory``,
``worker_died``): the report is never lost and the crawl goes on. Stats: ``govcrawl/items``,
``govcrawl/items_flagged``, ``govcrawl/extract_errors``, ``govcrawl/flag/<flag>``, ``govcrawl/warc_ref_errors``,
``govcrawl/pool/*``.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer

from govcrawl.capture import Capture, warc_location
from govcrawl.report import build_item, flagged_item
from govcrawl.workers import JobOutcome, JobPool, default_workers

logger = logging.getLogger(__name__)


def in_flight_bound(workers: int) -> int:
    """Jobs a pool of ``workers`` may hold at once: one running per worker and the rest queued in the executor,
    which hands the next one to a worker itself when a result arrives (no reactor round trip).

    The queue must outlast a busy reactor iteration (a list page of 100 links, a catalog commit: 20-60 ms), or the
    worker idles until the reactor submits again: at ~3 ms a job, 8 per worker plus 8 cover ~50 ms. Measured on the
    2,000-report loopback crawl with one worker: 2 x workers + 2 in flight gave 205-220 pages/s, 16 gave 255.
    The captures waiting behind the bound stay in Scrapy's scraper slot, whose size backs the downloader off."""
    return 8 * max(1, workers) + 8


def _refs(capture: Capture) -> list[Any]:
    """The WARC references of a capture and its attachments (not yet resolved to locations)."""
    refs = [capture.warc]
    for attachment in capture.attachments:
        refs.extend(_refs(attachment))
    return [ref for ref in refs if ref is not None]


def _located(capture: Capture) -> Capture:
    """``capture`` with every WARC reference replaced by its five-key location (written refs only)."""
    warc = None if capture.warc is None else warc_location(capture.warc)
    return replace(capture, warc=warc, attachments=[_located(a) for a in capture.attachments])


class ReportPipeline:
    """Capture -> report item (dict) through the shared ``build_item``; other items pass unchanged."""

    def __init__(self, crawler: Crawler, *, workers: int, job_timeout: float, memory_limit: int,
                 retries: int = 1, niceness: int = 0) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.workers = workers
        self.job_timeout = job_timeout
        self.memory_limit = memory_limit
        self.retries = retries
        self.niceness = niceness
        self.pool: JobPool | None = None
        self.slots = defer.DeferredSemaphore(in_flight_bound(workers))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReportPipeline:
        settings = crawler.settings
        workers = settings.get("GOVCRAWL_EXTRACT_WORKERS")
        pipeline = cls(crawler, workers=default_workers() if workers in (None, "", "auto") else int(workers),
                       job_timeout=settings.getfloat("GOVCRAWL_EXTRACT_TIMEOUT"),
                       memory_limit=settings.getint("GOVCRAWL_EXTRACT_MEMORY"),
                       retries=settings.getint("GOVCRAWL_EXTRACT_RETRIES"),
                       niceness=settings.getint("GOVCRAWL_EXTRACT_NICE"))
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        if self.workers > 0:
            self.pool = JobPool(self.workers, job_timeout=self.job_timeout or None,
                                memory_limit=self.memory_limit or None, max_in_flight=in_flight_bound(self.workers),
                                retries=self.retries, niceness=self.niceness)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.pool is not None:
            for key, value in self.pool.stats.items():
                if key != "jobs":
                    self.stats.set_value(f"govcrawl/pool/{key}", value)
            self.pool.close()
            self.pool = None

    async def _build(self, capture: Capture) -> dict[str, Any]:
        """``build_item(capture)`` in a worker (or on a thread with no pool); a failed job gives a flagged item."""
        if self.pool is None:
            return build_item(capture)
        await maybe_deferred_to_future(self.slots.acquire())
        try:
            outcome: JobOutcome = await maybe_deferred_to_future(_deferred(self.pool.submit(build_item, capture)))
        finally:
            self.slots.release()
        if outcome.ok:
            return outcome.result
        logger.warning("build_item failed for %s: %s", capture.url, outcome.error)
        return flagged_item(capture, [outcome.error or "worker_died"])

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)

    async def _wait_for_refs(self, capture: Capture) -> None:
        for ref in _refs(capture):
            if hasattr(ref, "done") and ref.done():
                continue
            try:
                if hasattr(ref, "wait"):
                    await ref.wait()
                elif hasattr(ref, "deferred"):
                    await maybe_deferred_to_future(ref.deferred())
            except Exception as exc:  # the record failed to write: the item keeps what is known
                self._inc("govcrawl/warc_ref_errors")
                logger.error("WARC record for %s not written: %s", getattr(ref, "url", "?"), exc)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, Capture):
            return item  # already a report item
        await self._wait_for_refs(item)
        report = await self._build(_located(item))
        self._count(report)
        return report

    def _count(self, report: dict[str, Any]) -> None:
        self._inc("govcrawl/items")
        flags = report.get("flags") or []
        if flags:
            self._inc("govcrawl/items_flagged")
        for flag in flags:
            name = flag.split(":", 1)[0]
            self._inc(f"govcrawl/flag/{name}")
            if name == "extract_error":
                self._inc("govcrawl/extract_errors")
                logger.warning("extraction failed for %s: %s", report.get("url"), flag)


def _deferred(future: Future[Any]) -> defer.Deferred[Any]:
    """A Deferred fired on the reactor thread with a concurrent future's result."""
    from twisted.internet import (
        reactor,  # the one the crawl installed (importing it earlier would install one)
    )

    deferred: defer.Deferred[Any] = defer.Deferred()
    future.add_done_callback(lambda done: reactor.callFromThread(deferred.callback, done.result()))
    return deferred


class CaptureSummaryPipeline:
    """Discovery-only output: replaces bodies by their size and SHA-1 so captures can be written with ``-O``.

    Enable instead of ReportPipeline (``govcrawl crawl --discovery-only``) to see what the spider found.
    """

    @staticmethod
    def _summary(capture: Capture) -> dict[str, Any]:
        body = capture.body or b""
        return {
            "url": capture.url,
            "status": capture.status,
            "content_type": capture.content_type,
            "size": len(body),
            "sha1": hashlib.sha1(body).hexdigest(),
            "discovery": capture.discovery,
            "warc_record_id": warc_location(capture.warc)["warc_record_id"] if capture.warc is not None else None,
        }

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, Capture):
            return item
        summary = self._summary(item)
        summary["attachments"] = [self._summary(a) for a in item.attachments]
        return summary
