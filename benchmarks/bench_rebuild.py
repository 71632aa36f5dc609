"""Rebuild throughput: report items per second from a WARC archive, with -j 1 and -j 2.

Builds an archive of N report captures (default 1,000) from the mock county portal's real report pages (GBK,
gzip and plain pages; every 2019/2021 report carries its standard tables), each stored as the crawl stores it
(response + request + metadata records, per-record gzip) under distinct URLs, then times
``govcrawl.rebuild.rebuild_items`` end to end (WARC scan, payload decoding, extraction, parsing).

    python benchmarks/bench_rebuild.py [--reports 1000] [--out benchmarks/results/rebuild.md]
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime

from govcrawl.rebuild import rebuild_items
from govcrawl.warc.records import (
    build_metadata_record,
    build_request_record,
    build_response_record,
    new_record_id,
    payload_digest,
    response_http_headers,
    warc_date,
)
from govcrawl.warc.rotation import WarcWriter


def fetch_portal_pages() -> list[tuple[str, bytes, list[tuple[str, str]]]]:
    """(url, body as sent, headers) of every report page of the county mock site."""
    from govcrawl.demo.portal import Portal

    pages = []
    with Portal(sites=["county"]).start() as portal:
        for url in sorted(portal.expected_reports("county")):
            request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
            with urllib.request.urlopen(request, timeout=30) as response:
                body = response.read()
                headers = [(k, v) for k, v in response.headers.items() if k.lower() != "transfer-encoding"]
            pages.append((url, body, headers))
    return pages


def write_archive(directory: str, pages: list[tuple[str, bytes, list[tuple[str, str]]]], count: int) -> None:
    date = warc_date(datetime.now(UTC))
    with WarcWriter(directory, prefix="bench") as writer:
        for index in range(count):
            url, body, headers = pages[index % len(pages)]
            url = url.replace(".html", f"_{index:05d}.html")
            record_id = new_record_id()
            http = response_http_headers(status=200, protocol="HTTP/1.1",
                                         headers=[(k, [v]) for k, v in headers], body=body)
            writer.write_group([
                build_response_record(url=url, http_headers=http, body=body, date=date,
                                      digest=payload_digest(body), record_id=record_id),
                build_request_record(url=url, method="GET", headers=[], body=b"", protocol="HTTP/1.1", date=date,
                                     concurrent_to=record_id),
                build_metadata_record(url=url, date=date, concurrent_to=record_id,
                                      fields={"role": "report", "list_url": url.rsplit("/", 2)[0] + "/index.html",
                                              "link_text": "bench"}),
            ])


def measure(directory: str, jobs: int) -> tuple[int, float, int]:
    start = time.perf_counter()
    items = list(rebuild_items([directory], jobs=jobs))
    elapsed = time.perf_counter() - start
    return len(items), elapsed, sum(1 for item in items if item["flags"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "rebuild.md"))
    args = parser.parse_args()
    load_before = os.getloadavg()[0]

    pages = fetch_portal_pages()
    gzipped = sum(1 for _, body, _ in pages if body[:2] == b"\x1f\x8b")
    with tempfile.TemporaryDirectory() as directory:
        write_archive(directory, pages, args.reports)
        size = sum(os.path.getsize(os.path.join(directory, n)) for n in os.listdir(directory))
        rows = []
        for jobs in (1, 2):
            count, elapsed, flagged = measure(directory, jobs)
            rows.append((jobs, count, elapsed, count / elapsed, flagged))
            print(f"-j {jobs}: {count} reports in {elapsed:.2f} s = {count / elapsed:.1f} reports/s "
                  f"({flagged} flagged)")
    speedup = rows[1][3] / rows[0][3]
    print(f"-j 2 / -j 1 = {speedup:.2f}x")
    raw_kb = sum(len(gzip.decompress(b) if b[:2] == b"\x1f\x8b" else b) for _, b, _ in pages) / len(pages) / 1024
    lines = [
        "# Rebuild throughput (`benchmarks/bench_rebuild.py`)",
        "",
        f"- run: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average before the run {load_before:.2f}, after {os.getloadavg()[0]:.2f}",
        f"- archive: {args.reports} report captures built from the {len(pages)} county mock report pages "
        f"({gzipped} gzip-encoded; mean page {raw_kb:.1f} KB decoded), {size / 1e6:.1f} MB of .warc.gz",
        "- timed: WARC scan + payload decoding + extraction + parsing (`govcrawl.rebuild.rebuild_items`)",
        "",
        "| jobs | reports | seconds | reports/s | flagged |",
        "|---|---|---|---|---|",
        *[f"| -j {j} | {c} | {e:.2f} | {r:.1f} | {f} |" for j, c, e, r, f in rows],
        "",
        f"-j 2 / -j 1: {speedup:.2f}x",
        "",
    ]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
