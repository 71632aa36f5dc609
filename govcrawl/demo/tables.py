"""Adapter between the report generator and the standard-table renderer.

The tables area owns ``govcrawl.demo.table_layouts`` (``render_tables_html`` / ``random_consistent_values``,
with many real-world layouts). When it is importable it is used; otherwise a plain renderer below draws the
official layout, so the portal works either way. Values are ``{table_key: {row_key: {col_key: number}}}``.
"""

from __future__ import annotations

import random
from typing import Any

from govcrawl.formats import template

try:  # owned by the tables area; may land later than this module
    from govcrawl.demo import table_layouts as _layouts
except ImportError:  # pragma: no cover - depends on another area's progress
    _layouts = None

LAYOUTS: tuple[str, ...] = tuple(getattr(_layouts, "LAYOUTS", ("official",))) if _layouts else ("official",)

SECTION_OF_TABLE = {
    "t2_art20_1": "二",
    "t2_art20_5": "二",
    "t2_art20_6": "二",
    "t2_art20_8": "二",
    "t2_art20_9": "二",
    "t3_applications": "三",
    "t4_review_litigation": "四",
}

Values = dict[str, dict[str, dict[str, Any]]]


def values_for(template_id: str, rng: random.Random, zero: bool = False) -> Values:
    """Values satisfying the template's checks (all zero for a 零报告)."""
    if _layouts is not None and not zero:
        return _layouts.random_consistent_values(template_id, rng)
    return _plain_values(template_id, rng, zero)


SECTION_HEADINGS = {
    "二": "二、主动公开政府信息情况",
    "三": "三、收到和处理政府信息公开申请情况",
    "四": "四、政府信息公开行政复议、行政诉讼情况",
}


def render(template_id: str, values: Values, layout: str) -> dict[str, str]:
    """HTML of each report section holding standard tables ("二", "三", "四"), its heading included."""
    if _layouts is not None:
        out = {}
        for section in ("二", "三", "四"):
            subset = {k: v for k, v in values.items() if SECTION_OF_TABLE.get(k) == section}
            out[section] = _layouts.render_tables_html(template_id, subset, layout)
        return out
    plain = _plain_render(template_id, values)
    return {s: f"<p><strong>{SECTION_HEADINGS[s]}</strong></p>\n{html}" for s, html in plain.items()}


def _plain_values(template_id: str, rng: random.Random, zero: bool) -> Values:
    values: Values = {}
    for table in template(template_id)["tables"]:
        key = table["key"]
        data_columns = [c["key"] for c in table["columns"] if c["key"] != "content_item"]
        if key == "t3_applications":
            values[key] = _t3_values(table, rng, zero)
        elif key == "t4_review_litigation":
            row: dict[str, Any] = {}
            for group in ("review", "suit_direct", "suit_after_review"):
                parts = [0 if zero else rng.choice([0, 0, 0, 1, 2]) for _ in range(4)]
                for name, value in zip(("upheld", "corrected", "other", "pending"), parts, strict=True):
                    row[f"{group}_{name}"] = value
                row[f"{group}_total"] = sum(parts)
            values[key] = {"counts": row}
        else:
            values[key] = {
                r["key"]: {c: (0 if zero else rng.randint(0, 400)) for c in data_columns} for r in table["rows"]
            }
    return values


def _t3_values(table: dict[str, Any], rng: random.Random, zero: bool) -> dict[str, dict[str, Any]]:
    columns = [c["key"] for c in table["columns"] if c["key"] != "total"]
    leaves = [r["key"] for r in table["rows"] if r["key"] not in ("new_received", "carried_over", "result_total", "carry_to_next")]
    rows: dict[str, dict[str, Any]] = {r["key"]: {} for r in table["rows"]}
    for column in columns:
        scale = 0 if zero else (30 if column == "natural_person" else rng.choice([0, 1, 3, 6]))
        for leaf in leaves:
            rows[leaf][column] = rng.randint(0, scale) if leaf in ("result_open", "result_partial", "unavailable_not_held") else rng.choice([0, 0, 0, min(scale, 1)])
        total = sum(rows[leaf][column] for leaf in leaves)
        carried = 0 if zero else rng.randint(0, min(total, 2))
        carry_next = 0 if zero else rng.randint(0, 2)
        rows["result_total"][column] = total
        rows["carried_over"][column] = carried
        rows["carry_to_next"][column] = carry_next
        rows["new_received"][column] = total + carry_next - carried
    for row in rows.values():
        row["total"] = sum(row[c] for c in columns)
    return rows


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _plain_render(template_id: str, values: Values) -> dict[str, str]:
    out = {"二": [], "三": [], "四": []}
    for table in template(template_id)["tables"]:
        key = table["key"]
        section = SECTION_OF_TABLE[key]
        data = values.get(key, {})
        if key.startswith("t2"):
            cols = [c for c in table["columns"] if c["key"] != "content_item"]
            html = ['<table border="1" cellspacing="0" cellpadding="0" width="100%">']
            html.append(f'<tr><td colspan="{len(cols) + 1}">{table["subtitle"]}</td></tr>')
            html.append("<tr><td>信息内容</td>" + "".join(f"<td>{c['label']}</td>" for c in cols) + "</tr>")
            for row in table["rows"]:
                cells = "".join(f"<td>{_cell(data.get(row['key'], {}).get(c['key']))}</td>" for c in cols)
                html.append(f"<tr><td>{row['label']}</td>{cells}</tr>")
            html.append("</table>")
            out[section].append("".join(html))
        elif key == "t3_applications":
            cols = [c["key"] for c in table["columns"]]
            html = ['<table border="1" cellspacing="0" cellpadding="0" width="100%">']
            html.append(f'<tr><td colspan="3" rowspan="3">{table["header_note_cell"]}</td><td colspan="7">申请人情况</td></tr>')
            html.append('<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>')
            html.append("<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>")
            for row in table["rows"]:
                label_cells = "".join(f"<td>{p}</td>" for p in row.get("parents", []))
                span = 3 - len(row.get("parents", []))
                label_cells += f'<td colspan="{span}">{row["label"]}</td>' if span > 1 else f"<td>{row['label']}</td>"
                numbers = "".join(f"<td>{_cell(data.get(row['key'], {}).get(c))}</td>" for c in cols)
                html.append(f"<tr>{label_cells}{numbers}</tr>")
            html.append("</table>")
            out[section].append("".join(html))
        else:
            counts = data.get("counts", {})
            html = ['<table border="1" cellspacing="0" cellpadding="0" width="100%">']
            html.append('<tr><td colspan="5" rowspan="2">行政复议</td><td colspan="10">行政诉讼</td></tr>')
            html.append('<tr><td colspan="5">未经复议直接起诉</td><td colspan="5">复议后起诉</td></tr>')
            html.append("<tr>" + "".join(f"<td>{c['label']}</td>" for c in table["columns"]) + "</tr>")
            html.append("<tr>" + "".join(f"<td>{_cell(counts.get(c['key']))}</td>" for c in table["columns"]) + "</tr>")
            html.append("</table>")
            out[section].append("".join(html))
    return {section: "\n".join(parts) for section, parts in out.items()}
