"""Item pipelines: ``ReportPipeline`` turns the spider's :class:`govcrawl.capture.Capture` items into report items
via ``build_item``; ``CaptureSummaryPipeline`` shows what discovery found instead.

Orchestration only: waits for the WARC references in ``Capture.warc`` (the WARC middleware's
``response.meta["warc_ref"]``) to be written, so ``source`` carries the file name and offset, resolves them with
:func:`govcrawl.capture.warc_location`, runs :func:`govcrawl.report.build_item` (in a worker thread when
``GOVCRAWL_EXTRACT_IN_THREAD`` is true, the default: lxml, zlib and pdfminer keep the reactor thread free for
downloads), and returns the report dict. Stats: ``govcrawl/items``, ``govcrawl/items_flagged``,
``govcrawl/extract_errors``, ``govcrawl/flag/<flag>``, ``govcrawl/warc_ref_errors``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from govcrawl.capture import Capture, warc_location
from govcrawl.report import build_item

logger = logging.getLogger(__name__)


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

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.in_thread = crawler.settings.getbool("GOVCRAWL_EXTRACT_IN_THREAD", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ReportPipeline:
        return cls(crawler)

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
        capture = _located(item)
        if self.in_thread:
            report = await maybe_deferred_to_future(deferToThread(build_item, capture))
        else:
            report = build_item(capture)
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
