"""Flattened text tables (tables/flattext.py, tables/digitruns.py): every real flattened form, and never a guess."""

from __future__ import annotations

from govcrawl.parser.tables import read_standard_tables
from govcrawl.parser.tables.digitruns import candidate_splits, group_total_rule, read_run, row_total_rule
from govcrawl.parser.tables.flattext import read_flattened_tables

T3_2021 = [
    ("一、本年新收政府信息公开申请数量", "{new}"), ("二、上年结转政府信息公开申请数量", "0000000"),
    ("三、本年度办理结果（一）予以公开", "{open}"), ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "0000000"),
    ("（三）不予公开1.属于国家秘密", "0000000"), ("2.其他法律行政法规禁止公开", "0000000"),
    ("3.危及“三安全一稳定”", "0000000"), ("4.保护第三方合法权益", "0000000"), ("5.属于三类内部事务信息", "0000000"),
    ("6.属于四类过程性信息", "0000000"), ("7.属于行政执法案卷", "0000000"), ("8.属于行政查询事项", "0000000"),
    ("（四）无法提供1.本机关不掌握相关政府信息", "{held}"), ("2.没有现成信息需要另行制作", "0000000"),
    ("3.补正后申请内容仍不明确", "0000000"), ("（五）不予处理1.信访举报投诉类申请", "0000000"), ("2.重复申请", "0000000"),
    ("3.要求提供公开出版物", "0000000"), ("4.无正当理由大量反复申请", "0000000"),
    ("5.要求行政机关确认或重新出具已获取信息", "0000000"),
    ("（六）其他处理1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "0000000"),
    ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "0000000"), ("3.其他", "0000000"),
    ("（七）总计", "{new}"), ("四、结转下年度继续办理", "0000000"),
]


def _report(rows: list[tuple[str, str]], t4: str, sep: str = "", **cells: str) -> str:
    body = sep.join(label + sep + numbers.format(**cells) for label, numbers in rows)
    return ("二、主动公开政府信息情况第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数规章000"
            "第二十条第（五）项信息内容本年处理决定数量行政许可 97" + sep + "三、收到和处理政府信息公开申请情况"
            "申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他" + sep + body + sep
            + "四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计" + sep + t4
            + sep + "五、存在的主要问题及改进情况无。")


def test_digit_runs_split_only_under_the_row_total() -> None:
    assert read_run("801000081", 7, row_total_rule) == ([80, 1, 0, 0, 0, 0, 81], [])
    assert read_run("230 000023", 7, row_total_rule) == ([23, 0, 0, 0, 0, 0, 23], [])  # spaces not at cell borders
    assert read_run("0 1 1 0 2 1 0 0 0 1 0 0 0 0 0", 15, group_total_rule(5))[0] == [0, 1, 1, 0, 2, 1, 0, 0, 0, 1,
                                                                                  0, 0, 0, 0, 0]
    cells, candidates = read_run("220000325", 7, row_total_rule)  # 22,0,0,0,0,3,25 and 2,20,0,0,0,3,25
    assert cells is None and len(candidates) == 2
    assert candidate_splits("007", 3, None) == [[0, 0, 7]]  # a 0 is always a cell of its own


def test_one_row_table_four_with_more_digits_than_cells() -> None:
    cells, _ = read_run("10203120001200000", 15, group_total_rule(5))
    assert cells == [1, 0, 2, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0]


def test_run_together_rows_read_with_table_two_label_number_lines() -> None:
    text = _report(T3_2021, "110024001510102", new="801000081", open="220000022", held="581000059")
    result = read_standard_tables(None, text, template_hint="gbf_2021")
    assert result.template == "gbf_2021"
    t3 = result.tables["t3_applications"]
    assert t3["source"] == "text"
    assert t3["values"]["new_received"]["total"] == 81 and t3["values"]["unavailable_not_held"]["natural_person"] == 58
    assert result.tables["t2_art20_5"]["values"]["administrative_license"] == {"decisions": 97}
    assert result.tables["t4_review_litigation"]["values"]["counts"]["suit_direct_total"] == 5


def test_one_cell_per_line() -> None:
    """Each cell on its own line (a PDF text layer or a copy-paste of the table): a run of 7 numbers per row."""
    cells = {"new": "8\n0\n0\n0\n0\n1\n9", "open": "0\n0\n0\n0\n0\n0\n0", "held": "0\n0\n0\n0\n0\n0\n0"}
    rows = [(label, "\n".join(n) if n.isdigit() else n) for label, n in T3_2021]
    text = _report(rows, "\n".join("000000000000000"), sep="\n", **cells)
    values = read_flattened_tables(text, "gbf_2021").tables["t3_applications"]["values"]
    assert values["new_received"] == {"natural_person": 8, "commercial_enterprise": 0, "research_institution": 0,
                                      "public_welfare_org": 0, "legal_service_org": 0, "other_org": 1, "total": 9}
    assert values["result_total"]["total"] == 9


def test_ambiguous_row_settled_by_the_balance_else_left_out() -> None:
    # 本机关不掌握 '220000325' fits two row splits; the result rows must sum to (七)总计 per column: one does
    rows = list(T3_2021)
    text = _report(rows, "000000000000000", new="22 0 0 0 0 3 25", open="0000000", held="220000325")
    result = read_flattened_tables(text, "gbf_2021")
    assert result.tables["t3_applications"]["values"]["unavailable_not_held"]["natural_person"] == 22
    # the same digits in a table whose (七)总计 cannot tell: left out, flagged
    rows = [(label, numbers) for label, numbers in T3_2021 if not label.startswith("（七）")]
    result = read_flattened_tables(_report(rows, "000000000000000", new="0000000", open="0000000",
                                           held="220000325"), "gbf_2021")
    assert "unavailable_not_held" not in result.tables["t3_applications"]["values"]
    assert any(issue.startswith("ambiguous_digits") for issue in result.issues)


def test_typo_label_takes_its_own_row_and_no_other() -> None:
    rows = [(("2.其他法律行政止公开", n) if label.startswith("2.其他法律") else (label, n)) for label, n in T3_2021]
    rows = [(label, "1000001" if label.startswith("2.其他法律") else n) for label, n in rows]
    rows = [(label, "1000001" if label.startswith("（七）") else n) for label, n in rows]
    text = _report(rows, "000000000000000", new="1000001", open="0000000", held="0000000")
    values = read_flattened_tables(text, "gbf_2021").tables["t3_applications"]["values"]
    assert values["withheld_other_law"]["total"] == 1
    assert values["other_other"]["total"] == 0
