"""Cookies bounded like a browser's (issue 12): a page flooding Set-Cookie cannot poison later requests."""

from __future__ import annotations

from scrapy.http import HtmlResponse, Request
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from govcrawl.addon import DEFAULTS
from govcrawl.cookies import BoundedCookiePolicy, BoundedCookiesMiddleware

SITE = "http://127.0.0.1:8000"


def _flood(count: int, value_size: int = 90) -> HtmlResponse:
    headers = [(b"Set-Cookie", f"c{n}={'v' * value_size}; Path=/".encode()) for n in range(count)]
    response = HtmlResponse(f"{SITE}/list.html", body=b"<html></html>", headers={})
    for name, value in headers:
        response.headers.appendlist(name, value)
    return response


def _middleware(**settings) -> tuple[BoundedCookiesMiddleware, MemoryStatsCollector]:
    cookie_defaults = {name: value for name, value in DEFAULTS.items() if "COOKIE" in name}
    crawler = get_crawler(settings_dict={"COOKIES_ENABLED": True, **cookie_defaults, **settings})
    crawler.stats = MemoryStatsCollector(crawler)
    return BoundedCookiesMiddleware.from_crawler(crawler), crawler.stats


def test_a_flood_of_set_cookie_leaves_a_header_servers_accept() -> None:
    middleware, stats = _middleware()
    request = Request(f"{SITE}/list.html")
    middleware.process_request(request)
    middleware.process_response(request, _flood(3000))
    report = Request(f"{SITE}/art/2024/1/1/art_1_1.html")
    middleware.process_request(report)
    header = b"; ".join(report.headers.getlist("Cookie"))
    assert 0 < len(header) <= 8192
    assert stats.get_value("govcrawl/cookies/refused") >= 2900
    assert stats.get_value("govcrawl/cookies/poisoned/127.0.0.1") is True


def test_ordinary_cookies_are_kept_and_replaced_in_place() -> None:
    middleware, stats = _middleware()
    first = Request(f"{SITE}/a.html")
    middleware.process_request(first)
    response = HtmlResponse(f"{SITE}/a.html", body=b"", headers=[(b"Set-Cookie", b"JSESSIONID=abc; Path=/"),
                                                                   (b"Set-Cookie", b"lang=zh; Path=/")])
    middleware.process_response(first, response)
    for n in range(200):  # a session id rotated on every page is one cookie, not two hundred
        again = Request(f"{SITE}/p{n}.html")
        middleware.process_response(again, HtmlResponse(again.url, body=b"",
                                                        headers={b"Set-Cookie": f"JSESSIONID=s{n}; Path=/"}))
    later = Request(f"{SITE}/b.html")
    middleware.process_request(later)
    assert later.headers.get("Cookie") in (b"JSESSIONID=s199; lang=zh", b"lang=zh; JSESSIONID=s199")
    assert not stats.get_value("govcrawl/cookies/refused")


def test_one_oversized_cookie_is_refused() -> None:
    policy = BoundedCookiePolicy(max_bytes=4096)
    middleware, stats = _middleware()
    request = Request(f"{SITE}/a.html")
    middleware.process_response(request, HtmlResponse(request.url, body=b"", headers={
        b"Set-Cookie": b"big=" + b"x" * 5000 + b"; Path=/"}))
    probe = Request(f"{SITE}/b.html")
    middleware.process_request(probe)
    assert probe.headers.get("Cookie") is None
    assert stats.get_value("govcrawl/cookies/refused/too_large") == 1
    assert policy.max_bytes == 4096


def test_limits_are_settings() -> None:
    middleware, stats = _middleware(GOVCRAWL_COOKIES_PER_HOST=3)
    request = Request(f"{SITE}/a.html")
    middleware.process_response(request, _flood(10, value_size=5))
    probe = Request(f"{SITE}/b.html")
    middleware.process_request(probe)
    assert probe.headers.get("Cookie").count(b"=") == 3
    assert stats.get_value("govcrawl/cookies/refused/too_many") == 7
