"""PDF -> text and table grids with pdfplumber; scanned (image-only) PDFs are detected, not returned empty."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from govcrawl.extract.limits import check_pdf

#: a page with fewer non-space characters than this but with images counts as a scanned page
IMAGE_PAGE_MAX_CHARS = 10
_SENTENCE_END = ("。", "：", ":", "；", "！", "？", "”", "）", ")")
Grid = list[list[str]]
_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\(\d+\)|\d+[.、．]|第[一二三四五六七八九十]+)")


@dataclass
class PdfExtract:
    """Text (pages joined by newlines), table grids, page count and whether the PDF is a scan."""

    text: str
    grids: list[Grid] = field(default_factory=list)
    pages: int = 0
    image_only: bool = False
    title: str | None = None


def grids_from_pdf_tables(tables: list[list[list[str | None]]]) -> list[Grid]:
    """Normalise pdfplumber ``page.extract_tables()`` output (cells may be None or hold line breaks).

    ``None`` marks a cell covered by a merged cell: it becomes ``""`` (the tables reader takes column headers from
    the non-empty cells above a column and row labels from the rightmost label cell, so merged areas need no
    fill). Rows shorter than the widest row are padded so the grid is rectangular.
    """
    grids: list[Grid] = []
    for table in tables:
        rows = [[" ".join((cell or "").split()) for cell in row] for row in table if row]
        if not rows:
            continue
        width = max(len(r) for r in rows)
        grids.append([r + [""] * (width - len(r)) for r in rows])
    return grids


def _cell(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def join_wrapped_lines(text: str) -> str:
    """Undo the PDF's line wrapping inside paragraphs: a line that fills the page width and does not end a
    sentence continues on the next line, unless that line starts a heading or list item (CJK: no space)."""
    lines = [line.rstrip() for line in text.splitlines()]
    width = max((len(line) for line in lines), default=0)
    joined: list[str] = []
    for line in lines:
        previous = joined[-1] if joined else None
        if (previous is not None and len(previous) >= 0.8 * width and width >= 20
                and not previous.endswith(_SENTENCE_END) and not _HEADING.match(line)):
            joined[-1] = previous + line.lstrip()
        else:
            joined.append(line)
    return "\n".join(joined)


def extract_pdf(body: bytes) -> PdfExtract:
    """Extract a PDF. Raises ``ValueError`` for bytes pdfplumber cannot open, and
    :class:`~govcrawl.extract.limits.ResourceLimitExceeded` before inflating a stream past the limits."""
    check_pdf(body)
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        pdf = pdfplumber.open(io.BytesIO(body))
    except (PDFSyntaxError, Exception) as exc:  # pdfminer raises assorted types on garbage
        raise ValueError(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc
    texts: list[str] = []
    grids: list[Grid] = []
    text_pages = image_pages = 0
    with pdf:
        title = (pdf.metadata or {}).get("Title")
        for page in pdf.pages:
            page_text = page.extract_text() or ""
            chars = sum(1 for ch in page_text if not ch.isspace())
            if chars >= IMAGE_PAGE_MAX_CHARS:
                text_pages += 1
            elif page.images:
                image_pages += 1
            if page_text.strip():
                texts.append(join_wrapped_lines(page_text.strip()))
            for grid in grids_from_pdf_tables(page.extract_tables()):  # None cells -> "", rows padded
                if any(any(cell for cell in row) for row in grid):
                    grids.append(grid)
        pages = len(pdf.pages)
    return PdfExtract(text="\n".join(texts), grids=grids, pages=pages,
                      image_only=image_pages > 0 and text_pages == 0,
                      title=_cell(title) if isinstance(title, str) and title.strip() else None)
