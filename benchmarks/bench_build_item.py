"""build_item time per report page on one core (issue 11: median <= 2.5 ms for a 15 KB report page with tables).

Pages: the demo portal's HTML report pages of 10–20 KB whose tables reach the parser (the standard tables,
real CMS markup), fetched once from the portal on 127.0.0.1. Each page is built ``--runs`` times after a warm-up
in a process pinned to one core; the figure is the median over pages of each page's median, in CPU time
(``time.process_time``: on a shared machine wall time also counts the other processes' turns), wall beside it.

    python benchmarks/bench_build_item.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import machine, write_result

from govcrawl.capture import Capture
from govcrawl.extract import extract_document
from govcrawl.report import build_item

TARGET_MS = 2.5


def portal_pages() -> list[tuple[str, bytes, str | None]]:
    from govcrawl.demo.portal import Portal

    pages = []
    with Portal().start() as portal:
        for url in sorted(portal.expected_reports()):
            with urllib.request.urlopen(url, timeout=30) as response:
                pages.append((url, response.read(), response.headers.get("Content-Type")))
    return pages


def run(runs: int) -> dict:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    chosen = []
    for url, body, content_type in portal_pages():
        document = extract_document(body, content_type, url)
        if document.kind == "html" and document.grids and 10_000 <= len(body) <= 20_000:
            chosen.append(Capture(url=url, body=body, content_type=content_type, status=200))
    cpu, wall = [], []
    for capture in chosen:
        for _ in range(3):
            build_item(capture)
        cpu_runs, wall_runs = [], []
        for _ in range(runs):
            c, w = time.process_time(), time.perf_counter()
            build_item(capture)
            cpu_runs.append((time.process_time() - c) * 1000)
            wall_runs.append((time.perf_counter() - w) * 1000)
        cpu.append(statistics.median(cpu_runs))
        wall.append(statistics.median(wall_runs))
    kb = statistics.median(len(c.body) for c in chosen) / 1000
    result = {"pages": len(chosen), "median_kb": kb, "median_cpu_ms": statistics.median(cpu),
              "median_wall_ms": statistics.median(wall), "worst_cpu_ms": max(cpu), "target_ms": TARGET_MS,
              "met": statistics.median(cpu) <= TARGET_MS, **machine()}
    print(f"build_item on {len(chosen)} report pages with tables (median {kb:.1f} KB): median {result['median_cpu_ms']:.2f}"
          f" ms CPU ({result['median_wall_ms']:.2f} ms wall), worst page {result['worst_cpu_ms']:.2f} ms "
          f"(target <= {TARGET_MS} ms)")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    write_result("build_item", run(args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
