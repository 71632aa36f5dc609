"""Trap detection, the trap tracker, the site registry and the host:port offsite rule."""

from __future__ import annotations

import pytest
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from govcrawl.discovery.traps import (
    TrapTracker,
    challenge_kind,
    is_calendar_link,
    page_fingerprint,
)
from govcrawl.sites import RegistryError, Site, load_registry, parse_registry, site_from_url
from govcrawl.stubs import stub_kind

RS_CHALLENGE = (b'<html><head><meta id="9DhefwqGPrzGxEp9hPaoag" content="abc" r="m"><script r="m">'
                b"document.cookie='924omrTVcFchP=x';location.reload()</script>"
                b'<script src="/4QbVtADbnLVIc/c.FxSzLjS.js" r="m"></script></head><body></body></html>')


def test_challenge_kinds() -> None:
    assert challenge_kind(412, RS_CHALLENGE) == "rs_412"
    assert challenge_kind(521, b"<script>document.cookie=('__jsl_clearance_s=1')</script>") == "jsl_521"
    assert challenge_kind(200, b"<script>document.cookie='__jsluid_h=1';location.reload()</script>") == "cookie_script"
    assert challenge_kind(412, b"Precondition Failed") is None
    assert challenge_kind(200, b"<html><body>" + "正文".encode() * 2000 + b"<script>document.cookie</script>") is None
    assert challenge_kind(404, RS_CHALLENGE) is None


def test_stub_pages() -> None:
    assert stub_kind(b"\r\n") == "tiny_body"
    assert stub_kind(b'<html><head><meta http-equiv="refresh" content="0;URL=../"></head><body></body></html>') == "removed_stub"
    page = ("<html><head><meta http-equiv=refresh content=600></head><body>" + "二、主动公开政府信息情况" * 20
            + "</body></html>").encode()
    assert stub_kind(page) is None


def test_calendar_links() -> None:
    assert is_calendar_link("http://x.gov.cn/hdjl/hyrl/index.html?date=2024-03")
    assert is_calendar_link("http://x.gov.cn/meeting/list?year=2024&month=3")
    assert is_calendar_link("http://x.gov.cn/a.html", "会议日历")
    assert not is_calendar_link("http://x.gov.cn/zfxxgknb/index_2.html", "3")


def test_tracker_bounds_pages_and_stops_on_repeats() -> None:
    stats = MemoryStatsCollector(get_crawler())
    tracker = TrapTracker(stats)
    column = "http://x.gov.cn/list?page=1"
    assert tracker.may_schedule_page(column, "x", "p2", max_pages=3)
    assert not tracker.may_schedule_page(column, "x", "p2", max_pages=3)  # already scheduled: not counted
    assert tracker.may_schedule_page(column, "x", "p3", max_pages=3)
    assert not tracker.may_schedule_page(column, "x", "p4", max_pages=3)
    assert stats.get_value("govcrawl/trap/page_limit/x") == 1
    other = "http://x.gov.cn/bmnb/list?page=1"
    assert not tracker.page_seen(other, "x", ["a", "b"])
    assert not tracker.page_seen(other, "x", ["c", "d"])
    assert tracker.page_seen(other, "x", ["d", "c", "d"])  # same set again: the site repeats its last page
    assert tracker.stopped(other)
    assert stats.get_value("govcrawl/trap/repeated_page") == 1
    tracker.blocked("wlt-hubei", "rs_412")
    assert stats.get_value("govcrawl/blocked/wlt-hubei") == 1
    assert page_fingerprint(["a", "b"]) == page_fingerprint(["b", "a", "a"])


def test_registry_parsing_and_errors(tmp_path) -> None:
    sites = parse_registry(
        '[[site]]\nname = "pingtan"\nagency = "平潭"\nstart_urls = ["https://www.pingtan.gov.cn/zfxxgk/zfxxgknb/"]\n'
        'allowed_domains = ["pingtan.gov.cn"]\nlist_style = "dongjing"\nbrowser_on_challenge = true\nmax_pages = 30\n'
        'column_note = "Fujian"\n'
    )
    (site,) = sites
    assert site.browser_on_challenge and not site.render_js and site.max_pages == 30
    assert site.hints == {"column_note": "Fujian"}
    assert site.allows("https://zwgk.pingtan.gov.cn:8443/x") and not site.allows("https://pingtan.gov.cn.evil.com/")
    with pytest.raises(RegistryError, match="start_urls"):
        parse_registry('[[site]]\nname = "a"\n')
    with pytest.raises(RegistryError, match="list_style"):
        parse_registry('[[site]]\nname = "a"\nstart_urls = ["http://a.gov.cn/"]\nlist_style = "magic"\n')
    with pytest.raises(RegistryError, match="duplicate"):
        parse_registry('[[site]]\nname = "a"\nstart_urls = ["http://a.gov.cn/"]\n' * 2)
    with pytest.raises(RegistryError, match="not valid TOML"):
        parse_registry("[[site]\n")
    with pytest.raises(RegistryError, match="not found"):
        load_registry(tmp_path / "missing.toml")
    assert {s.name for s in load_registry()} >= {"pingtan"}  # the default registry ships and parses


def test_host_port_offsite_rule() -> None:
    local = site_from_url("http://127.0.0.1:8080/zfxxgknb/index.html")
    assert local.allowed_domains == ["127.0.0.1:8080"]
    assert local.allows("http://127.0.0.1:8080/a/b.html")
    assert not local.allows("http://127.0.0.1:8081/a/b.html")  # Scrapy's own offsite check ignores ports
    bare = Site(name="ip", start_urls=["http://122.137.242.24:8080/pub/"], allowed_domains=["122.137.242.24"])
    assert bare.allows("http://122.137.242.24:9090/x") and not bare.allows("http://122.137.242.25:8080/x")
    with pytest.raises(RegistryError):
        site_from_url("ftp://x.gov.cn/")
    www = site_from_url("http://www.dingxi.gov.cn/col/col1229/index.html")
    assert www.allows("http://zwgk.dingxi.gov.cn/art/2024/1/20/art_1229_1.html")
    assert not www.allows("http://www.dingxi.gov.cn.example.com/")
