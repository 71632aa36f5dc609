"""Word documents: DOCX via python-docx (paragraphs and tables in document order); DOC/WPS via antiword or
catdoc when one is installed, else the caller flags ``unsupported_format``."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from govcrawl.extract.limits import check_zip


class UnsupportedFormat(ValueError):
    """A document format no installed tool can read (e.g. binary .doc/.wps without antiword/catdoc)."""


@dataclass
class WordExtract:
    """A Word document's text (one paragraph or table row per line, in document order; cells tab-separated),
    table grids and title. Returned for DOCX here and for binary .doc/.wps by ``govcrawl.extract.word97``."""

    text: str
    grids: list[list[list[str]]] = field(default_factory=list)
    title: str | None = None


def _cell_text(cell: object) -> str:
    return " ".join(cell.text.split())  # type: ignore[attr-defined]


def extract_docx(body: bytes) -> WordExtract:
    """Extract a .docx. Raises ``ValueError`` when the bytes are not a readable Word document, and
    :class:`~govcrawl.extract.limits.ResourceLimitExceeded` before inflating a member past the limits."""
    check_zip(body)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(body))
    except Exception as exc:  # python-docx raises zipfile/KeyError/ValueError variants
        raise ValueError(f"unreadable DOCX: {type(exc).__name__}: {exc}") from exc
    lines: list[str] = []
    grids: list[list[list[str]]] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = " ".join(Paragraph(child, document).text.split())
            if text:
                lines.append(text)
        elif tag == "tbl":
            grid = [[_cell_text(cell) for cell in row.cells] for row in Table(child, document).rows]
            grid = [row for row in grid if any(row)]
            if grid:
                grids.append(grid)
                lines.extend("\t".join(row) for row in grid)
    title = (document.core_properties.title or "").strip() or None
    return WordExtract(text="\n".join(lines), grids=grids, title=title)


def extract_legacy_word(body: bytes, timeout: float = 30.0) -> str:
    """Text of a binary .doc/.wps through antiword or catdoc; ``UnsupportedFormat`` when neither is installed."""
    tools = [(shutil.which(name), args) for name, args in (("antiword", ["-w", "0", "-m", "UTF-8.txt"]),
                                                            ("catdoc", ["-d", "utf-8"]))]
    tools = [(path, args) for path, args in tools if path]
    if not tools:
        raise UnsupportedFormat("binary Word/WPS document and neither antiword nor catdoc is installed")
    with tempfile.NamedTemporaryFile(suffix=".doc") as handle:
        handle.write(body)
        handle.flush()
        for path, args in tools:
            try:
                result = subprocess.run([path, *args, handle.name], capture_output=True, timeout=timeout,
                                        check=False)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if result.returncode == 0 and result.stdout.strip():
                return result.stdout.decode("utf-8", errors="replace")
    raise UnsupportedFormat("binary Word/WPS document that antiword/catdoc could not read")
