"""Property tests: random consistent table values, rendered in real-world layouts, read back exactly.

HTML path: render_tables_html -> html_tables_to_grids (lxml) -> read_standard_tables.
Text path: flattened pipe rows (seed 003 style) and Markdown.  PDF path: a real PDF built with reportlab, read
with pdfplumber's table extraction.  Inconsistent values must make exactly the intended check fail.
"""

from __future__ import annotations

import io
import random

import jsonschema
import pdfplumber
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govcrawl.demo.table_layouts import (
    CHECK_IDS,
    LAYOUTS,
    make_inconsistent,
    random_consistent_values,
    render_tables_html,
    render_tables_pdf,
    render_tables_text,
)
from govcrawl.extract.pdf import grids_from_pdf_tables
from govcrawl.extract.tables import html_tables_to_grids
from govcrawl.parser.tables import (
    check_tables,
    figures_from_tables,
    read_standard_tables,
    read_tables_from_grids,
)

TEMPLATES = st.sampled_from(["gbf_2019", "gbf_2021"])
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _values(result) -> dict:
    return {key: table["values"] for key, table in result.tables.items()}


def test_at_least_five_layouts() -> None:
    assert len(LAYOUTS) >= 5
    assert {"plain", "published", "word", "split", "blank_zeros"} <= set(LAYOUTS)


@PROPERTY
@given(template_id=TEMPLATES, seed=SEEDS, layout=st.sampled_from(LAYOUTS))
def test_html_layouts_round_trip_exactly(template_id: str, seed: int, layout: str) -> None:
    values = random_consistent_values(template_id, random.Random(seed))
    page = f"<html><body><div id=zoom>{render_tables_html(template_id, values, layout)}</div></body></html>"
    result = read_standard_tables(html_tables_to_grids(page), "")
    assert result.template == template_id
    assert _values(result) == values
    assert result.issues == []
    assert all(check["ok"] for check in check_tables(result.tables, result.template))
    for table in result.tables.values():
        assert table["missing_rows"] == [] and table["missing_columns"] == []
    jsonschema.validate(result.tables, _tables_schema())


@PROPERTY
@given(template_id=TEMPLATES, seed=SEEDS)
def test_blank_zeros_are_zero_and_recorded(template_id: str, seed: int) -> None:
    values = random_consistent_values(template_id, random.Random(seed))
    result = read_standard_tables(html_tables_to_grids(render_tables_html(template_id, values, "blank_zeros")), "")
    assert _values(result) == values
    for key, table in result.tables.items():
        zeros = {(r, c) for r, cells in values[key].items() for c, v in cells.items() if v == 0}
        assert {tuple(cell) for cell in table["blank_cells"]} == zeros


@PROPERTY
@given(template_id=TEMPLATES, seed=SEEDS, style=st.sampled_from(["flattened", "markdown"]))
def test_text_tables_round_trip_exactly(template_id: str, seed: int, style: str) -> None:
    values = random_consistent_values(template_id, random.Random(seed))
    text = "一、总体情况\n正文。\n" + render_tables_text(template_id, values, style) + "\n五、存在的主要问题及改进情况\n无。"
    result = read_standard_tables(None, text)
    assert result.template == template_id
    assert _values(result) == values
    assert all(table["source"] == "text" for table in result.tables.values())


@PROPERTY
@given(template_id=TEMPLATES, seed=SEEDS, check=st.sampled_from(CHECK_IDS),
       layout=st.sampled_from(["published", "word", "plain"]))
def test_inconsistent_values_fail_exactly_the_intended_check(template_id: str, seed: int, check: str,
                                                             layout: str) -> None:
    rng = random.Random(seed)
    bad = make_inconsistent(template_id, random_consistent_values(template_id, rng), check, rng)
    result = read_standard_tables(html_tables_to_grids(render_tables_html(template_id, bad, layout)), "")
    assert _values(result) == bad  # numbers read as printed, never repaired
    outcome = {c["rule"]: c["ok"] for c in check_tables(result.tables, result.template)}
    assert outcome == {rule: rule != check for rule in CHECK_IDS}


@PROPERTY
@given(template_id=TEMPLATES, seed=SEEDS)
def test_figures_follow_the_tables(template_id: str, seed: int) -> None:
    values = random_consistent_values(template_id, random.Random(seed))
    result = read_standard_tables(html_tables_to_grids(render_tables_html(template_id, values, "published")), "")
    t3, t4 = values["t3_applications"], values["t4_review_litigation"]["counts"]
    assert figures_from_tables(result.tables) == {
        "applications_new_total": t3["new_received"]["total"],
        "applications_carried_total": t3["carried_over"]["total"],
        "granted_total": t3["result_open"]["total"] + t3["result_partial"]["total"],
        "results_total": t3["result_total"]["total"],
        "carried_next_total": t3["carry_to_next"]["total"],
        "review_total": t4["review_total"],
        "litigation_direct_total": t4["suit_direct_total"],
        "litigation_after_review_total": t4["suit_after_review_total"],
    }


@pytest.mark.parametrize("template_id", ["gbf_2019", "gbf_2021"])
@pytest.mark.parametrize("seed", [1, 2])
def test_pdf_tables_via_pdfplumber(template_id: str, seed: int) -> None:
    """A real PDF (reportlab, merged cells drawn with SPAN) read back through pdfplumber's extract_tables."""
    values = random_consistent_values(template_id, random.Random(seed))
    pdf = render_tables_pdf(template_id, values)
    raw_tables = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            raw_tables.extend(page.extract_tables())
    assert any(cell is None for table in raw_tables for row in table for cell in row)  # merged cells seen
    result = read_tables_from_grids(grids_from_pdf_tables(raw_tables), source="pdf")
    assert result.template == template_id
    assert _values(result) == values
    assert {table["source"] for table in result.tables.values()} == {"pdf"}


_LABELS = ["一、本年新收政府信息公开申请数量", "（七）总计", "自然人", "商业企业", "总计", "结果维持", "行政复议",
           "行政诉讼", "申请人情况", "第二十条第（一）项", "信息内容", "规章", "3.其他", "四、结转下年度继续办理",
           "其他", "（本列数据的勾稽关系为：…）", "三、收到和处理政府信息公开申请情况"]
_CELLS = st.one_of(st.sampled_from(_LABELS), st.sampled_from(["", "0", "12", "/", "—", "无", "1.5万元", "十二"]),
                   st.text(max_size=6))
_GRIDS = st.lists(st.lists(st.lists(_CELLS, min_size=0, max_size=12), max_size=12), max_size=4)


def _tables_schema() -> dict:
    import json
    from importlib import resources

    schema = json.loads(resources.files("govcrawl.schema").joinpath("report.schema.json").read_text("utf-8"))
    return schema["properties"]["tables"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids=_GRIDS, text=st.text(alphabet=st.sampled_from(list("|\n 0123自然人总计结果维持行政复议诉讼")),
                                  max_size=200))
def test_arbitrary_grids_and_text_never_raise_and_fit_the_schema(grids, text) -> None:
    result = read_standard_tables(grids, text)
    jsonschema.validate(result.tables, _tables_schema())
    for check in check_tables(result.tables, result.template):
        assert isinstance(check["ok"], bool) and check["detail"]
    assert set(figures_from_tables(result.tables)) <= {
        "applications_new_total", "applications_carried_total", "granted_total", "results_total",
        "carried_next_total", "review_total", "litigation_direct_total", "litigation_after_review_total"}


@pytest.mark.parametrize("template_id", ["gbf_2019", "gbf_2021"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_zero_report_in_every_layout(template_id: str, layout: str) -> None:
    """A 零报告 (every cell 0): with blank zeros even table 四's data row is one empty row."""
    values = random_consistent_values(template_id, random.Random(0))
    zeros = {t: {r: dict.fromkeys(cells, 0) for r, cells in rows.items()} for t, rows in values.items()}
    result = read_standard_tables(html_tables_to_grids(render_tables_html(template_id, zeros, layout)), "")
    assert result.template == template_id
    assert _values(result) == zeros
    assert all(check["ok"] for check in check_tables(result.tables, result.template))
    if layout == "blank_zeros":
        assert len(result.tables["t4_review_litigation"]["blank_cells"]) == 15


def _mutated_grids(template_id: str, seed: int) -> list:
    """Rendered tables with random cells blanked/replaced by junk and whole rows/columns dropped."""
    rng = random.Random(seed)
    values = random_consistent_values(template_id, rng)
    grids = html_tables_to_grids(render_tables_html(template_id, values, rng.choice(LAYOUTS)))
    out = []
    for grid in grids:
        rows = [list(row) for row in grid if rng.random() > 0.1]
        for row in rows:
            for i in range(len(row)):
                if rng.random() < 0.1:
                    row[i] = rng.choice(["", "—", "abc", "12件", "总计", "结果维持", "商业", *_LABELS])
        if rows and rng.random() < 0.3:
            drop = rng.randrange(len(rows[0]))
            rows = [row[:drop] + row[drop + 1:] for row in rows]
        out.append(rows)
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template_id=TEMPLATES, seed=SEEDS, hint=st.sampled_from([None, "gbf_2019", "gbf_2021"]))
def test_quality_bound_bounds_every_block_read(template_id: str, seed: int, hint: str | None) -> None:
    """The bound that lets the reader skip the losing template: never below a block's actual read score, and a
    read that uses it picks the same template and tables as reading both templates in full."""
    from govcrawl.parser import tables as tables_module
    from govcrawl.parser.tables.mapping import map_block, quality_bound
    from govcrawl.parser.tables.segmentation import segment

    grids = _mutated_grids(template_id, seed)
    blocks = segment(tables_module._clean_grids(grids))
    for block in blocks:
        for template in ("gbf_2019", "gbf_2021"):
            mapped = map_block(block, template, "html")
            assert quality_bound(block, template) >= (mapped.score if mapped else 0.0) - 1e-9
    fast = read_standard_tables(grids, "", template_hint=hint)
    real_bound = tables_module.quality_bound
    try:
        tables_module.quality_bound = lambda block, template, memo=None: float("inf")  # never skip: both templates read
        full = read_standard_tables(grids, "", template_hint=hint)
    finally:
        tables_module.quality_bound = real_bound
    assert (fast.template, fast.tables, fast.issues) == (full.template, full.tables, full.issues)
