"""The JSON lines feed exporter that writes the catalog's encoding of a report item (govcrawl.catalog.feed)."""

from __future__ import annotations

import io
import json

import pytest
from scrapy.exporters import JsonLinesItemExporter
from scrapy.settings import Settings

from govcrawl.catalog.feed import (
    EncodingShelf,
    ReportJsonLinesExporter,
    catalog_pipeline_is_last,
    json_lines_feed,
)
from govcrawl.catalog.schema import ItemEncoding

pytestmark = pytest.mark.unit

ITEM = {"url": "http://127.0.0.1/nb/1.html", "title": "2023年政府信息公开工作年度报告", "checks": [{"rule": "r", "ok": True}],
        "tables": {"t1": [["主动公开", 3]]}, "source": {"warc_record_id": "<urn:uuid:1>"}, "flags": []}


def _export(exporter_factory, *items, encoding: str = "utf-8") -> list[str]:
    out = io.BytesIO()
    exporter = exporter_factory(out)
    exporter.start_exporting()
    for item in items:
        exporter.export_item(item)
    exporter.finish_exporting()
    return out.getvalue().decode(encoding).splitlines()


def test_the_encoded_item_is_written_as_its_catalog_json_and_parses_to_what_scrapy_writes() -> None:
    shelf = EncodingShelf(wanted=True)
    item = dict(ITEM)
    shelf.keep(ItemEncoding(item))
    (line,) = _export(lambda f: ReportJsonLinesExporter(f, shelf=shelf, encoding="utf-8"), item)
    (scrapys,) = _export(lambda f: JsonLinesItemExporter(f, encoding="utf-8"), item)
    assert line == ItemEncoding(item).item_json() != scrapys  # sorted keys, compact
    assert json.loads(line) == json.loads(scrapys) == item


def test_an_equal_copy_or_an_unclaimed_item_is_encoded_by_scrapys_exporter() -> None:
    shelf = EncodingShelf(wanted=True)
    item = dict(ITEM)
    shelf.keep(ItemEncoding(item))
    copy = dict(ITEM)  # equal, but not the object the catalog encoded
    lines = _export(lambda f: ReportJsonLinesExporter(f, shelf=shelf, encoding="utf-8"), copy, item, item)
    scrapys = _export(lambda f: JsonLinesItemExporter(f, encoding="utf-8"), copy)[0]
    assert lines[0] == scrapys  # the copy: Scrapy's encoding, in the item's own key order
    assert lines[1] == ItemEncoding(item).item_json()  # the encoded item, taken once
    assert lines[2] == scrapys  # asked again: nothing kept for it any more


@pytest.mark.parametrize("options", [{"fields_to_export": ["url", "title"]}, {"indent": 2}, {"encoding": "gbk"},
                                     {"sort_keys": False}])
def test_feed_options_that_change_the_line_turn_reuse_off(options: dict) -> None:
    shelf = EncodingShelf(wanted=True)
    item = dict(ITEM)
    shelf.keep(ItemEncoding(item))
    kwargs = {"encoding": "utf-8", **options}
    lines = _export(lambda f: ReportJsonLinesExporter(f, shelf=shelf, **kwargs), item, encoding=kwargs["encoding"])
    assert lines == _export(lambda f: JsonLinesItemExporter(f, **kwargs), item, encoding=kwargs["encoding"])


def test_the_shelf_keeps_nothing_unless_wanted_and_at_most_its_size() -> None:
    items = [dict(ITEM, url=f"http://127.0.0.1/nb/{n}.html") for n in range(5)]
    idle = EncodingShelf(wanted=False)
    idle.keep(ItemEncoding(items[0]))
    assert idle.take(items[0]) is None
    shelf = EncodingShelf(wanted=True, size=3)
    for item in items:
        shelf.keep(ItemEncoding(item))
    assert [shelf.take(item) is not None for item in items] == [False, False, True, True, True]


def test_reuse_needs_the_catalog_pipeline_last_and_a_json_lines_feed() -> None:
    settings = Settings()
    settings.set("ITEM_PIPELINES", {"govcrawl.pipelines.ReportPipeline": 300,
                                    "govcrawl.catalog.crawl.CatalogPipeline": 800})
    assert catalog_pipeline_is_last(settings)
    settings.set("ITEM_PIPELINES", {"govcrawl.pipelines.ReportPipeline": 300,
                                    "govcrawl.catalog.crawl.CatalogPipeline": 800, "myproject.Later": 900})
    assert not catalog_pipeline_is_last(settings)
    settings.set("FEEDS", {"items.jsonl": {"format": "jsonlines"}})
    assert json_lines_feed(settings)
    settings.set("FEEDS", {"items.csv": {"format": "csv"}})
    assert not json_lines_feed(settings)
