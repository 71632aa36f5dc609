"""The JSON lines feed (``-O items.jsonl``) written from the catalog's own encoding of each report item.

The catalog encodes every report item as sorted compact JSON (:class:`govcrawl.catalog.schema.ItemEncoding`)
for its ``item_json`` column; Scrapy's JSON lines exporter would encode the same item again on the crawl's
main thread. :class:`ReportJsonLinesExporter` (``FEED_EXPORTERS`` for ``jsonlines``/``jsonl``/``jl``, set by
the add-on) writes the catalog's string instead when all of these hold, and is Scrapy's exporter otherwise:

* the item is the very object the catalog pipeline encoded (an identity check, so a copy or another item never
  takes a stale line);
* the catalog pipeline is the last item pipeline (nothing after it can change the item);
* the feed has no ``fields``, ``indent`` or exporter options and is written as UTF-8.

A line then holds the item's keys in sorted order; parsed, it is the item Scrapy's exporter would have written.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from scrapy.exporters import JsonLinesItemExporter
from scrapy.utils.conf import build_component_list

from govcrawl.catalog.schema import ItemEncoding

#: encodings kept for the exporter (an item the feed filters out is never asked for: the oldest go first)
KEPT_ENCODINGS = 64
#: the feed formats :class:`ReportJsonLinesExporter` writes
JSON_LINES_FORMATS = ("jsonlines", "jsonl", "jl")


class EncodingShelf:
    """The catalog pipeline's latest item encodings, by item identity, for the feed exporter to take."""

    def __init__(self, *, wanted: bool, size: int = KEPT_ENCODINGS) -> None:
        self.size = size
        self.wanted = wanted  # a JSON lines feed can take them (:func:`shelf_wanted`); nothing is kept otherwise
        self._kept: OrderedDict[int, ItemEncoding] = OrderedDict()

    def keep(self, encoding: ItemEncoding) -> None:
        if not self.wanted:
            return
        self._kept[id(encoding.item)] = encoding  # the encoding holds the item, so its id is not reused meanwhile
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def take(self, item: Any) -> ItemEncoding | None:
        encoding = self._kept.pop(id(item), None)
        return encoding if encoding is not None and encoding.item is item else None


def json_lines_feed(settings: Any) -> bool:
    """True when a feed of the crawl (``FEEDS``, ``-o`` / ``-O``) is written as JSON lines."""
    feeds = settings.getdict("FEEDS")
    return any(str((options or {}).get("format", "")).lower() in JSON_LINES_FORMATS for options in feeds.values())


def shelf_wanted(settings: Any) -> bool:
    """A JSON lines feed is written and ``CatalogPipeline`` is the last item pipeline."""
    return json_lines_feed(settings) and catalog_pipeline_is_last(settings)


def catalog_pipeline_is_last(settings: Any) -> bool:
    """True when ``CatalogPipeline`` is the last enabled item pipeline."""
    pipelines = build_component_list(settings.getwithbase("ITEM_PIPELINES"))
    last = pipelines[-1] if pipelines else None
    name = last if isinstance(last, str) else f"{getattr(last, '__module__', '')}.{getattr(last, '__name__', '')}"
    return name == "govcrawl.catalog.crawl.CatalogPipeline"


class ReportJsonLinesExporter(JsonLinesItemExporter):
    """Scrapy's JSON lines exporter that writes a report item's catalog JSON when it is the same item."""

    def __init__(self, file: Any, *, shelf: EncodingShelf | None = None, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        plain = not self._kwargs.get("ensure_ascii") and set(self._kwargs) <= {"ensure_ascii"}
        usable = plain and self.fields_to_export is None and not self.indent and (self.encoding or "").lower() in (
            "utf-8", "utf8")
        self.shelf = shelf if usable else None

    @classmethod
    def from_crawler(cls, crawler: Any, file: Any, **kwargs: Any) -> ReportJsonLinesExporter:
        from govcrawl.catalog.crawl import CatalogExtension

        extension = crawler.get_extension(CatalogExtension)
        shelf = extension.shelf if extension is not None and extension.shelf.wanted else None
        return cls(file, shelf=shelf, **kwargs)

    def export_item(self, item: Any) -> None:
        encoding = self.shelf.take(item) if self.shelf is not None else None
        if encoding is None:
            super().export_item(item)
            return
        self.file.write((encoding.item_json() + "\n").encode("utf-8"))
