"""Link targets, unit-name links in report panels, pagers vs navigation, the browser decision.

The markup here is written for the tests (not real pages), on the patterns issue 10 describes from real
sites the tests cannot ship: a Hanweb 年报 column of ~230 entries (``javascript:window.open`` hrefs, year
panels of unit names, an older panel with hrefs broken by nested quotes), a JS-rendered list with a
``javascript:load(n)`` pager beside ordinary navigation.
"""

from __future__ import annotations

from govcrawl.discovery.decisions import count_decisions, decide_link, needs_browser
from govcrawl.discovery.explain import explain, main
from govcrawl.discovery.links import LinkStats, list_links, parse_html
from govcrawl.discovery.pagination import pager_links, trs_script_pages
from govcrawl.discovery.targets import is_targetless, repair_nested_quotes, script_target

BASE = "http://www.xx.gov.cn/col/col37703/index.html"

HANWEB_PANELS = """<html><head><title>政府信息公开年报</title></head><body>
<div class="nav"><a href="/">首页</a><a href="/col/col1/index.html">政务公开</a></div>
<div class="nb-panel"><div class="nb-title">2021年度政府信息公开工作年度报告</div>
<ul>
<li><a href="javascript:window.open('http://www.xx.gov.cn/art/2022/2/8/art_37703_2740494.html?xxgkhide=1');">区政府2021年度政府信息公开工作年度报告</a></li>
<li><a href="javascript:window.open('http://www.xx.gov.cn/art/2022/1/20/art_37703_2740001.html?xxgkhide=1');">区发改局</a></li>
<li><a href="javascript:window.open('http://www.xx.gov.cn/art/2022/1/21/art_37703_2740002.html?xxgkhide=1');">城关街道</a></li>
</ul></div>
<div class="nb-panel"><div class="nb-title">2015年度政府信息公开工作年度报告</div>
<ul>
<li><a href="javascript:window.open("http://www.xx.gov.cn/art/2016/3/1/art_37703_1000001.html");" title="区教育局2015年度政府信息公开工作年度报告">区教育局</a></li>
</ul></div>
<div class="side"><h3>部门网站</h3><ul><li><a href="http://fgj.xx.gov.cn/art/2020/1/1/art_1_1.html">区发改局</a></li></ul></div>
</body></html>"""


def _decisions(html: str, url: str = BASE) -> dict[str, str]:
    doc = parse_html(html, url)
    return {d.url: d.key for d in (decide_link(link, url) for link in list_links(doc, url))}


def test_targets_hidden_in_javascript_hrefs() -> None:
    assert script_target("javascript:window.open('http://a.gov.cn/x.html?xxgkhide=1');") == \
        "http://a.gov.cn/x.html?xxgkhide=1"
    assert script_target("javascript:location.href='./2022/t1.html'") == "./2022/t1.html"
    assert script_target("javascript:window.location='/art/1.html';") == "/art/1.html"
    assert script_target("openWin('../content/2.html','720','600')") == "../content/2.html"
    teleport = ("javascript:if(confirm('http://zwgk.x.gov.cn/p.xp?a=1&frame=nb  \\n\\n此文件无法下载  \\n\\n是否?'))"
                "window.location='http://zwgk.x.gov.cn/p.xp?a=1&frame=nb'")
    assert script_target(teleport) == "http://zwgk.x.gov.cn/p.xp?a=1&frame=nb"
    for nowhere in ("javascript:;", "javascript:void(0)", "javascript:void(0);", "#", "", "javascript:"):
        assert is_targetless(nowhere)
    assert script_target("javascript:load(2)") is None and script_target("share('share.sina')") is None


def test_nested_quotes_repaired_before_parsing() -> None:
    broken = '<a href="javascript:window.open("http://x.gov.cn/a.html")" title="T">u</a>'
    assert repair_nested_quotes(broken) == '<a href="javascript:window.open(\'http://x.gov.cn/a.html\')" title="T">u</a>'


def test_hanweb_year_panels_unit_names_and_broken_quotes() -> None:
    stats = LinkStats()
    doc = parse_html(HANWEB_PANELS, BASE)
    links = list_links(doc, BASE, stats)
    decisions = {d.url: d for d in (decide_link(link, BASE) for link in links)}
    art = "http://www.xx.gov.cn/art/"
    assert decisions[art + "2022/2/8/art_37703_2740494.html?xxgkhide=1"].key == "report/title"
    unit = decisions[art + "2022/1/20/art_37703_2740001.html?xxgkhide=1"]
    assert unit.key == "report/context" and unit.title.startswith("区发改局") and "2021年度" in unit.title
    assert decisions[art + "2022/1/21/art_37703_2740002.html?xxgkhide=1"].key == "report/context"
    old = decisions[art + "2016/3/1/art_37703_1000001.html"]
    assert old.taken and old.title == "区教育局2015年度政府信息公开工作年度报告"  # from the title attribute
    # the same unit name in a side box of department sites is not a report
    assert not decisions["http://fgj.xx.gov.cn/art/2020/1/1/art_1_1.html"].taken
    assert stats.targets["javascript"] == 4 and stats.javascript == 0


def test_year_tabs_table_captions_and_page_column() -> None:
    tabs = """<html><head><meta name="ColumnName" content="政府信息公开年报"></head><body>
    <ul class="tabs"><li>2023年度</li><li>2022年度</li></ul>
    <div class="tab-con"><ul><li><a href="/a/2024/t1.html">区财政局</a></li><li><a href="/a/2024/t2.html">东城镇</a></li></ul></div>
    <div class="tab-con"><ul><li><a href="/a/2023/t3.html">区财政局</a></li></ul></div>
    <table><caption>2020年政府信息公开工作年度报告</caption><tr><td><a href="/a/2021/t4.html">区卫健委</a></td></tr></table>
    <div><h4>2021年</h4><ul><li><a href="/a/2022/t5.html">区民政局</a></li></ul></div>
    </body></html>"""
    url = "http://www.xx.gov.cn/nb/index.html"
    doc = parse_html(tabs, url)
    by_url = {link.url: link for link in list_links(doc, url)}
    first = by_url["http://www.xx.gov.cn/a/2024/t1.html"]
    assert "2023" in first.context_title and decide_link(first, url).key == "report/context"
    assert "2022" in by_url["http://www.xx.gov.cn/a/2023/t3.html"].context_title
    assert "2020" in by_url["http://www.xx.gov.cn/a/2021/t4.html"].context_title
    assert "2021" in by_url["http://www.xx.gov.cn/a/2022/t5.html"].context_title  # year heading + column meta
    assert all(decide_link(link, url).taken for link in by_url.values())


def test_unit_names_without_a_report_context_stay_refused() -> None:
    html = """<div><h3>2021年工作动态</h3><ul><li><a href="/a/1.html">区发改局</a></li></ul></div>
    <div><h3>政府信息公开年报</h3><ul><li><a href="/a/2.html">区教育局</a></li></ul></div>"""
    decisions = _decisions(html, "http://www.xx.gov.cn/x/index.html")
    assert not any(key.startswith("report/") for key in decisions.values()), decisions


def test_card_anchor_title_in_h2_and_nested_anchor() -> None:
    html = """<ul><li><a href="../contents/2146/1.html"><h2>XX局2019年政府信息公开工作年度报告</h2>
    <div class="note"><div>摘要……</div><p><i>主题分类：政府信息公开年度报告</i><i>日间：2020-01-29</i></p></div></a></li>
    <li><span> 2019-03-07 </span><a href="201903/t1.html"><a href="201903/t1.html">市林业局2018年政务公开年度报告</a></li></ul>"""
    url = "http://www.xx.gov.cn/channels/2146.html"
    links = list_links(parse_html(html, url), url)
    assert [link.text for link in links] == ["XX局2019年政府信息公开工作年度报告", "市林业局2018年政务公开年度报告"]
    assert all(decide_link(link, url).taken for link in links)


def test_navigation_home_is_not_a_pager_first_page() -> None:
    html = """<div class="menu"><a href="/index.html">首页</a><a href="/zwgk/index.html">政务公开</a></div>
    <ul class="list"><li><a href="./t1.html">通知</a></li></ul>
    <div class="page"><a href="index.html">首页</a><a href="index_1.html">2</a><a href="index_1.html">下一页</a></div>"""
    url = "http://www.xx.gov.cn/zwgk/nb/index.html"
    doc = parse_html(html, url)
    links = list_links(doc, url)
    pages = {p.url for p in pager_links(doc, links, url)}
    assert pages == {"http://www.xx.gov.cn/zwgk/nb/index_1.html"}
    menu_only = """<div class="menu"><a href="/index.html">首页</a><a href="/zwgk/index.html">政务公开</a></div>"""
    doc = parse_html(menu_only, url)
    assert pager_links(doc, list_links(doc, url), url) == []


def test_inline_pager_script() -> None:
    text = "<script>Pager({size:3, current:0, prefix:'index',suffix:'html',visible:5});</script>"
    pages = trs_script_pages(text, "http://www.xx.gov.cn/xxgk/ndbg/index.html")
    assert [p.url.rsplit("/", 1)[1] for p in pages] == ["index.html", "index_1.html", "index_2.html"]
    assert trs_script_pages("function Pager(settings){ var cfg = {size:1}; }", "http://x.gov.cn/a/") == []


def test_browser_for_a_script_list_whatever_other_links() -> None:
    js_list = """<html><head><script>$.ajax({url:'/api/list?page=1',success:function(d){$('#list').html(d)}})</script></head>
    <body><div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a></div><ul id="list"></ul>
    <div class="page"><a href="javascript:load(2)">2</a><a href="javascript:load(2)">下一页</a></div></body></html>"""
    url = "http://www.xx.gov.cn/zwgk/nb/index.html"
    doc = parse_html(js_list, url)
    links = list_links(doc, url)
    more = pager_links(doc, links, url)
    assert more == []  # the menu's 首页 is no pager page
    assert needs_browser(js_list, 0, more, doc)[0] is True
    static = """<html><head><script src="/jquery.js"></script><script>createPageHTML(3, 0, "index", "html");</script></head>
    <body><ul class="list"><li><a href="./t1.html">关于开展检查的通知</a></li></ul></body></html>"""
    doc = parse_html(static, url)
    assert needs_browser(static, 0, trs_script_pages(static, url), doc) == (
        False, "static list without report links (its pages are followed)")
    assert needs_browser(js_list, 3, [], doc)[0] is False


def test_decisions_counted_and_explained(tmp_path, capsys) -> None:
    class Stats:
        def __init__(self) -> None:
            self.values: dict[str, int] = {}

        def inc_value(self, key: str, count: int = 1) -> None:
            self.values[key] = self.values.get(key, 0) + count

    doc = parse_html(HANWEB_PANELS, BASE)
    stats = Stats()
    count_decisions(stats, [decide_link(link, BASE) for link in list_links(doc, BASE)])
    assert stats.values["govcrawl/decisions/report/context"] == 2
    assert stats.values["govcrawl/decisions/report/title"] == 2
    keys = [d.key for d in explain(HANWEB_PANELS.encode(), BASE)]
    assert keys.count("report/context") == 2 and keys[-1] == "browser/no"
    page = tmp_path / "list.html"
    page.write_text(HANWEB_PANELS, encoding="utf-8")
    assert main([str(page), "--url", BASE]) == 0
    out = capsys.readouterr().out
    assert "report/context" in out and "区发改局" in out and "refused/" in out and "summary:" in out


def test_table_heading_row_and_more_unit_kinds() -> None:
    html = """<table><tr><td class="t">2019年度政府信息公开工作年度报告</td></tr>
    <tr><td><a href="/art/2020/1/1/art_9_1.html">区妇联</a></td><td><a href="/art/2020/1/1/art_9_2.html">东风社区</a></td></tr>
    <tr><td><a href="/art/2020/1/1/art_9_3.html">区科协</a></td></tr></table>"""
    url = "http://www.xx.gov.cn/col/col9/index.html"
    decisions = _decisions(html, url)
    assert sorted(decisions.values()) == ["report/context"] * 3, decisions


def test_subcolumns_year_tree_nodes_unit_kind_boxes_and_more_links() -> None:
    from govcrawl.discovery.subcolumns import subcolumn_requests

    html = """<html><head><meta name="ColumnName" content="政府信息公开年报"></head><body>
    <table><tr treeitemlevel="3" style="display:none"><td><a href="/channels/3001.html" istreelink="true"
      onclick="stltree_openFolderByA(this);">2019年政府信息公开年度报告</a></td></tr></table>
    <div class="box"><div class="tit"><h3>部门年报</h3><a href="/nb/bm/index.html">更多</a></div>
      <ul><li><a href="/nb/bm/202201/t1.html">区发改局2021年政府信息公开工作年度报告</a></li></ul></div>
    <div class="box"><div class="tit"><h3>通知公告</h3><a href="/tzgg/index.html">更多</a></div></div>
    <ul class="years"><li><a href="/nb/2020/index.html">2020年度</a></li></ul>
    <div class="page"><a href="index_1.html">下一页</a></div>
    <a href="http://other.gov.cn/nb/index.html">乡镇年报</a>
    </body></html>"""
    url = "http://www.xx.gov.cn/nb/index.html"
    doc = parse_html(html, url)
    links = list_links(doc, url)
    pages = {p.url for p in subcolumn_requests(doc, links, url)}
    assert pages == {"http://www.xx.gov.cn/channels/3001.html", "http://www.xx.gov.cn/nb/bm/index.html",
                     "http://www.xx.gov.cn/nb/2020/index.html"}
    tree = next(link for link in links if link.url.endswith("3001.html"))
    assert decide_link(tree, url).key == "refused/tree_node"


def test_numeric_folder_articles_are_not_list_pages_and_junk_title_attribute() -> None:
    html = """<ul><li><a href="/zwgk/nb/2292928/index.html">大兴区2019年政府信息公开工作年度报告</a></li>
    <li><a href="/zwgk/nb/index_1.html">2019年政府信息公开工作年度报告</a></li></ul>
    <div><h3>2022年度政府信息公开工作年度报告</h3><ul><li><a href="/art/2023/1/1/art_1_9.html" title="在新窗口打开">区水务局</a></li></ul></div>"""
    url = "http://www.bjdx.gov.cn/zwgk/nb/index.html"
    decisions = _decisions(html, url)
    assert decisions["http://www.bjdx.gov.cn/zwgk/nb/2292928/index.html"] == "report/title"
    assert decisions["http://www.bjdx.gov.cn/zwgk/nb/index_1.html"] == "refused/list_url"
    assert decisions["http://www.bjdx.gov.cn/art/2023/1/1/art_1_9.html"] == "report/context"


def test_year_panels_named_by_their_id() -> None:
    html = """<html><head><title>政府信息公开年报_XX区</title></head><body><div class="tabs"><a>近年</a></div>
    <div class="con" id="nb2021"><ul><li><a href="/art/2022/1/5/art_3_1.html">区审计局</a></li></ul></div>
    <div class="con" id="nb2020"><ul><li><a href="/art/2021/1/5/art_3_2.html">区审计局</a></li></ul></div></body></html>"""
    url = "http://www.xx.gov.cn/col/col3/index.html"
    doc = parse_html(html, url)
    titles = {link.url: link.context_title for link in list_links(doc, url)}
    assert "2021" in titles["http://www.xx.gov.cn/art/2022/1/5/art_3_1.html"]
    assert "2020" in titles["http://www.xx.gov.cn/art/2021/1/5/art_3_2.html"]


def test_script_redirect_of_a_link_less_page() -> None:
    from govcrawl.discovery.subcolumns import script_redirect

    assert script_redirect("<script>window.location.href = '/zwgk/nb/';</script>") == "/zwgk/nb/"
    assert script_redirect("<script>function go(){ location.href='/x/'; }</script>") is None
    assert script_redirect("<script>var a=1;</script>") is None


def test_two_headings_above_a_list_year_report_heading_and_unit_kind() -> None:
    html = """<div><h2>2021年度政府信息公开工作年度报告</h2><h3>区直部门</h3>
    <ul><li><a href="/art/2022/1/1/art_5_1.html">区民政局</a></li></ul>
    <h3>镇街</h3><ul><li><a href="/art/2022/1/1/art_5_2.html">东城街道</a></li></ul></div>"""
    url = "http://www.xx.gov.cn/col/col5/index.html"
    decisions = _decisions(html, url)
    assert sorted(decisions.values()) == ["report/context", "report/context"], decisions


def test_govcrawl_cli_has_the_explain_subcommand(tmp_path, capsys) -> None:
    from govcrawl.cli import main as cli_main

    page = tmp_path / "list.html"
    page.write_text(HANWEB_PANELS, encoding="utf-8")
    assert cli_main(["explain", str(page), "--url", BASE, "--taken"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("summary:") and "report/context=2" in lines[-1]
    assert all(line.startswith("TAKE") for line in lines[:-1]) and any("report/context" in line for line in lines)
