"""``govcrawl find-columns``: from a front page to the 年报 column, on real pages and on mock portals.

Real pages: the front and platform pages of the shared real-page corpus (``shared/real``, manifest kinds
"home" and "platform"; ``column_links`` are the truth), first through the decision functions, then end to end:
a loopback HTTP server on 127.0.0.1 serves every real page of the corpus at the URL it had (its repository
path on its repository's host, or the host it was saved from) and acts as the crawl's HTTP proxy, so the
pages' hrefs are followed unchanged. Mock portals: a 政务公开 menu -> 信息公开目录 -> 年报 column, a gkmlpt
platform on 127.0.0.2, and a site where nothing is found (robots.txt, 404, depth limit: all reported).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from govcrawl.discovery.finder import SiteSearch, Step, navigation_reason, read_page, registry_entry
from govcrawl.discovery.links import Link
from govcrawl.discovery.urls import dedupe_key
from govcrawl.sites import load_registry

REPO = Path(__file__).resolve().parents[1]


def shared_real_dir() -> Path:
    """``$GOVCRAWL_SHARED/real``, else ``<repo>/../shared/real``, else ``/work/shared/real``."""
    env = os.environ.get("GOVCRAWL_SHARED")
    candidates = ([Path(env)] if env else []) + [REPO.parent / "shared", Path("/work/shared")]
    for candidate in candidates:
        if (candidate / "real" / "manifest.json").is_file():
            return candidate / "real"
    raise FileNotFoundError(f"no shared/real corpus in {candidates}")


REAL = shared_real_dir()
LOCAL_REAL = REPO / "tests" / "data" / "real"
ENTRIES = [(REAL, e) for e in json.loads((REAL / "manifest.json").read_text(encoding="utf-8"))["files"]]
ENTRIES += [(LOCAL_REAL, e) for e in json.loads((LOCAL_REAL / "manifest.json").read_text(encoding="utf-8"))["files"]]
FRONTS = [(root / e["file"], e) for root, e in ENTRIES if e.get("kind") in ("home", "platform")]
_DESTROYED = ("javascript:;", "javascript:void(0)")


def served_urls() -> dict[str, tuple[Path, dict]]:
    """URL -> real page: re-hosted sites at ``http://<repo>.test/<repository path>``; saved pages at the host
    they came from (the first at ``/``, later ones at ``/<file name>``)."""
    urls: dict[str, tuple[Path, dict]] = {}
    for root, entry in ENTRIES:
        source, path = entry.get("source") or {}, root / entry["file"]
        if entry.get("kind") not in ("home", "platform", "list", "report") or path.suffix in (".txt", ".pdf"):
            continue
        repo = source.get("repo") or ""
        if repo.startswith(("bkichen/", "blue124qq/", "changwu/")):
            url = f"http://{repo.split('/')[1].replace('_', '-')}.test/{source['path']}"
        else:
            host = (entry.get("site") or {}).get("original_host", "unknown.test").split()[0]
            url = f"http://{host}/"
            if url in urls:
                url += path.name
        urls[url] = (path, entry)
    return urls


SERVED = served_urls()
URL_OF = {str(path): url for url, (path, _) in SERVED.items()}


def expected_columns(entry: dict, url: str) -> set[str]:
    """The manifest's column links of a page served at ``url`` (links the mirror destroyed have no target)."""
    found = set()
    for link in entry.get("column_links", []):
        target = link.get("tppabs") or link["href"]
        if target.strip().lower() not in _DESTROYED:
            found.add(dedupe_key(urljoin(url, target)))
    return found


# ------------------------------------------------------------------------------------ decision functions
@pytest.mark.parametrize(("path", "entry"), FRONTS, ids=[e["file"] for _, e in FRONTS])
def test_real_front_page_columns_are_the_manifests(path: Path, entry: dict) -> None:
    url = URL_OF[str(path)]
    findings = read_page(path.read_bytes(), url, url)
    found = {dedupe_key(c.url) for c in findings.columns}
    expected = expected_columns(entry, url)
    print(f"\n{entry['file']}: columns found {len(found & expected)} of {len(expected)}, extra {len(found - expected)}")
    assert found == expected, {"missed": expected - found, "extra": found - expected}
    assert not findings.is_column  # front and platform pages are not the column themselves
    followed = {c.url for c in findings.follow}
    assert not followed & {c.url for c in findings.columns}
    if entry.get("redirect"):  # the link-less stub: the search goes where its script sends the browser
        assert [c.url for c in findings.follow] == [entry["redirect"]["target"]]
    for considered in findings.follow + findings.refused:
        assert considered.reason


def test_navigation_towards_the_column_is_scored_and_decoys_refused() -> None:
    front = "http://www.x.gov.cn/"

    def score(text: str, url: str) -> int:
        return navigation_reason(Link(url=url, text=text, title=""), front)[0]

    assert score("政务公开", "http://www.x.gov.cn/zwgk/") == 10
    assert score("政府信息公开", "http://xxgk.x.gov.cn/") == 10
    assert score("法定主动公开内容", "http://www.x.gov.cn/zwgk/fdzdgknr/") == 9
    assert score("部门年报", "http://www.x.gov.cn/zwgk/bmnb/") == 9
    assert score("", "http://www.x.gov.cn/gkmlpt/index") == 4
    for decoy in ("政府工作报告", "政策解读", "新闻中心", "依申请公开", "2021年政府信息公开工作年度报告"):
        assert score(decoy, "http://www.x.gov.cn/a/") == 0, decoy
    assert score("政府信息公开指南", "http://www.other.com/gk/") == 0  # off-site, not a platform
    assert score("政府信息公开", "http://zfxxgk.beijing.gov.cn/110094/") == 10  # a platform elsewhere


def test_search_is_bounded_by_depth_and_page_budget() -> None:
    search = SiteSearch("http://a.test/", max_depth=1, max_pages=2)
    page = """<html><body><a href="/zwgk/">政务公开</a><a href="/xxgk/">信息公开</a>
              <a href="/gkml/">信息公开目录</a></body></html>"""
    step = search.next_step()
    assert step == Step("http://a.test/", 0, [], "page", 100)
    search.record(step, 200, read_page(page.encode(), step.url, search.front_url))
    second = search.next_step()
    assert second is not None and second.depth == 1
    deeper = '<a href="/zwgk/fdzdgknr/">法定主动公开内容</a><a href="/xxgk/">信息公开</a>'
    search.record(second, 200, read_page(deeper.encode(), second.url, search.front_url))  # depth 2: refused
    reasons = {c.url: c.reason for c in search.pages[1].considered}
    assert reasons["http://a.test/zwgk/fdzdgknr/"] == "depth limit 1"
    assert second.url == "http://a.test/zwgk/" and reasons["http://a.test/xxgk/"] == "already seen"
    assert search.next_step() is None  # 2 pages fetched: the budget is spent
    assert "page budget of 2 spent" in search.notes[0]
    assert not search.found and registry_entry(search, "a") is None


def test_search_stops_navigating_once_a_column_is_found() -> None:
    search = SiteSearch("http://a.test/")
    page = '<a href="/zwgk/">政务公开</a><a href="/zwgk/nb/">政府信息公开年报</a>'
    search.record(search.next_step(), 200, read_page(page.encode(), "http://a.test/", search.front_url))
    step = search.next_step()
    assert step is not None and step.role == "column" and step.url == "http://a.test/zwgk/nb/"
    search.record(step, 404, None)
    assert search.next_step() is None  # 政务公开 is not visited: the column is known
    entry = registry_entry(search, "a")
    assert entry["start_urls"] == ["http://a.test/zwgk/nb/"] and entry["column_status"] == ["404"]


# ------------------------------------------------------------------------------------------ loopback HTTP
class MappedServer:
    """A loopback HTTP server answering from a URL -> (body, type) map; also an HTTP proxy for absolute URIs.
    It logs every request and the most requests it had in flight per host at once."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.log: list[str] = []
        self.max_in_flight: dict[str, int] = {}
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = self.path if self.path.startswith("http") else f"http://{self.headers['Host']}{self.path}"
                host = urlsplit(url).netloc
                with owner._lock:
                    owner.log.append(url)
                    owner._in_flight[host] = owner._in_flight.get(host, 0) + 1
                    owner.max_in_flight[host] = max(owner.max_in_flight.get(host, 0), owner._in_flight[host])
                try:
                    time.sleep(0.02)  # long enough for overlapping requests to show
                    body, content_type = owner.pages.get(url, (b"not found", "text/plain"))
                    self.send_response(200 if url in owner.pages else 404)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    with owner._lock:
                        owner._in_flight[host] -= 1

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.base = f"http://{address}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def html(self, path: str, body: str) -> str:
        url = self.base + path
        self.pages[url] = (body.encode("utf-8"), "text/html; charset=utf-8")
        return url

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def find_columns(tmp_path: Path, urls: list[str], proxy: str | None = None,
                 extra: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess, dict, dict]:
    """Run ``govcrawl find-columns`` in a child process; returns the result, the registry and the report."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY"):
        env.pop(name, None)
    if proxy:
        env["http_proxy"] = proxy
    output = tmp_path / "sites.toml"
    command = [sys.executable, "-m", "govcrawl.cli", "find-columns", *urls, "-o", str(output),
               "--report", str(tmp_path / "report.json"), "--fast-local", "-s", "LOG_LEVEL=WARNING", *extra]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    registry = tomllib.loads(output.read_text(encoding="utf-8")) if output.is_file() else {}
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    return result, registry, report


def test_real_front_pages_end_to_end_through_a_loopback_proxy(tmp_path: Path) -> None:
    proxy = MappedServer()
    try:
        for url, (path, _) in SERVED.items():
            proxy.pages[url] = (path.read_bytes(), "text/html")
        fronts = [URL_OF[str(path)] for path, _ in FRONTS]
        result, registry, report = find_columns(tmp_path, fronts, proxy=proxy.base)
    finally:
        proxy.close()
    by_front = {site["found_from"]: site for site in registry.get("site", [])}
    searches = {s["front_url"]: s for s in report["sites"]}
    rows, exact = [], 0
    for path, entry in FRONTS:
        url = URL_OF[str(path)]
        expected = expected_columns(entry, url)
        found = {dedupe_key(u) for u in by_front.get(url, {}).get("start_urls", [])}
        exact += found == expected
        site = by_front.get(url, {})
        rows.append(f"{entry['file']:<40} truth {len(expected)}  found {len(found & expected)}  extra "
                    f"{len(found - expected)}  style {site.get('list_style', '-'):<7} "
                    f"column page {','.join(site.get('column_status', ['-']))}  pages fetched {len(searches[url]['pages'])}")
        assert found == expected, (entry["file"], found, expected)
    print("\nfind-columns end to end on the real front/platform pages:\n" + "\n".join(rows))
    print(f"exact column set on {exact} of {len(FRONTS)} pages")
    assert len(registry["site"]) == sum(1 for _, e in FRONTS if expected_columns(e, URL_OF[str(_)]))
    # the real 年报 list pages behind two of the fronts were reached and their style detected
    sc = by_front[URL_OF[str(REAL / "lists/sc_edu_home.html")]]
    assert sc["column_status"] == ["200"] and sc["reports_on_first_page"][0] >= 3
    jl = by_front[URL_OF[str(REAL / "lists/jl_forestry_home.html")]]
    assert jl["column_status"] == ["200"] and jl["reports_on_first_page"][0] >= 3
    assert "no 年报 column found" in result.stderr  # the destroyed tree link and the Daozhen stub
    load_registry(tmp_path / "sites.toml")  # a registry the crawl accepts


# ------------------------------------------------------------------------------------------- mock portals
_LIST = """<html><head><title>政府信息公开年报_某县人民政府</title></head><body><ul class="list">
<li><a href="/zwgk/a/202401/t20240120_1.html">某县人民政府2023年政府信息公开工作年度报告</a></li>
<li><a href="/zwgk/a/202301/t20230118_2.html">某县人民政府2022年政府信息公开工作年度报告</a></li>
<li><a href="/zwgk/a/202201/t20220119_3.html">某县人民政府2021年政府信息公开工作年度报告</a></li>
<li><a href="/zwgk/a/202201/t20220119_4.html">《2021年政府信息公开工作年度报告》解读</a></li></ul>
<script>createPageHTML(2, 0, "index", "html");</script></body></html>"""


def _page(title: str, links: str) -> str:
    return f"<html><head><title>{title}</title></head><body><div class='nav'>{links}</div></body></html>"


def test_mock_portals_found_reported_and_polite(tmp_path: Path) -> None:
    county, front_b, platform, empty = MappedServer(), MappedServer(), MappedServer("127.0.0.2"), MappedServer()
    try:
        start_a = county.html("/", _page("某县人民政府", '<a href="/xwzx/">新闻中心</a><a href="/zwgk/">政务公开</a>'
                                         '<a href="/zfgzbg/">政府工作报告</a><a href="/bsfw/">办事服务</a>'))
        county.html("/zwgk/", _page("政务公开", '<a href="/zwgk/zcjd/">政策解读</a>'
                                    '<a href="/zwgk/xxgkml/">信息公开目录</a>'))
        county.html("/zwgk/xxgkml/", _page("信息公开目录", '<a href="/zwgk/xxgkml/jgzn/">机构职能</a>'
                                           '<a href="/zwgk/xxgkml/zfxxgknb/index.html">政府信息公开年报</a>'))
        column_a = county.html("/zwgk/xxgkml/zfxxgknb/index.html", _LIST)
        config = {"SID": "755029", "API_ROOT": "/gkmlpt/api",
                  "TREE": [{"id": 2650, "name": "机构职能", "children": []},
                           {"id": 2657, "name": "政府信息公开年报", "children": []}]}
        column_b = platform.html("/gkmlpt/index", "<html><head><title>政府信息公开目录</title><script>window._CONFIG = "
                                 + json.dumps(config, ensure_ascii=False) + ";</script></head><body>"
                                 "<div id='gkmlpt-app'></div></body></html>")
        start_b = front_b.html("/", _page("某区人民政府", f'<a href="{platform.base}/gkmlpt/index">政府信息公开</a>'
                                          '<a href="http://127.0.0.3:9/">友情链接</a>'))
        empty.pages[empty.base + "/robots.txt"] = (b"User-agent: *\nDisallow: /private/\n", "text/plain")
        start_c = empty.html("/", _page("某镇人民政府", '<a href="/xwzx/">新闻中心</a><a href="/xxgk/">信息公开</a>'
                                        '<a href="/private/gk/">法定主动公开内容</a><a href="/gone/">政务公开</a>'))
        empty.html("/xxgk/", _page("信息公开", '<a href="/xxgk/zwgk/">政务公开专栏</a>'))
        empty.html("/xxgk/zwgk/", _page("政务公开", '<a href="/xxgk/zwgk/ml/">政府信息公开目录</a>'))
        empty.html("/xxgk/zwgk/ml/", _page("目录", '<a href="/xxgk/zwgk/ml/gk/">主动公开目录</a>'))
        result, registry, report = find_columns(tmp_path, [start_a, start_b, start_c])
    finally:
        for server in (county, front_b, platform, empty):
            server.close()
    sites = {site["found_from"]: site for site in registry["site"]}
    assert set(sites) == {start_a, start_b}
    a = sites[start_a]
    assert a["start_urls"] == [column_a] and a["list_style"] == "trs" and a["reports_on_first_page"] == [3]
    assert a["found_via"] == ["政务公开 > 信息公开目录 > 政府信息公开年报"]
    assert a["allowed_domains"] == [urlsplit(county.base).netloc]
    b = sites[start_b]
    assert b["start_urls"] == [column_b] and b["list_style"] == "gkmlpt"
    assert b["allowed_domains"] == [urlsplit(platform.base).netloc]
    # the site with nothing: reported on stderr and in the report, with every page and refusal
    assert result.returncode == 1 and f"no 年报 column found from {start_c}" in result.stderr
    assert f"# no 年报 column found from {start_c}" in (tmp_path / "sites.toml").read_text(encoding="utf-8")
    assert a["front_title"] == "某县人民政府"
    search = next(s for s in report["sites"] if s["front_url"] == start_c)
    statuses = {p["url"]: p["status"] for p in search["pages"]}
    assert statuses[empty.base + "/private/gk/"] == "forbidden by robots.txt"
    assert statuses[empty.base + "/gone/"] == 404 and statuses[empty.base + "/xxgk/zwgk/"] == 200
    considered = [c for p in search["pages"] for c in p["considered"]]
    assert any(c["url"].endswith("/xxgk/zwgk/ml/gk/") and c["reason"] == "depth limit 3" for c in considered)
    assert any(c["url"].endswith("/xwzx/") and c["decision"] == "refused" for c in considered)
    assert empty.base + "/xxgk/zwgk/ml/gk/" not in empty.log and empty.base + "/private/gk/" not in empty.log
    # off-site links that are not a platform are refused, never fetched
    b_search = next(s for s in report["sites"] if s["front_url"] == start_b)
    assert any(c["url"] == "http://127.0.0.3:9/" and c["decision"] == "refused"
               for p in b_search["pages"] for c in p["considered"])
    # politeness: robots.txt first, one request at a time per host, the decoys never fetched
    assert all(n == 1 for server in (county, platform, empty) for n in server.max_in_flight.values())
    assert empty.log[0].endswith("/robots.txt") and county.log[0].endswith("/robots.txt")
    assert county.base + "/zfgzbg/" not in county.log and county.base + "/xwzx/" not in county.log
    print(f"\nmock portals: {len(registry['site'])} of 3 sites found; requests: county {len(county.log)}, "
          f"platform {len(platform.log)}, empty site {len(empty.log)}")


def test_a_column_already_fetched_on_the_way_is_not_fetched_again() -> None:
    search = SiteSearch("http://a.test/")
    search.record(search.next_step(), 200, read_page('<a href="/zwgk/">政务公开</a>'.encode(), "http://a.test/",
                                                     search.front_url))
    step = search.next_step()
    column_page = ('<a href="/zwgk/nb/">政府信息公开年报</a><a href="/">首页</a>'
                   '<a href="/zwgk/a/t1.html">某县2023年政府信息公开工作年度报告</a>')
    search.record(step, 200, read_page(column_page.encode(), step.url, search.front_url))
    queued = search.next_step()  # the column link found on /zwgk/, to verify
    assert queued is not None and queued.role == "column" and queued.url == "http://a.test/zwgk/nb/"
    search.record(queued, 200, read_page(column_page.encode(), queued.url, search.front_url))
    assert search.next_step() is None
    assert [p.url for p in search.pages] == ["http://a.test/", "http://a.test/zwgk/", "http://a.test/zwgk/nb/"]
    assert all(c.status == 200 for c in search.columns.values())
