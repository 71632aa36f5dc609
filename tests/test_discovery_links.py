"""List-link and attachment-link picking, charset decoding, on real CMS markup."""

from __future__ import annotations

from govcrawl.discovery.links import (
    LinkStats,
    attachment_links,
    decode_html,
    is_attachment_url,
    list_links,
    onclick_url,
    parse_html,
)

BASE = "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/index.html"


def test_trs_list_items_title_attribute_wins_over_truncated_text() -> None:
    html = """<ul class="list">
    <li><a href="./202403/t20240308_87885.htm" target="_blank" title="平潭综合实验区2023年度政府信息公开工作年度报告">平潭综合实验区2023年度政府信息公开...</a><span>2024-03-08</span></li>
    <li><a href="./202302/t20230220_80629.htm" target="_blank">平潭综合实验区2022年政府信息公开工作年度报告</a><span>2023-02-20</span></li>
    </ul>"""
    links = list_links(parse_html(html, BASE), BASE)
    assert [link.url for link in links] == [
        "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/202403/t20240308_87885.htm",
        "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/202302/t20230220_80629.htm",
    ]
    assert links[0].best_title == "平潭综合实验区2023年度政府信息公开工作年度报告"
    assert links[1].best_title == "平潭综合实验区2022年政府信息公开工作年度报告"


def test_onclick_rows_junk_attributes_and_javascript_links() -> None:
    html = """<ul class="list">
    <li class="myflex" onclick="window.open('/gkml/202401/t20240115_1.shtml')"><span class="title">成都市2023年政府信息公开工作年度报告</span></li>
    <li><a href="javascript:void(0)" onclick="location.href='./202301/t20230110_2.html'">2022年度报告</a></li>
    <li class="fj"><a ms-attr-href="qzbFile" href="javascript:;" ms-text="el.title"></a><a ms-attr-href="el.url">{{el.title}}</a>
    <a href="{{el.url}}">{{el.title}}</a><a href="javascript:void(0)" onclick="share('share.sina')">分享</a></li>
    </ul>"""
    stats = LinkStats()
    links = list_links(parse_html(html, "http://gk.chengdu.gov.cn/gkml/column-index-1.shtml"), "http://gk.chengdu.gov.cn/gkml/column-index-1.shtml", stats)
    urls = [link.url for link in links]
    assert urls == ["http://gk.chengdu.gov.cn/gkml/202401/t20240115_1.shtml", "http://gk.chengdu.gov.cn/gkml/202301/t20230110_2.html"]
    assert links[0].via == "onclick" and links[0].text == "成都市2023年政府信息公开工作年度报告"
    assert stats.template_junk >= 3 and stats.javascript >= 2 and stats.onclick == 2


def test_onclick_url_forms() -> None:
    base = "http://x.gov.cn/a/list.html"
    assert onclick_url("window.open('../art/1.html','_blank')", base) == "http://x.gov.cn/art/1.html"
    assert onclick_url('location.href = "/b/2.html";', base) == "http://x.gov.cn/b/2.html"
    assert onclick_url("toggleElder()", base) is None
    assert onclick_url("share('share.sina')", base) is None


def test_attachments_p0_with_oldsrc_fallback_hanweb_downfile_viewer_and_script() -> None:
    detail = "http://www.x.gov.cn/zfxxgk/zfxxgknb/202403/t20240308_87885.htm"
    html = """<div class="TRS_Editor"><p>正文</p>
    <p class="insertfileTag"><a appendix="true" href="./P020240308382295081505.pdf" title="2023年报.pdf"
       OLDSRC="/protect/P0202403/P020240308/P020240308382295081505.pdf">2023年报.pdf</a></p>
    <p>附件：<a href="/module/download/downfile.jsp?classid=0&amp;filename=3f2a9c0d1e8b4a7f9c6d5e4b3a2f1e0d.pdf&amp;showname=%E5%B9%B4%E6%8A%A5.pdf">年报.pdf</a></p>
    <a href="/generic2/web/viewer.html?file=/u/cms/2024/全真版.pdf">全真版</a>
    <a href="./202402/t20240201_1.htm">上一篇</a> <img src="x.png" oldsrc="/protect/x.png">
    <script>var file_appendix='<a href="./P020240308382295081506.docx">附件2</a>';</script></div>"""
    found = attachment_links(parse_html(html, detail), detail)
    assert [a.url for a in found] == [
        "http://www.x.gov.cn/zfxxgk/zfxxgknb/202403/P020240308382295081505.pdf",
        "http://www.x.gov.cn/module/download/downfile.jsp?classid=0&filename=3f2a9c0d1e8b4a7f9c6d5e4b3a2f1e0d.pdf&showname=%E5%B9%B4%E6%8A%A5.pdf",
        "http://www.x.gov.cn/u/cms/2024/全真版.pdf",
        "http://www.x.gov.cn/zfxxgk/zfxxgknb/202403/P020240308382295081506.docx",
    ]
    assert found[0].fallbacks == ["http://www.x.gov.cn/protect/P0202403/P020240308/P020240308382295081505.pdf"]


def test_attachment_url_shapes() -> None:
    assert is_attachment_url("http://x.gov.cn/a/P020240308382295081505.PDF")
    assert is_attachment_url("http://x.gov.cn/a/report.wps") and is_attachment_url("http://x.gov.cn/a/r.ofd")
    assert is_attachment_url("http://x.gov.cn/module/download/downfile.jsp?classid=0&filename=ab.pdf")
    assert not is_attachment_url("http://x.gov.cn/a/t20240308_87885.htm")


def test_decode_html_charsets() -> None:
    text = "<html><head><meta charset=gb2312></head><body>政府信息公开工作年度报告 李堃 王䶮</body></html>"
    assert decode_html(text.encode("gb18030"), "gb2312")[0] == text  # GB2312 declared, GB18030-only character
    gbk_text = text.replace(" 王䶮", "")
    assert decode_html(gbk_text.encode("gbk"), "utf-8")[0] == gbk_text  # the header lies
    assert decode_html(gbk_text.encode("gbk"), None)[0] == gbk_text  # no declaration at all
    utf8 = text.replace("gb2312", "utf-8")
    assert decode_html(utf8.encode("utf-8"), "gbk") == (utf8, "utf-8")  # UTF-8 wins when it validates


def test_attachment_precheck() -> None:
    from govcrawl.discovery.links import may_have_attachments

    assert may_have_attachments(b'<a href="./P020240308382295081505.PDF">')
    assert may_have_attachments(b'<a href="/module/download/downfile.jsp?classid=0&filename=ab">')
    assert not may_have_attachments("<div class=TRS_Editor>一、总体情况 www.gov.cn/index.html</div>".encode("gbk"))


def test_attachment_precheck_is_a_case_blind_test_for_each_hint() -> None:
    import random

    from govcrawl.discovery.links import _ATTACHMENT_HINTS, may_have_attachments

    def naive(body: bytes) -> bool:
        return any(hint in body.lower() for hint in _ATTACHMENT_HINTS)

    rng = random.Random(11)
    pieces = [*_ATTACHMENT_HINTS, *(h.upper() for h in _ATTACHMENT_HINTS), b"Viewer.HTML", b"DownFile", b"x.html",
              b"viewer", b"file", b"appendix", b"profile", b"...", b"\xe3\x80\x82"]
    for _ in range(20_000):
        body = b"".join(rng.choice(pieces)[: rng.randint(1, 13)] if rng.random() < 0.4 else rng.choice(b"a.PdfEtvxl_")
                        .to_bytes(1, "big") for _ in range(rng.randint(0, 10)))
        assert may_have_attachments(body) == naive(body), body
