"""The archive's disk fills up mid-WARC: ``scrapy crawl gov_reports`` in a child process against the mock portal,
with the room for WARC bytes taken away two ways:

- ``RLIMIT_FSIZE`` on the crawl's process tree (set in ``preexec_fn``; the WARC writer process ignores SIGXFSZ, so
  ``write`` fails with ``EFBIG``). Every file the crawl writes is bounded, so the report pages carry an
  incompressible HTML comment: the WARC file, not the catalog or the item feed, is the one that reaches the limit.
- a tiny tmpfs mounted on the archive directory (``ENOSPC``), when ``mount`` works here (root in a container
  allowing it); the catalog and the feed live elsewhere.

Either way: the crawl closes with the reason ``warc_disk_full`` after one clear log line and no traceback,
``warcio check`` passes on every file left, no ``.open`` file is left, every item's ``source`` points at a
readable response record of its URL or, for an item whose record was not written, holds no WARC location at all
(``warc_filename``, ``warc_offset`` and ``warc_record_id`` None): items are emitted, never claiming a record that
is in no file. The catalog agrees: its ``reports`` and ``captures`` rows carry the same locations.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from govcrawl.demo import site_county
from govcrawl.demo.server import Page
from govcrawl.warc.repair import scan_complete_members

REPO = Path(__file__).resolve().parents[1]
#: bytes of incompressible padding per report page (base64 of random bytes, in an HTML comment)
PADDING = 600_000
#: the file-size limit of the crawl's processes: the WARC file reaches it after a few report pages
FSIZE_LIMIT = 6_000_000


def build_heavy_county(ctx: Any) -> None:
    """The county site, its report pages carrying an incompressible HTML comment (not part of any report text)."""
    site_county.build(ctx)
    rng = random.Random(f"{ctx.seed}/padding")
    reports = {url for url, truth in ctx.ground.reports.items() if truth.site == ctx.site.name}
    for path, page in ctx.site.routes.items():
        if isinstance(page, Page) and ctx.site.url(path) in reports and b"</body>" in page.body:
            filler = base64.b64encode(rng.randbytes(PADDING * 3 // 4))
            page.body = page.body.replace(b"</body>", b"<!-- " + filler + b" --></body>", 1)


PORTAL_SITES: list[str] = []
PORTAL_EXTRA = {"county_heavy": build_heavy_county}


def run_crawl(work: Path, start_urls: list[str], *, archive: Path, catalog: Path,
              fsize_limit: int | None = None, **settings: str) -> dict[str, Any]:
    """``scrapy crawl gov_reports`` from ``work`` (optionally under ``RLIMIT_FSIZE``); items, stats, log, files."""
    work.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-a", "start_urls=" + ",".join(start_urls),
        "-s", "GOVCRAWL_FAST_LOCAL=True", "-s", f"GOVCRAWL_ARCHIVE_DIR={archive}", "-s", f"GOVCRAWL_CATALOG={catalog}",
        "-s", f"GOVCRAWL_STATS_FILE={work / 'stats.json'}", "-s", "LOG_LEVEL=INFO", "-s", "CONCURRENT_REQUESTS=4",
        "-O", f"{work / 'items.jsonl'}:jsonlines",
    ]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="govcrawl.settings",
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))

    def limit_file_size() -> None:
        if fsize_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_limit, fsize_limit))

    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=240,
                            preexec_fn=limit_file_size)
    items_path = work / "items.jsonl"
    items = [json.loads(line) for line in items_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {"returncode": result.returncode, "log": result.stderr, "items": items,
            "stats": json.loads((work / "stats.json").read_text(encoding="utf-8")),
            "files": sorted(archive.iterdir()), "archive": archive, "catalog": catalog}


#: run in a child process under RLIMIT_FSIZE: a ProcessWarcWriter fed groups of incompressible bodies
WRITER_CHILD = r"""
import hashlib, json, os, sys
from govcrawl.warc.process import ProcessWarcWriter
from govcrawl.warc.records import new_record_id, payload_digest
from govcrawl.warc.ref import WarcRef
from govcrawl.warc.rotation import WarcDiskFull

directory, groups = sys.argv[1], int(sys.argv[2])
full = []
writer = ProcessWarcWriter(directory, on_disk_full=full.append)

def submit(i):
    body, record_id, date = os.urandom(8000), new_record_id(), "2026-01-01T00:00:00Z"
    url = f"http://127.0.0.1/report/{i}.html"
    ref = WarcRef(warc_record_id=record_id, payload_digest=payload_digest(body), fetched_at=date, url=url)
    ref.future = writer.submit([
        ("response", {"url": url, "http_headers": {"status": 200, "protocol": "HTTP/1.1", "body": body,
                      "headers": [(b"Content-Type", [b"text/html"])]}, "body": body, "date": date,
                      "digest": ref.payload_digest, "record_id": record_id}),
        ("request", {"url": url, "method": "GET", "headers": [], "body": b"", "protocol": "HTTP/1.1",
                     "date": date, "concurrent_to": record_id}),
    ])
    return ref

refs = [submit(i) for i in range(groups)]
for ref in refs:
    try:
        ref.result(60)
    except WarcDiskFull:
        pass
late = submit(groups)  # submitted after the writer reported the full disk
late_failed_at_once = late.done() and isinstance(late.error, WarcDiskFull)
writer.close()
print(json.dumps({
    "refs": [[r.url, r.warc_filename, r.warc_offset, r.warc_length, r.warc_record_id,
              type(r.error).__name__ if r.error else None] for r in [*refs, late]],
    "full": [str(error) for error in full], "closed": writer.closed_files, "late_failed_at_once": late_failed_at_once,
}))
"""


def run_writer_child(directory: Path, limit: int, groups: int = 12) -> dict[str, Any]:
    """:data:`WRITER_CHILD` in a child process whose files may grow to ``limit`` bytes; its JSON report."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-c", WRITER_CHILD, str(directory), str(groups)], capture_output=True, text=True, env=env,
        timeout=120, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_writer_cuts_back_closes_and_fails_pending_and_later_refs(tmp_path: Path, read_warc: Any) -> None:
    limit = 60_000
    report = run_writer_child(tmp_path, limit)
    refs = report["refs"]
    written = [ref for ref in refs if ref[5] is None]
    failed = [ref for ref in refs if ref[5] is not None]
    assert 0 < len(written) < len(refs) - 1
    assert refs[:len(written)] == written, "groups are written in order: the first failure ends the file"
    assert all(ref[1] is None and ref[2] is None and ref[4] is None and ref[5] == "WarcDiskFull" for ref in failed)
    assert report["late_failed_at_once"]
    assert len(report["full"]) == 1 and "(File too large)" in report["full"][0]
    (closed,) = report["closed"]
    assert sorted(os.listdir(tmp_path)) == [os.path.basename(closed)]  # renamed from .open, nothing else left
    size = os.path.getsize(closed)
    assert size <= limit and f"cut back to its last whole record ({size} bytes)" in report["full"][0]
    records = read_warc(tmp_path)
    assert [record.type for record in records] == ["warcinfo"] + ["response", "request"] * len(written)
    assert scan_complete_members(closed) == (size, len(records))  # whole records to the last byte
    by_offset = {record.offset: record for record in records}
    for url, filename, offset, _length, record_id, _error in written:
        assert filename == os.path.basename(closed)
        assert by_offset[offset].uri == url and by_offset[offset].id == record_id


def test_writer_removes_a_file_that_cannot_hold_its_warcinfo(tmp_path: Path) -> None:
    report = run_writer_child(tmp_path, 300, groups=3)
    assert all(ref[1] is None and ref[4] is None and ref[5] == "WarcDiskFull" for ref in report["refs"])
    assert "removed (it held no record but its warcinfo)" in report["full"][0]
    assert report["closed"] == [] and os.listdir(tmp_path) == []


def check_outcome(crawl: dict[str, Any], read_warc: Any, *, reason: str) -> dict[str, Any]:
    """What every disk-full crawl must show (see the module docstring); returns the located/unwritten items."""
    log, stats = crawl["log"], crawl["stats"]
    assert crawl["returncode"] == 0, log[-3000:]
    assert "Traceback" not in log, log[-4000:]
    assert stats["finish_reason"] == "warc_disk_full" and stats["warc/disk_full"] == 1
    assert "Closing spider (warc_disk_full)" in log
    full_lines = [line for line in log.splitlines() if "[govcrawl.warc.process] ERROR" in line]
    assert len(full_lines) == 1, full_lines
    assert "WARC archive full writing govcrawl-" in full_lines[0] and f"({reason})" in full_lines[0]
    assert re.search(r"the file was (cut back to its last whole record \(\d+ bytes\) and closed|removed \(it held "
                     r"no record but its warcinfo\)); no more records are written$", full_lines[0]), full_lines[0]

    names = [path.name for path in crawl["files"]]
    assert not [name for name in names if name.endswith(".open")], names
    warcs = [path for path in crawl["files"] if path.name.endswith(".warc.gz")]
    assert warcs
    check = subprocess.run(["warcio", "check", "-v", *map(str, warcs)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    records = {(record.file.name, record.offset): record for record in read_warc(crawl["archive"])}

    located = [item for item in crawl["items"] if item["source"]["warc_filename"]]
    unwritten = [item for item in crawl["items"] if not item["source"]["warc_filename"]]
    assert located and unwritten, "the limit must be reached mid-crawl"
    for item in located:
        source = item["source"]
        record = records[(source["warc_filename"], source["warc_offset"])]
        assert record.type == "response" and record.uri == item["url"] and record.id == source["warc_record_id"]
        assert b"</html>" in record.decoded().lower()  # the whole page is readable
    for item in unwritten:  # emitted, claiming no record
        assert item["source"]["warc_offset"] is None and item["source"]["warc_record_id"] is None
    written_ids = {record.id for record in records.values()}

    with sqlite3.connect(crawl["catalog"]) as conn:
        conn.row_factory = sqlite3.Row
        reports = {row["url"]: row for row in conn.execute("SELECT * FROM reports")}
        captures = list(conn.execute("SELECT * FROM captures"))
    assert set(reports) == {item["url"] for item in crawl["items"]}
    for item in crawl["items"]:
        row, source = reports[item["url"]], item["source"]
        assert (row["warc_filename"], row["warc_offset"], row["warc_record_id"]) == (
            source["warc_filename"], source["warc_offset"], source["warc_record_id"])
    for row in captures:  # a capture row names a record only if the record is in a file
        if row["warc_filename"] is None:
            assert row["warc_record_id"] is None and row["warc_offset"] is None and row["record_type"] is None
        else:
            assert records[(row["warc_filename"], row["warc_offset"])].id == row["warc_record_id"]
            assert row["warc_record_id"] in written_ids
    return {"located": located, "unwritten": unwritten}


def test_file_size_limit_stops_the_crawl_cleanly(portal: Any, tmp_path: Path, read_warc: Any) -> None:
    archive = tmp_path / "archive"
    crawl = run_crawl(tmp_path / "work", portal.start_urls["county_heavy"], archive=archive,
                      catalog=tmp_path / "catalog.sqlite", fsize_limit=FSIZE_LIMIT)
    outcome = check_outcome(crawl, read_warc, reason="File too large")
    assert all(path.stat().st_size <= FSIZE_LIMIT for path in crawl["files"])
    # every report fetched is emitted once, archived or saying it is not
    urls = [item["url"] for item in crawl["items"]]
    assert len(urls) == len(set(urls)) and set(urls) <= portal.expected_for(portal.start_urls["county_heavy"][0])
    assert len(outcome["located"]) + len(outcome["unwritten"]) == len(crawl["items"])

    # with room again, an incremental re-run archives what was not written (its capture is no prior to revisit)
    again = run_crawl(tmp_path / "again", portal.start_urls["county_heavy"], archive=archive,
                      catalog=tmp_path / "catalog.sqlite", GOVCRAWL_INCREMENTAL="True")
    assert again["returncode"] == 0 and again["stats"]["finish_reason"] == "finished", again["log"][-3000:]
    records = {(record.file.name, record.offset): record for record in read_warc(archive)}
    refetched = {item["url"]: item["source"] for item in again["items"]}
    for item in outcome["unwritten"]:
        source = refetched[item["url"]]
        record = records[(source["warc_filename"], source["warc_offset"])]
        assert record.type == "response" and record.uri == item["url"] and record.id == source["warc_record_id"]


def _mount_tmpfs(path: Path, size: str) -> bool:
    """Mount a tmpfs of ``size`` on ``path`` (root, and a kernel/container allowing it); False when not allowed."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                            capture_output=True, text=True)
    return result.returncode == 0


def test_full_filesystem_stops_the_crawl_cleanly(portal: Any, tmp_path: Path, read_warc: Any) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    if not _mount_tmpfs(archive, "3m"):
        pytest.skip("mounting a tmpfs is not permitted here (the RLIMIT_FSIZE test covers the disk-full path)")
    try:
        crawl = run_crawl(tmp_path / "work", portal.start_urls["county_heavy"], archive=archive,
                          catalog=tmp_path / "catalog.sqlite", GOVCRAWL_WARC_MAX_SIZE="1000000")
        outcome = check_outcome(crawl, read_warc, reason="No space left on device")
        assert sum(path.stat().st_size for path in crawl["files"]) <= 3 * 1024 * 1024
        # files rotated before the disk filled keep their records, and their items their locations
        assert len(crawl["files"]) >= 2
        assert len({item["source"]["warc_filename"] for item in outcome["located"]}) >= 2
    finally:
        subprocess.run(["umount", str(archive)], check=False)
