"""Item pipelines. ``ReportPipeline`` turns the spider's CaptureItem into a report item via ``build_item``.

Orchestration only: waits for the WARC middleware's ``warc_ref`` to be written (so ``source`` carries the
file name and offset), builds a :class:`govcrawl.report.Capture`, runs :func:`govcrawl.report.build_item`
(in a worker thread when ``GOVCRAWL_EXTRACT_IN_THREAD`` is true, the default: lxml, zlib and pdfminer keep
the reactor thread free for downloads), and returns the report dict. Stats: ``govcrawl/items``,
``govcrawl/items_flagged``, ``govcrawl/extract_errors``, ``govcrawl/flag/<flag>``, ``govcrawl/warc_ref_errors``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from govcrawl.report import SOURCE_WARC_FIELDS, Capture, build_item

logger = logging.getLogger(__name__)

#: seconds to wait for a WARC record to be written before giving up on its location
WARC_REF_TIMEOUT = 60.0


def _ref_fields(ref: Any) -> dict[str, Any] | None:
    if ref is None:
        return None
    if hasattr(ref, "as_dict"):
        return dict(ref.as_dict())
    if isinstance(ref, Mapping):
        return {key: ref.get(key) for key in SOURCE_WARC_FIELDS}
    return {key: getattr(ref, key, None) for key in SOURCE_WARC_FIELDS}


def _field(item: Any, name: str, default: Any = None) -> Any:
    try:
        value = item.get(name, default) if isinstance(item, Mapping) or hasattr(item, "get") else default
    except KeyError:
        value = default
    return default if value is None else value


def capture_from_item(item: Any) -> Capture:
    """A CaptureItem (or a dict shaped like one) -> :class:`Capture`; ``warc_ref`` must already be written."""
    body = _field(item, "body", b"")
    if isinstance(body, str):
        body = body.encode("utf-8")
    return Capture(
        url=str(_field(item, "url", "")),
        body=bytes(body),
        content_type=_field(item, "content_type"),
        status=_field(item, "status", 200),
        discovery=dict(_field(item, "discovery", {})),
        warc=_ref_fields(_field(item, "warc_ref")),
        attachments=[capture_from_item(a) for a in _field(item, "attachments", [])],
    )


def _refs(item: Any) -> list[Any]:
    refs = [_field(item, "warc_ref")]
    for attachment in _field(item, "attachments", []):
        refs.extend(_refs(attachment))
    return [ref for ref in refs if ref is not None]


class ReportPipeline:
    """CaptureItem -> report item (dict) through the shared ``build_item``."""

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

    async def _wait_for_refs(self, item: Any) -> None:
        for ref in _refs(item):
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
        if isinstance(item, dict) and "parser_version" in item:
            return item  # already a report item
        await self._wait_for_refs(item)
        capture = capture_from_item(item)
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
