"""parse_report on the five real report texts in ../shared/seeds, with the expectations of issue 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govcrawl.parser import PARSER_VERSION, parse_report
from govcrawl.schema import validate_item

SEEDS = Path(__file__).parents[2] / "shared" / "seeds"
CHROME_STRINGS = ("您当前的位置", "当前位置", "扫一扫", "语音播报", "我是安安", "【字体", "分享", "打印本页",
                  "关闭窗口", "责任编辑", "||")


def _seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def items() -> dict[str, dict[str, Any]]:
    return {prefix: parse_report(_seed(prefix)) for prefix in ("000", "001", "002", "003", "004")}


def _check(item: dict[str, Any], rule: str) -> dict[str, Any]:
    (check,) = [c for c in item["checks"] if c["rule"] == rule]
    return check


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_every_seed_item_validates_and_has_no_chrome(items: dict[str, dict[str, Any]], prefix: str) -> None:
    item = items[prefix]
    validate_item({**item, "source": None})
    assert item["parser_version"] == PARSER_VERSION
    for chrome in CHROME_STRINGS:
        assert chrome not in item["text"], chrome
    for line in item["text"].split("\n"):
        assert line.strip() not in {"切换", "|", "分享:"}
    assert item == parse_report(_seed(prefix))  # deterministic: nothing depends on the time of the run


def test_seed_000_hanyin_2017(items: dict[str, dict[str, Any]]) -> None:
    item = items["000"]
    assert item["agency"] == "汉阴县人民政府"
    assert item["admin_level"] == "county"
    assert item["title"] == "汉阴县人民政府信息公开工作年度报告(2017年度)"
    assert item["report_year"] == 2017
    assert item["format"] == "pre2019"
    assert item["published"] == "2018-03-08"  # page metadata, not the 2018年2月27日 signature
    assert item["index_no"] == "719776475-GK-2018-121531"
    assert item["script"] == "simplified"
    assert item["figures"]["proactive_total"] == 5838
    assert item["figures"]["applications_received"] == 4
    assert item["figure_notes"]["proactive_total"] == {
        "approximate": False, "evidence": "主动公开政府信息5838条", "origin": "text"}
    assert [s["heading"][:3] for s in item["sections"]][-1] == "十二、"
    assert len(item["sections"]) == 12
    assert item["sections"][1]["heading"] == "二、主动公开政府信息的情况"
    assert item["sections"][1]["text"].startswith("2017年,主动公开政府信息5838条")
    assert "索引号" not in item["text"]  # the 要素表 lines became metadata
    assert item["text"].startswith("汉阴县人民政府信息公开工作年度报告(2017年度)\n")
    assert item["tables"] == {}
    assert item["flags"] == []


def test_seed_001_traditional_converted(items: dict[str, dict[str, Any]]) -> None:
    item = items["001"]
    assert item["script"] == "traditional"
    assert "徐家坪镇" in item["text"] and "略阳县" in item["text"]
    assert not any(ch in item["text"] for ch in "鎮縣開與國會為發關報務")
    assert item["title"] == "徐家坪镇2018年度政府信息公开工作年度报告"
    assert item["agency"] == "徐家坪镇"
    assert item["admin_level"] == "township"
    assert item["report_year"] == 2018
    assert item["format"] == "pre2019"
    assert item["figures"]["proactive_total"] == 93
    assert item["figure_notes"]["proactive_total"]["approximate"] is False
    assert [s["heading"] for s in item["sections"]][:2] == ["一、概述", "二、主动公开政府信息及载体建设情况"]


def test_seed_002_wuxi_2015(items: dict[str, dict[str, Any]]) -> None:
    item = items["002"]
    assert item["agency"] == "巫溪县"
    assert item["report_year"] == 2015
    assert item["published"] == "2016-03-24"
    assert item["format"] == "pre2019"
    assert item["figures"]["proactive_total"] == 23123  # not the 17403 / 5720 sub-counts
    assert item["figures"]["applications_received"] == 9
    assert item["figures"]["review_total"] == 3
    assert item["text"].count("巫溪县2015年政府信息公开工作年度报告") == 1  # the doubled title is dropped
    assert len(item["sections"]) == 5


def test_seed_003_shanhaiguan_2023_tables(items: dict[str, dict[str, Any]]) -> None:
    item = items["003"]
    assert item["agency"] == "山海关区人民政府办公室"
    assert item["admin_level"] == "department"
    assert item["report_year"] == 2023
    assert item["format"] == "2021"
    assert item["published"] == "2024-01-23"
    assert item["index_no"] == "shg58/2024-1525"
    tables = item["tables"]
    assert {"t2_art20_1", "t3_applications", "t4_review_litigation"} <= set(tables)
    assert all(table["template"] == "gbf_2021" and table["source"] == "text" for table in tables.values())
    assert tables["t3_applications"]["values"]["new_received"]["total"] == 2
    assert item["figures"]["applications_new_total"] == 2
    assert item["figure_notes"]["applications_new_total"]["origin"] == "table"
    assert item["figures"]["results_total"] == 2
    # the published report's result rows sum to 0 while (七)总计 says 2: reported, never fixed
    assert _check(item, "t3_result_total")["ok"] is False
    assert tables["t3_applications"]["values"]["result_total"]["total"] == 2
    assert _check(item, "t3_balance")["ok"] is True
    assert _check(item, "tables_present")["ok"] is True
    assert "tables_missing" not in item["flags"]
    # the flattened table rows live in `tables`, not in `text`
    assert "本年新收" not in item["text"] and "|" not in item["text"]
    assert [s["heading"] for s in item["sections"]][2] == "三、收到和处理政府信息公开申请情况"


def test_seed_004_dingxi_2020_tables_missing(items: dict[str, dict[str, Any]]) -> None:
    item = items["004"]
    assert item["agency"] == "定西市"
    assert item["admin_level"] == "city"
    assert item["report_year"] == 2020  # from the statistics period: the title has no year
    assert item["format"] == "2019"
    assert item["tables"] == {}
    assert "tables_missing" in item["flags"]
    assert _check(item, "tables_present")["ok"] is False
    assert item["figures"]["proactive_total"] == 131000
    assert item["figure_notes"]["proactive_total"]["approximate"] is True
    assert item["figure_notes"]["proactive_total"]["evidence"] == "全市各级各部门主动公开政府信息13.1万余条"
    assert item["figures"]["applications_received"] == 21
    headings = [s["heading"] for s in item["sections"]]
    assert headings == ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                        "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
    assert item["sections"][1]["text"] == ""  # the table sections hold nothing
    assert item["sections"][5]["text"] == "无"


def _seed_003_as_html() -> bytes:
    """Seed 003 with its flattened rows turned back into <table> markup, as a CMS would serve it."""
    import html

    out, in_table = ["<html><head><meta charset='utf-8'></head><body><div class='TRS_Editor'>"], False
    for line in _seed("003").split("\n"):
        is_row = line.count("|") >= 2 and not line.startswith(("索引号", "发文日期", "名称"))
        if is_row and not in_table:
            out.append("<table border='1'>")
        if not is_row and in_table:
            out.append("</table>")
        in_table = is_row
        if is_row:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            out.append("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>")
        else:
            out.append(f"<p>{html.escape(line)}</p>")
    out.append("</div></body></html>")
    return "\n".join(out).encode("utf-8")


def test_seed_003_from_html_grids() -> None:
    from govcrawl.extract import extract_document

    document = extract_document(_seed_003_as_html(), "text/html; charset=utf-8", "http://www.shg.gov.cn/a.html")
    assert document.grids
    item = parse_report(document.text, grids=document.grids, page_meta=document.page_meta)
    validate_item({**item, "source": None})
    assert item["format"] == "2021"
    assert {table["source"] for table in item["tables"].values()} == {"html"}
    assert item["figures"]["applications_new_total"] == 2
    assert _check(item, "t3_result_total")["ok"] is False
    assert "|" not in item["text"] and "\t" not in item["text"] and "本年新收" not in item["text"]


def test_tab_separated_rows_in_plain_text_are_read_as_tables() -> None:
    tsv = "\n".join(line.strip().strip("|").replace(" | ", "\t").replace("|", "\t") if line.count("|") >= 2
                    else line for line in _seed("003").split("\n"))
    assert "\t" in tsv and "本年新收政府信息公开申请数量 | 2" not in tsv
    item = parse_report(tsv)
    assert item["tables"]["t3_applications"]["values"]["new_received"]["total"] == 2
    assert item["format"] == "2021"
    assert "\t" not in item["text"]


def test_seed_003_traditional_html_grids_are_converted_before_reading() -> None:
    import opencc

    from govcrawl.extract import extract_document

    traditional = opencc.OpenCC("s2t").convert(_seed_003_as_html().decode("utf-8")).encode("utf-8")
    document = extract_document(traditional, "text/html; charset=utf-8", "http://www.shg.gov.cn/a.html")
    assert any("結轉" in cell for grid in document.grids for row in grid for cell in row)
    item = parse_report(document.text, grids=document.grids, page_meta=document.page_meta)
    assert item["script"] == "traditional"
    assert item["format"] == "2021"
    assert item["tables"]["t3_applications"]["values"]["carried_over"]["total"] == 0
    assert item["figures"]["applications_new_total"] == 2
    assert "tables_missing" not in item["flags"]
