"""Report-title classifier: precision/recall on the labelled set, plus one test per positive form and per
near-miss family (domain guide §7, issue 4 item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govcrawl.discovery import classifier
from govcrawl.discovery.classifier import (
    classify_page,
    classify_title,
    is_report_title,
    is_truncated,
    normalise_title,
    title_year,
)

TITLES_TSV = Path(__file__).parent / "data" / "titles.tsv"


def load_labelled_titles() -> list[tuple[bool, str]]:
    """(is_report, title) rows of tests/data/titles.tsv; '#' lines are comments."""
    rows = []
    for line_no, line in enumerate(TITLES_TSV.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, title = line.split("\t", 1)
        assert label in {"0", "1"}, f"titles.tsv:{line_no}: bad label {label!r}"
        rows.append((label == "1", title))
    return rows


def confusion(rows: list[tuple[bool, str]]) -> dict[str, list[str]]:
    cells: dict[str, list[str]] = {"tp": [], "fp": [], "fn": [], "tn": []}
    for expected, title in rows:
        predicted = is_report_title(title)
        key = ("t" if predicted == expected else "f") + ("p" if predicted else "n")
        cells[key].append(title)
    return cells


def test_labelled_set_is_large_balanced_and_unique() -> None:
    rows = load_labelled_titles()
    positives = sum(1 for is_report, _ in rows if is_report)
    assert len(rows) >= 300
    assert 0.4 <= positives / len(rows) <= 0.6
    titles = [title for _, title in rows]
    assert len(set(titles)) == len(titles), "duplicate titles in titles.tsv"


def test_precision_and_recall_on_labelled_set() -> None:
    cells = confusion(load_labelled_titles())
    tp, fp, fn = len(cells["tp"]), len(cells["fp"]), len(cells["fn"])
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    print(f"\nclassifier on {TITLES_TSV.name}: precision={precision:.4f} recall={recall:.4f} "
          f"tp={tp} fp={fp} fn={fn} tn={len(cells['tn'])}")
    for title in cells["fp"]:
        print(f"  false positive: {title} ({classify_title(title)[1]})")
    for title in cells["fn"]:
        print(f"  false negative: {title} ({classify_title(title)[1]})")
    assert precision >= 0.99, cells["fp"]
    assert recall >= 0.98, cells["fn"]


# ----------------------------------------------------------------------------------------------- positives

POSITIVE_FORMS = {
    "政府信息公开工作年度报告, unit then year": "平潭县人民政府2012年政府信息公开工作年度报告",
    "年度政府信息公开工作报告": "2021年度政府信息公开工作报告",
    "信息公开年报": "温州市人民政府办公室2018年信息公开年报",
    "政务公开年报": "哈尔滨市道里区教育局2012年政务公开年报",
    "政务信息公开年度报告": "舒兰市市场监督管理局2016年政务信息公开年度报告",
    "信息公开工作年度报告": "连云港市民族宗教事务局2011年信息公开工作年度报告",
    "信息公开年度报告 (税务局)": "平潭综合实验区地方税务局2013年信息公开年度报告",
    "year before the unit": "2019年上海市人民政府办公厅政府信息公开工作年度报告",
    "no unit": "2023年政府信息公开工作年度报告",
    "no year (unit only)": "定西市政府信息公开工作年度报告",
    "年度 twice": "平潭综合实验区管委会2014年度政府信息公开工作年度报告",
    "year inside the noun": "海宁市政府信息公开工作2012年度报告",
    "Chinese numerals 〇": "岳阳县人民政府二〇二三年政府信息公开工作年度报告",
    "Chinese numerals 零": "湘阴县二零一八年度政府信息公开工作年度报告",
    "Chinese numerals ○ (U+25CB)": "鄞州区姜山镇二○二○年政府信息公开工作年度报告",
    "traditional": "徐家坪鎮2018年度政府信息公開工作年度報告",
    "traditional 年報": "臨沂市蘭山區人民政府2019年政府信息公開年報",
    "（图片版）": "宿州市人民政府2019年政府信息公开工作年度报告（图片版）",
    "（超链版）": "上海市黄浦区人民政府2022年政府信息公开工作年度报告（超链版）",
    "（文字版）": "宿州市人民政府2020年政府信息公开工作年度报告（文字版）",
    "bracketed year": "汉阴县人民政府信息公开工作年度报告(2017年度)",
    "full-width digits": "２０２１年度武汉市江岸区政府信息公开工作年度报告",
    "ideographic spaces": "道里区　经纬街道办事处　2023年政府信息公开工作年度报告",
    "attachment file name": "附件：莘县王庄集镇人民政府2023年政府信息公开工作年度报告.pdf",
    "bare 年报 file name": "淮安市洪泽区人民政府2025年年报",
    "unit with 统计局": "区统计局2023年政府信息公开工作年度报告",
    "unit with 年鉴": "泉州市地方志（年鉴）编纂中心2022年政府信息公开工作年度报告",
    "unit with 12345": "12345政务服务便民热线管理中心2022年政府信息公开工作年度报告",
    "pinyin glosses": "固東鎮人民政府2019年政(zhèng)府信息公開(kāi)工作年度報(bào)告",
    # issue 10: a real EmpireCMS column titles one report without 公开工作
    "政府信息年度报告 (no 公开工作)": "XX县扶贫办2017年政府信息年度报告",
    "政务公开报告 (real 吉林市林业局 column)": "吉林省安图县林业局-安图县林业局2018年政务公开报告",
    "工作报告 noun (real 四川省教育厅 column)": "四川省教育厅2019年度政府信息公开工作报告",
    "unit + panel heading (context title)": "区发改局 2021年度政府信息公开工作年度报告",
}


@pytest.mark.parametrize("title", POSITIVE_FORMS.values(), ids=POSITIVE_FORMS.keys())
def test_positive_forms_are_accepted(title: str) -> None:
    is_report, reason = classify_title(title)
    assert is_report, reason
    assert reason.startswith("accept")


@pytest.mark.parametrize(
    "units",
    ["福建省人民政府", "泰州市", "莘县", "静海区", "太平镇", "经纬街道", "市场监督管理局", "发展和改革委员会",
     "高新区管委会", "人民政府办公室", "市统计局"],
)
def test_every_unit_level_every_year_both_numeral_styles(units: str) -> None:
    chinese_digits = "〇一二三四五六七八九"
    for year in range(2008, 2026):
        chinese_year = "".join(chinese_digits[int(d)] for d in str(year))
        for title in (f"{units}{year}年政府信息公开工作年度报告", f"{chinese_year}年度{units}政府信息公开年报"):
            assert is_report_title(title), (title, classify_title(title))
            assert title_year(title) == year


# ----------------------------------------------------------------------------------------------- near-misses

NEAR_MISS_FAMILIES = {
    "政府工作报告": ("2023年平潭综合实验区政府工作报告", "政府工作报告"),
    "政务公开工作要点": ("国务院办公厅关于印发2020年政务公开工作要点的通知", "工作要点"),
    "工作要点落实情况的函": ("关于2014年政府信息公开工作要点落实情况的函", "工作要点"),
    "年度报告解读": ("平潭综合实验区2023年度政府信息公开工作年度报告解读", "解读"),
    "图解": ("图解：平潭综合实验区2023年度政府信息公开工作年度报告", "解读"),
    "【图解】 prefix": ("【图解】宿州市人民政府2019年政府信息公开工作年度报告", "解读"),
    "一图读懂": ("一图读懂2022年上海市政府信息公开工作年度报告", "解读"),
    "关于…年度报告的说明": ("关于2022年度政府信息公开工作年度报告的说明", "说明"),
    "关于…年度报告…的通知": ("福建省人民政府办公厅关于做好2012年政府信息公开工作年度报告有关事项的通知", "notice"),
    "关于…的函": ("关于2020年度政府信息公开工作年度报告的函", "函"),
    "统计公报": ("2022年平潭综合实验区国民经济和社会发展统计公报", "统计"),
    "财政预决算": ("2022年度财政预决算公开专栏", "预决算"),
    "预算执行情况的报告": ("关于2019年县级预算执行情况的报告", "预决算"),
    "年鉴": ("平潭综合实验区年鉴（2022）", "reject"),
    "法治政府建设年度报告": ("平潭综合实验区2022年度法治政府建设年度报告", "法治政府"),
    "年度报告格式": ("中华人民共和国政府信息公开工作年度报告格式", "格式"),
    "年度报告制度": ("海南省政府信息公开工作年度报告制度(试行)", "制度"),
    "统计表": ("2018年度政府信息公开情况统计表", "统计表"),
    "报表": ("定西市政府信息公开情况统计报表", "统计表"),
    "工作总结": ("巫溪县2021年政府信息公开工作总结", "总结"),
    "工作计划": ("平潭综合实验区行政审批局2022年工作总结及2023年工作计划", "计划"),
    "展示平台": ("2016年政府信息公开工作年度报告展示平台", "平台"),
    "网站工作年度报表": ("2022年度政府网站工作年度报表", "统计表"),
    "news": ("我市发布2022年政府信息公开工作年度报告", "news"),
    "行政审判年度报告": ("2022年行政审判年度报告", "without 信息公开"),
    "自查自评的报告": ("定西市人民政府办公室关于2021年度履行教育职责自查自评的报告", "reject"),
    "column name": ("政府信息公开年报", "column name"),
    "信用信息公开": ("南通市2021年度信用信息公开年度报告", "信用信息公开"),
    "高校学年报告": ("江苏大学2022-2023学年信息公开工作年度报告", "学年"),
    "company 年报": ("巫溪县水务集团有限公司2022年年报", "company"),
    "draft": ("2023年政府信息公开工作年度报告（征求意见稿）", "draft"),
    "traditional 解讀": ("2022年政府信息公開工作年度報告解讀", "解读"),
    "traditional 說明": ("關於2020年度政府信息公開工作年度報告的說明", "说明"),
    "政府信息 without 公开, not 年度报告": ("XX县扶贫办2017年政府信息工作报告", "without 公开"),
    "政府信息化": ("2017年政府信息化工作年度报告", "without 信息公开"),
    "政府信息中心": ("市政府信息中心2017年度报告", "without 信息公开"),
    "政府信息年报 column name": ("政府信息年报", "column name"),
    "年报解读 of the 政府信息 form": ("XX县扶贫办2017年政府信息年度报告解读", "解读"),
    "website annual form (real 吉林 column)": ("2020年度吉林省安图县林业局政府网站工作年度报表", "统计表"),
}


@pytest.mark.parametrize("title,reason_part", NEAR_MISS_FAMILIES.values(), ids=NEAR_MISS_FAMILIES.keys())
def test_near_miss_families_are_rejected_with_a_reason(title: str, reason_part: str) -> None:
    is_report, reason = classify_title(title)
    assert not is_report, reason
    assert reason.startswith("reject")
    assert reason_part in reason


def test_reject_words_are_checked_before_decoration_is_stripped() -> None:
    # stripping "【…】" prefixes must not hide 图解/解读 markers
    assert not is_report_title("【解读】2021年度信息公开年报")
    assert is_report_title("【政府信息公开年报】平潭综合实验区2023年度政府信息公开工作年度报告")


# ----------------------------------------------------------------------------------------------- truncation

def test_truncated_inside_the_noun_is_accepted() -> None:
    for title in ("平潭综合实验区2023年度政府信息公开工作年...", "经纬街道办事处2021年政府信息公开年…",
                  "宿州市人民政府2019年政府信息公开工作年度报告（图片..."):
        is_report, reason = classify_title(title)
        assert is_report and "truncated" in reason, (title, reason)
        assert is_truncated(title)


def test_truncated_before_the_noun_asks_for_the_title_attribute() -> None:
    is_report, reason = classify_title("南京徐庄高新技术产业开发区管理委员会2024年政...")
    assert not is_report
    assert "truncated" in reason and "title attribute" in reason


def test_truncated_near_misses_stay_rejected() -> None:
    for title in ("关于2022年度政府信息公开工作年度报告的说...", "2022年政务公开工作要...",
                  "一图读懂｜2023年政府信息公开工作年度报..."):
        assert not is_report_title(title), (title, classify_title(title))


# ----------------------------------------------------------------------------------------------- years

@pytest.mark.parametrize(
    "title,year",
    [
        ("平潭综合实验区2023年度政府信息公开工作年度报告", 2023),
        ("二〇二三年度长沙市岳麓区政府信息公开工作年度报告", 2023),
        ("岳阳县人民政府二零二一年政府信息公开工作年度报告", 2021),
        ("鄞州区姜山镇二○二○年政府信息公开工作年度报告", 2020),
        ("平昌县人民政府二0二三年政府信息公开工作年度报告", 2023),
        ("汉阴县人民政府信息公开工作年度报告(2017年度)", 2017),
        ("2009上海市政府信息公開工作年度報告", 2009),
        ("12345政务服务便民热线管理中心2022年政府信息公开工作年度报告", 2022),
        ("２０２１年度武汉市江岸区政府信息公开工作年度报告", 2021),
        ("定西市政府信息公开工作年度报告", None),
        ("政府信息公开年报", None),
    ],
)
def test_title_year(title: str, year: int | None) -> None:
    assert title_year(title) == year


def test_normalise_title_folds_width_space_and_script() -> None:
    assert normalise_title(" 政府信息公開　年報（圖片版） ") == "政府信息公开年报(图片版)"
    assert normalise_title("二〇一九年") == "2019年"
    assert normalise_title("第一中学") == "第一中学"  # numerals outside a year stay


def test_local_fallback_table_classifies_traditional_titles_like_opencc(monkeypatch) -> None:
    traditional = [(is_report, title) for is_report, title in load_labelled_titles()
                   if normalise_title(title) != title.strip() and any(ch in title for ch in "開報務縣鎮區")]
    assert len(traditional) >= 20
    monkeypatch.setattr(classifier, "_to_simplified", classifier.fallback_to_simplified)
    classifier.normalise_title.cache_clear()
    try:
        for expected, title in traditional:
            assert is_report_title(title) == expected, (title, classify_title(title))
    finally:
        classifier.normalise_title.cache_clear()


# ----------------------------------------------------------------------------------------------- pages

REPORT_HEAD = (
    "平潭综合实验区2023年度政府信息公开工作年度报告\n"
    "本报告根据《中华人民共和国政府信息公开条例》要求编制。报告中所列数据的统计期限自2023年1月1日起至"
    "2023年12月31日止。\n一、总体情况\n"
)


def test_page_with_report_title_and_text_is_confirmed() -> None:
    is_report, reason = classify_page(
        "平潭综合实验区2023年度政府信息公开工作年度报告_政府信息公开年报_平潭综合实验区", REPORT_HEAD)
    assert is_report and "政府信息公开条例" in reason


def test_page_with_site_name_title_is_confirmed_by_its_heading() -> None:
    is_report, reason = classify_page("平潭综合实验区门户网站", REPORT_HEAD)
    assert is_report and "heading" in reason


def test_heading_inside_table_pipes_is_found() -> None:
    # shape of a real text extraction (定西市, seed 004): breadcrumb, pipes around the heading, then the body
    head = ("| 当前位置:首页 |\n|\n定西市政府信息公开工作年度报告 |\n|\n"
            "本年度报告根据《中华人民共和国政府信息公开条例》,由定西市人民政府办公室编制")
    is_report, reason = classify_page("", head)
    assert is_report and "heading" in reason


def test_interpretation_page_is_rejected_even_inside_the_年报_column() -> None:
    head = "《莘县王庄集镇人民政府2023年政府信息公开工作年度报告》已发布，现就年报内容进行如下解读：\n一、总体情况"
    assert not classify_page("莘县王庄集镇2023年政府信息公开工作年度报告解读_政府信息公开年报", head)[0]
    assert not classify_page("政府信息公开年报_莘县人民政府", head)[0]


def test_page_whose_text_is_not_a_report_is_rejected() -> None:
    head = "为进一步做好政务公开工作，现将有关事项通知如下：一、提高认识，加强组织领导。各单位要高度重视……" * 2
    is_report, reason = classify_page("2023年政府信息公开工作年度报告", head)
    assert not is_report and "text does not" in reason


def test_column_and_site_segments_of_a_page_title_neither_confirm_nor_veto() -> None:
    title = "平潭综合实验区2023年度政府信息公开工作年度报告_政府信息公开专栏_平潭综合实验区人民政府"
    assert classify_page(title, REPORT_HEAD)[0]
    assert classify_page("平潭综合实验区人民政府-政府信息公开专栏", REPORT_HEAD)[0]  # text decides
    assert not classify_page("政府信息公开年报_平潭综合实验区", "")[0]


def test_image_only_page_is_confirmed_by_title_alone() -> None:
    is_report, reason = classify_page("宿州市人民政府2019年政府信息公开工作年度报告（图片版）", "附件：")
    assert is_report and "title only" in reason


def test_page_title_near_miss_wins_over_column_segment() -> None:
    is_report, reason = classify_page("关于2022年度政府信息公开工作年度报告的说明 - 政府信息公开年报 - 泰州市", "")
    assert not is_report and "说明" in reason


# ----------------------------------------------------------------------------------------------- robustness

@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gets_a_verdict_and_a_reason(text: str) -> None:
    is_report, reason = classify_title(text)
    assert isinstance(is_report, bool)
    assert reason.startswith("accept" if is_report else "reject")
    title_year(text)
    classify_page(text, text)


LABELLED = load_labelled_titles()
_FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789()[]"}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(LABELLED), st.lists(st.integers(min_value=0, max_value=60), max_size=4),
       st.sampled_from([" ", "\u3000", "\xa0", "\t"]), st.booleans())
def test_spacing_and_width_do_not_change_the_verdict(row, positions, space, full_width) -> None:
    expected, title = row
    for position in sorted(set(positions), reverse=True):
        title = title[:position] + space + title[position:]
    if full_width:
        title = title.translate(_FULL_WIDTH)
    assert is_report_title(title) == expected, (title, classify_title(title))
