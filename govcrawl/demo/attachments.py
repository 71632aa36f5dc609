"""Binary attachments for the mock portal, generated in memory and deterministically.

PDFs use reportlab's built-in CID font ``STSong-Light`` (text extractable by pdfplumber); DOCX uses python-docx;
the 图片版 PDF holds only a raster image (no text layer).
"""

from __future__ import annotations

import io
import zipfile
from functools import cache

from govcrawl.demo.table_layouts import published_structures, to_matrix

_FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


@cache
def _register_cid_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _wrap(line: str, width: int) -> list[str]:
    return [line[i : i + width] for i in range(0, len(line), width)] or [""]


def pdf_bytes(title: str, paragraphs: list[str]) -> bytes:
    """A text PDF (A4, STSong-Light) with the title and paragraphs; deterministic bytes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = _register_cid_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    pdf.setTitle(title)
    width, height = A4
    y = height - 60
    pdf.setFont(font, 15)
    for piece in _wrap(title, 30):
        pdf.drawString(50, y, piece)
        y -= 24
    pdf.setFont(font, 10.5)
    for paragraph in paragraphs:
        for piece in _wrap(paragraph, 46):
            if y < 50:
                pdf.showPage()
                pdf.setFont(font, 10.5)
                y = height - 60
            pdf.drawString(50, y, piece)
            y -= 16
        y -= 4
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def image_only_pdf_bytes(seed: int = 0) -> bytes:
    """A scanned-looking PDF: one page holding a grey raster image, no text layer at all."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    image = Image.new("L", (420, 594), 245)
    draw = ImageDraw.Draw(image)
    for row in range(40, 560, 14):  # lines of "scanned text"
        length = 300 - ((row * 7 + seed) % 90)
        draw.rectangle([50, row, 50 + length, row + 6], fill=90)
    raw = io.BytesIO()
    image.save(raw, format="PNG")
    raw.seek(0)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    width, height = A4
    pdf.drawImage(ImageReader(raw), 0, 0, width=width, height=height)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def docx_bytes(title: str, paragraphs: list[str], table_rows: list[list[str]] | None = None) -> bytes:
    """A DOCX with a title, paragraphs and an optional table; zip entry times fixed for determinism."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table_rows:
        table = document.add_table(rows=len(table_rows), cols=max(len(r) for r in table_rows))
        for r, row in enumerate(table_rows):
            for c, value in enumerate(row):
                table.cell(r, c).text = value
    raw = io.BytesIO()
    document.save(raw)
    return _normalise_zip(raw.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps so the same content gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def pdf_report_with_tables(title: str, paragraphs: list[str], template_id: str, values: dict) -> bytes:
    """A 2019/2021-format report as a text PDF: narrative paragraphs with the standard tables (grid lines,
    spans) placed under their section headings, as 文字版 PDFs of real reports look."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    font = _register_cid_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK", firstLineIndent=20)
    heading = ParagraphStyle("heading", fontName=font, fontSize=11, leading=16, wordWrap="CJK")
    tables = dict(published_structures(template_id, values))
    story: list = [Paragraph(title, ParagraphStyle("title", fontName=font, fontSize=15, leading=22, wordWrap="CJK")),
                   Spacer(1, 8)]
    for paragraph in paragraphs:
        if paragraph in tables:
            matrix, spans = to_matrix(tables[paragraph])
            grid = PdfTable(matrix)
            grid.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 5),
                                      ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                      *[("SPAN", start, end) for start, end in spans]]))
            story += [Paragraph(paragraph, heading), Spacer(1, 4), grid, Spacer(1, 8)]
        else:
            story.append(Paragraph(paragraph, body))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=30, rightMargin=30, invariant=1, title=title).build(story)
    return buffer.getvalue()
