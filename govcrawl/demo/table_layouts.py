"""Render standard-table values as HTML (and text) in the layouts real report pages use.

Used by the mock portal for its report pages and by the table property tests. Values are
``{table_key: {row_key: {col_key: number}}}`` with the keys of ``report-formats.json`` (amounts in 万元).

Layouts (``LAYOUTS``):

* ``plain``            - one simple table per standard table, one header row, no spans;
* ``published``        - the official structure: t2 tables stacked in one 4-column table under 第二十条第（X）项
                         rows, t3 with its 3-row header and row labels spread over 3 columns with spans,
                         t4 with its 3-row header;
* ``word``             - the published structure as Word exports it: ``MsoNormal`` paragraphs, ``mso-`` styles,
                         ``<o:p>``, labels split over ``<p>``/``<br>`` (商业/企业), half-width brackets,
                         amounts typed in 元 (``251000元``);
* ``split``            - each t2 table separate; t3 split over two adjacent ``<table>`` elements;
* ``repeated_header``  - t3 split in two with text between and its header repeated in the second part;
* ``blank_zeros``      - published structure with every zero left blank (``""`` or ``&nbsp;``);
* ``nested``           - published tables nested inside a page-layout table.

``render_tables_text(template_id, values, style)`` gives the same tables as text: ``flattened`` pipe rows (spans
dropped, as in seed 003) or ``markdown``.
"""

from __future__ import annotations

import copy
import html as html_lib
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from govcrawl import formats

LAYOUTS = ("plain", "published", "word", "split", "repeated_header", "blank_zeros", "nested")
CHECK_IDS = ("t3_balance", "t3_result_total", "t3_row_total", "t4_group_totals")
NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
RESULTS = "三、本年度办理结果"
SUBTITLES = {"t2_art20_1": "第二十条第（一）项", "t2_art20_5": "第二十条第（五）项", "t2_art20_6": "第二十条第（六）项",
             "t2_art20_8": "第二十条第（八）项", "t2_art20_9": "第二十条第（九）项"}
SECTION_HEADINGS = {"t2": "二、主动公开政府信息情况", "t3": "三、收到和处理政府信息公开申请情况",
                    "t4": "四、政府信息公开行政复议、行政诉讼情况"}
AMOUNT_COLUMNS = ("fee_amount_10k_yuan", "procurement_amount")
APPLICANT_COLUMNS = ("natural_person", "commercial_enterprise", "research_institution", "public_welfare_org",
                     "legal_service_org", "other_org")

Values = dict[str, dict[str, dict[str, Any]]]


@dataclass
class Cell:
    """One cell of a rendered table (``header`` cells become ``<th>`` in some layouts)."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    column: str | None = None  # value cells: the column key (for amount formatting)


Table = list[list[Cell]]


def _tables(template_id: str) -> dict[str, dict[str, Any]]:
    return {t["key"]: t for t in formats.template(template_id)["tables"]}


def _data_columns(table: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in table["columns"] if c["key"] != "content_item"]


# --------------------------------------------------------------------------------------------- values
def random_consistent_values(template_id: str, rng: random.Random) -> Values:
    """Random values for every table of the template that satisfy all four checks (t3 new_received ≥ 1)."""
    tables = _tables(template_id)
    out: Values = {}
    for key, table in tables.items():
        if key.startswith("t2"):
            rows: dict[str, dict[str, Any]] = {}
            for row in table["rows"]:
                cells: dict[str, Any] = {}
                for col in _data_columns(table):
                    if col["key"] in AMOUNT_COLUMNS:
                        cells[col["key"]] = _amount(rng)
                    elif col["key"] == "change":
                        cells[col["key"]] = rng.randint(-20, 20)
                    else:
                        cells[col["key"]] = _count(rng)
                rows[row["key"]] = cells
            out[key] = rows
    out["t3_applications"] = _random_t3(tables["t3_applications"], rng)
    counts: dict[str, Any] = {}
    for group in ("review", "suit_direct", "suit_after_review"):
        parts = [_count(rng, zero_bias=0.6) for _ in range(4)]
        for name, value in zip(("upheld", "corrected", "other", "pending"), parts, strict=True):
            counts[f"{group}_{name}"] = value
        counts[f"{group}_total"] = sum(parts)
    out["t4_review_litigation"] = {"counts": counts}
    return out


def _count(rng: random.Random, zero_bias: float = 0.4, high: int = 60) -> int:
    return 0 if rng.random() < zero_bias else rng.randint(1, high)


def _amount(rng: random.Random) -> int | float:
    if rng.random() < 0.3:
        return 0
    cents = rng.randint(1, 5_000_000)  # up to 50,000.00 万元, two decimals
    value = Decimal(cents) / 100
    return int(value) if value == value.to_integral_value() else float(value)


def _random_t3(table: dict[str, Any], rng: random.Random) -> dict[str, dict[str, Any]]:
    row_keys = [r["key"] for r in table["rows"]]
    leaves = [r["key"] for r in table["rows"] if r.get("parents") and r["parents"][0] == RESULTS and r["is_leaf"]]
    values: dict[str, dict[str, Any]] = {key: {} for key in row_keys}
    for col in APPLICANT_COLUMNS:
        for leaf in leaves:
            values[leaf][col] = _count(rng, zero_bias=0.75, high=25)
        values["result_total"][col] = sum(values[leaf][col] for leaf in leaves)
        values["carry_to_next"][col] = _count(rng, zero_bias=0.6, high=10)
        handled = values["result_total"][col] + values["carry_to_next"][col]
        if col == "natural_person" and handled == 0:
            values["result_open"][col] = 1
            values["result_total"][col] = 1
            handled = 1
        carried = rng.randint(0, handled - 1) if col == "natural_person" else rng.randint(0, handled)
        values["carried_over"][col] = carried
        values["new_received"][col] = handled - carried
    for key in row_keys:
        values[key]["total"] = sum(values[key][c] for c in APPLICANT_COLUMNS)
    return values


def make_inconsistent(template_id: str, values: Values, check: str, rng: random.Random) -> Values:
    """A copy of consistent ``values`` changed so that exactly the check ``check`` fails (see CHECK_IDS)."""
    out = copy.deepcopy(values)
    t3 = out["t3_applications"]
    delta = rng.randint(1, 5)
    if check == "t3_balance":  # carry-over grows in one column (and its row total): only the balance breaks
        col = rng.choice(APPLICANT_COLUMNS)
        t3["carry_to_next"][col] += delta
        t3["carry_to_next"]["total"] += delta
    elif check == "t3_result_total":  # a result leaf grows, (七)总计 does not
        leaves = [r["key"] for r in _tables(template_id)["t3_applications"]["rows"]
                  if r.get("parents") and r["parents"][0] == RESULTS and r["is_leaf"]]
        row, col = rng.choice(leaves), rng.choice(APPLICANT_COLUMNS)
        t3[row][col] += delta
        t3[row]["total"] += delta
    elif check == "t3_row_total":  # 总计 moves between rows 一 and 二: column sums and balance still hold
        delta = min(delta, t3["new_received"]["total"])
        t3["new_received"]["total"] -= delta
        t3["carried_over"]["total"] += delta
    elif check == "t4_group_totals":
        group = rng.choice(("review", "suit_direct", "suit_after_review"))
        out["t4_review_litigation"]["counts"][f"{group}_total"] += delta
    else:
        raise ValueError(f"unknown check {check!r}; expected one of {CHECK_IDS}")
    return out


# --------------------------------------------------------------------------------------------- structures
def _value_cells(values: dict[str, Any], columns: list[str]) -> list[Cell]:
    return [Cell(_plain_number(values.get(c)), column=c) for c in columns]


def _plain_number(value: Any) -> str:
    if value is None:
        return "/"
    if isinstance(value, float):
        return format(Decimal(str(value)).normalize(), "f")
    return str(value)


def _t2_published(template_id: str, values: Values, keys: list[str]) -> Table:
    tables = _tables(template_id)
    rows: Table = []
    for key in keys:
        table = tables[key]
        cols = _data_columns(table)
        rows.append([Cell(SUBTITLES[key], colspan=4, header=True)])
        header = [Cell("信息内容", header=True)]
        header += [Cell(c["label"], header=True) for c in cols]
        header[-1].colspan = 4 - len(cols)
        rows.append(header)
        for row in table["rows"]:
            cells = [Cell(row["label"])] + _value_cells(values[key][row["key"]], [c["key"] for c in cols])
            cells[-1].colspan = 4 - len(cols)
            rows.append(cells)
    return rows


def _t2_plain(template_id: str, values: Values, key: str) -> Table:
    table = _tables(template_id)[key]
    cols = _data_columns(table)
    rows: Table = [[Cell("信息内容", header=True)] + [Cell(c["label"], header=True) for c in cols]]
    for row in table["rows"]:
        rows.append([Cell(row["label"])] + _value_cells(values[key][row["key"]], [c["key"] for c in cols]))
    return rows


def _t3_header_published() -> Table:
    return [
        [Cell(NOTE, rowspan=3, colspan=3, header=True), Cell("申请人情况", colspan=7, header=True)],
        [Cell("自然人", rowspan=2, header=True), Cell("法人或其他组织", colspan=5, header=True),
         Cell("总计", rowspan=2, header=True)],
        [Cell(label, header=True) for label in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")],
    ]


def _t3_body_published(template_id: str, values: Values) -> Table:
    table = _tables(template_id)["t3_applications"]
    cols = [c["key"] for c in _data_columns(table)]
    data = values["t3_applications"]
    under_results = [r for r in table["rows"] if r.get("parents") and r["parents"][0] == RESULTS]
    sub_sizes: dict[str, int] = {}
    for r in under_results:
        if len(r["parents"]) > 1:
            sub_sizes[r["parents"][1]] = sub_sizes.get(r["parents"][1], 0) + 1
    rows: Table = []
    results_started = False
    seen_sub: set[str] = set()
    for r in table["rows"]:
        cells: list[Cell] = []
        parents = r.get("parents") or []
        if not parents:
            cells.append(Cell(r["label"], colspan=3))
        else:
            if not results_started:
                cells.append(Cell(RESULTS, rowspan=len(under_results)))
                results_started = True
            if len(parents) > 1:
                if parents[1] not in seen_sub:
                    cells.append(Cell(parents[1], rowspan=sub_sizes[parents[1]]))
                    seen_sub.add(parents[1])
                cells.append(Cell(r["label"]))
            else:
                cells.append(Cell(r["label"], colspan=2))
        rows.append(cells + _value_cells(data[r["key"]], cols))
    return rows


def _t3_plain(template_id: str, values: Values) -> Table:
    table = _tables(template_id)["t3_applications"]
    cols = _data_columns(table)
    rows: Table = [[Cell("项目", header=True)] + [Cell(c["label"], header=True) for c in cols]]
    for r in table["rows"]:
        rows.append([Cell(r["label"])] + _value_cells(values["t3_applications"][r["key"]], [c["key"] for c in cols]))
    return rows


def _t4_published(values: Values, table: dict[str, Any]) -> Table:
    leaves = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
    return [
        [Cell("行政复议", colspan=5, header=True), Cell("行政诉讼", colspan=10, header=True)],
        [Cell(label, rowspan=2, header=True) for label in leaves]
        + [Cell("未经复议直接起诉", colspan=5, header=True), Cell("复议后起诉", colspan=5, header=True)],
        [Cell(label, header=True) for label in leaves * 2],
        _value_cells(values["t4_review_litigation"]["counts"], [c["key"] for c in table["columns"]]),
    ]


def _t4_plain(values: Values, table: dict[str, Any]) -> Table:
    cols = table["columns"]
    return [
        [Cell("行政复议" if c["group"] == ["行政复议"] else "行政诉讼", header=True) for c in cols],
        [Cell(c["group"][1] if len(c["group"]) > 1 else "", header=True) for c in cols],
        [Cell(c["label"], header=True) for c in cols],
        _value_cells(values["t4_review_litigation"]["counts"], [c["key"] for c in cols]),
    ]


# --------------------------------------------------------------------------------------------- markup
_WORD_SPLITS = {"商业企业": ("商业", "企业"), "科研机构": ("科研", "机构"), "本年新制作数量": ("本年新", "制作数量")}
_WORD_TD = ("border:solid windowtext 1.0pt;mso-border-alt:solid windowtext .5pt;"
            "padding:0cm 5.4pt 0cm 5.4pt;mso-border-top-alt:solid windowtext .5pt")


def _word_text(cell: Cell) -> str:
    text = cell.text
    if cell.column in AMOUNT_COLUMNS and text not in ("/", "") and cell.column:
        yuan = (Decimal(text) * 10000).normalize()
        text = f"{format(yuan, 'f')}元"
    if text in _WORD_SPLITS:
        a, b = _WORD_SPLITS[text]
        return (f"<p class=MsoNormal align=center style='text-align:center'><span style='font-family:宋体'>{a}"
                f"</span></p><p class=MsoNormal align=center style='text-align:center'><span style='font-family:"
                f"宋体'>{b}<o:p></o:p></span></p>")
    text = text.replace("（", "(").replace("）", ")").replace("“", '"').replace("”", '"')
    span = "<span lang=EN-US style='font-size:10.5pt;mso-bidi-font-family:\"Times New Roman\"'>"
    return (f"<p class=MsoNormal align=center style='text-align:center;mso-pagination:widow-orphan'>{span}"
            f"{html_lib.escape(text, quote=False)}</span><span style='font-family:宋体'><o:p></o:p></span></p>")


def _table_html(table: Table, style: str, blank_zeros: bool = False, css_class: str = "") -> str:
    parts = [f"<table border=1 cellspacing=0 cellpadding=0{f' class={css_class}' if css_class else ''}"
             + (" class=MsoNormalTable style='border-collapse:collapse;mso-yfti-tbllook:1184'>" if style == "word"
                else ">")]
    blank_toggle = False
    for r, row in enumerate(table):
        parts.append(f"<tr style='mso-yfti-irow:{r}'>" if style == "word" else "<tr>")
        for cell in row:
            tag = "th" if cell.header and style == "plain" else "td"
            attrs = ""
            if cell.rowspan > 1:
                attrs += f" rowspan={cell.rowspan}"
            if cell.colspan > 1:
                attrs += f' colspan="{cell.colspan}"'
            if style == "word":
                attrs += f" valign=top style='{_WORD_TD}'"
                inner = _word_text(cell)
            else:
                inner = html_lib.escape(cell.text, quote=False)
                if cell.text in ("商业企业", "科研机构") and style == "published":
                    inner = f"{cell.text[:2]}<br>{cell.text[2:]}"
            if blank_zeros and cell.column is not None and cell.text == "0":
                blank_toggle = not blank_toggle
                inner = "&nbsp;" if blank_toggle else ""
            parts.append(f"<{tag}{attrs}>{inner}</{tag}>")
        parts.append("</tr>")
    parts.append("</table>")
    return "".join(parts)


def render_tables_html(template_id: str, values_by_table: Values, layout: str) -> str:
    """The standard tables of ``values_by_table`` as an HTML fragment in ``layout`` (see LAYOUTS)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")
    tables = _tables(template_id)
    t2_keys = [k for k in tables if k.startswith("t2") and k in values_by_table]
    has_t3 = "t3_applications" in values_by_table
    has_t4 = "t4_review_litigation" in values_by_table
    style = "word" if layout == "word" else ("plain" if layout == "plain" else "published")
    blank = layout == "blank_zeros"
    out: list[str] = []

    def heading(kind: str) -> None:
        if style == "word":
            out.append(f"<p class=MsoNormal style='text-indent:32.0pt'><b><span style='font-family:黑体'>"
                       f"{SECTION_HEADINGS[kind]}<o:p></o:p></span></b></p>")
        else:
            out.append(f"<p><strong>{SECTION_HEADINGS[kind]}</strong></p>")

    if t2_keys:
        heading("t2")
        if layout == "plain":
            for key in t2_keys:
                out.append(f"<p>{SUBTITLES[key]}</p>")
                out.append(_table_html(_t2_plain(template_id, values_by_table, key), style))
        elif layout == "split":
            for key in t2_keys:
                out.append(_table_html(_t2_published(template_id, values_by_table, [key]), style))
        else:
            out.append(_table_html(_t2_published(template_id, values_by_table, t2_keys), style, blank))
    if has_t3:
        heading("t3")
        if layout == "plain":
            out.append(_table_html(_t3_plain(template_id, values_by_table), style))
        else:
            header, body = _t3_header_published(), _t3_body_published(template_id, values_by_table)
            if layout in ("split", "repeated_header"):
                cut = 3 + len(body) // 2  # inside the 三、本年度办理结果 block: spans must not cross the cut
                first, second = _split_rows(header + body, cut)
                if layout == "repeated_header":
                    second = _t3_header_published() + second
                out.append(_table_html(first, style))
                if layout == "repeated_header":
                    out.append("<p>（续表）</p>")
                out.append(_table_html(second, style))
            else:
                out.append(_table_html(header + body, style, blank))
    if has_t4:
        heading("t4")
        table = tables["t4_review_litigation"]
        rows = _t4_plain(values_by_table, table) if layout == "plain" else _t4_published(values_by_table, table)
        out.append(_table_html(rows, style, blank))
    fragment = "\n".join(out)
    if layout == "word":
        return f"<div class=WordSection1 style='layout-grid:15.6pt'>\n{fragment}\n</div>"
    if layout == "nested":
        return (f"<table class=layout width='100%'><tr><td class=nav>导航</td></tr>"
                f"<tr><td class=content>\n{fragment}\n</td></tr></table>")
    return fragment


def _split_rows(rows: Table, cut: int) -> tuple[Table, Table]:
    """Split a table before row ``cut``; spans crossing the cut are shortened and re-opened below it."""
    first = [[copy.copy(c) for c in row] for row in rows[:cut]]
    second = [[copy.copy(c) for c in row] for row in rows[cut:]]
    # Re-open rowspans that cross the cut: compute slot owners of the full table.
    owners: dict[tuple[int, int], tuple[int, int]] = {}
    for r, row in enumerate(rows):
        c = 0
        for i, cell in enumerate(row):
            while (r, c) in owners:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    owners[(r + dr, c + dc)] = (r, i)
            c += cell.colspan
    carried: list[tuple[int, Cell]] = []  # (column, cell) to prepend in the first row of the second part
    for r, row in enumerate(first):
        for i, cell in enumerate(row):
            if r + cell.rowspan > cut:
                col = next(c for (rr, c), owner in sorted(owners.items()) if owner == (r, i) and rr == r)
                below = r + cell.rowspan - cut
                cell.rowspan = cut - r
                carried.append((col, Cell(cell.text, rowspan=below, colspan=cell.colspan)))
    if carried and second:
        second[0] = [c for _, c in sorted(carried, key=lambda x: x[0])] + second[0]
    return first, second


def render_tables_text(template_id: str, values_by_table: Values, style: str = "flattened") -> str:
    """The tables as text: ``flattened`` pipe rows with spans dropped (seed 003 style) or ``markdown``."""
    tables = _tables(template_id)
    lines: list[str] = []
    t2_keys = [k for k in tables if k.startswith("t2") and k in values_by_table]
    if style == "flattened":
        blocks = [("t2", _t2_published(template_id, values_by_table, t2_keys))] if t2_keys else []
        if "t3_applications" in values_by_table:
            blocks.append(("t3", _t3_header_published() + _t3_body_published(template_id, values_by_table)))
        if "t4_review_litigation" in values_by_table:
            blocks.append(("t4", _t4_published(values_by_table, tables["t4_review_litigation"])))
        for kind, rows in blocks:
            lines.append(SECTION_HEADINGS[kind])
            width = max(sum(c.colspan for c in row) for row in rows)
            for row in rows:
                cells = [c.text for c in row]
                lines.append(" | ".join(cells) + " |" + "|" * (width - len(cells)))
    elif style == "markdown":
        blocks = []
        for key in t2_keys:
            blocks.append((SUBTITLES[key], _t2_plain(template_id, values_by_table, key)))
        if "t3_applications" in values_by_table:
            blocks.append((SECTION_HEADINGS["t3"], _t3_plain(template_id, values_by_table)))
        if "t4_review_litigation" in values_by_table:
            blocks.append((SECTION_HEADINGS["t4"], _t4_plain(values_by_table, tables["t4_review_litigation"])))
        for title, rows in blocks:
            lines.append(title)
            lines.append("")
            for i, row in enumerate(rows):
                lines.append("| " + " | ".join(c.text for c in row) + " |")
                if i == 0:
                    lines.append("|" + "---|" * len(row))
            lines.append("")
    else:
        raise ValueError(f"unknown text style {style!r}; expected 'flattened' or 'markdown'")
    return "\n".join(lines)


def published_structures(template_id: str, values_by_table: Values) -> list[tuple[str, Table]]:
    """The published table structures as (heading, rows of Cell with spans), for renderers other than HTML."""
    tables = _tables(template_id)
    out: list[tuple[str, Table]] = []
    t2_keys = [k for k in tables if k.startswith("t2") and k in values_by_table]
    if t2_keys:
        out.append((SECTION_HEADINGS["t2"], _t2_published(template_id, values_by_table, t2_keys)))
    if "t3_applications" in values_by_table:
        out.append((SECTION_HEADINGS["t3"],
                    _t3_header_published() + _t3_body_published(template_id, values_by_table)))
    if "t4_review_litigation" in values_by_table:
        out.append((SECTION_HEADINGS["t4"], _t4_published(values_by_table, tables["t4_review_litigation"])))
    return out


def to_matrix(table: Table) -> tuple[list[list[str]], list[tuple[tuple[int, int], tuple[int, int]]]]:
    """A span table as a full text matrix (text in each span's top-left slot only) plus the spans as
    ((col0, row0), (col1, row1)) boxes, the shape reportlab's ``SPAN`` style wants."""
    owners: dict[tuple[int, int], str | None] = {}
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for r, row in enumerate(table):
        c = 0
        for cell in row:
            while (r, c) in owners:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    owners[(r + dr, c + dc)] = cell.text if (dr, dc) == (0, 0) else None
            if cell.rowspan > 1 or cell.colspan > 1:
                spans.append(((c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
            c += cell.colspan
    height = 1 + max(r for r, _ in owners)
    width = 1 + max(c for _, c in owners)
    matrix = [[owners.get((r, c)) or "" for c in range(width)] for r in range(height)]
    return matrix, spans


def render_tables_pdf(template_id: str, values_by_table: Values) -> bytes:
    """The published tables as a real PDF (reportlab, built-in STSong-Light CID font), one table per section."""
    import io

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    heading_style = ParagraphStyle("h", fontName="STSong-Light", fontSize=10, leading=14)
    story: list[Any] = []
    for heading, table in published_structures(template_id, values_by_table):
        matrix, spans = to_matrix(table)
        pdf_table = PdfTable(matrix, repeatRows=0)
        style = [("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("FONTSIZE", (0, 0), (-1, -1), 5),
                 ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        style += [("SPAN", start, end) for start, end in spans]
        pdf_table.setStyle(TableStyle(style))
        story += [Paragraph(heading, heading_style), Spacer(1, 4), pdf_table, Spacer(1, 10)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=20, rightMargin=20).build(story)
    return buffer.getvalue()
