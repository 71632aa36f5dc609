"""Global budgets sized from the sites (govcrawl.throttle) and Retry-After pausing one site, not the crawl."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from scrapy.core.downloader import Slot
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from govcrawl.addon import DEFAULTS, LOCAL_PROFILE, POLITE_PROFILE
from govcrawl.throttle import (
    FD_RESERVE,
    MAX_LEAD_SHARE,
    SendPacing,
    per_site_inflight,
    raise_open_files,
    retry_after_seconds,
    size_budgets,
)

ROOT = Path(__file__).resolve().parents[1]
TITLE = "某某县{}2023年政府信息公开工作年度报告"


def settings_with(profile: dict, **overrides: object) -> Settings:
    settings = Settings()
    settings.setdict({**DEFAULTS, **profile}, priority="addon")
    settings.setdict(overrides, priority="cmdline")
    return settings


def test_budgets_scale_with_sites_and_keep_the_per_site_limits() -> None:
    polite = settings_with(POLITE_PROFILE, GOVCRAWL_BUDGET_LATENCY=0.15, DOWNLOAD_DELAY=0.5)
    few, many = size_budgets(polite, 3), size_budgets(polite, 100)
    assert few.concurrent_requests == 16  # the profile's value is the floor
    assert many.per_site == 2 and many.concurrent_requests == 200  # 100 sites x (ceil(0.15 / 0.5) + 1)
    assert many.open_files == 2 * 200 + FD_RESERVE and many.dnscache == 10_000 and many.threadpool == 25
    huge = size_budgets(polite, 5000)
    assert huge.concurrent_requests == DEFAULTS["GOVCRAWL_BUDGET_MAX_CONCURRENCY"] and huge.threadpool == 64
    assert huge.dnscache == 10_000 and size_budgets(polite, 20_000).dnscache == 40_000
    # a slow site needs more in flight to use its delay, never more than its per-domain cap
    assert per_site_inflight(2, 1.0, 10.0) == 2 and per_site_inflight(8, 1.0, 3.0) == 4
    assert per_site_inflight(16, 0.0, 1.0) == 16  # no delay: the per-domain cap
    local = settings_with(LOCAL_PROFILE)
    assert size_budgets(local, 11).concurrent_requests == 11 * 16


def test_retry_after_values() -> None:
    assert retry_after_seconds(b"7") == 7.0 and retry_after_seconds("  0 ") == 0.0
    assert retry_after_seconds(b"-3") == 0.0
    now = time.time()
    assert abs(retry_after_seconds(formatdate(now + 30, usegmt=True), now=now) - 30) < 1.01
    assert retry_after_seconds(formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert retry_after_seconds(b"soon") is None and retry_after_seconds(None) is None


def test_open_file_soft_limit_raised_towards_the_hard_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 256), hard))
        raised = raise_open_files(512)
        expected = hard if hard != resource.RLIM_INFINITY else 512
        assert raised == expected == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        assert raise_open_files(10) == raised  # never lowered
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


class Column:
    """A 年报 column on ``host`` whose report pages take ``latency`` s; the first hit of /r/0.html answers 429
    with ``Retry-After`` when ``retry_after`` is set. Logs (path, start, end, status): the server's own log."""

    def __init__(self, host: str, unit: str, pages: int, latency: float, retry_after: str | None = None,
                 table_rows: int = 0) -> None:
        self.log: list[tuple[str, float, float, int]] = []
        self.throttled = retry_after is None
        table = "<table>" + "<tr><td>项目</td><td>1</td><td>2</td><td>3</td></tr>" * table_rows + "</table>"
        body = ("<html><head><meta charset='utf-8'><title>{t}</title></head><body><div class='content'><h1>{t}</h1>"
                "<p>一、总体情况</p><p>2023年主动公开政府信息{n}条。</p>" + (table if table_rows else "")
                + "<p>某某县{u}</p><p>2024年1月20日</p></div></body></html>")
        self.pages = {f"/r/{n}.html": body.format(t=TITLE.format(f"{unit}{n}"), n=n, u=unit).encode()
                      for n in range(pages)}
        links = "".join(f"<li><a href='{p}'>{TITLE.format(f'{unit}{n}')}</a></li>" for n, p in enumerate(self.pages))
        self.pages["/nb/index.html"] = f"<html><body><ul class='list'>{links}</ul></body></html>".encode()
        column = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                start = time.monotonic()
                if self.path.startswith("/r/"):
                    time.sleep(latency)
                body = column.pages.get(self.path)
                status = 200 if body else 404
                if self.path == "/r/0.html" and not column.throttled:
                    column.throttled, status, body = True, 429, b"slow down"
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", retry_after or "")
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")
                column.log.append((self.path, start, time.monotonic(), status))

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://{host}:{self.server.server_address[1]}/nb/index.html"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_retry_after_pauses_only_that_site(tmp_path: Path) -> None:
    paused = Column("127.0.0.1", "财政局", pages=4, latency=0.05, retry_after="3")
    other = Column("127.0.0.2", "教育局", pages=10, latency=0.1)
    out, stats_file = tmp_path / "items.jsonl", tmp_path / "stats.json"
    command = [sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-O", str(out), "-a",
               f"start_urls={paused.url},{other.url}", "-s", f"GOVCRAWL_ARCHIVE_DIR={tmp_path / 'archive'}",
               "-s", f"GOVCRAWL_STATS_FILE={stats_file}", "-s", "GOVCRAWL_FAST_LOCAL=True", "-s", "GOVCRAWL_CATALOG=",
               "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "GOVCRAWL_EXTRACT_WORKERS=0", "-s", "LOG_LEVEL=INFO",
               # a delay spreads the other site's requests over the pause (without one, Scrapy 2.19 on the asyncio
               # reactor hands a slot's whole queue over at once whatever CONCURRENT_REQUESTS_PER_DOMAIN says)
               "-s", "DOWNLOAD_DELAY=0.4"]
    try:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        paused.close()
        other.close()
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    items = [json.loads(line) for line in out.read_text().splitlines()]
    stats = json.loads(stats_file.read_text())
    assert len(items) == 14 and not any("http_status" in flag for item in items for flag in item["flags"])
    assert stats["govcrawl/retry_after/count"] == 1 and stats["govcrawl/budget/sites"] == 2

    refused = next(end for path, _, end, status in paused.log if status == 429)
    after = [(path, start) for path, start, _, status in paused.log if start > refused]
    # nothing of the paused site starts during its 3 s pause; the retry comes right after it
    assert after and min(start for _, start in after) >= refused + 3.0 - 0.05
    assert any(path == "/r/0.html" and status == 200 for path, _, _, status in paused.log)
    # the other site went on meanwhile: the reactor was not blocked
    during = [path for path, start, _, _ in other.log if refused < start < refused + 3.0]
    assert len(during) >= 3


def test_site_delay_holds_at_the_site_through_long_reactor_turns(tmp_path: Path) -> None:
    """build_item in the crawl process on pages with big tables makes reactor turns of tens of milliseconds, so
    a request's bytes leave well after its slot released it; the site still sees its delay between requests
    (with ``GOVCRAWL_SEND_PACING=False`` the same crawl gave gaps of 0.23 s and, with two in flight, 0.04 s)."""
    columns = [Column(f"127.0.0.{n}", unit, pages=6, latency=0.05, table_rows=1500)
               for n, unit in ((3, "财政局"), (4, "教育局"), (5, "民政局"))]
    out = tmp_path / "items.jsonl"
    command = [sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-O", str(out), "-a",
               f"start_urls={','.join(c.url for c in columns)}", "-s", f"GOVCRAWL_ARCHIVE_DIR={tmp_path / 'archive'}",
               "-s", "GOVCRAWL_CATALOG=", "-s", "GOVCRAWL_EXTRACT_WORKERS=0", "-s", "LOG_LEVEL=INFO",
               "-s", "DOWNLOAD_DELAY=0.25", "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "ROBOTSTXT_OBEY=False"]
    try:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        for column in columns:
            column.close()
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert len(out.read_text().splitlines()) == 18
    gaps = []
    for column in columns:
        starts = sorted(start for _, start, _, _ in column.log)
        gaps += [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(gaps) == 3 * 6
    assert min(gaps) >= 0.25 - 0.01, sorted(gaps)[:5]  # the site's own clock: the delay, less its scheduling


def test_extension_sizes_the_crawler_settings_and_keeps_explicit_ones() -> None:
    from types import SimpleNamespace

    from scrapy import Spider
    from scrapy.crawler import Crawler

    from govcrawl.sites import site_from_url
    from govcrawl.throttle import DOWNLOADER_AWARE_QUEUE, CrawlBudgetExtension

    registry = [site_from_url(f"http://127.0.0.{2 + n}:8000/nb/") for n in range(40)]
    for explicit, expected in ({}, 40 * 2), ({"CONCURRENT_REQUESTS": 24}, 24):
        settings = settings_with(POLITE_PROFILE, GOVCRAWL_BUDGET_LATENCY=0.15, DOWNLOAD_DELAY=0.5, **explicit)
        crawler = Crawler(Spider, settings)
        crawler.spider = SimpleNamespace(registry=registry)
        extension = CrawlBudgetExtension.from_crawler(crawler)
        assert extension.budgets.sites == 40
        assert crawler.settings.getint("CONCURRENT_REQUESTS") == expected
        assert crawler.settings.get("SCHEDULER_PRIORITY_QUEUE") == DOWNLOADER_AWARE_QUEUE


def test_send_pacing_spacing_is_scrapys_own_floor_and_the_lead_is_bounded() -> None:
    pacing = SendPacing(get_crawler(settings_dict={"GOVCRAWL_SEND_PACING": True}))
    assert SendPacing.spacing(Slot(2, 0.5, 0.0)) == 0.5
    assert SendPacing.spacing(Slot(2, 1.0, 0.5)) == 0.5  # Scrapy's ±50% jitter: never closer than half the delay
    assert SendPacing.spacing(Slot(2, 1.0, 3.0)) == 0.0  # a jitter over 1 reaches 0, as Scrapy floors it
    slot = Slot(2, 0.5, 0.0)
    assert pacing.lead(slot) == 0.0  # nothing measured yet: no lead
    pacing.lag, pacing.lag_spread = 0.02, 0.01
    assert abs(pacing.lead(slot) - 0.04) < 1e-9
    pacing.lag = 5.0  # a stalled reactor never makes the slot release more than a quarter of the spacing early
    assert pacing.lead(slot) == MAX_LEAD_SHARE * 0.5
    assert pacing.lead(Slot(2, 0.5, 0.5)) == 0.0  # with jitter the delays are random: no lead


def test_collector_threshold_holds_while_the_engine_runs_and_is_restored() -> None:
    import gc

    import pytest
    from scrapy import signals
    from scrapy.exceptions import NotConfigured

    from govcrawl.addon import COMPONENTS
    from govcrawl.throttle import CollectorBudgetExtension

    assert "govcrawl.throttle.CollectorBudgetExtension" in COMPONENTS["EXTENSIONS"]
    assert DEFAULTS["GOVCRAWL_GC_THRESHOLD"] > gc.get_threshold()[0]
    before = gc.get_threshold()
    crawler = get_crawler(settings_dict={"GOVCRAWL_GC_THRESHOLD": 12345, "MEMUSAGE_ENABLED": False})
    extension = CollectorBudgetExtension.from_crawler(crawler)  # held: signal receivers are weak references
    try:
        assert gc.get_threshold() == before  # nothing changes before the engine starts
        crawler.signals.send_catch_log(signals.engine_started)
        assert gc.get_threshold() == (12345, *before[1:])
        crawler.signals.send_catch_log(signals.spider_closed, spider=None, reason="finished")
        assert gc.get_threshold() == before and extension.previous is None
    finally:
        gc.set_threshold(*before)
    with pytest.raises(NotConfigured):
        CollectorBudgetExtension.from_crawler(get_crawler(settings_dict={"GOVCRAWL_GC_THRESHOLD": 0}))
