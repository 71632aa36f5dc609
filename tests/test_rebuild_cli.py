"""``govcrawl rebuild`` (CLI + rebuild_items) and ReportPipeline orchestration, on archives written by
govcrawl's own WARC writer."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from govcrawl.capture import Capture
from govcrawl.pipelines import ReportPipeline
from govcrawl.rebuild import rebuild_items
from govcrawl.schema import validate_item
from govcrawl.warc.rotation import WarcWriter
from tests.test_rebuild_reader import exchange

REPO = Path(__file__).resolve().parents[1]
TITLE = "某某县人民政府2023年政府信息公开工作年度报告"


def report_page(n: int) -> bytes:
    return (f'<html><head><meta name="ArticleTitle" content="{TITLE}"><meta name="PubDate" content="2024-03-0{n}">'
            f'</head><body><div class="TRS_Editor"><p>一、总体情况</p><p>2023年，某某县主动公开政府信息{n}条。</p>'
            "<p>二、主动公开政府信息情况</p><p>六、其他需要报告的事项</p></div></body></html>").encode("gbk")


@pytest.fixture()
def archive(tmp_path: Path) -> Path:
    directory = tmp_path / "archive"
    with WarcWriter(directory, prefix="t") as writer:
        for n in (3, 1, 2):  # written out of URL order
            records, _, _ = exchange(f"http://127.0.0.1:8000/nb/t{n}.html", report_page(n),
                                     [("Content-Type", "text/html; charset=gbk")], role="report",
                                     discovery={"list_url": "http://127.0.0.1:8000/nb/index.html", "link_text": f"r{n}"})
            writer.write_group(records)
        records, _, _ = exchange("http://127.0.0.1:8000/nb/broken.html", b"\x00\x01\x02" * 50,
                                 [("Content-Type", "text/html")], role="report", discovery={})
        writer.write_group(records)
        # a 2-byte WAF answer: the spider emits no item for it (a trap), so neither does the rebuild
        records, _, _ = exchange("http://127.0.0.1:8000/nb/stub.html", b"ok", [("Content-Type", "text/html")],
                                 role="report", discovery={})
        writer.write_group(records)
    return directory


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "govcrawl.cli", "rebuild", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_rebuild_cli_writes_sorted_unescaped_jsonl(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = run_cli(str(archive), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "rebuilt 4 report captures (1 flagged; 1 stub pages skipped" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert TITLE in text  # ensure_ascii=False
    items = [json.loads(line) for line in text.splitlines()]
    assert [i["url"].rsplit("/", 1)[1] for i in items] == ["broken.html", "t1.html", "t2.html", "t3.html"]
    for item in items:
        validate_item(item)
    assert items[1]["source"]["link_text"] == "r1" and "主动公开政府信息1条" in items[1]["text"]
    assert items[0]["flags"]  # binary garbage: flagged, not dropped, not a crash
    assert list(rebuild_items([archive])) == items


def test_rebuild_cli_errors_are_clear(tmp_path: Path) -> None:
    result = run_cli(str(tmp_path / "missing"), "-o", str(tmp_path / "o.jsonl"))
    assert result.returncode == 2 and "no such WARC file or folder" in result.stderr
    result = run_cli(str(tmp_path), "-o", str(tmp_path / "o.jsonl"), "-j", "0")
    assert result.returncode == 2 and "-j must be at least 1" in result.stderr


def test_rebuild_cli_catalog(archive: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.sqlite"
    result = run_cli(str(archive), "-o", str(tmp_path / "o.jsonl"), "--catalog", str(catalog))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(catalog) as db:
        assert db.execute("select count(*) from reports").fetchone()[0] == 4


class _Ref:
    """A WarcRef stand-in with the written-location fields already known."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def done(self) -> bool:
        return True


def test_pipeline_builds_the_item_and_counts_flags() -> None:
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(settings_dict={"GOVCRAWL_EXTRACT_WORKERS": 0})
    pipeline = ReportPipeline.from_crawler(crawler)
    ref = _Ref(warc_filename="f.warc.gz", warc_offset=10, warc_record_id="<urn:uuid:x>", payload_digest="sha1:X",
               fetched_at="2026-11-22T10:00:00Z")
    item = Capture(url="http://127.0.0.1/nb/t1.html", body=report_page(1), content_type="text/html", status=200,
                   discovery={"list_url": "http://127.0.0.1/nb/", "link_text": "r1"}, warc=ref,
                   attachments=[Capture(url="http://127.0.0.1/nb/a.doc",
                                        body=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
                                        content_type="application/msword", status=200)])
    report = asyncio.run(pipeline.process_item(item))
    validate_item(report)
    assert report["source"]["warc_filename"] == "f.warc.gz" and report["source"]["warc_offset"] == 10
    assert report["attachments"][0]["kind"] == "doc" and item.warc is ref  # the item itself is left as it was
    bad = replace(item, body=b"\x00" * 300, attachments=[])
    assert asyncio.run(pipeline.process_item(bad))["flags"]
    assert crawler.stats.get_value("govcrawl/items") == 2
    assert crawler.stats.get_value("govcrawl/items_flagged") >= 1
