"""build_item: extract -> parse -> item with source, attachment merge, flagged items; never raises."""

from __future__ import annotations

import gzip
import urllib.request

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govcrawl.capture import Capture
from govcrawl.report import build_item
from govcrawl.schema import schema_errors, validate_item
from tests.test_extract_documents import TITLE, make_docx, make_image_pdf, make_pdf

WARC = {"warc_filename": "govcrawl-1.warc.gz", "warc_offset": 1234, "warc_record_id": "<urn:uuid:1>",
        "payload_digest": "sha1:ABC", "fetched_at": "2026-11-22T10:00:00.000000Z"}
DISCOVERY = {"list_url": "http://127.0.0.1/zfxxgknb/index.html", "link_text": "某某县2023年政府信息…", "link_title": TITLE}
STUB = f"""<html><head><meta name="ArticleTitle" content="{TITLE}"><meta name="PubDate" content="2024-03-08 15:34"></head>
<body><div class="TRS_Editor"><p>附件：<a href="./P020240308.pdf">{TITLE}.pdf</a></p></div></body></html>""".encode()
REPORT_LINES = [TITLE, "一、总体情况", "2023年，本县认真贯彻落实《中华人民共和国政府信息公开条例》，主动公开政府信息1234条。",
                "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
                "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
PORTAL_SITES = ["county"]


def test_county_portal_pages_build_valid_items_matching_ground_truth(portal) -> None:
    truths = portal.reports("county")
    assert len(truths) >= 10
    for url, truth in sorted(truths.items()):
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            content_type = response.headers.get("Content-Type")
        item = build_item(Capture(url=url, body=body, content_type=content_type, discovery=DISCOVERY,
                                  warc=WARC))
        assert schema_errors(item) == [], url
        assert not [f for f in item["flags"] if f.startswith("extract_error")], (url, item["flags"])
        assert (item["title"], item["report_year"], item["published"]) == (truth.title, truth.year, truth.published)
        assert item["index_no"] == (truth.index_no or None) and item["agency"] == truth.agency
        if truth.phrase:
            assert truth.phrase in item["text"].replace("\n", ""), url
        assert item["source"] == {"url": url, **WARC, "list_url": DISCOVERY["list_url"],
                                  "link_text": DISCOVERY["link_text"]}


def test_stub_page_takes_text_from_its_pdf_attachment() -> None:
    pdf = Capture(url="http://127.0.0.1/zfxxgknb/P020240308.pdf", body=make_pdf(REPORT_LINES),
                  content_type="application/pdf", warc={**WARC, "warc_record_id": "<urn:uuid:2>"})
    item = build_item(Capture(url="http://127.0.0.1/zfxxgknb/t1.html", body=STUB, content_type="text/html",
                              discovery=DISCOVERY, warc=WARC, attachments=[pdf]))
    validate_item(item)
    assert item["attachments"][0]["text_source"] is True
    assert "主动公开政府信息1234条" in item["text"] and item["report_year"] == 2023
    assert item["published"] == "2024-03-08"  # from the HTML page's PubDate, not the PDF
    (attachment,) = item["attachments"]
    assert attachment["url"] == pdf.url and attachment["kind"] == "pdf" and attachment["text_chars"] > 50
    assert attachment["warc_record_id"] == "<urn:uuid:2>" and attachment["image_only"] is False


def test_attachment_only_docx_report() -> None:
    item = build_item(Capture(url="http://127.0.0.1/zfxxgknb/report.docx", body=make_docx(),
                              content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                              discovery=DISCOVERY, warc=WARC))
    validate_item(item)
    assert item["title"] == TITLE and "六、其他需要报告的事项" in item["text"]


def test_image_only_report_is_flagged_not_emitted_empty() -> None:
    scan = Capture(url="http://127.0.0.1/zfxxgknb/scan.pdf", body=make_image_pdf(), content_type="application/pdf")
    item = build_item(Capture(url="http://127.0.0.1/zfxxgknb/t2.html", body=STUB, content_type="text/html",
                              discovery=DISCOVERY, warc=WARC, attachments=[scan]))
    validate_item(item)
    assert item["flags"][0] == "image_only" and item["title"] == TITLE and item["report_year"] == 2023
    assert item["attachments"][0]["image_only"] is True
    direct = build_item(Capture(url=scan.url, body=scan.body, content_type="application/pdf", discovery=DISCOVERY))
    validate_item(direct)
    assert "image_only" in direct["flags"] and direct["text"] == ""


@pytest.mark.parametrize("body", [b"", b"\x00\x01\x02\x03" * 100, b"%PDF-1.4 broken", "乱码".encode("utf-16-le") * 50])
def test_bad_bodies_become_flagged_valid_items(body: bytes) -> None:
    item = build_item(Capture(url="http://127.0.0.1/x.html", body=body, content_type="text/html",
                              discovery=DISCOVERY, warc=WARC))
    validate_item(item)
    assert item["flags"] and item["source"]["warc_record_id"] == WARC["warc_record_id"]


def test_http_error_status_and_a_parser_crash_are_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    item = build_item(Capture(url="http://127.0.0.1/gone.html", body=b"<html>404</html>", status=404))
    validate_item(item)
    assert item["flags"] == ["http_status_404"]
    import govcrawl.report

    def broken(*args: object, **kwargs: object) -> dict:
        raise RuntimeError("parser bug")

    monkeypatch.setattr(govcrawl.report, "parse_report", broken)
    item = build_item(Capture(url="http://127.0.0.1/t1.html", body=STUB, content_type="text/html"))
    validate_item(item)
    assert item["flags"][0] == "extract_error: RuntimeError: parser bug"
    assert item["title"] == TITLE and item["published"] == "2024-03-08"


def test_gzip_body_without_content_encoding_is_inflated() -> None:
    page = f"<html><body><div class='TRS_Editor'><p>{'。'.join(REPORT_LINES)}</p></div></body></html>"
    item = build_item(Capture(url="http://127.0.0.1/t3.html", body=gzip.compress(page.encode("gbk")),
                              content_type="text/html"))
    validate_item(item)
    assert "gzip_body" in item["flags"] and "主动公开政府信息1234条" in item["text"]


def test_attachment_order_does_not_change_the_item() -> None:
    pdf = Capture(url="http://127.0.0.1/zfxxgknb/b.pdf", body=make_pdf(REPORT_LINES), content_type="application/pdf")
    docx = Capture(url="http://127.0.0.1/zfxxgknb/a.docx", body=make_docx(), content_type=None)
    items = [build_item(Capture(url="http://127.0.0.1/zfxxgknb/t4.html", body=STUB, content_type="text/html",
                                attachments=order)) for order in ([pdf, docx], [docx, pdf])]
    assert items[0] == items[1]
    assert [a["url"] for a in items[0]["attachments"]] == [docx.url, pdf.url]


@settings(max_examples=60, deadline=None)
@given(prefix=st.sampled_from([b"", b"%PDF-1.4\n", b"PK\x03\x04", b"\x1f\x8b", b"<html><div class=TRS_Editor>",
                               b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"]),
       body=st.binary(max_size=300),
       content_type=st.sampled_from([None, "text/html", "application/pdf", "text/plain; charset=gbk"]),
       status=st.sampled_from([200, 404, None]))
def test_build_item_never_raises_and_always_gives_a_valid_item(prefix: bytes, body: bytes, content_type: str | None,
                                                                status: int | None) -> None:
    item = build_item(Capture(url="http://127.0.0.1/x", body=prefix + body, content_type=content_type, status=status))
    validate_item(item)


def test_picture_page_and_stub_without_its_attachment_are_flagged() -> None:
    pictures = (f'<html><head><meta name="ArticleTitle" content="{TITLE}（图片版）"></head><body>'
                "<div class='TRS_Editor'><p><img src='W1.jpg'></p><p><img src='W2.jpg'></p><p>图片版</p></div></body></html>")
    item = build_item(Capture(url="http://127.0.0.1/p.html", body=pictures.encode(), content_type="text/html"))
    validate_item(item)
    assert item["flags"] == ["image_only"] and item["report_year"] == 2023
    item = build_item(Capture(url="http://127.0.0.1/zfxxgknb/t1.html", body=STUB, content_type="text/html"))
    validate_item(item)
    assert "attachment_missing" in item["flags"]


@pytest.mark.parametrize("stub", [True, False], ids=["stub page + pdf", "attachment-only pdf"])
def test_pdf_attachment_tables_are_labelled_pdf_with_exact_values(stub: bool) -> None:
    """A 2021-format PDF (reportlab, merged cells) -> extract (pdfplumber grids) -> parse: tables say source pdf."""
    import random

    from govcrawl.demo.table_layouts import random_consistent_values, render_tables_pdf

    values = random_consistent_values("gbf_2021", random.Random(2021))
    body = render_tables_pdf("gbf_2021", values)
    pdf = Capture(url="http://127.0.0.1/zfxxgknb/P020240308.pdf", body=body, content_type="application/pdf",
                  discovery=DISCOVERY, warc={**WARC, "warc_record_id": "<urn:uuid:2>"})
    capture = (Capture(url="http://127.0.0.1/zfxxgknb/t1.html", body=STUB, content_type="text/html",
                       discovery=DISCOVERY, warc=WARC, attachments=[pdf]) if stub else pdf)
    item = build_item(capture)
    validate_item(item)
    assert item["report_year"] == 2023 and item["format"] == "2021"
    assert set(item["tables"]) == set(values)
    assert {key: table["values"] for key, table in item["tables"].items()} == values
    assert {table["source"] for table in item["tables"].values()} == {"pdf"}
    assert {table["template"] for table in item["tables"].values()} == {"gbf_2021"}
    assert all(check["ok"] for check in item["checks"] if check["rule"].startswith(("t3_", "t4_"))), item["checks"]
