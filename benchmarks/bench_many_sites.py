"""Many polite sites at once vs their politeness ceiling (issue 11: >= 90%, every report, no site over its limits).

100 sites on 127.0.0.2-127.0.0.101 (one aiohttp process, a port each), every response 150 ms late; each site
allows 2 requests/s (``DOWNLOAD_DELAY`` 0.5 s without jitter, ``CONCURRENT_REQUESTS_PER_DOMAIN`` 2, AutoThrottle
off, robots.txt asked for). One ``scrapy crawl gov_reports`` over all 100 columns with everything on (WARC,
build_item workers, catalog); the global budgets are sized by govcrawl.throttle from the registry
(``GOVCRAWL_BUDGET_LATENCY`` 0.15), nothing global is set by hand.

From the server's own log: throughput = requests / (last start - first start + one delay), against the ceiling
of sites x 2 requests/s; per site the most requests started within any 0.95 s (<= 2 allowed at 2/s), the
smallest gap between two starts (>= 0.5 s less a 20 ms tolerance for loopback scheduling) and the most in flight
at once (<= 2).

    python benchmarks/bench_many_sites.py [--sites 100] [--reports-per-site 10]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import Portals, machine, read_log, write_result

ROOT = Path(__file__).resolve().parents[1]
DELAY, LATENCY, PER_DOMAIN = 0.5, 0.15, 2
TARGET = 0.90
GAP_TOLERANCE = 0.02


def site_limits(rows: list[tuple[str, str, float, float, int]]) -> dict[str, dict[str, float]]:
    """Per host: requests, the most started within any 0.95 s, the smallest start gap, the most in flight."""
    by_host: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for host, _path, start, end, _status in rows:
        by_host[host].append((start, end))
    limits = {}
    for host, spans in by_host.items():
        starts = sorted(start for start, _ in spans)
        window = max(sum(1 for s in starts if t <= s < t + 0.95) for t in starts)
        gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
        events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda x: (x[0], x[1]))
        inflight = peak = 0
        for _, step in events:
            inflight += step
            peak = max(peak, inflight)
        limits[host] = {"requests": len(starts), "max_in_095s": window, "min_gap": min(gaps) if gaps else 0.0,
                        "max_in_flight": peak}
    return limits


def run(sites: int, per_site: int) -> dict:
    hosts = [f"127.0.0.{2 + n}" for n in range(sites)]
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with Portals(hosts, per_site, latency=LATENCY, log=log) as portals:
            stats_file, out = Path(tmp) / "stats.json", Path(tmp) / "items.jsonl"
            command = [sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-a",
                       f"start_urls={','.join(portals.urls)}", "-O", str(out),
                       "-s", f"GOVCRAWL_ARCHIVE_DIR={Path(tmp) / 'archive'}", "-s", f"GOVCRAWL_STATS_FILE={stats_file}",
                       "-s", "LOG_LEVEL=WARNING", "-s", f"DOWNLOAD_DELAY={DELAY}", "-s", "DOWNLOAD_DELAY_JITTER=0",
                       "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={PER_DOMAIN}", "-s", "AUTOTHROTTLE_ENABLED=False",
                       "-s", f"GOVCRAWL_BUDGET_LATENCY={LATENCY}"]
            started, before = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
            result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            wall, after = time.monotonic() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            if result.returncode != 0:
                raise SystemExit(result.stderr[-3000:])
            items = [json.loads(line) for line in out.read_text().splitlines()]
            stats = json.loads(stats_file.read_text())
        rows = read_log(log)
    first, last = min(r[2] for r in rows), max(r[2] for r in rows)
    rate = len(rows) / (last - first + DELAY)
    ceiling = sites / DELAY
    limits = site_limits(rows)
    worst_window = max(v["max_in_095s"] for v in limits.values())
    worst_gap = min(v["min_gap"] for v in limits.values())
    worst_flight = max(v["max_in_flight"] for v in limits.values())
    within = worst_window <= 2 and worst_gap >= DELAY - GAP_TOLERANCE and worst_flight <= PER_DOMAIN
    reports = sum(1 for item in items if not any(f.startswith("http_status") for f in item["flags"]))
    ratio = rate / ceiling
    print(f"{len(rows)} requests over {sites} sites in {last - first:.1f} s (crawl process {wall:.1f} s): "
          f"CPU of the crawl and its workers {cpu:.1f} s, load {machine()['load']}; {rate:.1f} requests/s = {ratio:.1%} of the {ceiling:.0f}/s ceiling; {reports} of {sites * per_site} "
          f"reports; per site: most starts in 0.95 s {worst_window}, smallest gap {worst_gap:.3f} s, most in "
          f"flight {worst_flight}; budgets {json.dumps({k: v for k, v in stats.items() if 'budget' in k})}")
    return {"sites": sites, "reports_per_site": per_site, "requests": len(rows), "seconds": last - first, "crawl_wall": wall, "crawl_cpu": cpu,
            "requests_per_s": rate, "ceiling": ceiling, "ratio": ratio, "target": TARGET,
            "reports": reports, "expected_reports": sites * per_site, "every_report": reports == sites * per_site,
            "worst_in_095s": worst_window, "worst_gap": worst_gap, "worst_in_flight": worst_flight,
            "within_limits": within, "met": ratio >= TARGET and within and reports == sites * per_site,
            "budgets": {k: v for k, v in stats.items() if "budget" in k}, **machine()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--reports-per-site", type=int, default=10)
    args = parser.parse_args()
    write_result("many_sites", run(args.sites, args.reports_per_site))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
