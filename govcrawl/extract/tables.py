"""HTML tables -> grids (rows of cell strings) with lxml; spans expanded, nested tables kept apart.

* ``rowspan``/``colspan`` are expanded (the text is repeated in every covered slot). A rowspan running past
  the last row is clipped to the table (``rowspan="0"`` means "to the end"); a colspan running past the
  widest row is clipped to that width; malformed span values count as 1, huge ones are capped.
* ``<th>`` and ``<td>`` are equal; a cell's text joins its ``<p>``/``<span>``/``<br>`` pieces with single
  spaces (``&nbsp;`` and ideographic spaces are whitespace); ``<script>``/``<style>`` and comments (Word's
  conditional comments) are skipped; Word markup (MsoNormal, ``mso-`` styles, ``<o:p>``) needs nothing special.
* A nested table is its own grid (after its outer table, in document order); its text is not repeated in the
  outer cell.
* Split tables: a top-level table that directly follows another (nothing but whitespace between them) and
  has the same width is appended to it, so one logical table split over several ``<table>`` elements becomes
  one grid. Tables of different width are left separate; the tables reader continues a standard table across
  grids by its labels anyway.
"""

from __future__ import annotations

import threading
from functools import lru_cache

from lxml import etree, html

Grid = list[list[str]]

_MAX_SPAN = 1000  # rowspans are clipped to the table anyway
_MAX_COLSPAN = 50  # report tables have at most ~16 columns; colspan="99999" must not build a 1000-wide grid
_BLOCK_TAGS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
_SKIP_TAGS = frozenset({"script", "style", "table", "template"})


@lru_cache(maxsize=1024)
def _span(value: str | None) -> int | None:
    """A span attribute as int: None for "to the end" (0), 1 when malformed."""
    if value is None:
        return 1
    digits = "".join(ch for ch in value.strip().split(".")[0] if ch.isdigit())
    if not digits:
        return 1
    number = int(digits)
    if number == 0:
        return None
    return min(number, _MAX_SPAN)


def cell_text(cell: etree._Element) -> str:
    """The text of one cell (nested tables, scripts, styles and comments excluded), whitespace collapsed."""
    if len(cell) == 0:
        return " ".join((cell.text or "").split())
    parts: list[str] = []
    _walk(cell, parts)
    return " ".join("".join(parts).split())


def _walk(element: etree._Element, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        tag = child.tag
        if isinstance(tag, str):
            tag = tag.lower()
            if tag not in _SKIP_TAGS:
                if tag in _BLOCK_TAGS:
                    parts.append(" ")
                    _walk(child, parts)
                    parts.append(" ")
                elif len(child):
                    _walk(child, parts)
                elif child.text:
                    parts.append(child.text)
        if child.tail:
            parts.append(child.tail)


def _rows(table: etree._Element) -> list[etree._Element]:
    rows: list[etree._Element] = []
    for child in table:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if isinstance(r.tag, str) and r.tag.lower() == "tr")
    return rows


def table_to_grid(table: etree._Element) -> Grid:
    """One ``<table>`` element as a rectangular grid with spans expanded (see the module docstring)."""
    rows = []
    for tr in _rows(table):
        rows.append([(td.get("rowspan"), td.get("colspan"), cell_text(td)) for td in tr
                     if isinstance(td.tag, str) and td.tag.lower() in ("td", "th")])
    return _expand(rows)


def _expand(rows: list[list[tuple[str | None, str | None, str]]]) -> Grid:
    """Rows of (rowspan, colspan, text) cells -> a rectangular grid with spans expanded."""
    n_rows = len(rows)
    slots: list[dict[int, str]] = [{} for _ in range(n_rows)]
    last_start = -1
    for r, cells in enumerate(rows):
        occupied = slots[r]
        c = 0
        for rowspan_attr, colspan_attr, text in cells:
            while c in occupied:
                c += 1
            if not rowspan_attr and not colspan_attr:  # no spans (absent or empty attributes): one slot
                occupied[c] = text
                if c > last_start:
                    last_start = c
                c += 1
                continue
            colspan = min(_span(colspan_attr) or 1, _MAX_COLSPAN)
            rowspan = _span(rowspan_attr)
            rowspan = n_rows - r if rowspan is None else min(rowspan, n_rows - r)
            for covered in slots[r:r + rowspan]:
                for dc in range(c, c + colspan):
                    covered.setdefault(dc, text)
            last_start = max(last_start, c)
            c += colspan
    if last_start < 0:
        return []
    # Width: up to the right-most column where some cell starts. Columns further right could only hold copies
    # of spanned text, so a colspan running past that (colspan="99" on a title row) is clipped losslessly.
    width = last_start + 1
    return [[occupied.get(c, "") for c in range(width)] for occupied in slots]


# The same cell reading as table_to_grid/cell_text, done by libxslt in C (the Python walk over the elements of a
# Word-exported page costs milliseconds). Output per table: TABLE, per row ROW, its cells, END, per cell
# CELL rowspan FIELD colspan FIELD text. Noncharacters serve as separators, and the page is not scanned for
# them: any of them inside a text or span attribute breaks that shape (TABLE: a table too many; ROW: a row cut
# before its END; END: one inside a row; CELL: a cell without its FIELDs; FIELD: a cell with one too many), and
# output of any other shape, or an XSLT failure (e.g. nesting past libxslt's depth limit), falls back to the
# Python walk. (Scanning the page's text first and scrubbing attributes with ``translate()`` per cell cost a
# third of the transform.)
_TABLE, _ROW, _CELL, _FIELD, _END = "\ufdd0", "\ufdd1", "\ufdd2", "\ufdd3", "\ufdd4"
_BLOCK_MATCH = "|".join(sorted(_BLOCK_TAGS))
_XSL = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/">
<xsl:for-each select="//table">{_TABLE}<xsl:for-each select="tr|thead/tr|tbody/tr|tfoot/tr">{_ROW}<xsl:for-each
 select="td|th">{_CELL}<xsl:value-of
 select="@rowspan"/>{_FIELD}<xsl:value-of select="@colspan"/>{_FIELD}<xsl:apply-templates
 mode="cell"/></xsl:for-each>{_END}</xsl:for-each></xsl:for-each>
</xsl:template>
<xsl:template mode="cell" match="{"|".join(sorted(_SKIP_TAGS))}"/>
<!-- other elements, text and comments: XSLT's built-in rules (recurse, copy text, drop comments) -->
<xsl:template mode="cell" match="{_BLOCK_MATCH}"><xsl:text> </xsl:text><xsl:apply-templates mode="cell"/><xsl:text> </xsl:text></xsl:template>
</xsl:stylesheet>"""
_LOCAL = threading.local()


def _xslt() -> etree.XSLT:
    """This thread's compiled stylesheet (XSLT objects are not shared between threads)."""
    transform = getattr(_LOCAL, "xslt", None)
    if transform is None:
        transform = _LOCAL.xslt = etree.XSLT(etree.XML(_XSL.encode("utf-8")))
    return transform


def _fast_tables(root: etree._Element, count: int) -> list[list[list[tuple[str, str, str]]]] | None:
    """Every table under ``root`` (document order) as rows of (rowspan, colspan, text) cells; None if unusable."""
    try:
        out = str(_xslt()(root))
    except (etree.XSLTError, etree.XSLTApplyError, ValueError):
        return None
    chunks = out.split(_TABLE)[1:]
    if len(chunks) != count:
        return None
    tables = []
    for chunk in chunks:
        rows = []
        row_parts = chunk.split(_ROW)
        if row_parts[0]:
            return None
        for row in row_parts[1:]:
            if not row or row.find(_END) != len(row) - 1:  # cut short, or an END inside (see above)
                return None
            cells = []
            cell_parts = row[:-1].split(_CELL)
            if cell_parts[0]:
                return None
            for cell in cell_parts[1:]:
                fields = cell.split(_FIELD)
                if len(fields) != 3:  # a separator inside a text or span attribute (see above)
                    return None
                rowspan, colspan, text = fields
                cells.append((rowspan, colspan, " ".join(text.split())))
            rows.append(cells)
        tables.append(rows)
    return tables


def _has_text(element: etree._Element) -> bool:
    """Visible text in an element (scripts, styles and comments ignored)."""
    for node in element.iter():
        if isinstance(node.tag, str) and node.tag.lower() not in ("script", "style") and node.text and node.text.strip():
            return True
        if node is not element and node.tail and node.tail.strip():
            return True
    return False


def _directly_follows(first: etree._Element, second: etree._Element) -> bool:
    """True when only whitespace (and empty elements) lies between the end of ``first`` and ``second``."""
    ancestors_of_second = set(second.iterancestors())
    node = first
    while True:
        if node.tail and node.tail.strip():
            return False
        nxt = node.getnext()
        while nxt is None:
            node = node.getparent()
            if node is None or node in ancestors_of_second:
                return False
            if node.tail and node.tail.strip():
                return False
            nxt = node.getnext()
        if nxt is second:
            return True
        if nxt in ancestors_of_second:  # second sits inside nxt: only empty markup may precede it there
            for inner in nxt.iter():
                if inner is second:
                    return True
                if isinstance(inner.tag, str) and inner.tag.lower() == "table" and inner not in ancestors_of_second:
                    return False
                if inner.text and inner.text.strip():
                    return False
                if inner is not nxt and inner not in ancestors_of_second and inner.tail and inner.tail.strip():
                    return False
            return False
        if isinstance(nxt.tag, str) and (nxt.tag.lower() == "table" or nxt.find(".//table") is not None):
            return False
        if _has_text(nxt):
            return False
        node = nxt


def html_tables_to_grids(root_or_html: etree._Element | str | bytes, *, merge_split: bool = True) -> list[Grid]:
    """All tables of a page (or element) as grids; tables without text dropped (empty rows are kept: an
    all-blank data row means zeros), adjacent same-width tables merged."""
    if isinstance(root_or_html, str | bytes):
        if not root_or_html.strip():
            return []
        root = html.fromstring(root_or_html)
    else:
        root = root_or_html
    grids: list[Grid] = []
    last: etree._Element | None = None  # the table whose rows ended the last grid
    elements = list(root.iter("table"))
    if not elements:
        return []
    fast = _fast_tables(root, len(elements)) if isinstance(root, html.HtmlElement) else None
    for n, table in enumerate(elements):
        grid = _expand(fast[n]) if fast is not None else table_to_grid(table)
        if not any(any(row) for row in grid):
            continue
        if (merge_split and last is not None and len(grids[-1][0]) == len(grid[0])
                and table not in set(last.iterdescendants("table")) and _directly_follows(last, table)):
            grids[-1].extend(grid)
        else:
            grids.append(grid)
        last = table
    return grids
