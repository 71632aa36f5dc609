"""Loopback report portals for the benchmarks: pages generated per request, served by aiohttp in a subprocess.

A portal is ``lists`` list pages (``/list/<n>.html``, 100 links each, ``a.next`` to the next page) linking
report pages ``/nb/<i>.html`` of 12–25 KB, a third with a 30x8 number table (the same mix as bench_crawl.py).
Each host serves its own reports (host n: reports n*N .. n*N+N-1, so its own agencies). Pages are built from the
index, so a 100,000-report portal costs the server no memory. Each served request is
logged by the server itself as ``host path start end`` (monotonic seconds) when a log file is given.

    with Portals(hosts=["127.0.0.1"], reports=2000) as portals:  # one portal per host, each on its own port
        portals.urls  # list-page URLs, one per host
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import random
import signal
import time
from functools import lru_cache
from pathlib import Path

PER_LIST = 100
SENTENCE = "本机关坚持以习近平新时代中国特色社会主义思想为指导，全面推进政务公开，主动公开政府信息{}条。"


@lru_cache(maxsize=4096)
def report_page(index: int) -> bytes:
    """Report page ``index`` (deterministic)."""
    rng = random.Random(index * 7919 + 7)
    target = rng.randint(12_000, 25_000)
    parts = [f"<html><head><meta charset='utf-8'><title>报告{index}</title></head><body><div class='content'>"
             f"<h1>某某县第{index}局2023年政府信息公开工作年度报告</h1>"]
    if index % 3 == 0:
        rows = "".join("<tr>" + "".join(f"<td>{rng.randint(0, 9999)}</td>" for _ in range(8)) + "</tr>"
                       for _ in range(30))
        parts.append(f"<table>{rows}</table>")
    size = sum(len(p.encode()) for p in parts)
    while size < target:
        para = "<p>" + SENTENCE.format(rng.randint(1, 99999)) + "</p>"
        parts.append(para)
        size += len(para.encode())
    parts.append("</div></body></html>")
    return "".join(parts).encode()


def list_page(page: int, reports: int, per_list: int = PER_LIST, first: int = 0) -> bytes:
    """List page ``page`` of a portal with ``reports`` reports (numbered from ``first``), ``per_list`` a page."""
    items = range(first + page * per_list, first + min(reports, (page + 1) * per_list))
    links = "".join(f'<li><a href="/nb/{i}.html">某某县第{i}局2023年政府信息公开工作年度报告</a>'
                    f'<span>2024-01-{i % 28 + 1:02d}</span></li>' for i in items)
    pages = -(-reports // per_list)
    next_link = f'<a class="next" href="/list/{page + 1}.html">下一页</a>' if page + 1 < pages else ""
    return (f"<html><head><meta charset='utf-8'><title>信息公开年报</title></head><body>"
            f"<ul class='list'>{links}</ul>{next_link}</body></html>").encode()


def _serve(hosts: list[str], reports: int, latency: float, log_path: str | None, per_list: int,
           ready: multiprocessing.Queue) -> None:
    # each host serves its own reports (its own agencies): host n has reports n*reports .. (n+1)*reports-1
    firsts = {host: n * reports for n, host in enumerate(hosts)}
    from aiohttp import web

    try:  # the server is the measuring instrument: on a shared machine, log arrivals when they happen
        os.nice(-10)
    except OSError:
        pass
    log = open(log_path, "a", buffering=1) if log_path else None

    async def handle(request: web.Request) -> web.Response:
        start = time.monotonic()
        if latency:
            await asyncio.sleep(latency)
        path = request.path
        first = firsts.get(request.host.split(":")[0], 0)
        body, status = b"not found", 404
        try:
            if path.startswith("/nb/") and path.endswith(".html"):
                index = int(path[4:-5])
                if first <= index < first + reports:
                    body, status = report_page(index), 200
            elif path.startswith("/list/") and path.endswith(".html"):
                page = int(path[6:-5])
                if 0 <= page * per_list < reports:
                    body, status = list_page(page, reports, per_list, first), 200
        except ValueError:
            pass
        if log is not None:
            log.write(f"{request.host.split(':')[0]} {path} {start:.6f} {time.monotonic():.6f} {status}\n")
        return web.Response(body=body, status=status, content_type="text/html", charset="utf-8")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        ports = []
        for host in hosts:
            site = web.TCPSite(runner, host, 0, backlog=1024)
            await site.start()
            ports.append(site._server.sockets[0].getsockname()[1])
        ready.put(ports)
        await asyncio.Event().wait()

    asyncio.run(main())


class Portals:
    """Portals on ``hosts`` (one port each) served by one aiohttp subprocess; a context manager."""

    def __init__(self, hosts: list[str], reports: int, latency: float = 0.0, log: Path | None = None,
                 per_list: int = PER_LIST) -> None:
        self.hosts, self.reports, self.latency, self.log, self.per_list = hosts, reports, latency, log, per_list
        self.process: multiprocessing.Process | None = None
        self.urls: list[str] = []

    def __enter__(self) -> Portals:
        context = multiprocessing.get_context("spawn")
        ready = context.Queue()
        self.process = context.Process(target=_serve, daemon=True,
                                       args=(self.hosts, self.reports, self.latency,
                                             str(self.log) if self.log else None, self.per_list, ready))
        self.process.start()
        ports = ready.get(timeout=60)
        self.urls = [f"http://{host}:{port}/list/0.html" for host, port in zip(self.hosts, ports, strict=True)]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.pid:
            os.kill(self.process.pid, signal.SIGTERM)
            self.process.join(10)


def read_log(path: Path) -> list[tuple[str, str, float, float, int]]:
    """The server's request log: (host, path, start, end, status) per request."""
    rows = []
    for line in path.read_text().splitlines():
        host, url_path, start, end, status = line.split()
        rows.append((host, url_path, float(start), float(end), int(status)))
    return rows


def machine() -> dict[str, object]:
    """What the figures were measured on (cores, load now)."""
    return {"cpus": os.cpu_count(), "load": round(os.getloadavg()[0], 2),
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def write_result(name: str, result: dict) -> Path:
    """Store one benchmark's result as JSON (benchmarks/results/<name>.json) for run_all.py."""
    path = Path(__file__).resolve().parent / "results" / f"{name}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return path
