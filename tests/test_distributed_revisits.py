"""Content dedup across URLs (GOVCRAWL_PAYLOAD_INDEX): the same PDF at two URLs is archived once, as a response,
and once as an identical-payload-digest revisit referring to it (WARC-Refers-To-Target-URI/-Date).

Distributed: two real workers on a real redis-server, each writing its own WARC files, share the Redis index.
Single process: the catalog's index, also across runs (a third URL in a later crawl refers to the first run's
capture)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import redis

from tests import test_distributed_politeness as probe
from tests.conftest import read_warc
from tests.test_distributed_politeness import LoggedSites, finish_worker, item_urls, start_worker

redis_url = probe.redis_url  # the fixture: a real redis-server on loopback

PDF = b"%PDF-1.4\n" + b"2023\xe5\xb9\xb4\xe6\x94\xbf\xe5\xba\x9c\xe4\xbf\xa1\xe6\x81\xaf\xe5\x85\xac\xe5\xbc\x80 " * 400 + b"\n%%EOF\n"
IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def _pdf_sites(count: int = 2, pdf_path: str = "/files/report.pdf") -> LoggedSites:
    """Sites with 4 ordinary pages and the same PDF bytes at ``pdf_path`` on every site."""
    return LoggedSites(count=count, pages=4, latency=0.05, files={pdf_path: PDF})


def _captures(records: list, url_part: str) -> list:
    return [r for r in records if r.type in ("response", "revisit") and url_part in (r.uri or "")]


def _assert_one_response_one_revisit(records: list, urls: list[str]) -> None:
    pdfs = [r for r in records if r.type in ("response", "revisit") and r.uri in urls]
    assert sorted(r.type for r in pdfs) == ["response", "revisit"], [(r.type, r.uri) for r in pdfs]
    response = next(r for r in pdfs if r.type == "response")
    revisit = next(r for r in pdfs if r.type == "revisit")
    assert revisit.uri != response.uri
    assert revisit.headers.get_header("WARC-Profile") == IDENTICAL
    assert revisit.headers.get_header("WARC-Refers-To-Target-URI") == response.uri
    assert revisit.headers.get_header("WARC-Refers-To-Date") == response.headers.get_header("WARC-Date")
    assert revisit.headers.get_header("WARC-Payload-Digest") == response.headers.get_header("WARC-Payload-Digest")
    assert PDF in response.decoded() and PDF not in revisit.raw  # one copy of the bytes
    # the ordinary pages are all distinct: full responses
    pages = _captures(records, "/p/")
    assert pages and {r.type for r in pages} == {"response"}


def test_two_workers_one_pdf_at_two_urls_one_response_one_revisit(tmp_path: Path, redis_url: str) -> None:
    sites = _pdf_sites()
    try:
        workers = [start_worker(tmp_path, name, redis_url, sites.start_urls, "GOVCRAWL_WARC_ENABLED=True",
                                f"GOVCRAWL_ARCHIVE_DIR={tmp_path / name}", "DOWNLOAD_DELAY=0.1",
                                "CONCURRENT_REQUESTS=2")
                   for name in ("alpha", "beta")]
        stats = [finish_worker(process, log) for process, _, log in workers]
        urls = [item_urls(items) for _, items, _ in workers]
    finally:
        sites.close()
    assert all(s.get("finish_reason") == "finished" for s in stats), stats
    assert all(urls), "both workers must have crawled"
    records = read_warc(tmp_path / "alpha") + read_warc(tmp_path / "beta")
    pdf_urls = [url.replace("/list.html", "/files/report.pdf") for url in sites.start_urls]
    _assert_one_response_one_revisit(records, pdf_urls)
    assert sum(int(s.get("warc/revisits/payload_index", 0)) for s in stats) == 1
    index = redis.Redis.from_url(redis_url).hgetall("govcrawl:payloads")
    assert len(index) == 4 * 2 + 2 + 2 + 1  # distinct pages, lists and robots.txt of both sites + the one PDF


def _single_process(tmp_path: Path, name: str, sites: LoggedSites) -> dict:
    process, _, log = start_worker(tmp_path, name, "", sites.start_urls, "GOVCRAWL_DISTRIBUTED=False",
                                   "GOVCRAWL_WARC_ENABLED=True", f"GOVCRAWL_ARCHIVE_DIR={tmp_path / 'archive'}",
                                   f"GOVCRAWL_CATALOG={tmp_path / 'archive' / 'catalog.sqlite'}")
    return finish_worker(process, log)


def test_single_process_catalog_index_dedups_within_and_across_runs(tmp_path: Path) -> None:
    sites = _pdf_sites()
    try:
        stats = _single_process(tmp_path, "first", sites)
    finally:
        sites.close()
    assert stats.get("finish_reason") == "finished"
    pdf_urls = [url.replace("/list.html", "/files/report.pdf") for url in sites.start_urls]
    first_run = read_warc(tmp_path / "archive")
    _assert_one_response_one_revisit(first_run, pdf_urls)
    original = next(r for r in first_run if r.type == "response" and r.uri in pdf_urls)

    # a later crawl: the same bytes at a new URL (another site, a mirror path) refer to the first run's capture
    later = LoggedSites(count=1, pages=0, latency=0.01, files={"/gate/big5/files/report.pdf": PDF}, first_host=9)
    try:
        _single_process(tmp_path, "second", later)
    finally:
        later.close()
    second_run = [r for r in read_warc(tmp_path / "archive") if r.file not in {x.file for x in first_run}]
    mirror = [r for r in second_run if r.type in ("response", "revisit") and "/gate/big5/" in (r.uri or "")]
    assert [r.type for r in mirror] == ["revisit"], [(r.type, r.uri) for r in second_run]
    assert mirror[0].headers.get_header("WARC-Refers-To-Target-URI") == original.uri
    assert mirror[0].headers.get_header("WARC-Refers-To-Date") == original.headers.get_header("WARC-Date")
    with sqlite3.connect(tmp_path / "archive" / "catalog.sqlite") as conn:
        kinds = conn.execute("SELECT record_type, COUNT(*) FROM captures WHERE url LIKE '%.pdf' "
                             "GROUP BY record_type ORDER BY record_type").fetchall()
    assert kinds == [("response", 1), ("revisit", 2)]
