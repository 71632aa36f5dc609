"""PDF (reportlab, CID font), DOCX (python-docx), image-only PDF, legacy .doc/.wps and type dispatch."""

from __future__ import annotations

import io

import pytest

from govcrawl.extract import detect_kind, extract_document

TITLE = "某某县2023年政府信息公开工作年度报告"


def make_pdf(lines: list[str], table: list[list[str]] | None = None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=11, leading=16)
    flow: list = [Paragraph(line, style) for line in lines]
    if table:
        grid = Table(table)
        grid.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                                  ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
        flow.append(grid)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, title=TITLE).build(flow)
    return buffer.getvalue()


def make_image_pdf() -> bytes:
    import struct
    import zlib

    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    # a small grey bitmap standing in for a scanned page
    width = height = 40
    raw = b"".join(b"\x00" + bytes([120]) * width for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for _ in range(2):
        pdf.drawImage(ImageReader(io.BytesIO(png)), 50, 300, width=400, height=400)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def make_docx() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = TITLE
    document.add_paragraph(TITLE)
    document.add_paragraph("一、总体情况")
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "申请人情况"
    table.cell(0, 2).text = "总计"
    for col, value in enumerate(["本年新收政府信息公开申请数量", "12", "12"]):
        table.cell(1, col).text = value
    for col, value in enumerate(["上年结转政府信息公开申请数量", "0", "0"]):
        table.cell(2, col).text = value
    document.add_paragraph("六、其他需要报告的事项")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_pdf_with_chinese_cid_font_gives_text_and_table() -> None:
    body = make_pdf([TITLE, "一、总体情况", "2023年，本县主动公开政府信息1234条。"],
                    [["信息内容", "本年制发件数"], ["规章", "3"]])
    document = extract_document(body, "application/pdf", "http://x.gov.cn/P020240308.pdf")
    assert document.kind == "pdf" and not document.image_only
    assert TITLE in document.text and "2023年，本县主动公开政府信息1234条。" in document.text
    assert ["规章", "3"] in document.grids[0]
    assert document.page_meta["title"] == TITLE


def test_image_only_pdf_is_flagged() -> None:
    document = extract_document(make_image_pdf(), "application/pdf", "http://x.gov.cn/scan.pdf")
    assert document.kind == "pdf" and document.image_only and "image_only" in document.flags
    assert document.text.strip() == ""


def test_docx_paragraphs_and_table_grid_in_order() -> None:
    document = extract_document(make_docx(), "application/octet-stream", "http://x.gov.cn/report.docx")
    assert document.kind == "docx"
    lines = document.text.splitlines()
    assert lines[:2] == [TITLE, "一、总体情况"] and lines[-1] == "六、其他需要报告的事项"
    assert "本年新收政府信息公开申请数量\t12\t12" in lines
    assert document.grids == [[["申请人情况", "申请人情况", "总计"], ["本年新收政府信息公开申请数量", "12", "12"],
                               ["上年结转政府信息公开申请数量", "0", "0"]]]


def test_binary_doc_and_wps_are_flagged_unsupported_without_a_converter(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    doc = extract_document(ole, "application/msword", "http://x.gov.cn/a.doc")
    wps = extract_document(ole, "application/octet-stream", "http://x.gov.cn/a.wps")
    assert (doc.kind, wps.kind) == ("doc", "wps")
    assert doc.flags == ["unsupported_format"] and wps.flags == ["unsupported_format"]


def test_corrupt_pdf_and_docx_raise_a_clear_value_error() -> None:
    with pytest.raises(ValueError, match="unreadable PDF"):
        extract_document(b"%PDF-1.4\n garbage without objects", "application/pdf", "http://x/a.pdf")
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<not-xml")
    with pytest.raises(ValueError, match="unreadable DOCX"):
        extract_document(buffer.getvalue(), None, "http://x/a.docx")


@pytest.mark.parametrize(("body", "content_type", "url", "kind"), [
    (b"%PDF-1.7 ...", "application/octet-stream", "http://x/download.jsp?id=1", "pdf"),
    (b"<html><body>x</body></html>", None, "http://x/a.pdf", "html"),   # an HTML error page behind a .pdf link
    (b"plain words", "text/plain", "http://x/a", "text"),
    (b"<!DOCTYPE html><p>x", "application/octet-stream", "http://x/a", "html"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", "http://x/a.png", "binary"),
])
def test_detect_kind_prefers_magic_bytes(body: bytes, content_type: str | None, url: str, kind: str) -> None:
    assert detect_kind(body, content_type, url) == kind
