"""The portal's trap and challenge sites behave like the real traps they imitate (urllib, plus real Chromium
for the JavaScript-only list and the 412 cookie challenge)."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from tests.test_portal import fetch

PORTAL_SITES = ["traps", "challenge", "jsonly"]


def test_trap_column_lists_reports_twins_and_junk(portal):
    start = portal.start_urls["traps"][0]
    html = fetch(start)[2].decode()
    links = {urljoin(start, h.replace("&amp;", "&")) for h in re.findall(r'<a href="([^"]+)"', html)}
    traps = portal.traps("traps")
    expected = portal.expected_for(start)
    onclick = traps["onclick_report"]
    assert onclick in expected and onclick not in links
    assert re.search(r"onclick=\"window\.open\('\./\d{6}/t\d{8}_\d+\.html'\)\"", html)
    assert (expected - {onclick}) <= links | {u.split(";")[0] for u in links}
    for name in ("wap_twin", "big5_twin", "jsessionid_link", "sid_link"):
        assert traps[name] in links, name
        assert portal.twins("traps")[traps[name]] in expected
    assert 'ms-attr-href="qzbFile"' in html and "{{el.title}}" in html
    assert set(portal.decoys("traps").values()) >= {"关于2014年政府信息公开工作要点落实情况的函"}


def test_twins_serve_the_canonical_content(portal):
    twins = portal.twins("traps")
    for name in ("wap_twin", "jsessionid_link", "sid_link"):
        url = portal.traps("traps")[name]
        status, _, body = fetch(url)
        assert status == 200 and body == fetch(twins[url])[2], name
    status, headers, body = fetch(portal.traps("traps")["big5_twin"])
    assert headers["Content-Type"] == "text/html; charset=big5" and "報告" in body.decode("big5")


def test_bad_answers(portal):
    traps = portal.traps("traps")
    status, headers, body = fetch(traps["two_byte_body"])
    assert status == 200 and len(body) == 2
    status, _, body = fetch(traps["removed_stub"])
    assert status == 200 and b'http-equiv="refresh" content="0;URL=../"' in body and len(body) < 200
    assert fetch(traps["server_error"])[0] == 500
    for name in ("two_byte_body", "removed_stub", "server_error"):
        assert traps[name] not in portal.expected_reports("traps")
    zero = portal.truth(traps["zero_report"])
    assert zero.zero_report and zero.figures["applications_received"] == 0


def test_slow_report_is_slow_but_complete(portal):
    import time

    started = time.monotonic()
    status, _, body = fetch(portal.traps("traps")["slow_report"])
    assert status == 200 and time.monotonic() - started >= 1.9
    assert portal.truth(portal.traps("traps")["slow_report"]).title in body.decode()


def test_endless_calendar_never_runs_out(portal):
    url = portal.traps("traps")["endless_calendar"]
    seen = set()
    for _ in range(30):
        html = fetch(url)[2].decode()
        seen.add(url)
        url = urljoin(url, re.search(r'<a href="([^"]+)">下一月</a>', html).group(1))
    assert len(seen) == 30 and "2026-09" in url
    column = fetch(portal.start_urls["traps"][0])[2].decode()
    assert "/hdjl/hyrl/index.html?date=2024-03" in column


def test_list_repeating_its_last_page(portal):
    start = portal.start_urls["traps"][1]
    page2, page7, page70 = (fetch(start.replace("page=1", f"page={n}"))[2] for n in (2, 7, 70))
    strip = lambda body: re.sub(rb'<div class="page">.*?</div>', b"", body)  # noqa: E731
    assert strip(page2) == strip(page7) == strip(page70)
    assert b'list?page=71">' in page70  # still offers 下一页
    found = {urljoin(start, h) for n in (1, 2) for h in re.findall(r'<li><a href="([^"]+)" title=', fetch(start.replace("page=1", f"page={n}"))[2].decode())}
    assert found == portal.expected_for(start)


def test_challenge_needs_the_script_cookie(portal):
    start = portal.start_urls["challenge"][0]
    status, headers, body = fetch(start)
    assert status == 412
    assert len(headers.get_all("Set-Cookie")) == 2
    html = body.decode()
    assert 'r="m"' in html and "document.cookie" in html and re.search(r'<script [^>]*src="/[^"]+\.js"', html)
    status, _, body = fetch(start, {"Cookie": portal.traps("challenge")["challenge_cookie"]})
    assert status == 200 and portal.expected_for(start) <= {urljoin(start, h) for h in re.findall(r'<li><a href="([^"]+)"', body.decode())}


@pytest.mark.browser
def test_chromium_renders_js_list_and_passes_challenge(portal):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page()
            start = portal.start_urls["jsonly"][0]
            page.goto(start)
            page.wait_for_selector("#report-list li a")
            rendered = {urljoin(start, a) for a in page.eval_on_selector_all("#report-list a", "els => els.map(e => e.getAttribute('href'))")}
            assert rendered == portal.expected_for(start) | set(portal.decoys("jsonly"))
            challenge = portal.start_urls["challenge"][0]
            page.goto(challenge)
            page.wait_for_selector("ul.list-ul li a", timeout=10_000)
            links = {urljoin(challenge, a) for a in page.eval_on_selector_all("ul.list-ul a", "els => els.map(e => e.getAttribute('href'))")}
            assert portal.expected_for(challenge) <= links
        finally:
            browser.close()
