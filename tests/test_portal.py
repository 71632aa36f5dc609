"""The mock portal's county TRS site and server machinery, checked over real HTTP on 127.0.0.1 with urllib."""

from __future__ import annotations

import gzip
import http.client
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from email.utils import formatdate
from urllib.parse import urljoin, urlsplit

import pytest

from govcrawl.demo.portal import Portal
from govcrawl.formats import template


def fetch(url: str, headers: dict[str, str] | None = None, data: bytes | None = None):
    """(status, headers, raw body) without following redirects or decoding."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def list_links(html: str, base: str) -> dict[str, str]:
    """href -> title of the <li><a> items of a list page."""
    return {urljoin(base, h): t for h, t in re.findall(r'<li><a href="([^"]+)" target="_blank" title="([^"]+)"', html)}


PORTAL_SITES = ["county"]


@pytest.fixture(scope="module")
def column_pages(portal):
    start = portal.start_urls["county"][0]
    pages = {}
    for name in ("index.html", "index_1.html", "index_2.html"):
        status, headers, body = fetch(urljoin(start, name))
        assert status == 200, name
        if headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        pages[name] = body.decode("utf-8")
    return pages


def test_sites_bind_only_loopback_on_distinct_ports():
    with Portal(sites=["county", "hanweb", "query"]).start() as handle:
        parts = [urlsplit(url) for url in handle.sites.values()]
        assert {p.hostname for p in parts} == {"127.0.0.1"}
        assert len({p.port for p in parts}) == 3


def test_unknown_site_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown mock site"):
        Portal(sites=["county", "nosuchsite"])


def test_column_has_three_pages_with_create_page_html(portal, column_pages):
    for number, name in enumerate(("index.html", "index_1.html", "index_2.html")):
        assert f'createPageHTML(3, {number}, "index", "html")' in column_pages[name]
        assert '<meta name="ColumnName" content="政府信息公开年报">' in column_pages[name]
    status, _, _ = fetch(urljoin(portal.start_urls["county"][0], "index_3.html"))
    assert status == 404


def test_column_lists_every_report_and_decoy_exactly(portal, column_pages):
    start = portal.start_urls["county"][0]
    links: dict[str, str] = {}
    for html in column_pages.values():
        links.update(list_links(html, start))
    assert len(links) >= 25
    expected, decoys = portal.expected_reports("county"), portal.decoys("county")
    assert set(links) == expected | set(decoys)
    assert not expected & set(decoys)
    years = {portal.truth(u).year for u in expected}
    assert set(range(2009, 2025)) <= years
    assert {portal.truth(u).format for u in expected} == {"pre2019", "2019", "2021"}
    titles = " ".join(decoys.values())
    for near_miss in ("政府工作报告", "政务公开工作要点", "解读", "图解", "的通知", "的说明", "财政预算执行情况", "法治政府建设年度报告", "统计公报"):
        assert near_miss in titles, near_miss
    for url, title in links.items():
        assert (portal.truth(url).title if url in expected else decoys[url]) == title


def test_detail_page_markup(portal):
    url = next(u for u, t in portal.reports("county").items() if t.year == 2023 and t.agency == "云岭县人民政府")
    status, headers, body = fetch(url)
    html = body.decode("utf-8")
    truth = portal.truth(url)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    for meta in ("SiteName", "ColumnName", "ArticleTitle", "PubDate", "ContentSource", "SiteIDCode"):
        assert f'<meta name="{meta}"' in html
    assert f'<meta name="ArticleTitle" content="{truth.title}">' in html
    assert re.search(r"/\d{6}/t\d{8}_\d+\.html$", url)
    assert "当前位置：" in html and "<div class=TRS_Editor>" in html
    for chrome_text in ("【字体：", "打印本页", "关闭窗口", "分享到", "扫一扫在手机打开当前页", "网站标识码", "ICP备", "版权所有"):
        assert chrome_text in html
    assert truth.index_no in html and truth.published in html
    labels = set()
    for report_url in portal.expected_reports("county"):
        page = fetch(report_url)[2]
        if fetch(report_url)[1].get("Content-Encoding") == "gzip":
            page = gzip.decompress(page)
        labels.update(re.findall(r'<td class="label">([^<]+)</td>', page.decode("utf-8", "replace")))
    assert {"索引号：", "索 引 号：", "发文机关", "信息来源："} <= labels  # label sets rotate


def test_narrative_figures_match_ground_truth(portal):
    checked = 0
    for url, truth in portal.reports("county").items():
        status, headers, body = fetch(url)
        if headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        charset = re.search(r"charset=([\w-]+)", headers["Content-Type"]).group(1)
        text = re.sub(r"<[^>]+>", "", body.decode(charset))
        assert f"共主动公开政府信息{truth.figures['proactive_total']}条" in text
        if truth.format == "pre2019":
            received = truth.figures["applications_received"]
            assert (f"受理政府信息公开申请{received}件" in text) or (received == 0 and "未收到政府信息公开申请" in text)
        else:
            t3 = truth.tables["t3_applications"]
            for column in t3["new_received"]:
                assert t3["new_received"][column] + t3["carried_over"][column] == t3["result_total"][column] + t3["carry_to_next"][column]
            assert truth.figures["applications_received"] == t3["new_received"]["total"]
            if truth.figures["applications_received"]:
                assert f"共收到政府信息公开申请{truth.figures['applications_received']}件" in text
            assert "本年新收" in text and "结转下年度继续办理" in text
            expected_keys = {t["key"] for t in template("gbf_2019" if truth.format == "2019" else "gbf_2021")["tables"]}
            assert set(truth.tables) == expected_keys
        checked += 1
    assert checked == 19


def test_zero_report_has_all_zero_tables(portal):
    zero = [t for t in portal.reports("county").values() if t.zero_report]
    assert len(zero) == 1
    values = [v for rows in zero[0].tables.values() for row in rows.values() for v in row.values()]
    assert values and all(v == 0 for v in values)


def test_gbk_gzip_and_chunked_responses(portal):
    traps = portal.traps("county")
    status, headers, body = fetch(traps["gbk_page"])
    assert headers["Content-Type"] == "text/html; charset=gbk"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert portal.truth(traps["gbk_page"]).title.encode("gbk") in body and b"charset=gbk" in body

    status, headers, body = fetch(traps["gzip_page"], headers={"Accept-Encoding": "identity"})
    assert headers["Content-Encoding"] == "gzip" and int(headers["Content-Length"]) == len(body)
    assert portal.truth(traps["gzip_page"]).title in gzip.decompress(body).decode("utf-8")
    status, headers, body = fetch(traps["gzip_list_page"])
    assert headers["Content-Encoding"] == "gzip" and b"createPageHTML" in gzip.decompress(body)

    parts = urlsplit(traps["chunked_page"])
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", parts.path)
    response = connection.getresponse()
    assert response.getheader("Transfer-Encoding") == "chunked" and response.getheader("Content-Length") is None
    assert portal.truth(traps["chunked_page"]).title in response.read().decode("utf-8")
    connection.close()


def test_robots_home_and_404(portal):
    base = portal.sites["county"]
    status, headers, body = fetch(base + "/robots.txt")
    assert status == 200 and body.startswith(b"User-agent: *") and headers["Content-Type"] == "text/plain"
    status, _, body = fetch(base + "/")
    assert status == 200 and "/zwgk/zfxxgk/zfxxgknb/index.html" in body.decode()
    assert fetch(base + "/no/such/page.html")[0] == 404


def test_big5_mirror_twins(portal):
    twins = portal.twins("county")
    assert set(twins.values()) == portal.expected_reports("county")
    twin, canonical = next((t, c) for t, c in twins.items() if portal.truth(c).format == "2021")
    status, headers, body = fetch(twin)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=big5"
    text = body.decode("big5")
    assert "報告" in text and "公開" in text and "/gate/big5/" in text


def test_conditional_requests_and_edit(portal):
    url = next(u for u, t in portal.reports("county").items() if t.year == 2015)
    status, headers, body = fetch(url)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert status == 200 and etag and modified
    assert fetch(url, {"If-None-Match": etag})[0] == 304
    assert fetch(url, {"If-Modified-Since": modified})[0] == 304
    assert fetch(url, {"If-None-Match": '"other"'})[0] == 200
    assert fetch(url, {"If-Modified-Since": formatdate(0, usegmt=True)})[0] == 200

    old_figure = portal.truth(url).figures["proactive_total"]
    new_truth = portal.edit_report(url)
    status, headers, new_body = fetch(url, {"If-None-Match": etag})
    assert status == 200 and new_body != body and headers["ETag"] != etag
    assert fetch(url, {"If-Modified-Since": modified})[0] == 200
    assert fetch(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert "更新" in new_body.decode() and portal.truth(url) is new_truth
    assert f"共主动公开政府信息{new_truth.figures['proactive_total']}条" in new_body.decode()
    assert new_truth.figures["proactive_total"] != old_figure or new_body != body


def test_add_report_shows_first_in_the_column():
    with Portal(sites=["county"]).start() as handle:
        start = handle.start_urls["county"][0]
        before = handle.expected_reports("county")
        url = handle.add_report("county", year=2025)
        assert handle.expected_reports("county") == before | {url}
        assert url in handle.expected_for(start)
        html = fetch(start)[2].decode()
        assert next(iter(list_links(html, start))) == url
        assert fetch(url)[0] == 200 and handle.truth(url).year == 2025
        with pytest.raises(KeyError):
            handle.edit_report(start)


def test_request_log(portal):
    portal.clear_requests()
    fetch(portal.sites["county"] + "/robots.txt", {"X-Probe": "1"})
    logged = portal.site_requests("county")
    assert [(r.method, r.path) for r in logged] == [("GET", "/robots.txt")]
    method, path, headers = portal.requests[-1][:3]
    assert headers["x-probe"] == "1"


def test_same_seed_same_portal():
    bodies = []
    for _ in range(2):
        with Portal(sites=["county"], seed=99).start() as handle:
            start = handle.start_urls["county"][0]
            first_report = sorted(handle.expected_reports())[0]
            host = handle.sites["county"].removeprefix("http://").encode()
            pages = [fetch(start)[2], fetch(first_report)[2]]
            bodies.append([page.replace(host, b"HOST") for page in pages]
                          + sorted(u.split("/", 3)[3] for u in handle.expected_reports()))
    assert bodies[0] == bodies[1]


def test_portal_command_serves_until_terminated():
    process = subprocess.Popen([sys.executable, "-m", "govcrawl.cli", "portal", "--sites", "county", "--json"],
                               stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(process.stdout.readline())
        assert set(info["sites"]) == {"county"} and info["expected"]["county"] == 19
        assert fetch(info["start_urls"]["county"][0])[0] == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
