"""A group of rows printed as one row: 2021's （六）其他处理 without its three sub-rows (as the hzq PDFs print it).

The group's name is never matched onto one of its rows (其他处理 is not 3.其他, whose cell it would take): the
row is read as the group (``other_processing``), its rows are ``folded_rows`` rather than missing, and the
result-total check counts the group in their place. Printed above its sub-rows, the group is only a heading.
"""

from __future__ import annotations

from typing import Any

from benchmarks.real_reports import item_of, t3_total
from govcrawl.parser.tables import check_tables, read_tables_from_grids
from govcrawl.parser.tables.mapping import map_block
from govcrawl.parser.tables.segmentation import segment
from govcrawl.parser.tables.spec import table_specs

HEADER = [
    ["信息内容"] * 3 + ["申请人情况"] * 7,
    ["信息内容"] * 3 + ["自然人", "法人或其他组织", "法人或其他组织", "法人或其他组织", "法人或其他组织", "法人或其他组织", "总计"],
    ["信息内容"] * 3 + ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
]
OTHER_ROWS = ("other_no_correction", "other_fee_unpaid", "other_other")


def _row(label: str, n: int) -> list[str]:
    return [label] * 3 + [str(n), "0", "0", "0", "0", "0", str(n)]


def _grid(other_rows: list[list[str]]) -> list[list[str]]:
    """A 2021 表三 with 自然人 counts: 5 new; 2 open, 1 not held, 2 in 其他处理."""
    spec = table_specs("gbf_2021")["t3_applications"]
    counts = {"new_received": 5, "result_open": 2, "unavailable_not_held": 1, "result_total": 5}
    body = []
    for row in spec.rows:
        if row.key in OTHER_ROWS:
            if row.key == OTHER_ROWS[0]:
                body.extend(other_rows)
            continue
        body.append(_row(row.label or "", counts.get(row.key, 0)))
    return HEADER + body


def _read_2021(grid: list[list[str]]) -> dict[str, Any]:
    """表三 read against the 2021 template (a report of 2021 or later: its year and other tables say so)."""
    (block,) = segment([grid])
    mapped = map_block(block, "gbf_2021", "pdf")
    assert mapped is not None and mapped.key == "t3_applications"
    return {"t3_applications": mapped.table}


def test_alone_a_one_row_other_processing_table_is_the_2019_layout() -> None:
    result = read_tables_from_grids([_grid([_row("（六）其他处理", 2)])])
    assert result.template == "gbf_2019" and result.tables["t3_applications"]["missing_rows"] == []


def test_a_group_printed_as_one_row_is_the_group_not_its_last_row() -> None:
    tables = _read_2021(_grid([_row("（六）其他处理", 2)]))
    t3 = tables["t3_applications"]
    assert t3["template"] == "gbf_2021"
    assert t3["values"]["other_processing"]["total"] == 2
    assert not set(OTHER_ROWS) & set(t3["values"]), "其他处理 took no sub-row's place"
    assert t3["folded_rows"] == {"other_processing": list(OTHER_ROWS)}
    assert t3["missing_rows"] == []
    checks = {c["rule"]: c for c in check_tables(tables, "gbf_2021")}
    assert checks["t3_result_total"]["ok"] and "7 checked" in checks["t3_result_total"]["detail"]


def test_the_folded_group_still_fails_the_result_total_when_it_does_not_add_up() -> None:
    checks = {c["rule"]: c for c in check_tables(_read_2021(_grid([_row("（六）其他处理", 3)])), "gbf_2021")}
    assert not checks["t3_result_total"]["ok"] and "≠" in checks["t3_result_total"]["detail"]


def test_a_group_heading_above_its_rows_never_displaces_them() -> None:
    sub = [_row("（六）其他处理", 0)[:3] + [""] * 7,  # the heading row: a label and no value
           _row("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", 0),
           _row("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", 0),
           _row("3.其他", 2)]
    result = read_tables_from_grids([_grid(sub)])
    assert result.template == "gbf_2021"
    t3 = result.tables["t3_applications"]
    assert t3["values"]["other_other"]["total"] == 2, "3.其他 keeps its own cells"
    assert "other_processing" not in t3["values"] and "folded_rows" not in t3
    assert t3["missing_rows"] == []


def test_the_hzq_pdfs_read_other_processing_and_miss_no_row() -> None:
    for year in ("2023", "2024"):
        item = item_of(f"pdf/hzq_{year}_report.pdf")
        t3 = item["tables"]["t3_applications"]
        assert t3_total(item, "other_processing") == 0 and "other_other" not in t3["values"]
        assert t3["missing_rows"] == []
        assert {c["rule"]: c["ok"] for c in item["checks"]}["t3_result_total"] is True
