"""``govcrawl nightly`` end to end on the mock portal: incremental re-crawl with revisits, crash recovery."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from govcrawl.catalog import Catalog, canonical_url
from govcrawl.demo.portal import Portal
from govcrawl.warc.files import warc_files

pytestmark = pytest.mark.timeout(600)

#: fast but not instantaneous: kill points land mid-run
CRAWL_SETTINGS = ["-s", "GOVCRAWL_FAST_LOCAL=True", "-s", "LOG_LEVEL=INFO"]
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
SLOW_SETTINGS = ["-s", "CONCURRENT_REQUESTS=2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "DOWNLOAD_DELAY=0.05"]


def nightly_command(start_url: str, archive: Path, output: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "govcrawl.cli", "nightly", "--start-urls", start_url, "--archive", str(archive),
            "-o", str(output), *CRAWL_SETTINGS, *extra]


def run_nightly(start_url: str, archive: Path, output: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(nightly_command(start_url, archive, output, *extra), capture_output=True, text=True,
                          cwd="/", timeout=400)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def closed_warcs(archive: Path) -> list[Path]:
    return [Path(path) for path in warc_files([archive], include_open=False)]


def records(path: Path) -> list[tuple[str, str, str | None]]:
    """(type, target URI, WARC-Profile) of every record of a WARC file."""
    return [(rtype, uri, profile) for rtype, uri, profile, _ in sized_records(path)]


def sized_records(path: Path) -> list[tuple[str, str, str | None, int]]:
    """(type, target URI, WARC-Profile, compressed length) of every record of a WARC file."""
    out = []
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh)
        for r in iterator:
            r.content_stream().read()
            out.append((r.rec_type, r.rec_headers.get_header("WARC-Target-URI"),
                        r.rec_headers.get_header("WARC-Profile"), iterator.get_record_length()))
    return out


def assert_warcs_valid(archive: Path) -> None:
    assert not list(archive.rglob("*.open")), "a .warc.gz.open file was left behind"
    files = closed_warcs(archive)
    assert files
    for path in files:
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "digest pass" in check.stdout, check.stdout[:2000]


def stable(item: dict) -> dict:
    """An item minus its time-of-run fields (where and when it was archived)."""
    return {k: v for k, v in item.items() if k != "source"}


def item_diff(expected: list[dict], got: list[dict]) -> dict:
    """What differs between two item lists: URLs missing / extra / duplicated, and differing fields per URL."""
    want = {i["url"]: i for i in expected}
    have = {i["url"]: i for i in got}
    return {
        "missing": sorted(set(want) - set(have)),
        "extra": sorted(set(have) - set(want)),
        "duplicated": len(got) - len(have),
        "differing": {u: sorted(k for k in set(want[u]) | set(have[u]) if want[u].get(k) != have[u].get(k))
                      for u in set(want) & set(have) if want[u] != have[u]},
    }


def catalog_reports(archive: Path) -> set[tuple[str, int, str]]:
    conn = sqlite3.connect(archive / "catalog.sqlite")
    try:
        return set(conn.execute("SELECT canonical_url, version, content_hash FROM reports"))
    finally:
        conn.close()


@pytest.fixture()
def portal():
    with Portal(sites=["county"]).start() as handle:
        yield handle


def test_second_job_on_the_same_archive_is_refused(tmp_path: Path) -> None:
    with open(tmp_path / ".nightly.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = run_nightly("http://127.0.0.1:9/x/", tmp_path, tmp_path / "o.jsonl")
    assert done.returncode == 3 and "another nightly job" in done.stderr


def test_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    done = run_nightly("ftp://example/x", tmp_path, tmp_path / "o.jsonl")
    assert done.returncode == 2 and "not an http(s) URL" in done.stderr


def test_a_site_that_fails_entirely_makes_the_job_fail(tmp_path: Path, portal) -> None:
    (start,) = portal.start_urls["county"]
    dead = "http://127.0.0.1:9/zfxxgknb/index.html"  # discard port: connection refused
    done = subprocess.run(
        [sys.executable, "-m", "govcrawl.cli", "nightly", "--start-urls", f"{start},{dead}", "--archive",
         str(tmp_path), *CRAWL_SETTINGS, "-s", "RETRY_TIMES=0"], capture_output=True, text=True, timeout=400)
    assert done.returncode == 1, done.stdout + done.stderr
    (report_path,) = (tmp_path / "runs").glob("run-*.json")
    report = json.loads(report_path.read_text("utf-8"))
    assert report["failed_sites"] == ["127.0.0.1:9"]
    assert report["sites"]["127.0.0.1:9"]["errors"] >= 1
    county = report["sites"][start.split("/")[2]]
    assert county["new"] == len(portal.expected_reports("county")) and county["errors"] == 0
    assert "FAILED 127.0.0.1:9" in done.stdout


def test_incremental_recrawl_adds_one_report_one_version_and_revisits(tmp_path: Path, portal, read_warc) -> None:
    (start,) = portal.start_urls["county"]
    archive = tmp_path / "archive"
    def live_feed(n: int) -> tuple[str, str]:  # the items as the crawl emitted them, beside the catalog's -o
        return "-s", "FEEDS=" + json.dumps({str(tmp_path / f"live{n}.jsonl"): {"format": "jsonlines"}})

    first = run_nightly(start, archive, tmp_path / "n1.jsonl", *live_feed(1))
    assert first.returncode == 0, first.stdout + first.stderr + (archive / "logs/run-1.log").read_text()[-3000:]
    items1 = read_jsonl(tmp_path / "n1.jsonl")
    expected = {canonical_url(u) for u in portal.expected_reports("county")}
    assert {canonical_url(i["url"]) for i in items1} >= expected
    files1 = set(closed_warcs(archive))
    size1 = sum(p.stat().st_size for p in files1)

    untouched = sorted(expected)
    new_url = portal.add_report("county", year=2025)
    edited_url = sorted(portal.expected_reports("county") - {new_url})[0]
    portal.edit_report(edited_url)
    portal.clear_requests()

    second = run_nightly(start, archive, tmp_path / "n2.jsonl", *live_feed(2))
    assert second.returncode == 0, second.stdout + second.stderr
    items2 = read_jsonl(tmp_path / "n2.jsonl")
    assert sorted(canonical_url(i["url"]) for i in items2) == sorted([canonical_url(new_url), canonical_url(edited_url)])

    with Catalog(archive / "catalog.sqlite") as catalog:
        versions = {(r["canonical_url"], r["version"]) for r in catalog.reports(latest_only=False, first_seen_run=2)}
        assert versions == {(canonical_url(new_url), 1), (canonical_url(edited_url), 2)}
        assert catalog.count_reports() == len(items1) + 1  # latest versions: one more report

    report = json.loads((archive / "runs/run-2.json").read_text("utf-8"))
    assert report["status"] == "finished" and report["failed_sites"] == []
    assert (report["totals"]["new"], report["totals"]["changed"]) == (1, 1)
    unchanged = [u for u in untouched if u != canonical_url(edited_url)]
    assert report["totals"]["unchanged"] == len(items1) - 1 >= len(unchanged)

    # the unchanged report pages were re-validated with conditional requests and answered 304 ...
    conditional = [r for r in portal.site_requests("county")
                   if {k.lower() for k in dict(r.headers)} & {"if-none-match", "if-modified-since"}]
    assert len(conditional) >= len(unchanged)
    # ... and archived as revisit records, not as second copies
    new_files = sorted(set(closed_warcs(archive)) - files1)
    assert new_files
    revisits = {canonical_url(uri): profile for path in new_files for rtype, uri, profile in records(path)
                if rtype == "revisit"}
    for url in unchanged:
        assert url in revisits, f"no revisit record for unchanged {url}"
    assert "server-not-modified" in revisits[unchanged[0]]
    full_copies = {canonical_url(uri) for path in new_files for rtype, uri, _ in records(path) if rtype == "response"}
    assert canonical_url(new_url) in full_copies and canonical_url(edited_url) in full_copies
    assert not (set(unchanged) & full_copies)
    # an unchanged page costs a small revisit record instead of its full response record
    first_copies = sum(n for path in files1 for rtype, uri, _, n in sized_records(path)
                       if rtype == "response" and canonical_url(uri) in unchanged)
    revisit_bytes = sum(n for path in new_files for rtype, uri, _, n in sized_records(path)
                        if rtype == "revisit" and canonical_url(uri) in unchanged)
    assert revisit_bytes < 0.2 * first_copies, (revisit_bytes, first_copies)
    # the whole second crawl (request + metadata records, changed list pages, the two new captures included)
    # adds well under half of what the first one wrote (a full second copy would add ~100%)
    size2 = sum(p.stat().st_size for p in closed_warcs(archive))
    assert size2 - size1 < 0.5 * size1, (size1, size2)
    assert report["bytes_archived"] == size2 - size1
    assert_warcs_valid(archive)

    # the catalog can be rebuilt from the WARC files alone: same reports, versions and content
    rebuilt = tmp_path / "rebuilt.sqlite"
    done = subprocess.run([sys.executable, "-m", "govcrawl.cli", "rebuild", str(archive), "-o",
                           str(tmp_path / "rebuilt.jsonl"), "--catalog", str(rebuilt)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    live_rows = catalog_reports(archive)
    conn = sqlite3.connect(rebuilt)
    try:
        assert set(conn.execute("SELECT canonical_url, version, content_hash FROM reports")) == live_rows
        live = sqlite3.connect(archive / "catalog.sqlite")
        query = ("SELECT warc_record_id, status, record_type, payload_digest, warc_filename, warc_offset, etag,"
                 " last_modified, revisit_of FROM captures")
        assert set(conn.execute(query)) == set(live.execute(query))
        # report/attachment roles survive too, also for 304 revisits (written without a metadata record)
        roles = "SELECT warc_record_id, record_type, role FROM captures WHERE role IN ('report', 'attachment')"
        assert set(conn.execute(roles)) == set(live.execute(roles))
        assert any(row[1] == "revisit" for row in conn.execute(roles))
        live.close()
    finally:
        conn.close()

    # no metadata record for a 304 revisit (the report is unchanged: rebuild emits nothing for it) ...
    live1, live2 = read_jsonl(tmp_path / "live1.jsonl"), read_jsonl(tmp_path / "live2.jsonl")
    assert len(live1) >= len(portal.expected_reports("county")) - 1
    assert sorted(i["url"] for i in live2) == sorted([new_url, edited_url]), "unchanged reports: 304, no item"
    stored = read_warc(archive)
    not_modified = {r.id for r in stored if r.type == "revisit"
                    and r.headers.get_header("WARC-Profile") == SERVER_NOT_MODIFIED}
    assert len(not_modified) >= len(live1) - 1, "the re-crawl re-validated the unchanged reports"
    assert not [r for r in stored if r.type == "metadata"
                and r.headers.get_header("WARC-Concurrent-To") in not_modified], "no metadata record for a 304 revisit"
    # ... so the rebuilt items are exactly what the two live crawls emitted, each capture once, in order
    rebuilt_items = read_jsonl(tmp_path / "rebuilt.jsonl")

    def key(item: dict) -> tuple[str, str]:
        return item["url"], item["source"]["warc_record_id"]

    live_items = {key(i): i for i in live1 + live2}
    assert len(live_items) == len(live1) + len(live2)
    order = [(i["url"], i["source"]["fetched_at"], i["source"]["warc_record_id"]) for i in rebuilt_items]
    assert order == sorted(order)
    assert len({key(i) for i in rebuilt_items}) == len(rebuilt_items), "no capture rebuilt twice"
    assert {key(i) for i in rebuilt_items} == set(live_items), "rebuild == union of the two live crawls"
    for item in rebuilt_items:
        assert stable(item) == stable(live_items[key(item)]), item["url"]


def _committed_reports(archive: Path) -> int:
    """Reports the crawl has committed to its catalog so far (0 while there is none or it is busy)."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{archive / 'catalog.sqlite'}?mode=ro", uri=True, timeout=0.05) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM reports").fetchone()[0])
    except sqlite3.Error:
        return 0


def _crawl_until_killed(start: str, archive: Path, output: Path, portal, kill_after: int,
                        after_commit_before: int | None = None) -> None:
    """Start a nightly job and SIGKILL it (wrapper, crawl and WARC writer) once the portal has served
    ``kill_after`` requests and a WARC file is open; with ``after_commit_before``, also not before the catalog
    holds a committed report, unless the portal has already served that many requests."""
    portal.clear_requests()
    process = subprocess.Popen(nightly_command(start, archive, output, *SLOW_SETTINGS, "-s", "DOWNLOAD_DELAY=0.2"),
                               cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120

    def waiting() -> bool:
        served = len(portal.site_requests("county"))
        if served < kill_after or not any(archive.rglob("*.warc.gz.open")):
            return True
        return after_commit_before is not None and served < after_commit_before and not _committed_reports(archive)

    try:
        # Kill only once the writer has a WARC file open, so every kill point interrupts WARC writing
        # (right after start-up the writer process may not have opened its first file yet).
        while waiting():
            assert process.poll() is None, f"crawl ended before {kill_after} requests"
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_sigkilled_crawls_resume_without_losing_or_duplicating_reports(tmp_path: Path, portal) -> None:
    (start,) = portal.start_urls["county"]
    baseline = tmp_path / "baseline"
    done = run_nightly(start, baseline, tmp_path / "baseline.jsonl")
    assert done.returncode == 0, done.stdout + done.stderr
    base_items = sorted((stable(i) for i in read_jsonl(tmp_path / "baseline.jsonl")), key=lambda i: i["url"])
    base_rows = catalog_reports(baseline)
    total_requests = len(portal.site_requests("county"))
    assert len(base_items) >= len(portal.expected_reports("county"))

    partial_states = []
    for kill_after in (3, total_requests // 2, total_requests - 4):
        archive = tmp_path / f"killed-{kill_after}"
        output = tmp_path / f"killed-{kill_after}.jsonl"
        last = kill_after == total_requests - 4  # the late kill lands after a catalog commit
        _crawl_until_killed(start, archive, output, portal, kill_after,
                            after_commit_before=total_requests - 1 if last else None)
        open_files = list(archive.rglob("*.warc.gz.open"))
        catalogued = len(catalog_reports(archive)) if (archive / "catalog.sqlite").exists() else 0
        partial_states.append((kill_after, len(open_files), catalogued))
        assert catalogued < len(base_rows), "the kill came after the crawl had finished"
        rerun = run_nightly(start, archive, output)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        report = json.loads((archive / "runs/run-1.json").read_text("utf-8"))
        assert report["resumed"] and report["attempts"] == 2 and report["status"] == "finished"
        items = sorted((stable(i) for i in read_jsonl(output)), key=lambda i: i["url"])
        assert items == base_items, f"kill after {kill_after} requests: {item_diff(base_items, items)}"
        assert catalog_reports(archive) == base_rows
        assert_warcs_valid(archive)
    print("kill points (after N requests, .open files, catalogued reports):", partial_states)
    # the kills interrupted WARC writing, and at least one landed after some reports were catalogued
    assert all(n_open >= 1 for _, n_open, _ in partial_states), partial_states
    assert any(n > 0 for _, _, n in partial_states), partial_states


def test_a_gracefully_stopped_run_resumes_from_its_jobdir(tmp_path: Path, portal) -> None:
    (start,) = portal.start_urls["county"]
    baseline = tmp_path / "baseline"
    assert run_nightly(start, baseline, tmp_path / "baseline.jsonl").returncode == 0
    base_items = sorted((stable(i) for i in read_jsonl(tmp_path / "baseline.jsonl")), key=lambda i: i["url"])

    archive = tmp_path / "stopped"
    output = tmp_path / "stopped.jsonl"
    stopped = run_nightly(start, archive, output, *SLOW_SETTINGS, "-s", "DOWNLOAD_DELAY=1.0", "--timeout", "10")
    assert stopped.returncode == 4, stopped.stdout + stopped.stderr
    report = json.loads((archive / "runs/run-1.json").read_text("utf-8"))
    assert report["status"] == "interrupted" and report["crawl_finish_reason"] == "shutdown"
    assert (archive / "jobs/run-1").is_dir()  # Scrapy's JOBDIR kept for the next run
    assert len(read_jsonl(output)) < len(base_items)

    resumed = run_nightly(start, archive, output)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    report = json.loads((archive / "runs/run-1.json").read_text("utf-8"))
    assert report["resumed"] and report["status"] == "finished"
    assert not (archive / "jobs/run-1").exists()
    assert sorted((stable(i) for i in read_jsonl(output)), key=lambda i: i["url"]) == base_items
    assert catalog_reports(archive) == catalog_reports(baseline)
    assert_warcs_valid(archive)
