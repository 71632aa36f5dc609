"""parse_report and its parts on small synthetic texts: edge cases the five seeds do not cover."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govcrawl.parser import ParseError, parse_report
from govcrawl.parser.chrome import is_chrome_line, strip_chrome
from govcrawl.parser.metadata import admin_level, agency_from_title, parse_date
from govcrawl.parser.normalise import detect_script, fold_width, normalise, to_simplified
from govcrawl.parser.sections import split_sections
from govcrawl.schema import validate_item

BODY = (
    "根据《中华人民共和国政府信息公开条例》要求,编制本年度报告。本报告所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。\n"
    "一、概述\n{y}年,我县认真贯彻落实条例要求,不断完善工作机制,推进政府信息公开工作。\n"
    "二、主动公开政府信息情况\n{y}年,全县主动公开政府信息{n}条,其中规范性文件12条。\n"
    "三、依申请公开政府信息情况\n全年共收到政府信息公开申请{a}件,全部按期答复。\n"
    "四、存在的主要问题及改进措施\n公开的及时性有待提高。\n"
)


def _report(year: int = 2016, proactive: str = "1500", applications: str = "7", title: str | None = None,
            tail: str = "") -> str:
    title = title if title is not None else f"示例县{year}年政府信息公开工作年度报告"
    return f"{title}\n" + BODY.format(y=year, n=proactive, a=applications) + tail


def _valid(item: dict) -> dict:
    validate_item({**item, "source": None})
    return item


# --- input errors --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [b"bytes are not text", None, 42])
def test_non_text_input_raises_parse_error(bad: object) -> None:
    with pytest.raises(ParseError, match="needs decoded text"):
        parse_report(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("empty", ["", "   ", "\n\n\t \n"])
def test_empty_input_raises_parse_error(empty: str) -> None:
    with pytest.raises(ParseError, match="empty"):
        parse_report(empty)


def test_binary_garbage_raises_parse_error() -> None:
    garbage = "".join(chr(c % 32) for c in range(2000)) + "政府信息公开"
    with pytest.raises(ParseError, match="binary"):
        parse_report(garbage)
    assert issubclass(ParseError, ValueError)


def test_not_a_report_is_flagged_not_raised() -> None:
    item = _valid(parse_report("今天天气很好,我们去公园散步。\n公园里有很多人在锻炼身体。"))
    assert "not_a_report" in item["flags"]
    assert item["title"] is None and "title_missing" in item["flags"]
    assert item["report_year"] is None and "year_missing" in item["flags"]


def test_chrome_only_page_is_flagged_empty() -> None:
    item = _valid(parse_report("您当前的位置:首页>政务公开\n扫一扫在手机打开当前页\n【字体:大 中 小】 打印本页 关闭窗口"))
    assert item["text"] == ""
    assert {"empty", "not_a_report"} <= set(item["flags"])


# --- scripts -------------------------------------------------------------------------------------------------------

def test_traditional_page_is_converted() -> None:
    text = ("您當前的位置:首頁>政務公開\n桃園鄉2016年政府信息公開工作年度報告\n一、概述\n本鄉認真貫徹《條例》,"
            "加強組織領導,完善工作機制。\n二、主動公開政府信息情況\n全年主動公開政府信息一千二百餘條。\n"
            "打印本頁 關閉窗口")
    item = _valid(parse_report(text))
    assert item["script"] == "traditional"
    assert item["title"] == "桃园乡2016年政府信息公开工作年度报告"
    assert item["agency"] == "桃园乡" and item["admin_level"] == "township"
    assert item["figures"]["proactive_total"] == 1200
    assert item["figure_notes"]["proactive_total"]["approximate"] is True
    assert "当前的位置" not in item["text"] and "关闭窗口" not in item["text"]
    assert "公開" not in item["text"]


def test_detect_script_and_conversion() -> None:
    assert detect_script("政府信息公开工作年度报告") == "simplified"
    assert detect_script("政府信息公開工作年度報告") == "traditional"
    assert detect_script("政府信息公开工作年度报告,本條例") == "simplified"  # one stray character is not enough
    assert to_simplified("徐家坪鎮政府信息公開") == "徐家坪镇政府信息公开"


def test_fold_width_and_whitespace() -> None:
    assert fold_width("（一）主动公开１２３条：１００％") == "(一)主动公开123条:100%"
    assert fold_width("13．1万") == "13.1万"
    text, script = normalise("\u3000\u3000一、概述\r\n\u2003正文  内容\n\n\n\n结束")
    assert (text, script) == ("一、概述\n正文 内容\n\n结束", "simplified")


# --- chrome ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "您当前的位置:首页 > 政务公开 > 年报", "当前位置:首页>信息公开", "您所在的位置:政务公开 > 工作报告", "首页 > 正文",
    "【字体:大 中 小】", "【字体: 分享:", "字号: 大 中 小", "分享到:", "微信 微博 QQ空间", "扫一扫在手机打开当前页",
    "点击我为您语音播报", "下午好!我是安安", "切换", "打印本页", "[ 打印本页 | 关闭窗口 ]", "责任编辑:马洁",
    "||||||||||||", "|", "网站标识码:3590000001", "闽ICP备09032658号", "公安备案号:35012899001-19002",
    "版权所有:平潭综合实验区管委会", "主办单位:XX县人民政府办公室", "浏览次数:128", "来源:原创 发布时间:2021-03-29 浏览次数:次",
    "今天是:2019年10月31日 星期三 农历十月初七", "长者模式 无障碍浏览",
])
def test_chrome_lines_are_recognised(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize("line", [
    "一、概述", "无", "(二)政务微博微信", "2017年,主动公开政府信息5838条。",
    "充分利用微信、微博等新媒体,分享政务信息,方便群众及时了解政策,打印和关闭功能运行正常,全年访问量持续增长,群众满意度明显提高。",
    "承办县人大代表建议和县政协委员提案共266件。",
])
def test_report_lines_are_kept(line: str) -> None:
    assert not is_chrome_line(line)


def test_inline_widgets_are_cut_from_longer_lines() -> None:
    assert strip_chrome("发布日期:2018-03-08 【字体:大 中 小】【打印】\n报告内容") == "发布日期:2018-03-08\n报告内容"


# --- metadata ------------------------------------------------------------------------------------------------------

def test_title_suffix_and_year_about_not_published() -> None:
    text = ("XX县人民政府信息公开工作年度报告（2017年度）\n发布日期:2018-03-20\n"
            + BODY.format(y=2017, n="20", a="1"))
    item = _valid(parse_report(text))
    assert item["title"] == "XX县人民政府信息公开工作年度报告(2017年度)"
    assert item["agency"] == "XX县人民政府"
    assert item["report_year"] == 2017  # the year it is about, not 2018
    assert item["published"] == "2018-03-20"


def test_signature_date_is_the_fallback() -> None:
    item = _valid(parse_report(_report(2018, tail="\n示例县人民政府办公室\n2019年3月15日\n扫一扫在手机打开当前页")))
    assert item["published"] == "2019-03-15"
    chinese = _valid(parse_report(_report(2018, tail="\n示例县人民政府办公室\n二〇一九年三月十五日")))
    assert chinese["published"] == "2019-03-15"


def test_page_metadata_wins_over_signature_and_header() -> None:
    text = _report(2018, title="示例县2018年政府信息公开工作年度报告") + "\n2019年3月15日"
    item = _valid(parse_report(text, page_meta={"published": "2019-03-01 09:00", "index_no": "K123/2019-00001",
                                                "title": "示例县2018年政府信息公开工作年度报告_示例县人民政府"},
                               url="http://www.example.gov.cn/a.html"))
    assert item["published"] == "2019-03-01"
    assert item["index_no"] == "K123/2019-00001"
    assert item["title"] == "示例县2018年政府信息公开工作年度报告"
    assert item["url"] == "http://www.example.gov.cn/a.html"


def test_header_labels_with_spaces_and_pipes() -> None:
    text = ("索 引 号:014416330/2018-04736 | 发文日期:2018-02-11 | 发布机构:示例市统计局 |\n"
            "示例市统计局2017年政府信息公开工作年度报告\n" + BODY.format(y=2017, n="300", a="0"))
    item = _valid(parse_report(text))
    assert item["index_no"] == "014416330/2018-04736"
    assert item["published"] == "2018-02-11"
    assert item["agency"] == "示例市统计局" and item["admin_level"] == "department"
    assert "索" not in item["text"].split("\n")[0]


def test_title_hint_is_used_when_the_text_has_no_title() -> None:
    item = _valid(parse_report(BODY.format(y=2016, n="10", a="1"),
                               title_hint="示例镇2016年政府信息公开工作年度报告"))
    assert item["title"] == "示例镇2016年政府信息公开工作年度报告"
    assert item["admin_level"] == "township"


def test_year_from_statistics_period_when_title_has_none() -> None:
    item = _valid(parse_report(_report(2016, title="示例县政府信息公开工作年度报告")))
    assert item["report_year"] == 2016
    assert "statistics period" in [c for c in item["checks"] if c["rule"] == "report_year_plausible"][0]["detail"]


@pytest.mark.parametrize(("title", "agency"), [
    ("汉阴县人民政府信息公开工作年度报告(2017年度)", "汉阴县人民政府"),
    ("2022年上海市政府信息公开工作年度报告", "上海市"),
    ("2019年上海市人民政府办公厅政府信息公开工作年度报告", "上海市人民政府办公厅"),
    ("舒兰市市场监督管理局2016年政务信息公开年度报告", "舒兰市市场监督管理局"),
    ("2022年度螅镇政府信息公开工作年度报告", "螅镇"),
    ("2023年政府信息公开工作年度报告", None),
])
def test_agency_from_title(title: str, agency: str | None) -> None:
    assert agency_from_title(title) == agency


@pytest.mark.parametrize(("agency", "level"), [
    ("福建省人民政府", "province"), ("上海市", "province"), ("广西壮族自治区人民政府", "province"),
    ("定西市", "city"), ("汉阴县人民政府", "county"), ("山海关区人民政府", "district"),
    ("义乌市人民政府", "county"), ("浙江省义乌市人民政府", "county"), ("河西市人民政府", "city"),  # county-level 市
    ("徐家坪镇", "township"), ("道里区经纬街道办事处", "township"), ("太平镇人民政府", "township"),
    ("区统计局", "department"), ("山海关区人民政府办公室", "department"), ("大庆市住房公积金管理中心", "department"),
    (None, "unknown"),
])
def test_admin_level(agency: str | None, level: str) -> None:
    assert admin_level(agency) == level


@pytest.mark.parametrize(("value", "iso"), [
    ("2018-03-08 10:14", "2018-03-08"), ("2018年3月8日", "2018-03-08"), ("2018/3/8", "2018-03-08"),
    ("二〇一八年三月八日", "2018-03-08"), ("二〇一八年十二月三十一日", "2018-12-31"), ("2018-02-30", None), ("", None),
])
def test_parse_date(value: str, iso: str | None) -> None:
    assert parse_date(value) == iso


# --- figures ---------------------------------------------------------------------------------------------------------

def test_chinese_numeral_and_full_width_figures() -> None:
    item = _valid(parse_report(_report(2016, proactive="二千三百余", applications="十二")))
    assert item["figures"]["proactive_total"] == 2300
    assert item["figure_notes"]["proactive_total"]["approximate"] is True
    assert item["figures"]["applications_received"] == 12
    wide = _valid(parse_report(_report(2016, proactive="１２３４", applications="３")))
    assert wide["figures"]["proactive_total"] == 1234 and wide["figures"]["applications_received"] == 3


def test_sub_counts_and_subcategories_are_not_totals() -> None:
    text = _report(2016, proactive="1500").replace(
        "一、概述\n", "一、概述\n全县公开重点领域信息800条。其中主动公开政府信息90条。\n")
    item = _valid(parse_report(text))
    assert item["figures"]["proactive_total"] == 1500


def test_no_applications_reads_as_zero() -> None:
    text = _report(2016).replace("全年共收到政府信息公开申请7件,全部按期答复。", "本年度未收到政府信息公开申请。")
    item = _valid(parse_report(text))
    assert item["figures"]["applications_received"] == 0


def test_missing_figures_stay_absent() -> None:
    text = "示例县2016年政府信息公开工作年度报告\n一、概述\n我县做了大量工作。\n二、存在的问题\n仍有不足。"
    item = _valid(parse_report(text))
    assert item["figures"] == {} and item["figure_notes"] == {}


# --- sections and formats --------------------------------------------------------------------------------------------

def test_inline_headings_in_one_long_line() -> None:
    text = ("示例市2020年政府信息公开工作年度报告\n本报告由示例市人民政府办公室编制。 一、总体情况 2020年,全市主动公开政府信息"
            "5000余条。 二、主动公开政府信息情况 三、收到和处理政府信息公开申请情况 四、政府信息公开行政复议、行政诉讼情况"
            " 五、存在的主要问题及改进情况 公开质量有待提高。 六、其他需要报告的事项 无。")
    item = _valid(parse_report(text))
    assert [s["heading"] for s in item["sections"]] == [
        "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
    assert item["format"] == "2019"
    assert "tables_missing" in item["flags"]
    assert item["sections"][0]["text"] == "2020年,全市主动公开政府信息5000余条。"


def test_format_follows_year_without_tables() -> None:
    six = ("一、总体情况\n正文。\n二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n"
           "四、政府信息公开行政复议、行政诉讼情况\n五、存在的主要问题及改进情况\n正文。\n六、其他需要报告的事项\n无。")
    later = _valid(parse_report("示例县2022年政府信息公开工作年度报告\n" + six))
    assert later["format"] == "2021" and "tables_missing" in later["flags"]
    old = _valid(parse_report(_report(2016)))
    assert old["format"] == "pre2019" and "tables_missing" not in old["flags"]
    assert not [c for c in old["checks"] if c["rule"] == "tables_present"]


def test_pre2019_layout_for_a_2020_report_fails_the_format_check() -> None:
    item = _valid(parse_report(_report(2020)))
    (check,) = [c for c in item["checks"] if c["rule"] == "format_matches_year"]
    assert check["ok"] is False and "expected 2019" in check["detail"]


def test_implausible_year_is_reported_not_fixed() -> None:
    item = _valid(parse_report(_report(2016), page_meta={"published": "2023-01-10"}))
    (check,) = [c for c in item["checks"] if c["rule"] == "report_year_plausible"]
    assert item["report_year"] == 2016 and check["ok"] is False


def test_sections_ignore_lists_inside_paragraphs_and_table_rows() -> None:
    text = ("一、概述\n我们做了三件事:一、建章立制,二、完善平台。\n二、主动公开情况\n"
            "一、本年新收政府信息公开申请数量 | 2 | 0 | 2\n四、结转下年度继续办理 | 0 | 0 | 0\n三、其他\n无")
    assert [s["heading"] for s in split_sections(text)] == ["一、概述", "二、主动公开情况", "三、其他"]


# --- robustness --------------------------------------------------------------------------------------------------------

_ALPHABET = st.sampled_from(list("一二三四五六七八九十、。,;:|()（）【】 \n\t0123456789万余条件年月日度报告政府信息公开主动申请"
                                 "行政复议总计索引号发布日期您当前的位置首页>打印本页關閉窗口本年新收上年结转") + ["\x00", "\ufffd", "\x1f"])


_GRIDS = st.one_of(st.none(), st.lists(st.lists(st.lists(st.text(alphabet=_ALPHABET, max_size=8), min_size=1,
                                                         max_size=6), min_size=1, max_size=6), max_size=2))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=400), _GRIDS)
def test_any_text_gives_a_valid_item_or_parse_error(text: str, grids: list | None) -> None:
    try:
        item = parse_report(text, grids=grids)
    except ParseError:
        return
    _valid(item)


@pytest.mark.parametrize(("sentence", "key", "value"), [
    ("全年主动公开政府信息数量为5838条。", "proactive_total", 5838),
    ("2019年,共主动公开各类政府信息共计1.2万余条。", "proactive_total", 12000),
    ("通过门户网站发布政府信息300条。", "proactive_total", 300),
    ("本年度新收政府信息公开申请15件,上年结转2件。", "applications_received", 15),
    ("全年共受理依申请公开事项8件。", "applications_received", 8),
    ("被申请行政复议2起。", "review_total", 2),
    ("全年未发生因政府信息公开引起的行政复议。", "review_total", 0),
])
def test_narrative_phrasings(sentence: str, key: str, value: int) -> None:
    from govcrawl.parser.figures import narrative_figures

    assert narrative_figures(sentence)[key].value == value


@pytest.mark.parametrize("sentence", [
    "全年共受理人民网地方领导留言1178件。",  # 受理 but not an information-disclosure application
    "未收到公民提出的政府信息公开相关举报或投诉。",
    "公开重点领域信息4330条。",
    "主动公开规范性文件8条。",
])
def test_phrasings_that_are_not_headline_figures(sentence: str) -> None:
    from govcrawl.parser.figures import narrative_figures

    assert narrative_figures(sentence) == {}


def test_title_year_wins_over_an_odd_publication_date() -> None:
    item = _valid(parse_report(_report(2017), page_meta={"published": "2016-12-01"}))
    (check,) = [c for c in item["checks"] if c["rule"] == "report_year_plausible"]
    assert item["report_year"] == 2017 and check["ok"] is False


def test_agency_from_signature_when_the_title_names_no_unit() -> None:
    text = ("2023年政府信息公开工作年度报告\n" + BODY.format(y=2023, n="120", a="2")
            + "\n示例区统计局\n2024年1月20日")
    item = _valid(parse_report(text))
    assert item["title"] == "2023年政府信息公开工作年度报告"
    assert item["agency"] == "示例区统计局" and item["admin_level"] == "department"
    assert item["published"] == "2024-01-20"


def test_agency_from_page_metadata_when_the_title_names_no_unit() -> None:
    item = _valid(parse_report("2023年政府信息公开工作年度报告\n" + BODY.format(y=2023, n="120", a="2"),
                               page_meta={"agency": "示例市人民政府办公室"}))
    assert item["agency"] == "示例市人民政府办公室"


def test_title_broken_over_two_lines() -> None:
    item = _valid(parse_report("示例县人民政府\n2017年政府信息公开工作年度报告\n" + BODY.format(y=2017, n="5", a="1")))
    assert item["title"] == "示例县人民政府2017年政府信息公开工作年度报告"
    assert item["agency"] == "示例县人民政府"


def _chrome_reference(line: str) -> bool:
    """is_chrome_line without its digit shortcut (the definition the shortcut must agree with)."""
    from govcrawl.parser import chrome

    stripped = line.strip().strip("|").strip()
    if not stripped:
        return bool(line.strip())
    if len(stripped) <= chrome._LABEL_LINE_MAX and (chrome._LABEL_LINE.search(stripped)
                                                    or chrome._BREADCRUMB_ARROWS.search(stripped)):
        return True
    if len(stripped) > chrome._SHORT_LINE_MAX or "。" in stripped:
        return False
    if chrome._SHORT_LINE_MARKERS.search(stripped):
        return True
    return not chrome._SEPARATORS.sub("", chrome._TOKENS.sub(" ", stripped))


_CHROME_PIECES = st.sampled_from(["打印", "关闭", "分享到", "微信", "字体:大中小", "【打印 3】", "[12]", "您好我是小2",
                                  "1", "23", "0.5", "|", " ", ":", "-", "、", "首页", "2024", "年", "规章", "【", "]",
                                  "我是", "TOP", "扫一扫", "无障碍", "第3页", "返回顶部",
                                  # start-anchored labels (matched, not searched): also met mid-line here
                                  "当前位置:", "首页>", "责任编辑:", "版权所有", "今天是2024年1月1日星期一", "下一篇:"])


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(_CHROME_PIECES, min_size=1, max_size=8))
def test_chrome_digit_shortcut_agrees_with_the_token_test(pieces: list[str]) -> None:
    line = "".join(pieces)
    assert is_chrome_line(line) == _chrome_reference(line), line


def test_chrome_tokens_and_separators_never_remove_a_digit() -> None:
    """The digit shortcut's premise: outside 【】/[] and 我是…, no token or separator matches a digit."""
    from govcrawl.parser import chrome

    for digit in "0123456789":
        probe = f"打印{digit}关闭 分享到{digit}{digit}微信|{digit}"
        assert digit in chrome._SEPARATORS.sub("", chrome._TOKENS.sub(" ", probe))
        assert not chrome._DIGIT_EATERS.search(probe)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="一二三四五六七八九十、 |\n年报告(", max_size=40))
def test_heading_numerals_found_as_the_anchored_regex_defines_them(text: str) -> None:
    """sections._numeral_marks scans from each 、 backwards for speed; this regex is its definition."""
    import re

    from govcrawl.parser.sections import _numeral_marks

    definition = re.compile(r"(?:^|(?<=[ |]))(二十|十[一二三四五六七八九]?|[一二三四五六七八九])、", re.M)
    assert _numeral_marks(text) == [(m.start(), m.end(), m.group(1)) for m in definition.finditer(text)]
