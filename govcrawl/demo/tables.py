"""Adapter between the report generator and the standard-table renderer (``govcrawl.demo.table_layouts``).

Values are ``{table_key: {row_key: {col_key: number}}}``: consistent random values for a report, all zeros for a
零报告 (no applications, no reviews, nothing published in the table 二 categories).
"""

from __future__ import annotations

import random
from typing import Any

from govcrawl.demo import table_layouts
from govcrawl.formats import template

LAYOUTS: tuple[str, ...] = table_layouts.LAYOUTS

SECTION_OF_TABLE = {
    "t2_art20_1": "二",
    "t2_art20_5": "二",
    "t2_art20_6": "二",
    "t2_art20_8": "二",
    "t2_art20_9": "二",
    "t3_applications": "三",
    "t4_review_litigation": "四",
}

SECTION_HEADINGS = {
    "二": "二、主动公开政府信息情况",
    "三": "三、收到和处理政府信息公开申请情况",
    "四": "四、政府信息公开行政复议、行政诉讼情况",
}

Values = dict[str, dict[str, dict[str, Any]]]


def values_for(template_id: str, rng: random.Random, zero: bool = False) -> Values:
    """Values satisfying the template's checks (all zero for a 零报告)."""
    if zero:
        return _zero_values(template_id, rng)
    return table_layouts.random_consistent_values(template_id, rng)


def render(template_id: str, values: Values, layout: str) -> dict[str, str]:
    """HTML of each report section holding standard tables ("二", "三", "四"), its heading included."""
    out = {}
    for section in ("二", "三", "四"):
        subset = {k: v for k, v in values.items() if SECTION_OF_TABLE.get(k) == section}
        out[section] = table_layouts.render_tables_html(template_id, subset, layout)
    return out


_T3_SUMS = ("new_received", "carried_over", "result_total", "carry_to_next")
_T3_DRAWN = ("result_open", "result_partial", "unavailable_not_held")


def _zero_values(template_id: str, rng: random.Random) -> Values:
    """Every cell of every table 0. Table 三 draws one random number per leaf cell and discards it, as the
    portal's generator always has: the seeded portal's later random choices stay what they were."""
    values: Values = {}
    for table in template(template_id)["tables"]:
        key = table["key"]
        if key == "t3_applications":
            columns = [c["key"] for c in table["columns"] if c["key"] != "total"]
            leaves = [r["key"] for r in table["rows"] if r["key"] not in _T3_SUMS]
            rows: dict[str, dict[str, Any]] = {r["key"]: {} for r in table["rows"]}
            for column in columns:
                for leaf in leaves:
                    rng.randint(0, 0) if leaf in _T3_DRAWN else rng.choice([0, 0, 0, 0])
                    rows[leaf][column] = 0
                for row_key in ("result_total", "carried_over", "carry_to_next", "new_received"):
                    rows[row_key][column] = 0
            for row in rows.values():
                row["total"] = 0
            values[key] = rows
        elif key == "t4_review_litigation":
            counts: dict[str, Any] = {}
            for group in ("review", "suit_direct", "suit_after_review"):
                for name in ("upheld", "corrected", "other", "pending", "total"):
                    counts[f"{group}_{name}"] = 0
            values[key] = {"counts": counts}
        else:
            data_columns = [c["key"] for c in table["columns"] if c["key"] != "content_item"]
            values[key] = {r["key"]: dict.fromkeys(data_columns, 0) for r in table["rows"]}
    return values
