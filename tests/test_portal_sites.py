"""The portal's issue-4 sites serve what they claim: jpage XML, query pagination, JSON APIs, encodings,
traditional pages and attachments. Everything is fetched with urllib from the live 127.0.0.1 servers."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlencode, urljoin

import pdfplumber
import pytest

from govcrawl.demo.bench import bench_site
from govcrawl.parser.normalise import to_simplified
from tests.test_portal import fetch

ISSUE4_SITES = ["hanweb", "query", "gkmlpt", "fujian", "jsonly", "encodings", "traditional", "attachments"]


PORTAL_SITES = ISSUE4_SITES


def hrefs(html: str, base: str) -> set[str]:
    return {urljoin(base, h.replace("&amp;", "&")) for h in re.findall(r"""href=["']([^"']+)["']""", html)}


def records_of(xml_text: str) -> list[str]:
    """CDATA record bodies of a jpage datastore, parsed with the standard XML parser (well-formedness check)."""
    root = ET.fromstring(xml_text)
    assert root.tag == "datastore"
    return [record.text or "" for record in root.iter("record")]


def test_hanweb_datastore_and_dataproxy_groups(portal):
    start = portal.start_urls["hanweb"][0]
    assert re.search(r"/col/col\d+/index\.html$", start)
    html = fetch(start)[2].decode("utf-8")
    embedded = re.search(r'<script type="text/xml">(.*?)</script>', html, re.S).group(1)
    first = records_of(embedded)
    assert len(first) == 45
    assert "/module/web/jpage/dataproxy.jsp?" in re.search(r"<nextgroup>(.*?)</nextgroup>", embedded, re.S).group(1)
    form = {"col": 1, "appid": 1, "webid": 21, "path": "/", "columnid": 4321, "sourceContentType": 1, "unitid": 98765,
            "webname": "定川市政府信息公开平台", "permissiontype": 0}
    status, headers, body = fetch(start.split("/col/")[0] + "/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15",
                                  data=urlencode(form).encode())
    assert status == 200 and headers["Content-Type"].startswith("text/xml")
    second = records_of(body.decode("utf-8"))
    total = int(ET.fromstring(body.decode("utf-8")).findtext("totalrecord"))
    assert total == 52 and len(first) + len(second) == total
    links: dict[str, str] = {}
    for record in first + second:
        href, title = re.search(r"""href=['"]([^'"]+)['"] title=['"]([^'"]+)['"]""", record).groups()
        links[urljoin(start, href)] = title
    assert set(links) == portal.expected_for(start) | set(portal.decoys("hanweb"))
    assert all(re.search(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_4321_\d+\.html$", u) for u in links)
    assert any("..." in r for r in first)  # truncated link text, full title attribute
    wrong = fetch(start.split("/col/")[0] + "/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45",
                  data=b"columnid=999")[2].decode()
    assert records_of(wrong) == []


def test_hanweb_downfile_redirects_to_a_text_pdf(portal):
    report = next(t for t in portal.reports("hanweb").values() if t.attachments)
    html = fetch(report.url)[2].decode("utf-8")
    assert "<!--ZJEG_RSS.content.begin-->" in html and '<meta name="i_columnid"' in html
    link = re.search(r'href="(/module/download/downfile\.jsp\?[^"]+)"', html).group(1).replace("&amp;", "&")
    status, headers, _ = fetch(urljoin(report.url, link))
    assert status == 302 and headers["Location"].startswith("/attach/0/")
    pdf_url = urljoin(report.url, headers["Location"])
    assert pdf_url in report.attachments
    status, headers, body = fetch(pdf_url)
    assert headers["Content-Type"] == "application/pdf"
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages)
    assert report.agency in text.replace("\n", "")


def test_query_pagination_styles(portal):
    base = portal.sites["query"]
    page_start, page_no_start, column_index_start = portal.start_urls["query"]
    found: set[str] = set()
    for number in (1, 2, 3):
        html = fetch(f"{page_start}?page={number}")[2].decode()
        found |= hrefs(html, page_start)
        assert ("下一页" in html) == (number < 3)
    assert portal.expected_for(page_start) <= found
    found = set()
    for number in (1, 2, 3):
        html = fetch(page_no_start.replace("pageNo=1", f"pageNo={number}"))[2].decode()
        assert "pageNo=" in html
        found |= hrefs(html, page_no_start)
    assert portal.expected_for(page_no_start) <= found
    assert all("detail.do?docId=" in u for u in portal.expected_for(page_no_start))
    found = set()
    for number in (1, 2, 3):
        status, _, body = fetch(base + f"/gkml/xzb/column-index-{number}.shtml")
        assert status == 200
        found |= hrefs(body.decode(), column_index_start)
    assert portal.expected_for(column_index_start) <= found
    assert fetch(base + "/gkml/xzb/column-index-4.shtml")[0] == 404


def test_gkmlpt_json_api(portal):
    start = portal.start_urls["gkmlpt"][0]
    html = fetch(start)[2].decode()
    config = json.loads(re.search(r"window\._CONFIG = (\{.*?\});</script>", html).group(1))
    category = next(node["id"] for node in config["TREE"] if node["name"] == "政府信息公开年报")
    urls = set()
    page = 1
    while True:
        status, headers, body = fetch(f"{portal.sites['gkmlpt']}/gkmlpt/api/all/{category}?page={page}&sid={config['SID']}")
        data = json.loads(body)
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        if not data["articles"]:
            break
        urls |= {article["url"] for article in data["articles"]}
        page += 1
    assert data["classify"]["post_count"] == len(urls) == 23
    assert urls == portal.expected_for(start) | set(portal.decoys("gkmlpt"))
    detail = fetch(next(iter(portal.expected_for(start))))[2].decode()
    assert '"DETAIL"' in detail and "post_" in next(iter(urls))


def test_fujian_static_first_page_then_post_search(portal):
    start = portal.start_urls["fujian"][0]
    html = fetch(start)[2].decode()
    static = re.findall(r'<dd class="trt-col-sm-24[^"]*"><a href="([^"]+)"', html)
    assert len(static) == 10 and 'quickMode:"动静结合"' in html and "listModel(" in html
    model = re.search(r"classsql:\"([^\"]+)\".*?prepage:(\d+), recordCount:'(\d+)'", html)
    classsql, prepage, count = model.group(1), int(model.group(2)), int(model.group(3))
    search = portal.sites["fujian"] + "/fjdzapp/search"
    assert fetch(search)[0] == 405
    urls = {urljoin(start, h) for h in static}
    first = json.loads(fetch(search, data=urlencode({"channelid": 200210, "classsql": classsql, "page": 1, "prepage": prepage}).encode())[2])
    for number in range(2, first["pageCount"] + 1):
        data = json.loads(fetch(search, data=urlencode({"channelid": 200210, "classsql": classsql, "page": number,
                                                         "prepage": prepage}).encode())[2])
        urls |= {row["docpuburl"] for row in data["data"]}
    assert {row["docpuburl"] for row in first["data"]} == {urljoin(start, h) for h in static}
    assert len(urls) == count == first["recordCount"]
    assert urls == portal.expected_for(start) | set(portal.decoys("fujian"))


def test_js_only_list_has_no_links_without_javascript(portal):
    start = portal.start_urls["jsonly"][0]
    html = fetch(start)[2].decode()
    assert '<ul id="report-list"></ul>' in html and "XMLHttpRequest" in html
    assert not (hrefs(html, start) & portal.expected_for(start))
    listing = json.loads(fetch(portal.traps("jsonly")["list_json"])[2])
    assert {urljoin(start, item["link"]) for item in listing["list"]} == portal.expected_for(start) | set(portal.decoys("jsonly"))


@pytest.mark.parametrize("case,codec,wrong_codec", [
    ("gbk", "gbk", "utf-8"), ("gb2312", "gb2312", "utf-8"), ("gb18030", "gb18030", "gbk"),
    ("header_meta_conflict", "gbk", "utf-8"), ("wrong_meta", "gbk", "utf-8"), ("undeclared", "gbk", "utf-8"),
])
def test_encoding_pages(portal, case, codec, wrong_codec):
    url = portal.traps("encodings")[case]
    phrase = portal.phrases("encodings")[url]
    _, headers, body = fetch(url)
    assert phrase in body.decode(codec)
    assert phrase not in body.decode(wrong_codec, "replace")
    declared_meta = re.search(rb"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=([\w-]+)\">", body)
    expectations = {
        "gbk": ("text/html; charset=GBK", b"gbk"), "gb2312": ("text/html", b"gb2312"),
        "gb18030": ("text/html; charset=GB18030", b"gb18030"), "header_meta_conflict": ("text/html; charset=UTF-8", b"gb2312"),
        "wrong_meta": ("text/html", b"utf-8"), "undeclared": ("text/html", None),
    }
    header, meta = expectations[case]
    assert headers["Content-Type"] == header
    assert (declared_meta.group(1) if declared_meta else None) == meta


def test_traditional_site(portal):
    start = portal.start_urls["traditional"][0]
    html = fetch(start)[2].decode() + fetch(urljoin(start, "index_1.html"))[2].decode()
    assert "政府信息公開年報" in html and 'createPageHTML(2, 0, "index", "html")' in html
    assert portal.expected_for(start) <= hrefs(html, start)
    for url in portal.expected_for(start):
        truth = portal.truth(url)
        page = fetch(url)[2].decode()
        assert truth.script == "traditional" and re.search("報告|年報", truth.title_original) and truth.phrase in page
        assert "公開" in page and "公开" not in page
        # the truth gives title and agency in simplified form too, as the parser outputs them
        assert truth.title_original in page and truth.agency_original in page
        assert truth.title == to_simplified(truth.title_original) and re.search("报告|年报", truth.title)
        assert truth.agency == to_simplified(truth.agency_original) and truth.agency != truth.agency_original


def test_attachment_reports(portal):
    traps = portal.traps("attachments")
    start = portal.start_urls["attachments"][0]
    listing = fetch(start)[2].decode()
    assert traps["attachment_only_pdf"] in hrefs(listing, start)
    p0 = fetch(traps["p0_pdf"])[2]
    assert fetch(traps["oldsrc_pdf"])[2] == p0 and re.search(r"/P0\d{20}\.pdf$", traps["p0_pdf"])
    for name in ("p0_pdf", "attachment_only_pdf"):
        with pdfplumber.open(io.BytesIO(fetch(traps[name])[2])) as pdf:
            text = "".join(page.extract_text() or "" for page in pdf.pages).replace("\n", "")
        truth = next(t for t in portal.reports("attachments").values() if traps[name] in (t.url, *t.attachments))
        assert truth.phrase in text and truth.title in text
    with pdfplumber.open(io.BytesIO(fetch(traps["image_only_pdf"])[2])) as pdf:
        assert "".join(page.extract_text() or "" for page in pdf.pages).strip() == ""
        assert pdf.pages[0].images
    # every detail page shows a 索引号 and its truth has it; attachment-only entries (a bare PDF/WPS) have none
    for truth in portal.reports("attachments").values():
        if truth.url.lower().endswith((".pdf", ".wps")):
            assert truth.index_no == "", truth.url
        else:
            page = fetch(truth.url)[2].decode()
            assert re.search(r"索\s*引\s*号", page) and truth.index_no and truth.index_no in page, truth.url
            assert truth.title_original == truth.title and truth.agency_original == truth.agency
    image_truth = next(t for t in portal.reports("attachments").values() if t.kind == "image_pdf")
    assert image_truth.title.endswith("（图片版）")
    detail = fetch(image_truth.url)[2].decode()
    assert 'appendix="true"' in detail
    status, headers, body = fetch(traps["docx_gbk_disposition"])
    disposition = headers["Content-Disposition"].encode("latin-1")
    docx_truth = next(t for t in portal.reports("attachments").values() if t.kind == "docx")
    assert (docx_truth.title + ".docx").encode("gbk") in disposition
    import docx

    text = "\n".join(p.text for p in docx.Document(io.BytesIO(body)).paragraphs)
    assert docx_truth.phrase in text
    with pdfplumber.open(io.BytesIO(fetch(traps["pdf_with_tables"])[2])) as pdf:
        grids = [grid for page in pdf.pages for grid in page.extract_tables()]
        text = "".join(page.extract_text() or "" for page in pdf.pages).replace("\n", "")
    tables_truth = portal.truth(traps["pdf_with_tables"])
    assert tables_truth.format == "2021" and len(grids) >= 3 and tables_truth.phrase in text
    assert any(str(tables_truth.tables["t3_applications"]["new_received"]["total"]) in (row[-1] or "")
               for grid in grids for row in grid)
    p0_detail = fetch(next(t.url for t in portal.reports("attachments").values() if traps["p0_pdf"] in t.attachments))[2]
    assert b"OLDSRC=\"/protect/" in p0_detail


def test_bench_site_pages():
    with bench_site(n_reports=30) as handle:
        start = handle.start_urls["bench"][0]
        html = fetch(start)[2].decode()
        assert 'createPageHTML(2, 0, "index", "html")' in html
        sizes, with_tables = [], 0
        for url in handle.expected_reports():
            body = fetch(url)[2]
            sizes.append(len(body))
            with_tables += "本年新收" in body.decode()
        assert len(sizes) == 30 and min(sizes) >= 12_000 and max(sizes) <= 26_000
        assert with_tables == 10
