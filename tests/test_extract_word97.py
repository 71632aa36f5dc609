"""Binary Word 97–2003 (.doc, .wps) reports: text, tables with merged cells, field codes, and clear errors.

The documents in govcrawl/demo/word97 are real Word binaries written by LibreOffice's MS Word 97 filter from mock
reports (govcrawl/demo/word97/make_fixtures.py); each comes with the values it was composed from. The mock portal
serves two of them, so the crawl tests fetch, archive and rebuild them too.
"""

from __future__ import annotations

import json
import random
import shutil
import struct
from pathlib import Path

import olefile
import pytest

from govcrawl.capture import Capture
from govcrawl.extract import extract_document
from govcrawl.extract.word97 import Word97Error, extract_word97
from govcrawl.parser import parse_report
from govcrawl.parser.tables.checks import T3_COLUMNS
from govcrawl.report import build_item
from govcrawl.schema import validate_item

DATA = Path(__file__).resolve().parents[1] / "govcrawl" / "demo" / "word97"
FIXTURES = ("report_2021_published", "report_2019_word", "report_pre2019")


def load(name: str) -> tuple[bytes, dict]:
    return (DATA / f"{name}.doc").read_bytes(), json.loads((DATA / f"{name}.truth.json").read_text("utf-8"))


def patched_fib(tmp_path: Path, offset: int, fmt: str, change) -> bytes:
    """A copy of a fixture with one FIB field of its WordDocument stream changed (same stream size)."""
    path = tmp_path / "patched.doc"
    shutil.copyfile(DATA / "report_pre2019.doc", path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        stream = bytearray(ole.openstream("WordDocument").read())
        (value,) = struct.unpack_from(fmt, stream, offset)
        struct.pack_into(fmt, stream, offset, change(value))
        ole.write_stream("WordDocument", bytes(stream))
    return path.read_bytes()


@pytest.mark.parametrize("name", FIXTURES)
def test_word97_report_parses_to_its_values(name: str) -> None:
    body, truth = load(name)
    document = extract_document(body, "application/msword", f"http://127.0.0.1/zfxxgknb/{name}.doc")
    assert document.kind == "doc" and not document.flags
    assert document.page_meta["title"] == truth["title"]
    item = parse_report(document.text, grids=document.grids, page_meta=document.page_meta,
                        source_kind=document.kind)
    assert (item["title"], item["report_year"], item["format"]) == (truth["title"], truth["year"], truth["format"])
    assert {key: table["values"] for key, table in item["tables"].items()} == truth["tables"]
    assert all(table["source"] == "doc" for table in item["tables"].values())
    assert {key: item["figures"].get(key) for key in truth["figures"]} == truth["figures"]
    assert all(check["ok"] for check in item["checks"]), item["checks"]
    assert [s["heading"][:2] for s in item["sections"]] == [f"{n}、" for n in "一二三四五六七"[:len(item["sections"])]]
    assert len(item["sections"]) == (7 if truth["format"] == "pre2019" else 6)


def test_merged_cells_are_spread_like_html_spans() -> None:
    word = extract_word97(load("report_2021_published")[0])
    t3 = next(grid for grid in word.grids if any("本年新收" in cell for row in grid for cell in row))
    assert {len(row) for row in t3} == {10}  # 3 label columns + 6 applicant columns + 总计
    assert t3[0][3:] == ["申请人情况"] * 7  # one cell spanning seven columns
    assert t3[1][3:] == ["自然人"] + ["法人或其他组织"] * 5 + ["总计"]  # vertical merges carried down...
    assert t3[2][3] == "自然人" and t3[2][4] == "商业 企业"  # ...and a line break inside a cell kept as a space
    results = [row for row in t3 if row[0] == "三、本年度办理结果"]
    assert len(results) > 15 and results[0][1] == "（一）予以公开" == results[0][2]


def test_tables_sit_in_the_text_where_the_document_has_them() -> None:
    body, truth = load("report_2021_published")
    lines = extract_word97(body).text.splitlines()
    section_three = lines.index("三、收到和处理政府信息公开申请情况")
    section_four = lines.index("四、政府信息公开行政复议、行政诉讼情况")
    new_row = next(i for i, line in enumerate(lines) if line.startswith("一、本年新收政府信息公开申请数量\t"))
    assert section_three < new_row < section_four
    expected = truth["tables"]["t3_applications"]["new_received"]
    assert lines[new_row].split("\t")[3:] == [str(expected[column]) for column in T3_COLUMNS]


def test_field_codes_are_dropped_and_their_results_kept() -> None:
    text = extract_word97(load("report_pre2019")[0]).text
    assert "HYPERLINK" not in text and "example.gov.cn" not in text
    assert text.endswith("本报告电子版可在平安镇人民政府门户网站“政府信息公开年报”栏目下载。")


def test_wps_file_in_word97_format_is_read_the_same_way() -> None:
    body, truth = load("report_2019_word")
    as_doc = extract_document(body, "application/msword", "http://127.0.0.1/a.doc")
    as_wps = extract_document(body, "application/octet-stream", "http://127.0.0.1/a.wps")
    assert as_wps.kind == "wps" and (as_wps.text, as_wps.grids) == (as_doc.text, as_doc.grids)
    assert truth["title"] in as_wps.text


def test_stub_page_with_a_doc_attachment_takes_text_and_tables_from_it() -> None:
    body, truth = load("report_2021_published")
    stub = ("<html><head><meta charset='utf-8'><title>" + truth["title"] + "</title></head><body>"
            "<div class='article'><h1>" + truth["title"] + "</h1><p>发布日期：2023-01-20</p>"
            "<p>附件：<a href='./P020230120.doc'>" + truth["title"] + ".doc</a></p></div></body></html>")
    attachment = Capture(url="http://127.0.0.1/zfxxgknb/P020230120.doc", body=body, content_type="application/msword",
                         warc={"warc_record_id": "<urn:uuid:2>"})
    item = build_item(Capture(url="http://127.0.0.1/zfxxgknb/t20230120_1.html", body=stub.encode("utf-8"),
                              content_type="text/html; charset=utf-8", warc={"warc_record_id": "<urn:uuid:1>"},
                              attachments=[attachment]))
    validate_item(item)
    assert item["attachments"][0]["kind"] == "doc" and item["attachments"][0]["text_source"] is True
    assert item["tables"]["t3_applications"]["values"] == truth["tables"]["t3_applications"]
    assert item["published"] == "2023-01-20" and item["report_year"] == truth["year"]


def test_encrypted_and_word95_documents_get_a_specific_reason(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)  # no antiword/catdoc to fall back on
    encrypted = patched_fib(tmp_path, 0x0A, "<H", lambda flags: flags | 0x0100)
    with pytest.raises(Word97Error, match="encrypted"):
        extract_word97(encrypted)
    document = extract_document(encrypted, "application/msword", "http://127.0.0.1/a.doc")
    assert document.flags == ["unsupported_format"] and "encrypted" in document.detail
    word95 = patched_fib(tmp_path, 2, "<H", lambda nfib: 0x0065)
    with pytest.raises(Word97Error, match="Word 6/95"):
        extract_word97(word95)

    attachment = Capture(url="http://127.0.0.1/a.doc", body=encrypted, content_type="application/msword")
    item = build_item(Capture(url="http://127.0.0.1/t1.html", content_type="text/html; charset=utf-8",
                              body="<html><body><p>附件：<a href='a.doc'>年报.doc</a></p></body></html>".encode(),
                              attachments=[attachment]))
    validate_item(item)
    assert "encrypted" in item["attachments"][0]["error"] and "attachment_missing" in item["flags"]


@pytest.mark.parametrize("body, reason", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "not an OLE compound file"),
    (b"plain bytes, not OLE at all", "not an OLE compound file"),
])
def test_non_word_bodies_raise_word97_error(body: bytes, reason: str) -> None:
    with pytest.raises(Word97Error, match=reason):
        extract_word97(body)


def test_damaged_documents_raise_word97_error_or_yield_text_never_crash() -> None:
    """Truncated files and random byte damage: a Word97Error or some text, never another exception."""
    original = load("report_2021_published")[0]
    rng = random.Random(97)
    outcomes = {"error": 0, "text": 0}
    for trial in range(150):
        damaged = bytearray(original)
        if trial % 3 == 0:
            damaged = damaged[: rng.randrange(512, len(original))]
        else:
            for _ in range(rng.randint(1, 40)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            result = extract_word97(bytes(damaged))
        except Word97Error:
            outcomes["error"] += 1
        else:
            assert isinstance(result.text, str)
            outcomes["text"] += 1
        document = extract_document(bytes(damaged), "application/msword", "http://127.0.0.1/a.doc")
        assert document.kind == "doc"
    assert outcomes["error"] > 0 and outcomes["text"] > 0, outcomes
