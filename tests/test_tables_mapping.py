"""Grid -> template mapping by label, cell values, checks, figures and the cross-year carry-over check."""

from __future__ import annotations

import pytest

from govcrawl.parser.tables import (
    carryover_check,
    check_tables,
    figures_from_tables,
    read_standard_tables,
    read_tables_from_grids,
)
from govcrawl.parser.tables.labels import core
from govcrawl.parser.tables.values import chinese_to_int, parse_cell

T3_HEADER = [
    ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"] * 3 + ["申请人情况"] * 7,
    ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"] * 3
    + ["自然人", "法人或其他组织", "法人或其他组织", "法人或其他组织", "法人或其他组织", "法人或其他组织", "总计"],
    ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"] * 3
    + ["自然人", "商业 企业", "科研\n机构", "社会公益组织", "法律服务机构", "其他", "总计"],
]


def _row(label: str | list[str], *numbers: str) -> list[str]:
    labels = [label] * 3 if isinstance(label, str) else label
    return labels + list(numbers)


def test_label_cores_fold_brackets_numbering_and_spaces() -> None:
    assert core("（一）予以公开") == core("(一)予以公开") == core("（一） 予以公开") == "予以公开"
    assert core("商业\n企业") == core("商业 企业") == "商业企业"
    assert core("3.危及“三安全一稳定”") == core('3、危及"三安全一稳定"') == "危及三安全一稳定"
    assert core("第二十条第（一）项") == core("第二十条第(一)项")


@pytest.mark.parametrize(("raw", "kind", "value"), [
    ("", "blank", 0), ("\u00a0", "blank", 0), ("0", "number", 0), ("0.00", "number", 0), ("1,234", "number", 1234),
    ("５", "number", 5), ("12件", "number", 12), ("—", "na", None), ("/", "na", None), ("-", "na", None),
    ("无", "none_word", 0), ("十二", "number", 12), ("一百零五", "number", 105), ("两", "number", 2),
    ("+3", "number", 3), ("-3", "number", -3), ("减少2", "number", -2), ("5949.088667", "number", 5949.088667),
    ("见附件", "text", None),
])
def test_cell_policy(raw: str, kind: str, value) -> None:
    cell = parse_cell(raw)
    assert (cell.kind, cell.value) == (kind, value)


def test_chinese_numerals() -> None:
    assert [chinese_to_int(x) for x in ("十", "二十", "一千零一", "三万五千", "二〇二三", "十x")] == [
        10, 20, 1001, 35000, 2023, None]


def _t3_grid(body: list[list[str]]) -> list[list[str]]:
    return T3_HEADER + body


def test_t3_mapping_by_label_with_shuffled_columns_and_half_width_brackets() -> None:
    # columns in a non-template order and rows with half-width brackets: values must follow the labels
    header = [["项目", "总计", "其他", "法律服务机构", "社会公益组织", "科研机构", "商业企业", "自然人"]]
    body = [
        ["一、本年新收政府信息公开申请数量", "10", "1", "0", "0", "2", "3", "4"],
        ["(一)予以公开", "6", "0", "0", "0", "1", "2", "3"],
        ["(七)总计", "6", "0", "0", "0", "1", "2", "3"],
    ]
    result = read_tables_from_grids([header + body])
    t3 = result.tables["t3_applications"]
    assert t3["values"]["new_received"] == {"total": 10, "other_org": 1, "legal_service_org": 0,
                                            "public_welfare_org": 0, "research_institution": 2,
                                            "commercial_enterprise": 3, "natural_person": 4}
    assert t3["values"]["result_open"]["natural_person"] == 3
    assert "carry_to_next" in t3["missing_rows"]
    assert t3["missing_columns"] == []


def test_missing_columns_and_rows_are_reported() -> None:
    header = [["项目", "自然人", "商业企业", "总计"]]
    body = [["一、本年新收政府信息公开申请数量", "1", "2", "3"], ["四、结转下年度继续办理", "0", "0", "0"]]
    result = read_tables_from_grids([header + body])
    t3 = result.tables["t3_applications"]
    assert t3["missing_columns"] == ["research_institution", "public_welfare_org", "legal_service_org", "other_org"]
    assert "carried_over" in t3["missing_rows"] and "result_total" in t3["missing_rows"]
    assert any("missing columns research_institution" in issue for issue in result.issues)
    checks = {c["rule"]: c for c in check_tables(result.tables, result.template)}
    assert checks["t3_balance"]["ok"] is False and "cannot check" in checks["t3_balance"]["detail"]


def test_values_na_none_word_units_and_raw_cells() -> None:
    body = [
        _row("一、本年新收政府信息公开申请数量", "/", "无", "", "0.00", "十二", "—", "12"),
        _row(["三、本年度办理结果", "（一）予以公开", "（一）予以公开"], "见附件", "0", "0", "0", "0", "0", "0"),
    ]
    result = read_tables_from_grids([_t3_grid(body)])
    t3 = result.tables["t3_applications"]
    assert t3["values"]["new_received"] == {"natural_person": None, "commercial_enterprise": 0,
                                            "research_institution": 0, "public_welfare_org": 0,
                                            "legal_service_org": 12, "other_org": None, "total": 12}
    assert t3["blank_cells"] == [["new_received", "research_institution"]]
    assert t3["raw_cells"]["new_received"] == {"natural_person": "/", "commercial_enterprise": "无",
                                               "public_welfare_org": "0.00", "legal_service_org": "十二",
                                               "other_org": "—"}
    assert t3["values"]["result_open"]["natural_person"] is None
    assert any("'见附件' is not a number" in issue for issue in result.issues)
    row_total = next(c for c in check_tables(result.tables, result.template) if c["rule"] == "t3_row_total")
    assert "not numeric new_received/natural_person" in row_total["detail"]


def test_amounts_normalised_to_10k_yuan_with_unit_kept() -> None:
    grid = [
        ["第二十条第（八）项", "", "", ""],
        ["信息内容", "上一年项目数量", "本年增/减", ""],
        ["行政事业性收费", "3", "-1", ""],
        ["第二十条第（九）项", "", "", ""],
        ["信息内容", "采购项目数量", "采购总金额", "采购总金额"],
        ["政府集中采购", "2", "251000元", "251000元"],
    ]
    result = read_tables_from_grids([grid])
    assert result.template == "gbf_2019"
    assert result.tables["t2_art20_8"]["values"] == {"administrative_fees": {"prev_year_items": 3, "change": -1}}
    t9 = result.tables["t2_art20_9"]
    assert t9["values"] == {"centralized_procurement": {"procurement_items": 2, "procurement_amount": 25.1}}
    assert t9["units"] == {"centralized_procurement": {"procurement_amount": "元"}}

    fee = [["第二十条第（八）项", ""], ["信息内容", "本年收费金额（单位：元）"], ["行政事业性收费", "12345.6"]]
    t8 = read_tables_from_grids([fee]).tables["t2_art20_8"]
    assert t8["values"] == {"administrative_fees": {"fee_amount_10k_yuan": 1.23456}}
    assert t8["units"] == {"administrative_fees": {"fee_amount_10k_yuan": "元"}}


def test_t4_truncated_headers_in_an_aligned_grid() -> None:
    grid = [
        ["行政复议"] * 5 + ["行政诉讼"] * 10,
        ["结果维持", "结果", "其他", "尚未", "总计"] + ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5,
        ["结果维持", "结果", "其他", "尚未", "总计"] + ["结果", "结果", "其他", "尚未", "总计"] * 2,
        [str(n) for n in (1, 2, 3, 4, 10, 0, 1, 0, 0, 1, 2, 0, 0, 0, 2)],
    ]
    values = read_tables_from_grids([grid]).tables["t4_review_litigation"]["values"]["counts"]
    assert (values["review_corrected"], values["review_total"], values["suit_direct_corrected"],
            values["suit_after_review_upheld"], values["suit_after_review_total"]) == (2, 10, 1, 2, 2)


def test_header_repeated_mid_table_and_table_continued_in_next_grid() -> None:
    body = [_row("一、本年新收政府信息公开申请数量", "1", "0", "0", "0", "0", "0", "1")]
    continued = T3_HEADER + [_row("四、结转下年度继续办理", "1", "0", "0", "0", "0", "0", "1")]
    result = read_tables_from_grids([_t3_grid(body), continued])
    t3 = result.tables["t3_applications"]["values"]
    assert t3["new_received"]["total"] == 1 and t3["carry_to_next"]["natural_person"] == 1
    assert not any("second copy" in issue for issue in result.issues)


def test_2019_and_2021_told_apart_by_labels() -> None:
    common = [_row("一、本年新收政府信息公开申请数量", *"1000001")]
    r2019 = common + [_row(["三、本年度办理结果", "（六）其他处理", "（六）其他处理"], *"0000000")]
    r2021 = common + [_row(["三、本年度办理结果", "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"],
                           *"0000000")]
    assert read_tables_from_grids([_t3_grid(r2019)]).template == "gbf_2019"
    assert read_tables_from_grids([_t3_grid(r2021)]).template == "gbf_2021"
    ambiguous = read_tables_from_grids([_t3_grid(common)], template_hint="gbf_2019")
    assert ambiguous.template == "gbf_2019"
    assert read_tables_from_grids([_t3_grid(common)]).template is None


def test_grids_without_tables_fall_back_to_text() -> None:
    text = "行政复议 | 行政诉讼 |\n结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | 复议后起诉 |\n" \
           + "结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |" * 2 + "\n" + " | ".join(["0"] * 14) + " | 1 |"
    result = read_standard_tables([[["索引号", "123"]]], text)
    assert result.tables["t4_review_litigation"]["values"]["counts"]["suit_after_review_total"] == 1
    assert result.tables["t4_review_litigation"]["source"] == "text"
    assert read_standard_tables(None, "没有表格的正文").tables == {}


def test_unrelated_tables_are_ignored() -> None:
    grids = [[["索引号", "11/2024"], ["发布机构", "区政府"]], [["序号", "名称"], ["1", "规章清理"]]]
    result = read_standard_tables(grids, "")
    assert result.tables == {} and result.template is None


def test_figures_use_row_sum_when_total_left_blank() -> None:
    tables = {"t3_applications": {"template": "gbf_2021", "blank_cells": [["new_received", "total"]],
                                  "values": {"new_received": {"natural_person": 2, "commercial_enterprise": 1,
                                                              "research_institution": 0, "public_welfare_org": 0,
                                                              "legal_service_org": 0, "other_org": 0, "total": 0}}}}
    assert figures_from_tables(tables) == {"applications_new_total": 3}


def _item(year: int, carried_over: int, carry_to_next: int) -> dict:
    cols = ("natural_person", "commercial_enterprise", "research_institution", "public_welfare_org",
            "legal_service_org", "other_org", "total")
    return {"report_year": year, "tables": {"t3_applications": {"values": {
        "carried_over": {c: (carried_over if c in ("natural_person", "total") else 0) for c in cols},
        "carry_to_next": {c: (carry_to_next if c in ("natural_person", "total") else 0) for c in cols},
    }}}}


def test_carryover_check() -> None:
    ok = carryover_check(_item(2022, 0, 3), _item(2023, 3, 0))
    assert ok["ok"] is True and ok["rule"] == "t3_carryover"
    bad = carryover_check(_item(2022, 0, 3), _item(2023, 2, 0))
    assert bad["ok"] is False
    assert "natural_person: 2022 结转下年度 3 ≠ 2023 上年结转 2" in bad["detail"]
    assert carryover_check(_item(2021, 0, 3), _item(2023, 3, 0))["ok"] is None
    assert carryover_check({"report_year": 2022, "tables": {}}, _item(2023, 3, 0))["ok"] is None


def test_label_split_over_two_header_rows() -> None:
    header = [["项目", "自然人", "商业", "科研机构", "总计"], ["项目", "自然人", "企业", "科研机构", "总计"]]
    body = [["一、本年新收政府信息公开申请数量", "1", "2", "3", "6"]]
    t3 = read_tables_from_grids([header + body]).tables["t3_applications"]
    assert t3["values"]["new_received"] == {"natural_person": 1, "commercial_enterprise": 2,
                                            "research_institution": 3, "total": 6}


def test_junk_grids_do_not_raise() -> None:
    grids = [None, [None, ["一、本年新收政府信息公开申请数量", None, 3, 4.5]], [], "text", [[]]]
    result = read_standard_tables(grids, "")  # type: ignore[arg-type]
    assert result.tables["t3_applications"]["values"]["new_received"]["natural_person"] == 0


def test_t4_with_heading_row_and_row_label_in_flattened_text() -> None:
    text = "\n".join([
        "四、政府信息公开行政复议、行政诉讼情况 | |||",
        "行政复议 | 行政诉讼 | |||||||||||||",
        "结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | 复议后起诉 | ||||||||",
        "结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | |||||",
        "件数 | 1 | 0 | 0 | 0 | 1 | 0 | 2 | 0 | 0 | 2 | 0 | 0 | 0 | 0 | 0 |",
    ])
    result = read_standard_tables(None, text)
    counts = result.tables["t4_review_litigation"]["values"]["counts"]
    assert (counts["review_upheld"], counts["review_total"], counts["suit_direct_corrected"],
            counts["suit_direct_total"], counts["suit_after_review_total"]) == (1, 1, 2, 2, 0)
    assert result.template is None  # table 四 is the same in both templates
    assert any("template ambiguous" in issue for issue in result.issues)


def test_t4_aligned_with_label_column() -> None:
    grid = [["四、政府信息公开行政复议、行政诉讼情况"] * 16,
            ["项目"] + ["行政复议"] * 5 + ["行政诉讼"] * 10,
            ["项目"] + ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] + ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5,
            ["项目"] + ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3,
            ["件数"] + [str(n) for n in (1, 2, 3, 4, 10, 0, 1, 0, 0, 1, 2, 0, 0, 0, 2)]]
    counts = read_tables_from_grids([grid]).tables["t4_review_litigation"]["values"]["counts"]
    assert (counts["review_pending"], counts["review_total"], counts["suit_direct_total"],
            counts["suit_after_review_upheld"]) == (4, 10, 1, 2)


def test_blank_total_column_is_skipped_not_failed() -> None:
    body = [_row("一、本年新收政府信息公开申请数量", "2", "1", "0", "0", "0", "0", ""),
            _row("二、上年结转政府信息公开申请数量", "0", "0", "0", "0", "0", "0", "1")]
    result = read_tables_from_grids([_t3_grid(body)])
    row_total = next(c for c in check_tables(result.tables, result.template) if c["rule"] == "t3_row_total")
    assert row_total["ok"] is False  # 二's 总计 says 1 where its columns sum to 0
    assert "carried_over: 0+0+0+0+0+0=0 ≠ 1" in row_total["detail"]
    assert "new_received: 总计 left blank" in row_total["detail"]
    assert figures_from_tables(result.tables)["applications_new_total"] == 3
