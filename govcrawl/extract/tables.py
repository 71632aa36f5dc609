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

from lxml import etree, html

Grid = list[list[str]]

_MAX_SPAN = 1000  # rowspans are clipped to the table anyway
_MAX_COLSPAN = 50  # report tables have at most ~16 columns; colspan="99999" must not build a 1000-wide grid
_BLOCK_TAGS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
_SKIP_TAGS = frozenset({"script", "style", "table", "template"})


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
    rows = _rows(table)
    n_rows = len(rows)
    slots: dict[tuple[int, int], str] = {}
    placed: list[list[tuple[int, int, str]]] = []  # per row: (start col, colspan, text)
    for r, tr in enumerate(rows):
        c = 0
        row_cells: list[tuple[int, int, str]] = []
        for td in tr:
            if not isinstance(td.tag, str) or td.tag.lower() not in ("td", "th"):
                continue
            while (r, c) in slots:
                c += 1
            colspan = min(_span(td.get("colspan")) or 1, _MAX_COLSPAN)
            rowspan = _span(td.get("rowspan"))
            rowspan = n_rows - r if rowspan is None else min(rowspan, n_rows - r)
            text = cell_text(td)
            for dr in range(rowspan):
                for dc in range(colspan):
                    slots.setdefault((r + dr, c + dc), text)
            row_cells.append((c, colspan, text))
            c += colspan
        placed.append(row_cells)
    if not slots:
        return []
    # Width: up to the right-most column where some cell starts. Columns further right could only hold copies
    # of spanned text, so a colspan running past that (colspan="99" on a title row) is clipped losslessly.
    width = 1 + max(start for row_cells in placed for start, _, _ in row_cells)
    return [[slots.get((r, c), "") for c in range(width)] for r in range(n_rows)]


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
    for table in root.iter("table"):
        grid = table_to_grid(table)
        if not any(any(row) for row in grid):
            continue
        if (merge_split and last is not None and len(grids[-1][0]) == len(grid[0])
                and table not in set(last.iterdescendants("table")) and _directly_follows(last, table)):
            grids[-1].extend(grid)
        else:
            grids.append(grid)
        last = table
    return grids
