"""Rebuild reports/s with ``-j 2`` beside warcio's raw read rate of the same files (issue 11: >= 600 reports/s).

The archive is bench_rebuild.py's (the county mock site's report pages, each stored as the crawl stores them:
response + request + metadata records, per-record gzip). Timed on the same files in one run: warcio reading
every record's payload (``ArchiveIterator`` + ``content_stream().read()``, the floor no rebuild can beat) and
``govcrawl.rebuild.rebuild_items(jobs=2)`` end to end.

    python benchmarks/bench_rebuild_floor.py [--reports 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_rebuild import fetch_portal_pages, write_archive
from loopback import machine, write_result

from govcrawl.rebuild import rebuild_items

TARGET = 600.0


def warcio_rate(directory: str) -> tuple[int, float]:
    """(response records, seconds) for warcio reading every record's decoded payload."""
    start = time.perf_counter()
    responses = 0
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as stream:
            for record in ArchiveIterator(stream):
                record.content_stream().read()
                responses += record.rec_type == "response"
    return responses, time.perf_counter() - start


def run(reports: int) -> dict:
    pages = fetch_portal_pages()
    with tempfile.TemporaryDirectory() as directory:
        write_archive(directory, pages, reports)
        size = sum(os.path.getsize(os.path.join(directory, n)) for n in os.listdir(directory))
        read, read_s = warcio_rate(directory)
        start = time.perf_counter()
        items = list(rebuild_items([directory], jobs=2))
        rebuild_s = time.perf_counter() - start
    rate, floor = len(items) / rebuild_s, read / read_s
    print(f"rebuild -j 2: {len(items)} reports in {rebuild_s:.2f} s = {rate:.0f} reports/s; warcio raw read of the "
          f"same {size / 1e6:.1f} MB: {read} responses in {read_s:.2f} s = {floor:.0f} records/s "
          f"(target >= {TARGET:.0f} reports/s)")
    return {"reports": len(items), "rebuild_s": rebuild_s, "reports_per_s": rate, "warcio_per_s": floor,
            "archive_mb": size / 1e6, "target": TARGET, "met": rate >= TARGET, **machine()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    args = parser.parse_args()
    write_result("rebuild_floor", run(args.reports))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
