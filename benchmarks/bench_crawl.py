"""Crawl throughput (pages/s) with WARC writing on and off, in the same run, on a loopback portal.

The portal is generated here: LIST_PAGES list pages linking REPORTS report-like pages of 12–25 KB (a third with
a 30x8 number table), served by a threaded http.server on 127.0.0.1 (random port) in its own process.
A minimal spider follows list -> detail; detail pages are not mined for links. Each mode runs in a fresh
Scrapy process; modes (WARC off, WARC on with the payload-digest index, the project default, and WARC on without
it) rotate for ROUNDS rounds. The WARC cost is 1 - the median of the rounds' own on/off ratios; beside it the
median pages/s of each mode and the CPU time the crawl process spends per page from spider_opened to
spider_closed (all its threads; the writer process is counted apart), the robust figure on a loaded machine.

    python benchmarks/bench_crawl.py [--reports 2000] [--rounds 2] [--out benchmarks/results/crawl.md]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from loopback import list_page, report_page

from govcrawl.addon import DEFAULTS

LIST_PAGES = 20


def build_site(reports: int) -> dict[str, bytes]:
    """Path -> HTML body for the whole generated portal: LIST_PAGES list pages, the report pages of loopback.py."""
    per_list = -(-reports // LIST_PAGES)
    pages = {f"/list/{page}.html": list_page(page, reports, per_list) for page in range(LIST_PAGES)}
    pages.update({f"/nb/{i}.html": report_page(i) for i in range(reports)})
    return pages


def serve(pages: dict[str, bytes], port_queue: multiprocessing.Queue) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            body = body if body is not None else b"not found"
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


SPIDER = '''
import scrapy

class BenchSpider(scrapy.Spider):
    name = "bench"

    def __init__(self, start, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [start]

    def parse(self, response):
        for href in response.css("ul.list a::attr(href)").getall():
            yield response.follow(href, self.parse_report, meta={"govcrawl_role": "report",
                                  "govcrawl_discovery": {"list_url": response.url}})
        next_page = response.css("a.next::attr(href)").get()
        if next_page:
            yield response.follow(next_page, self.parse)

    def parse_report(self, response):
        yield {"url": response.url, "size": len(response.body)}
'''


MODES = ("off", "on", "on-noindex")
#: the issue's target: WARC on (the default, with the payload-digest index) at most this much slower
TARGET = 0.05
MIDDLEWARE = "govcrawl.warc.middleware.WarcArchiveMiddleware"


def crawl_once(base: str, mode: str, workdir: Path, *, middleware: str = MIDDLEWARE) -> dict:
    """One crawl in a fresh Scrapy process (WARC off when ``mode`` is ``off``, else archived by ``middleware``,
    importable with benchmarks/ on the path); returns pages, seconds, pages/s and archive bytes."""
    spider = workdir / "bench_spider.py"
    spider.write_text(SPIDER)
    warc = mode != "off"
    index = "" if mode == "on-noindex" else DEFAULTS["GOVCRAWL_PAYLOAD_INDEX"]
    archive = workdir / f"archive-{mode}"
    stats_file = workdir / "stats.json"
    code = f"""
import json, resource, sys
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from scrapy.crawler import CrawlerProcess
from scrapy.utils.spider import iter_spider_classes
from govcrawl.addon import DEFAULTS
import importlib.util
spec = importlib.util.spec_from_file_location("bench_spider", {str(spider)!r})
module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
settings = {{
    **DEFAULTS,  # govcrawl's own defaults (the add-on declares them; its components are not wanted here)
    "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
    "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0,
    "GOVCRAWL_ARCHIVE_DIR": {str(archive)!r}, "GOVCRAWL_WARC_ENABLED": {warc!r},
    "DOWNLOADER_MIDDLEWARES": {{{middleware!r}: 950}}, "GOVCRAWL_PAYLOAD_INDEX": {index!r},
}}
import time
from scrapy import signals
process = CrawlerProcess(settings)
crawler = process.create_crawler(module.BenchSpider)
cpu = {{}}
def opened(spider):
    cpu["open"] = time.process_time()
def closed(spider, reason):
    cpu["close"] = time.process_time()
# connected before the middleware's handlers: spider_closed is measured before the writer is closed
crawler.signals.connect(opened, signals.spider_opened)
crawler.signals.connect(closed, signals.spider_closed)
process.crawl(crawler, start={base + "/list/0.html"!r})
process.start()
stats = crawler.stats.get_stats()
elapsed = (stats["finish_time"] - stats["start_time"]).total_seconds()
usage = resource.getrusage(resource.RUSAGE_SELF)  # the crawl process only, not the writer process
writer = resource.getrusage(resource.RUSAGE_CHILDREN)  # the writer process, start-up included
json.dump({{"pages": stats.get("response_received_count", 0), "seconds": elapsed,
           "cpu_seconds": usage.ru_utime + usage.ru_stime, "crawl_cpu_seconds": cpu["close"] - cpu["open"],
           "writer_cpu_seconds": writer.ru_utime + writer.ru_stime,
           "warc_bytes": stats.get("warc/bytes", 0), "warc_records": stats.get("warc/records", 0)}},
          open({str(stats_file)!r}, "w"))
"""
    subprocess.run([sys.executable, "-c", code], check=True)
    result = json.loads(stats_file.read_text())
    result["pages_per_s"] = result["pages"] / result["seconds"]
    result["cpu_ms_per_page"] = 1000 * result["crawl_cpu_seconds"] / result["pages"]
    result["writer_ms_per_page"] = 1000 * result["writer_cpu_seconds"] / result["pages"]
    leftover = list(archive.glob("*.open")) if archive.exists() else []
    assert not leftover, f"open WARC files left: {leftover}"
    return result


def paired_ratio(off_runs: list[dict], on_runs: list[dict]) -> float:
    """The median over rounds of each round's on/off pages/s: a round's runs are adjacent in time, so the
    host's drift between rounds (single crawls here range over +-15% and more) cancels out of its ratio."""
    return statistics.median(on["pages_per_s"] / off["pages_per_s"] for off, on in zip(off_runs, on_runs, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "crawl.md"))
    args = parser.parse_args()

    pages = build_site(args.reports)
    sizes = [len(body) for path, body in pages.items() if path.startswith("/nb/")]
    port_queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(pages, port_queue), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port_queue.get(timeout=30)}"
    runs: dict[str, list[dict]] = {mode: [] for mode in MODES}
    load_before = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for round_ in range(args.rounds):
                shift = round_ % len(MODES)
                for mode in MODES[shift:] + MODES[:shift]:
                    workdir = Path(tmp) / f"r{round_}-{mode}"
                    workdir.mkdir()
                    result = crawl_once(base, mode, workdir)
                    runs[mode].append(result)
                    print(f"round {round_ + 1} WARC {mode:10}: {result['pages']} pages in "
                          f"{result['seconds']:.2f}s = {result['pages_per_s']:.1f} pages/s, crawl process "
                          f"{result['cpu_ms_per_page']:.3f} CPU ms/page"
                          + (f", writer process {result['writer_ms_per_page']:.3f}; {result['warc_records']} records, "
                             f"{result['warc_bytes'] / 1e6:.1f} MB" if mode != "off" else ""),
                          flush=True)
    finally:
        server.terminate()
    medians = {mode: statistics.median(r["pages_per_s"] for r in runs[mode]) for mode in MODES}
    cpu = {mode: statistics.median(r["cpu_ms_per_page"] for r in runs[mode]) for mode in MODES}
    writer = {mode: statistics.median(r["writer_ms_per_page"] for r in runs[mode]) for mode in MODES}
    off = medians["off"]
    summaries = []
    for mode, label in (("on", "WARC on (process writer)"), ("on-noindex", "WARC on without the payload index")):
        on = medians[mode]
        ratio = paired_ratio(runs["off"], runs[mode])
        cost = 1 - ratio
        summaries.append(f"pages/s median: WARC off {off:.1f}, {label} {on:.1f}; ratio on/off {ratio:.3f} (median "
                         f"of the {args.rounds} rounds' own ratios); WARC cost {cost:.1%} "
                         f"(target <= {TARGET:.0%}: {'met' if cost <= TARGET else 'NOT met'})")
    for mode in ("on", "on-noindex"):
        summaries.append(f"crawl-process CPU ms/page median: WARC off {cpu['off']:.3f}, {mode} {cpu[mode]:.3f} "
                         f"(+{cpu[mode] - cpu['off']:.3f} ms, {cpu[mode] / cpu['off'] - 1:+.1%}); writer process "
                         f"{writer[mode]:.3f} ms/page")
    print("\n".join(summaries))
    cpus = os.cpu_count()
    load = os.getloadavg()[0]
    lines = [
        "# Crawl throughput with and without WARC (benchmarks/bench_crawl.py)",
        "",
        f"- Portal: {LIST_PAGES} list pages + {args.reports} report pages "
        f"({min(sizes) // 1000}–{max(sizes) // 1000} KB, a third with 30×8 tables), threaded http.server on 127.0.0.1"
        " in its own process",
        "- Spider: list -> detail, CONCURRENT_REQUESTS 16, fresh Scrapy process per run; WARC on = "
        "WarcArchiveMiddleware at 950 (response + request + metadata records, built, gzipped and written in the "
        "writer process) with the payload-digest index (the default) or without it (on-noindex)",
        "- CPU ms/page: the crawl process, all threads, spider_opened -> spider_closed; the writer process apart "
        "(start-up included)",
        f"- Machine: {cpus} CPUs, load average {load_before:.1f} before and {load:.1f} at the end of the run; "
        f"rounds: {args.rounds}",
        f"- Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        "| run | WARC | pages | seconds | pages/s | crawl CPU ms/page | writer CPU ms/page | WARC MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode in MODES:
        for index, result in enumerate(runs[mode]):
            lines.append(f"| {index + 1} | {mode} | {result['pages']} | {result['seconds']:.2f} | "
                         f"{result['pages_per_s']:.1f} | {result['cpu_ms_per_page']:.3f} | "
                         f"{result['writer_ms_per_page']:.3f} | {result['warc_bytes'] / 1e6:.1f} |")
    lines += [""] + [f"**{summary}**  " for summary in summaries] + [""]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
