"""Pagination styles on snippets written in real CMS markup (TRS, Hanweb jpage, gkmlpt, Fujian 动静结合)."""

from __future__ import annotations

import json

from govcrawl.discovery.links import list_links, parse_html
from govcrawl.discovery.pagination import (
    jpage_requests,
    json_api_requests,
    json_entries,
    json_next_requests,
    json_page_count,
    listmodel_requests,
    looks_like_list_url,
    pager_links,
    parse_datastore,
    records_links,
    trs_script_pages,
)

LIST = "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/index.html"

TRS_PAGE = """<div class="page"><script>
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){ document.write("..."); }
createPageHTML(4, 0, "index", "html");
</script></div>"""


def test_trs_create_page_html_two_number_form_skips_the_function_definition() -> None:
    pages = trs_script_pages(TRS_PAGE, LIST)
    assert [p.url for p in pages] == [
        "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/index.html",
        "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/index_1.html",
        "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/index_2.html",
        "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/index_3.html",
    ]


def test_trs_three_number_form_createpage_and_countpage() -> None:
    three = trs_script_pages("createPageHTML(95, 7, 2, 'index', 'shtml');", LIST)
    assert len(three) == 7 and three[-1].url.endswith("/index_6.shtml")
    cq = trs_script_pages('createPage(3, 0, "index", "html");', LIST)
    assert [p.url.rsplit("/", 1)[1] for p in cq] == ["index.html", "index_1.html", "index_2.html"]
    old = "<script>var currentPage = 0;//所在页从0开始\nvar countPage = 2//共多少页\ndocument.write(...)</script>"
    assert [p.url.rsplit("/", 1)[1] for p in trs_script_pages(old, LIST)] == ["index.html", "index_1.html"]
    assert len(trs_script_pages("createPageHTML(5000, 0, 'index', 'html');", LIST, max_pages=20)) == 20
    assert trs_script_pages("<p>no script</p>", LIST) == []


def test_static_and_query_pager_links() -> None:
    html = """<div class="pagination"><a href="?page=2">2</a> <a href="list.jsp?pageNo=3">3</a>
    <a href="column-index-4.shtml">下一页</a> <a href="index_9.html">尾页</a>
    <a href="/zwgk/index.html">政务公开</a> <a href="http://other.gov.cn/index_2.html">2</a></div>"""
    base = "http://www.x.gov.cn/gkml/col/column-index-1.shtml"
    doc = parse_html(html, base)
    urls = {p.url for p in pager_links(doc, list_links(doc, base), base)}
    assert urls == {
        "http://www.x.gov.cn/gkml/col/column-index-1.shtml?page=2",
        "http://www.x.gov.cn/gkml/col/list.jsp?pageNo=3",
        "http://www.x.gov.cn/gkml/col/column-index-4.shtml",
        "http://www.x.gov.cn/gkml/col/index_9.html",
    }


HANWEB = """<div id="4035599"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=1&path=/&columnid=1229&unitid=4035599&webname=%E5%AE%9A%E8%A5%BF&permissiontype=0"></a>]]></nextgroup>
<recordset>
<record><![CDATA[<li class="clearfix"><a href="/art/2024/1/20/art_1229_1001.html" title="定西市人民政府2023年政府信息公开工作年度报告" target="_blank">定西市人民政府2023年政府信息公开...</a><b>2024-01-20</b></li>]]></record>
<record><![CDATA[<li class="clearfix"><a href="/art/2023/1/18/art_1229_901.html" title="定西市2023年政务公开工作要点" target="_blank">定西市2023年政务公开工作要点</a><b>2023-01-18</b></li>]]></record>
</recordset></datastore></script>
<script>$(document).ready(function(){ $('#4035599').jpage({ perPage: 15, totalRecord: 100 }); });</script></div>"""


def test_hanweb_datastore_records_and_post_groups() -> None:
    base = "http://www.dingxi.gov.cn/col/col1229/index.html"
    data = parse_datastore(HANWEB)
    assert data is not None and len(data.records) == 2 and data.nextgroup_url.startswith("/module/web/jpage/")
    links = records_links(data.records, base)
    assert links[0].url == "http://www.dingxi.gov.cn/art/2024/1/20/art_1229_1001.html"
    assert links[0].text.endswith("...") and links[0].best_title == "定西市人民政府2023年政府信息公开工作年度报告"
    (group,) = jpage_requests(data, HANWEB, base, start_after=45)
    assert group.method == "POST"
    assert group.url == "http://www.dingxi.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15"
    assert group.formdata["columnid"] == "1229" and group.formdata["unitid"] == "4035599"
    assert group.formdata["webname"] == "定西" and "page" not in group.formdata
    assert jpage_requests(data, HANWEB, base, start_after=100) == []  # totalRecord reached


def test_hanweb_xml_is_parsed_without_entity_expansion() -> None:
    evil = """<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd"><!ENTITY a "aaaaaaaaaa">
    <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
    <datastore><totalrecord>&b;3</totalrecord><recordset><record>&x;</record>
    <record><![CDATA[<li><a href="/art/2024/1/2/art_1_2.html" title="t">t</a></li>]]></record></recordset></datastore>"""
    data = parse_datastore(evil)
    assert data is not None
    assert all("root:" not in r for r in data.records)
    assert data.total_records is None  # "&b;3" was not expanded into a number
    answer = "<datastore><totalrecord>61</totalrecord><recordset><record><![CDATA[<li/>]]></record></recordset></datastore>"
    assert parse_datastore(answer).total_records == 61


GKMLPT = """<script>window._CONFIG = {SID: '755001', TREE: [{id: 2656, name: '政策文件', children: []},
{id: 2661, name: '政府信息公开年报', children: []}], API: '/gkmlpt/api/all/'};</script>"""


def test_gkmlpt_config_and_json_pages() -> None:
    base = "http://www.xuwen.gov.cn/gkmlpt/index"
    (first,) = json_api_requests(GKMLPT, base)
    assert first.url == "http://www.xuwen.gov.cn/gkmlpt/api/all/2661?page=1&sid=755001"
    answer = {"classify": {"post_count": 23}, "articles": [
        {"id": i, "title": f"徐闻县{2000 + i}年政府信息公开工作年度报告", "url": f"http://www.xuwen.gov.cn/content/post_{i}.html"}
        for i in range(10)]}
    assert len(json_entries(answer)) == 10
    assert json_page_count(answer, 10) == 3
    assert [p.url for p in json_next_requests(first, answer)] == [
        "http://www.xuwen.gov.cn/gkmlpt/api/all/2661?page=2&sid=755001",
        "http://www.xuwen.gov.cn/gkmlpt/api/all/2661?page=3&sid=755001",
    ]


def test_fujian_listmodel_search_api() -> None:
    html = """<script>listModel({quickMode:"动静结合", listArgs:{classsql:"chnlid=1813"},
      pagebar:{prepage:10, recordCount:'35'}, url: '/fjdzapp/search'});</script>"""
    pages = listmodel_requests(html, "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/")
    assert [p.formdata["page"] for p in pages] == ["2", "3", "4"]
    assert pages[0].url == "http://www.pingtan.gov.cn/fjdzapp/search" and pages[0].method == "POST"
    assert pages[0].formdata["channelid"] == "1813" and pages[0].formdata["prepage"] == "10"
    answer = json.loads('{"pageCount": 4, "data": [{"doctitle": "平潭综合实验区2019年政府信息公开工作年度报告",'
                        ' "docpuburl": "http://www.pingtan.gov.cn/zfxxgk/zfxxgknb/202001/t20200120_1.htm"}]}')
    assert json_entries(answer)[0][1].endswith("t20200120_1.htm")
    assert json_page_count(answer, 10) == 4


def test_list_url_shapes() -> None:
    assert looks_like_list_url("http://x.gov.cn/zfxxgknb/index_3.html")
    assert looks_like_list_url("http://x.gov.cn/col/col1229/index.html")
    assert looks_like_list_url("http://x.gov.cn/zfxxgknb/")
    assert not looks_like_list_url("http://x.gov.cn/zfxxgknb/202403/t20240308_87885.htm")
    assert not looks_like_list_url("http://x.gov.cn/art/2024/1/20/art_1229_1001.html")
