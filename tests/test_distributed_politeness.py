"""Distributed politeness (govcrawl.distributed.politeness): two real worker processes on a real redis-server
against loopback sites (127.0.0.2, .3, ...) whose servers log every request's start and end. Measured from those
logs, no site ever has more than CONCURRENT_REQUESTS_PER_DOMAIN requests in flight, nor two requests closer
than DOWNLOAD_DELAY, though each worker alone would allow that much. With the Redis slots off (the control)
the same two workers break both limits.

This module is also the spider file the workers run (``scrapy runspider``) and the site server the
benchmark (benchmarks/bench_distributed.py) uses."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
from scrapy import Request, Spider
from scrapy.settings import Settings

from govcrawl.distributed.politeness import SiteSlotMiddleware

REPO = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class ProbeSpider(Spider):
    """Each site: ``/list.html`` links its pages; every page is an item (``{"url"}``)."""

    name = "politeness_probe"

    def __init__(self, start_urls: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [url for url in start_urls.split(",") if url]

    async def start(self) -> Any:
        for url in self.start_urls:  # filtered: the second worker's start requests are duplicates
            yield Request(url, callback=self.parse)

    def parse(self, response: Any) -> Iterator[Request]:
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, callback=self.parse_page)

    def parse_page(self, response: Any) -> Iterator[dict[str, str]]:
        yield {"url": response.url}


class _AcceptTimingServer(ThreadingHTTPServer):
    """Notes when each connection was accepted (one request per connection: HTTP/1.0), before a handler thread
    exists: the earliest moment the server knows of a request, least delayed by a busy machine."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.accepted: dict[int, float] = {}
        super().__init__(*args, **kwargs)

    def get_request(self) -> Any:
        connection, address = super().get_request()
        self.accepted[id(connection)] = time.time()
        return connection, address


class LoggedSites:
    """``count`` loopback sites on 127.0.0.2.. (one ThreadingHTTPServer each, in this process): ``pages``
    pages behind ``/list.html``, each answered after ``latency`` seconds; ``log`` holds
    ``(host, path, start, end)`` of every request as the server saw it."""

    def __init__(self, count: int, pages: int, latency: float, body: bytes = b"",
                 files: dict[str, bytes] | None = None, first_host: int = 2) -> None:
        self.pages, self.latency, self.body = pages, latency, body
        self.files = files or {}  # path -> bytes served verbatim (linked from the list too)
        self.log: list[tuple[str, str, float, float]] = []
        self._lock = threading.Lock()
        self.servers = [self._serve(f"127.0.0.{first_host + index}") for index in range(count)]

    def _serve(self, host: str) -> _AcceptTimingServer:
        sites = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                start = server.accepted.pop(id(self.request), time.time())
                time.sleep(sites.latency)
                content_type = "text/html; charset=utf-8"
                if self.path == "/list.html":
                    links = "".join(f'<a href="/p/{i}.html">page {i}</a>' for i in range(sites.pages))
                    links += "".join(f'<a href="{path}">file</a>' for path in sites.files)
                    body = f"<html><body><h1>{host}</h1>{links}</body></html>".encode()
                elif self.path in sites.files:
                    body, content_type = sites.files[self.path], "application/pdf"
                else:
                    body = f"<html><body>{host}{self.path}".encode() + sites.body + b"</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                with sites._lock:
                    sites.log.append((host, self.path, start, time.time()))

        server = _AcceptTimingServer((host, 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    @property
    def start_urls(self) -> list[str]:
        return [f"http://{server.server_address[0]}:{server.server_address[1]}/list.html" for server in self.servers]

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def per_site(self) -> dict[str, list[tuple[float, float]]]:
        """host -> sorted (start, end) of its requests."""
        sites: dict[str, list[tuple[float, float]]] = {}
        for host, _, start, end in self.log:
            sites.setdefault(host, []).append((start, end))
        return {host: sorted(spans) for host, spans in sites.items()}

    def max_in_flight(self) -> dict[str, int]:
        """host -> the most requests the server had in progress at once."""
        result = {}
        for host, spans in self.per_site().items():
            events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans],
                            key=lambda event: (event[0], event[1]))
            level = peak = 0
            for _, step in events:
                level += step
                peak = max(peak, level)
            result[host] = peak
        return result

    def min_gap(self) -> dict[str, float]:
        """host -> the shortest time between two consecutive request starts."""
        return {host: min((b[0] - a[0] for a, b in zip(spans, spans[1:], strict=False)), default=float("inf"))
                for host, spans in self.per_site().items()}


    def short_gaps(self, threshold: float) -> tuple[int, int]:
        """(gaps between consecutive starts at a site shorter than ``threshold``, all such gaps)."""
        gaps = [b[0] - a[0] for spans in self.per_site().values() for a, b in zip(spans, spans[1:], strict=False)]
        return sum(gap < threshold for gap in gaps), len(gaps)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(port: int, workdir: Path | None = None) -> subprocess.Popen:
    """A redis-server on 127.0.0.1:port; with ``workdir``, an append-only file fsynced on every write there."""
    durability = (["--dir", str(workdir), "--appendonly", "yes", "--appendfsync", "always"] if workdir
                  else ["--appendonly", "no"])
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                *durability], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")


def start_worker(workdir: Path, name: str, redis_url: str, start_urls: list[str], *extra: str,
                 spider_file: Path = Path(__file__)) -> tuple[subprocess.Popen, Path, Path]:
    """One ``scrapy runspider`` worker of the probe spider; returns (process, items file, log file)."""
    items, log = workdir / f"{name}.jsonl", workdir / f"{name}.log"
    settings = {
        "GOVCRAWL_DISTRIBUTED": "True", "REDIS_URL": redis_url, "GOVCRAWL_FAST_LOCAL": "True",
        "GOVCRAWL_WARC_ENABLED": "False", "GOVCRAWL_CATALOG": "", "GOVCRAWL_BROWSER": "off",
        "ITEM_PIPELINES": "{}", "LOG_FILE": str(log), "LOG_LEVEL": "INFO", "TELNETCONSOLE_ENABLED": "False",
        "GOVCRAWL_DISTRIBUTED_WORKER_TIMEOUT": "30", "GOVCRAWL_EXTRACT_WORKERS": "0",
    }
    command = [sys.executable, "-m", "scrapy", "runspider", str(spider_file), "-a",
               f"start_urls={','.join(start_urls)}", "-o", f"{items}:jsonlines"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    for value in extra:
        command += ["-s", value]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT), items, log


def finish_worker(process: subprocess.Popen, log: Path, timeout: float = 240) -> dict[str, Any]:
    """Wait for a worker; its final stats (from the log)."""
    output, _ = process.communicate(timeout=timeout)
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    assert process.returncode == 0, output.decode(errors="replace")[-3000:] + text[-3000:]
    assert "Traceback" not in text, text[-4000:]
    stats: dict[str, Any] = {}
    dump = text.split("Dumping Scrapy stats:")[-1]
    for line in dump.splitlines():
        if ":" in line and line.strip().startswith("'"):
            key, _, value = line.strip().strip(",{}").partition(": ")
            stats[key.strip("'")] = value.strip("'")
    return stats


def item_urls(items: Path) -> list[str]:
    return [json.loads(line)["url"] for line in items.read_text(encoding="utf-8").splitlines() if line] \
        if items.exists() else []


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    if not Path(REDIS_SERVER).exists():
        pytest.fail(f"redis-server not found at {REDIS_SERVER}")
    port = free_port()
    process = start_redis(port)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


CONCURRENCY, DELAY = 2, 0.5


def _crawl_two_workers(tmp_path: Path, redis_url: str, politeness: bool) -> tuple[LoggedSites, list[list[str]]]:
    sites = LoggedSites(count=3, pages=9, latency=0.6)
    try:
        limits = (f"CONCURRENT_REQUESTS_PER_DOMAIN={CONCURRENCY}", f"DOWNLOAD_DELAY={DELAY}",
                  "CONCURRENT_REQUESTS=8", f"GOVCRAWL_DISTRIBUTED_POLITENESS={politeness}")
        workers = [start_worker(tmp_path, f"{name}-{politeness}", redis_url, sites.start_urls, *limits)
                   for name in ("alpha", "beta")]
        stats = [finish_worker(process, log) for process, _, log in workers]
        assert all(s.get("finish_reason") == "finished" for s in stats), stats
        urls = [item_urls(items) for _, items, _ in workers]
    finally:
        sites.close()
    return sites, urls


def test_two_workers_share_each_sites_concurrency_and_delay(tmp_path: Path, redis_url: str) -> None:
    sites, urls = _crawl_two_workers(tmp_path, redis_url, politeness=True)
    assert all(urls), "each worker must have downloaded pages, or the test shows nothing"
    assert len(urls[0]) + len(urls[1]) == len(set(urls[0]) | set(urls[1])) == 3 * 9
    assert len([entry for entry in sites.log if entry[1] != "/robots.txt"]) == 3 * 10  # robots.txt counts too
    in_flight, gaps = sites.max_in_flight(), sites.min_gap()
    print("politeness on: max in flight", in_flight, "min gap", {h: round(g, 3) for h, g in gaps.items()})
    assert max(in_flight.values()) <= CONCURRENCY, in_flight
    # the grants are DELAY apart on Redis's clock; the server sees them after the worker's own latency
    assert min(gaps.values()) >= DELAY - 0.1, gaps


def test_control_without_redis_slots_breaks_the_limits(tmp_path: Path, redis_url: str) -> None:
    """Two stock workers (each polite alone) together exceed a site's limits: the assertions above can fail."""
    sites, urls = _crawl_two_workers(tmp_path, redis_url, politeness=False)
    assert all(urls)
    in_flight, gaps = sites.max_in_flight(), sites.min_gap()
    print("politeness off: max in flight", in_flight, "min gap", {h: round(g, 3) for h, g in gaps.items()})
    assert max(in_flight.values()) > CONCURRENCY or min(gaps.values()) < DELAY - 0.1, (in_flight, gaps)


def test_site_leases_limit_concurrency_space_grants_and_expire_by_themselves(redis_url: str) -> None:
    """The Lua lease on a real Redis: C leases at once, the next waits; a lease nobody returns (its worker was
    killed) expires; the delay spaces grants; DOWNLOAD_SLOTS overrides a site's limits."""
    settings = Settings({"CONCURRENT_REQUESTS_PER_DOMAIN": 2, "DOWNLOAD_DELAY": 0.0,
                         "GOVCRAWL_DISTRIBUTED_SITE_LEASE": 0.4, "GOVCRAWL_DISTRIBUTED_SITE_POLL": 0.05,
                         "DOWNLOAD_SLOTS": {"slow.example": {"concurrency": 1, "delay": 0.3}}})
    middleware = SiteSlotMiddleware(redis.Redis.from_url(redis_url), settings)
    assert middleware.try_acquire("a.example", "t1") == 0 and middleware.try_acquire("a.example", "t2") == 0
    assert 0 < middleware.try_acquire("a.example", "t3") <= 0.05  # full: ask again soon
    assert middleware.try_acquire("b.example", "t4") == 0  # sites are independent
    time.sleep(0.45)  # t1 and t2 were never released: their leases expire
    assert middleware.try_acquire("a.example", "t3") == 0

    assert middleware.try_acquire("slow.example", "s1") == 0
    middleware.server.zrem("govcrawl:site:slow.example:leases", "s1")  # released at once ...
    wait = middleware.try_acquire("slow.example", "s2")
    assert 0.2 < wait <= 0.3  # ... but the next grant waits for the delay
    time.sleep(wait)
    assert middleware.try_acquire("slow.example", "s2") == 0
