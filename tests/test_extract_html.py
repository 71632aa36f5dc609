"""HTML extraction: chrome removal on TRS/Hanweb/gov.cn-style markup, 要素表 label sets, title, attachments."""

from __future__ import annotations

from govcrawl.extract import extract_document
from govcrawl.extract.html import extract_html

URL = "http://www.xx.gov.cn/zfxxgk/zfxxgknb/202403/t20240308_87885.htm"
TITLE = "某某县人民政府2023年政府信息公开工作年度报告"
CHROME = ["当前位置", "版权所有", "网站标识码", "长者模式", "无障碍浏览", "打印本页", "关闭窗口", "扫一扫在手机打开当前页",
          "var ", "margin-top", "首页"]

TRS_PAGE = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<meta name="SiteName" content="某某县人民政府"><meta name="SiteIDCode" content="3590000001">
<meta name="ColumnName" content="政府信息公开年报"><meta name="ArticleTitle" content="{TITLE}">
<meta name="PubDate" content="2024-03-08 15:34"><meta name="ContentSource" content="某某县人民政府办公室">
<title>{TITLE}_某某县人民政府</title>
<style>.TRS_Editor P{{margin-top:0;}}</style><script>var a = "当前位置"; document.write("首页");</script></head>
<body><div class="header"><a href="/">首页</a> 无障碍浏览 长者模式</div>
<div class="nav"><ul><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwdt/">政务动态</a></li></ul></div>
<div class="position">当前位置： <a href="/">首页</a> &gt; 政务公开 &gt; 政府信息公开年报</div>
<table class="xxgk_table"><tr><td><b>索 引 号：</b></td><td>014416330/2024-04736</td>
<td>发布机构：</td><td>某某县人民政府办公室</td></tr>
<tr><td>名　　称：</td><td colspan=3>{TITLE}</td></tr>
<tr><td>发文日期：</td><td>2024-03-08</td><td>文 号：</td><td></td></tr></table>
<div class="article_content"><div class=TRS_Editor><p>　　本报告根据《中华人民共和国政府信息公开条例》编制。</p>
<p>一、总体情况</p><p>2023年，某某县<span>持续</span>推进政务公开，<br>全年主动公开信息1234条。</p>
<table border=1><tr><td rowspan=2>信息内容</td><td colspan=2>数量</td></tr>
<tr><td>本年制发件数</td><td>本年废止件数</td></tr><tr><td>规章</td><td>0</td><td>0</td></tr></table>
<p class="insertfileTag"><a appendix="true" href="./P020240308382295081505.pdf" title="年报.pdf"
OLDSRC="/protect/P0202403/P020240308/P020240308382295081505.pdf">附件：年报.pdf</a></p>
</div></div>
<div class="share">分享到： 微信 微博 QQ空间 【字体：大 中 小】 打印本页 关闭窗口 扫一扫在手机打开当前页</div>
<div class="footer">版权所有：某某县人民政府 主办单位：某某县人民政府办公室 网站标识码：3590000001
闽ICP备09032658号</div></body></html>"""


def test_trs_page_text_without_chrome_one_block_per_line() -> None:
    document = extract_document(TRS_PAGE.encode("gbk"), "text/html", URL)
    lines = document.text.splitlines()
    assert lines[0] == "本报告根据《中华人民共和国政府信息公开条例》编制。"
    assert "一、总体情况" in lines
    assert "2023年，某某县持续推进政务公开，" in lines and "全年主动公开信息1234条。" in lines
    assert "规章\t0\t0" in lines
    for chrome in CHROME:
        assert chrome not in document.text, chrome
    assert document.kind == "html" and document.encoding == "gb18030"


def test_trs_page_grid_has_spans_expanded() -> None:
    document = extract_document(TRS_PAGE.encode("utf-8"), "text/html; charset=utf-8", URL)
    assert len(document.grids) == 1  # the 要素表 is outside the content and is not a report table
    grid = document.grids[0]
    assert grid[0] == ["信息内容", "数量", "数量"]
    assert grid[1] == ["信息内容", "本年制发件数", "本年废止件数"]
    assert grid[2] == ["规章", "0", "0"]


def test_trs_page_meta_from_meta_tags_and_yaosu_table() -> None:
    meta = extract_document(TRS_PAGE.encode("utf-8"), "text/html", URL).page_meta
    assert meta["title"] == TITLE
    assert meta["index_no"] == "014416330/2024-04736"
    assert meta["agency"] == "某某县人民政府办公室"
    assert meta["published"] == "2024-03-08"
    assert meta["column"] == "政府信息公开年报" and meta["site_name"] == "某某县人民政府"
    assert "doc_no" not in meta  # 文号 is empty on annual reports: no value rather than the next label


def test_attachment_links_absolute_with_oldsrc() -> None:
    links = extract_document(TRS_PAGE.encode("utf-8"), "text/html", URL).attachment_links
    assert links == [{
        "url": "http://www.xx.gov.cn/zfxxgk/zfxxgknb/202403/P020240308382295081505.pdf", "text": "附件：年报.pdf",
        "oldsrc": "http://www.xx.gov.cn/protect/P0202403/P020240308/P020240308382295081505.pdf",
    }]


HANWEB_PAGE = """<html><head><meta charset="utf-8"><meta name="i_columnid" content="12596">
<title>某某镇2022年政府信息公开工作年度报告 - 某某市人民政府</title></head><body>
<div id="top">大汉版通 网站首页 | 政务公开 | 办事服务</div>
<div class="crumb">您所在的位置: 首页 &gt; 信息公开 &gt; 年度报告</div>
<h1 class="title">某某镇2022年政府信息公开工作年度报告</h1>
<div class="xxgk_table"><ul><li>索引号： 11341702486344515H/202301-00013</li><li>发布机构： 某某镇人民政府</li>
<li>生成日期： 2023-01-20</li><li>文件编号：</li></ul></div>
<div class="bt_link">打印 | 关闭</div>
<div id="zoom"><!--ZJEG_RSS.content.begin--><meta name="ContentStart"><p>一、总体情况</p>
<p>2022年，某某镇认真贯彻落实《条例》。</p><!--ZJEG_RSS.content.end--><meta name="ContentEnd"></div>
<div class="foot">主办单位：某某市人民政府办公室 版权所有</div></body></html>"""


def test_hanweb_markers_and_li_metadata() -> None:
    document = extract_document(HANWEB_PAGE.encode("utf-8"), "text/html", "http://www.xx.gov.cn/art/2023/1/20/art_12596_1.html")
    assert document.text.splitlines() == ["一、总体情况", "2022年，某某镇认真贯彻落实《条例》。"]
    meta = document.page_meta
    assert meta["title"] == "某某镇2022年政府信息公开工作年度报告"
    assert meta["index_no"] == "11341702486344515H/202301-00013"
    assert meta["agency"] == "某某镇人民政府" and meta["published"] == "2023-01-20"


GOVCN_PAGE = """<html><head><meta charset="utf-8"><title>国务院办公厅2023年政府信息公开工作年度报告_政府信息公开年报_中国政府网</title></head>
<body><div class="header">中国政府网 首页 简 | 繁 | EN</div>
<table class="bd1"><tr><td><b>索<span>&nbsp;</span>引<span>&nbsp;</span>号：</b></td><td>000014349/2024-00012</td>
<td><b>主题分类：</b></td><td>综合政务\\其他</td></tr>
<tr><td><b>发文机关：</b></td><td>国务院办公厅</td><td><b>成文日期：</b></td><td>2024年01月20日</td></tr>
<tr><td><b>标　　题：</b></td><td colspan="3">国务院办公厅2023年政府信息公开工作年度报告</td></tr></table>
<div id="UCAP-CONTENT"><p>本年度报告根据《中华人民共和国政府信息公开条例》要求编制。</p><p>二、主动公开政府信息情况</p></div>
<div class="footer">主办单位：国务院办公厅 运行维护单位：中国政府网运行中心</div></body></html>"""


def test_govcn_bold_labels_and_ucap_container() -> None:
    document = extract_document(GOVCN_PAGE.encode("utf-8"), "text/html; charset=utf-8", "https://www.gov.cn/zhengce/content/202401/content_1.htm")
    assert document.text.splitlines() == ["本年度报告根据《中华人民共和国政府信息公开条例》要求编制。", "二、主动公开政府信息情况"]
    meta = document.page_meta
    assert meta["index_no"] == "000014349/2024-00012" and meta["agency"] == "国务院办公厅"
    assert meta["published"] == "2024年01月20日"  # 成文日期 used when no 发布日期; raw string, parser normalises
    assert meta["title"] == "国务院办公厅2023年政府信息公开工作年度报告"
    assert meta["category"] == "综合政务\\其他"


def test_dt_dd_metadata_and_title_from_title_tag_without_site_suffix() -> None:
    page = """<html><head><title>2021年度某某区统计局政府信息公开工作年度报告 - 某某区人民政府</title></head><body>
    <dl><dt>发文字号：</dt><dd>无</dd><dt>发布日期：</dt><dd>2022-01-28</dd></dl>
    <div class="view"><p>一、总体情况</p><p>区统计局坚持以公开为常态、不公开为例外。</p></div></body></html>"""
    document = extract_document(page.encode("utf-8"), "text/html", "http://x.gov.cn/a.html")
    assert document.page_meta["title"] == "2021年度某某区统计局政府信息公开工作年度报告"
    assert document.page_meta["published"] == "2022-01-28" and document.page_meta["doc_no"] == "无"


def test_density_fallback_picks_the_report_text_not_the_menus() -> None:
    menu = "".join(f'<li><a href="/c{i}/">栏目链接{i}</a></li>' for i in range(40))
    body = "".join(f"<p>第{i}段：本机关严格落实政府信息公开条例，依法依规做好信息公开工作，回应社会关切。</p>" for i in range(8))
    page = (f"<html><body><div class='left'><ul>{menu}</ul></div><div class='r'><div>{body}</div></div>"
            "<div class='bottom'>版权所有 某某县人民政府</div></body></html>")
    result = extract_html(page, "http://x.gov.cn/a.html")
    assert result.container == "density"
    assert result.text.count("本机关严格落实") == 8
    assert "栏目链接" not in result.text and "版权所有" not in result.text


def test_picture_report_page_is_image_only() -> None:
    page = ("<html><body><div class='TRS_Editor'><p><img src='./W020200310.jpg'></p><p><img src='./W020200311.jpg'>"
            "</p><p>图片版</p></div></body></html>")
    document = extract_document(page.encode("utf-8"), "text/html", "http://x.gov.cn/a.html")
    assert document.image_only and document.text == "图片版"


def test_xml_declaration_and_garbage_do_not_crash() -> None:
    page = '<?xml version="1.0" encoding="gbk"?><html><body><div id="zoom"><p>某某县2023年政府信息公开工作年度报告正文</p></div></body></html>'
    assert "年度报告正文" in extract_document(page.encode("gbk"), "text/html", "http://x/a").text
    for junk in (b"", b"\x00\x01\x02", b"<<<>>>", b"<html>"):
        document = extract_document(junk, "text/html", "http://x/a")
        assert isinstance(document.text, str)


def test_deeply_nested_markup_keeps_its_text() -> None:
    # unclosed <font> runs (old FrontPage pages) nest past libxml2's default limit of 255 levels
    fonts = "<html><body><div class=TRS_Editor>" + "<font>" * 1000 + "<p>某某县2023年政府信息公开工作年度报告</p></body></html>"
    document = extract_document(fonts.encode(), "text/html", "http://x/a")
    assert document.text == "某某县2023年政府信息公开工作年度报告" and document.flags == []
    # beyond 2048 levels lxml drops the rest: the regex fallback still gets the text, and says so
    divs = "<html><body>" + "<div>" * 5000 + "<p>第一段</p><p>第二段 &amp; 附件</p>" + "</div>" * 5000 + "</body></html>"
    document = extract_document(divs.encode(), "text/html", "http://x/a")
    assert document.text.splitlines() == ["第一段", "第二段 & 附件"] and "html_too_deep" in document.flags


TRADITIONAL_PAGE = """<html><head><meta charset="big5"><title>某某縣人民政府2023年政府信息公開工作年度報告</title></head><body>
<table class="xxgk_table"><tr><td><b>索 引 號：</b></td><td>014416330/2024-04736</td>
<td>發佈機構：</td><td>某某縣人民政府辦公室</td></tr>
<tr><td>名　　稱：</td><td colspan=3>某某縣人民政府2023年政府信息公開工作年度報告</td></tr>
<tr><td>發文日期：</td><td>2024-03-08</td><td>文 號：</td><td></td></tr></table>
<div class="xxgk_list"><ul><li>發佈日期： 2024-03-09</li><li>發文機關： 某某縣人民政府</li></ul></div>
<div class=TRS_Editor><p>一、總體情況</p><p>2023年，某某縣持續推進政務公開，全年主動公開政府信息1234條。</p>
<p>二、主動公開政府信息情況</p><p>三、收到和處理政府信息公開申請情況</p><p>四、政府信息公開行政復議、行政訴訟情況</p>
<p>五、存在的主要問題及改進情況</p><p>六、其他需要報告的事項</p></div></body></html>"""


def test_traditional_yaosu_labels_are_recognised() -> None:
    """索引號 / 發佈機構 / 發文日期 (table cells) and 發佈日期 / 發文機關 (``label：value`` items) on a big5 page."""
    document = extract_document(TRADITIONAL_PAGE.encode("big5"), "text/html", URL)
    meta = document.page_meta
    assert meta["index_no"] == "014416330/2024-04736"
    assert meta["agency"] == "某某縣人民政府辦公室"  # raw value: the parser converts it
    assert meta["published"] == "2024-03-08"  # 發文日期 comes first; first occurrence wins
    assert meta["title"] == "某某縣人民政府2023年政府信息公開工作年度報告"
    assert "doc_no" not in meta  # 文號 is empty: no value rather than the next label
    li_only = extract_html(TRADITIONAL_PAGE.split("<table", 1)[0] + TRADITIONAL_PAGE.split("</table>", 1)[1], URL)
    assert li_only.page_meta["published"] == "2024-03-09" and li_only.page_meta["agency"] == "某某縣人民政府"


def test_traditional_yaosu_fields_reach_the_item() -> None:
    from govcrawl.capture import Capture
    from govcrawl.report import build_item

    item = build_item(Capture(url=URL, body=TRADITIONAL_PAGE.encode("big5"), content_type="text/html"))
    assert item["script"] == "traditional"
    assert item["index_no"] == "014416330/2024-04736" and item["published"] == "2024-03-08"
    assert item["agency"] == "某某县人民政府" and item["report_year"] == 2023  # the title's agency, simplified


def test_a_comment_after_a_yaosu_label_is_skipped_not_an_error() -> None:
    from lxml import html as lxml_html

    from govcrawl.extract.html import metadata_table

    root = lxml_html.fromstring("<div><p><span>索引号：</span><!-- cms --><span>014416330/2024-04736</span></p>"
                                "<p><span>发布机构：</span><!-- cms -->某某县人民政府办公室</p></div>")
    assert metadata_table(root) == {"index_no": "014416330/2024-04736", "agency": "某某县人民政府办公室"}
