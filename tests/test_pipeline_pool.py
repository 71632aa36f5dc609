"""build_item in worker processes during a real crawl (issue 11): same items as in-process, a worker killed
mid-job and a document that never finishes end as flagged items while the crawl completes, politeness holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from govcrawl.workers import WORKER_NAME

ROOT = Path(__file__).resolve().parents[1]
TITLE = "某某县{}2023年政府信息公开工作年度报告"
UNITS = ["财政局", "教育局", "民政局", "司法局", "水利局", "审计局"]
VOLATILE = ("fetched_at", "warc_filename", "warc_offset", "warc_record_id")


def report_page(unit: str, extra: str = "") -> bytes:
    return (f"<html><head><meta charset='utf-8'><title>{TITLE.format(unit)}</title></head><body><div class='content'>"
            f"<h1>{TITLE.format(unit)}</h1><p>一、总体情况</p><p>2023年主动公开政府信息{len(unit) * 37}条。</p>"
            f"<p>三、收到和处理政府信息公开申请情况</p><p>本年新收政府信息公开申请{len(unit)}件。</p>{extra}"
            f"<p>某某县{unit}</p><p>2024年1月20日</p></div></body></html>").encode()


def slow_page() -> bytes:
    """A real-looking report whose 80,000-row table takes build_item several seconds on one core (> the 2 s limit)."""
    rows = "".join("<tr>" + "".join(f"<td>{(r * 7 + c) % 997}</td>" for c in range(12)) + "</tr>" for r in range(80_000))
    return report_page("统计局", f"<table>{rows}</table>")


class Site:
    """A 年报 column on 127.0.0.1 that logs when each request starts and ends (the server's own log)."""

    def __init__(self, slow: bool = False) -> None:
        self.pages = {f"/r/{n}.html": report_page(unit) for n, unit in enumerate(UNITS)}
        if slow:
            self.pages["/r/slow.html"] = slow_page()
        titles = {path: TITLE.format(UNITS[int(path[3:-5])]) if path != "/r/slow.html" else TITLE.format("统计局")
                  for path in self.pages}
        links = "".join(f"<li><a href='{path}'>{title}</a></li>" for path, title in titles.items())
        self.pages["/nb/index.html"] = f"<html><body><ul class='list'>{links}</ul></body></html>".encode()
        self.log: list[tuple[str, float, float]] = []
        self.active = 0
        self.max_active = 0
        lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                start = time.monotonic()
                with lock:
                    site.active += 1
                    site.max_active = max(site.max_active, site.active)
                time.sleep(0.05)
                body = site.pages.get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")
                with lock:
                    site.active -= 1
                site.log.append((self.path, start, time.monotonic()))

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.column = f"http://127.0.0.1:{self.server.server_address[1]}/nb/index.html"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def crawl(site: Site, tmp: Path, *settings: str, during=None) -> tuple[list[dict], dict]:
    out, stats = tmp / "items.jsonl", tmp / "stats.json"
    command = [sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-O", str(out), "-a",
               f"start_urls={site.column}", "-s", f"GOVCRAWL_ARCHIVE_DIR={tmp / 'archive'}", "-s",
               f"GOVCRAWL_STATS_FILE={stats}", "-s", "LOG_LEVEL=INFO", *[a for s in settings for a in ("-s", s)]]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if during is not None:
        during(process)
    _, log = process.communicate(timeout=300)
    assert process.returncode == 0, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    return [json.loads(line) for line in out.read_text().splitlines()], json.loads(stats.read_text())


def stable(item: dict) -> dict:
    item = dict(item)
    item["source"] = {k: v for k, v in item["source"].items() if k not in VOLATILE}
    item["attachments"] = [{k: v for k, v in a.items() if k != "warc_record_id"} for a in item["attachments"]]
    item.pop("parser_version", None)
    return item


def workers_of(pid: int) -> list[int]:
    """Pids of the pool's worker processes under ``pid`` (they name themselves WORKER_NAME)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            stat = (entry / "stat").read_text().split()
        except OSError:
            continue
        if comm == WORKER_NAME and int(stat[3]) == pid:
            found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (from /proc; 0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


FAST = ("GOVCRAWL_FAST_LOCAL=True", "GOVCRAWL_CATALOG=")


def test_items_from_worker_processes_equal_in_process_items(tmp_path: Path) -> None:
    site = Site()
    try:
        pooled, stats = crawl(site, tmp_path / "pool", *FAST, "GOVCRAWL_EXTRACT_WORKERS=2")
        inline, _ = crawl(site, tmp_path / "inline", *FAST, "GOVCRAWL_EXTRACT_WORKERS=0")
    finally:
        site.close()
    assert len(pooled) == len(UNITS)
    assert sorted(map(json.dumps, map(stable, pooled))) == sorted(map(json.dumps, map(stable, inline)))
    assert stats.get("govcrawl/pool/worker_died", 0) == 0


def test_a_document_that_never_finishes_is_flagged_and_the_crawl_completes(tmp_path: Path) -> None:
    site = Site(slow=True)
    try:
        started = time.monotonic()
        items, stats = crawl(site, tmp_path, *FAST, "GOVCRAWL_EXTRACT_WORKERS=1", "GOVCRAWL_EXTRACT_TIMEOUT=2")
    finally:
        site.close()
    by_url = {item["url"].rsplit("/", 1)[1]: item for item in items}
    assert len(items) == len(UNITS) + 1, "every report gives an item"
    assert by_url["slow.html"]["flags"] == ["resource_limit: time"]
    assert by_url["slow.html"]["title"] == TITLE.format("统计局") and by_url["slow.html"]["report_year"] == 2023
    assert all(not item["flags"] or item["flags"] == ["tables_missing"] for name, item in by_url.items()
               if name != "slow.html")
    assert stats["govcrawl/pool/timeouts"] == 1 and stats["govcrawl/flag/resource_limit"] == 1
    assert time.monotonic() - started < 60


def test_a_worker_killed_mid_job_gives_a_flagged_item_and_a_new_worker(tmp_path: Path) -> None:
    site = Site(slow=True)
    killed: list[int] = []
    niceness: list[int] = []

    def kill_busy_worker(process: subprocess.Popen) -> None:
        """Once the slow page is served, SIGKILL the worker that is busy parsing it (its CPU time climbs)."""
        deadline = time.monotonic() + 90
        baseline: dict[int, float] = {}
        while time.monotonic() < deadline and not killed:
            time.sleep(0.2)
            if not any(path == "/r/slow.html" for path, _, _ in site.log):
                continue
            for pid in workers_of(process.pid):
                used = cpu_seconds(pid)
                baseline.setdefault(pid, used)
                if used - baseline[pid] > 1.5:  # well into the slow document: the others take milliseconds
                    niceness.append(os.getpriority(os.PRIO_PROCESS, pid))
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)

    try:
        items, stats = crawl(site, tmp_path, *FAST, "GOVCRAWL_EXTRACT_WORKERS=1", "GOVCRAWL_EXTRACT_RETRIES=0",
                             during=kill_busy_worker)
    finally:
        site.close()
    assert killed, "the worker was found and killed"
    assert niceness == [min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)], "GOVCRAWL_EXTRACT_NICE's default"
    by_url = {item["url"].rsplit("/", 1)[1]: item for item in items}
    assert len(items) == len(UNITS) + 1
    assert by_url["slow.html"]["flags"] == ["worker_died"]
    assert stats["govcrawl/pool/pool_replaced"] >= 1 and stats["govcrawl/pool/worker_died"] == 1


@pytest.mark.parametrize("workers", ["2"])
def test_politeness_holds_with_the_pool_on(tmp_path: Path, workers: str) -> None:
    site = Site()
    try:
        items, _ = crawl(site, tmp_path, "GOVCRAWL_CATALOG=", f"GOVCRAWL_EXTRACT_WORKERS={workers}",
                         "CONCURRENT_REQUESTS_PER_DOMAIN=1", "DOWNLOAD_DELAY=0.3", "AUTOTHROTTLE_ENABLED=False",
                         "ROBOTSTXT_OBEY=False")
    finally:
        site.close()
    assert len(items) == len(UNITS)
    assert site.max_active == 1, "never more than one request in flight to the site"
    starts = sorted(start for _, start, _ in site.log)
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 0.1, gaps  # DOWNLOAD_DELAY 0.3 with Scrapy's ±50% jitter, less the server's own scheduling
