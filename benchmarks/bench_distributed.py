"""One vs two distributed workers on a many-sites loopback portal, politeness held (from the servers' logs).

The portal: SITES sites on 127.0.0.2.. (one threaded http.server each, in this process, logging every request's
start and end), each a list page linking PAGES pages of ~15 KB, every answer after LATENCY seconds. The crawl
allows 2 requests/s per site (DOWNLOAD_DELAY 0.5, CONCURRENT_REQUESTS_PER_DOMAIN 2), so the portal's ceiling is
SITES x 2 pages/s however many workers there are: global politeness means a second worker adds throughput
only where one worker cannot keep every site's slot busy. Runs: 1 worker; 2 workers (Redis slots on); 2 workers
with the Redis slots off (stock scrapy-redis, for comparison: each worker polite alone, the site sees both).
Workers are ``scrapy runspider`` processes of the probe spider of tests/test_distributed_politeness.py on a
real redis-server. pages/s = pages served / (last request end - first request start), from the servers' logs.

    python benchmarks/bench_distributed.py [--sites 20] [--pages 30] [--rounds 1] [--out benchmarks/results/distributed.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.test_distributed_politeness import (  # noqa: E402  (after the path)
    LoggedSites,
    finish_worker,
    free_port,
    start_redis,
    start_worker,
)

LATENCY, DELAY, CONCURRENCY = 0.15, 0.5, 2
RUNS = (("1 worker", 1, True), ("2 workers", 2, True), ("2 workers, Redis slots off", 2, False))


def crawl(workdir: Path, sites_count: int, pages: int, workers: int, politeness: bool) -> dict:
    """One crawl of a fresh portal on a fresh redis-server; throughput and politeness from the servers' logs."""
    port = free_port()
    redis_server = start_redis(port)
    sites = LoggedSites(count=sites_count, pages=pages, latency=LATENCY, body=b"<p>" + "公开".encode() * 2500 + b"</p>")
    url = f"redis://127.0.0.1:{port}/0"
    started = time.monotonic()
    try:
        settings = (f"DOWNLOAD_DELAY={DELAY}", f"CONCURRENT_REQUESTS_PER_DOMAIN={CONCURRENCY}",
                    "CONCURRENT_REQUESTS=32", f"GOVCRAWL_DISTRIBUTED_POLITENESS={politeness}", "LOG_LEVEL=WARNING")
        processes = [start_worker(workdir, f"w{index}-{workers}-{politeness}", url, sites.start_urls, *settings)
                     for index in range(workers)]
        for process, _, log in processes:
            finish_worker(process, log, timeout=900)
        wall = time.monotonic() - started
    finally:
        sites.close()
        redis_server.terminate()
        redis_server.wait()
    served = [entry for entry in sites.log if entry[1] != "/robots.txt"]
    span = max(end for *_, end in sites.log) - min(start for _, _, start, _ in sites.log)
    gaps, in_flight = sites.min_gap(), sites.max_in_flight()
    short, total = sites.short_gaps(DELAY - 0.1)
    return {"short_gaps": f"{short} / {total}","pages": len(served), "seconds": span, "pages_per_s": len(served) / span, "wall": wall,
            "max_in_flight": max(in_flight.values()), "min_gap": min(gaps.values()),
            "held": max(in_flight.values()) <= CONCURRENCY and min(gaps.values()) >= DELAY - 0.1}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "distributed.md"))
    args = parser.parse_args()
    results: dict[str, list[dict]] = {name: [] for name, _, _ in RUNS}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for name, workers, politeness in RUNS:
                workdir = Path(tmp) / f"r{round_}-{workers}-{politeness}"
                workdir.mkdir()
                result = crawl(workdir, args.sites, args.pages, workers, politeness)
                results[name].append(result)
                print(f"round {round_ + 1} {name}: {result['pages']} pages in {result['seconds']:.2f}s = "
                      f"{result['pages_per_s']:.1f} pages/s (wall {result['wall']:.1f}s); max in flight per site "
                      f"{result['max_in_flight']}, min gap {result['min_gap']:.3f}s, short gaps {result['short_gaps']}", flush=True)
    median = {name: statistics.median(r["pages_per_s"] for r in runs) for name, runs in results.items()}
    ceiling = args.sites / DELAY  # the delay binds: CONCURRENCY x LATENCY < DELAY
    one, two = median["1 worker"], median["2 workers"]
    lines = [
        "# One vs two distributed workers (benchmarks/bench_distributed.py)",
        "",
        f"- Portal: {args.sites} sites on 127.0.0.2–{1 + args.sites}, each a list + {args.pages} pages of ~15 KB, "
        f"{LATENCY * 1000:.0f} ms latency; threaded http.server per site logging request start/end",
        f"- Politeness: DOWNLOAD_DELAY {DELAY} s, CONCURRENT_REQUESTS_PER_DOMAIN {CONCURRENCY} (2 req/s per site; "
        f"portal ceiling {ceiling:.0f} pages/s), jitter 0, AutoThrottle off; CONCURRENT_REQUESTS 32 per worker",
        "- Workers: `scrapy runspider` processes (probe spider, WARC and catalog off) on a real redis-server",
        f"- Machine: {os.cpu_count()} CPUs shared, load average {os.getloadavg()[0]:.1f} at the end; "
        f"rounds: {args.rounds}; measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        "| run | pages | seconds (servers' logs) | pages/s | wall s (incl. start-up) | max in flight/site | "
        f"min gap s | gaps < {DELAY - 0.1:.1f} s | politeness held |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, runs in results.items():
        for result in runs:
            lines.append(f"| {name} | {result['pages']} | {result['seconds']:.2f} | {result['pages_per_s']:.1f} | "
                         f"{result['wall']:.1f} | {result['max_in_flight']} | {result['min_gap']:.3f} | {result['short_gaps']} | "
                         f"{'yes' if result['held'] else 'NO'} |")
    lines += ["", f"**Two workers / one worker: {two / one:.2f}x pages/s** (median {two:.1f} vs {one:.1f}; "
              f"stock scrapy-redis without the Redis slots: {median['2 workers, Redis slots off'] / one:.2f}x, "
              "by breaking the per-site limits)."]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
