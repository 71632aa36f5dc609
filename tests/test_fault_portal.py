"""One crawl over the fault portal (tests/fault_portal.py, tests/fault_cases.py), then one outcome per case.

Each case asserts its own outcome: a flagged item with the named flag, a clear error for its URL in the log
or the stats, or not fetched at all (the portal's request log). The crawl as a whole: no traceback, finished
within a bound, peak memory of its process tree under 1 GB, no listening socket (issue 12).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fault_crawl import MeasuredCrawl, crawl_command, run_measured
from tests.fault_portal import FaultPortal

#: the whole crawl, 45 cases, DOWNLOAD_TIMEOUT=4 and one retry, on a loaded 2-core machine
CRAWL_BOUND_SECONDS = 240
PEAK_MEMORY_BOUND = 1024**3
ESCAPE = Path("/tmp/govcrawl-escaped.pdf")


@dataclass
class FaultRun:
    portal: FaultPortal
    crawl: MeasuredCrawl
    items: dict[str, dict[str, Any]]  # by URL path
    stats: dict[str, Any]
    out: Path

    def item(self, case: str) -> dict[str, Any]:
        path = self.portal.cases[case]
        assert path in self.items, f"no item for {case} ({path}); items: {sorted(self.items)}"
        return self.items[path]

    def no_item(self, case: str) -> None:
        assert self.portal.cases[case] not in self.items, f"{case} unexpectedly gave an item"

    def logged(self, case: str, message: str) -> None:
        url = self.portal.url(case)
        lines = [line for line in self.crawl.log.splitlines() if url in line and message in line]
        assert lines, f"no log line for {url} saying {message!r}"

    def everything(self) -> str:
        return json.dumps(list(self.items.values()), ensure_ascii=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> FaultRun:
    out = tmp_path_factory.mktemp("faults")
    ESCAPE.unlink(missing_ok=True)
    with FaultPortal() as portal:
        crawl = run_measured(crawl_command(portal.start_urls, out), timeout=CRAWL_BOUND_SECONDS + 60)
        (out / "crawl.log").write_text(crawl.log)
        items = {}
        for line in (out / "items.jsonl").read_text().splitlines():
            item = json.loads(line)
            items[item["url"].split(str(portal.port), 1)[-1]] = item
        stats = json.loads((out / "stats.json").read_text())
        return FaultRun(portal, crawl, items, stats, out)


def _flags(run: FaultRun, case: str) -> list[str]:
    return run.item(case)["flags"]


def _clean_item(run: FaultRun, case: str) -> None:
    flags = _flags(run, case)
    assert not [f for f in flags if f.startswith(("extract_error", "resource_limit", "truncated"))], flags
    assert "主动公开政府信息1234条" in run.item(case)["text"]


def _eventually_fetched(run: FaultRun, case: str) -> None:
    _clean_item(run, case)
    assert run.portal.fetched(run.portal.cases[case]) == 2  # refused once, fetched on the retry


def _flagged(flag: str) -> Callable[[FaultRun, str], None]:
    def check(run: FaultRun, case: str) -> None:
        assert flag in _flags(run, case), _flags(run, case)
    return check


def _flag_prefix(prefix: str) -> Callable[[FaultRun, str], None]:
    def check(run: FaultRun, case: str) -> None:
        assert any(f.startswith(prefix) for f in _flags(run, case)), _flags(run, case)
    return check


def _attachment_refused(limit: str) -> Callable[[FaultRun, str], None]:
    def check(run: FaultRun, case: str) -> None:
        item = run.item(case)
        assert f"resource_limit: {limit}" in item["flags"], item["flags"]
        assert item["attachments"][0]["error"].startswith(f"resource_limit: {limit} ("), item["attachments"]
    return check


def _attachment_unreadable(prefix: str) -> Callable[[FaultRun, str], None]:
    def check(run: FaultRun, case: str) -> None:
        item = run.item(case)
        assert "attachment_missing" in item["flags"], item["flags"]
        assert (item["attachments"][0].get("error") or "").startswith(prefix), item["attachments"]
    return check


def _error_logged(message: str) -> Callable[[FaultRun, str], None]:
    def check(run: FaultRun, case: str) -> None:
        run.no_item(case)
        run.logged(case, message)
    return check


def _never_fetched(run: FaultRun, case: str) -> None:
    assert all(not request.path.startswith("file:") and "passwd" not in request.path
               for request in run.portal.requests)
    assert run.stats.get("govcrawl/refused_scheme/link", 0) >= 1


def _redirect_refused(run: FaultRun, case: str) -> None:
    run.no_item(case)
    run.logged(case, "Refused the redirect of")
    assert run.stats["govcrawl/refused_scheme/redirect"] == 3  # file:, ftp:, data:


def _offsite_redirect(run: FaultRun, case: str) -> None:
    run.no_item(case)
    assert run.portal.fetched("/r/offsite.html") == 0
    assert "Filtered offsite request to '127.0.0.2'" in run.crawl.log


def _redirect_loop(run: FaultRun, case: str) -> None:
    run.no_item(case)
    assert run.portal.fetched("/r/loop.html") == 1 and run.portal.fetched("/r/loop2.html") == 1
    assert run.stats["dupefilter/filtered"] >= 1


def _tls_link_not_followed(run: FaultRun, case: str) -> None:
    run.no_item(case)  # another port is another site: the link is counted, not followed
    assert run.stats["govcrawl/offsite_report_links"] >= 1


def _tls_column(run: FaultRun, case: str) -> None:
    run.logged(case, "List page")
    assert "took longer than 4.0 seconds" in run.crawl.log


def _hanweb(proxy: str, secret: str) -> Callable[[FaultRun, str], None]:
    def check(run: FaultRun, case: str) -> None:
        assert any(r.method == "POST" and r.path == proxy for r in run.portal.requests)
        assert secret not in run.everything()
    return check


def _hanweb_xxe(run: FaultRun, case: str) -> None:
    _hanweb("/hanweb/xxe/dataproxy.jsp", "root:x:0:0")(run, case)
    assert "主动公开政府信息1234条" in run.items["/r/hanweb_xxe.html"]["text"]  # the group's report, read safely


def _not_expanded(secret: str) -> Callable[[FaultRun, str], None]:
    def check(run: FaultRun, case: str) -> None:
        assert secret not in json.dumps(run.item(case), ensure_ascii=False)
    return check


def _docx_xxe(run: FaultRun, case: str) -> None:
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "\0"
    item = run.item(case)
    assert "&xxe;" not in json.dumps(item) and (len(hostname) < 4 or hostname not in json.dumps(item))


def _dotdot(run: FaultRun, case: str) -> None:
    _attachment_unreadable("extract_error: unreadable PDF")(run, case)
    assert run.portal.fetched("/a/dotdot.pdf") == 1
    assert not ESCAPE.exists()
    written = [p for p in run.out.rglob("*") if p.is_file()]
    assert all(p.name in ("crawl.log", "items.jsonl", "stats.json") or p.parent == run.out / "archive"
               for p in written), written


def _cookie_flood(run: FaultRun, case: str) -> None:
    _clean_item(run, case)
    assert run.stats["govcrawl/cookies/poisoned/127.0.0.1"] is True
    assert max(len(r.headers.get("cookie", "")) for r in run.portal.requests) <= 8192


def _non_http_attachments(run: FaultRun, case: str) -> None:
    _clean_item(run, case)
    assert run.item(case)["attachments"] == []  # nothing fetched: file:, ftp:, data: attachments are refused
    assert run.stats["govcrawl/refused_scheme/attachment"] == 3
    assert not any(r.path.startswith(("/a/x.pdf", "ftp:")) for r in run.portal.requests)


def _header_flood(run: FaultRun, case: str) -> None:
    _clean_item(run, case)


def _many_links(run: FaultRun, case: str) -> None:
    _clean_item(run, case)
    assert not any(r.path.startswith("/x/") for r in run.portal.requests)  # a report's links are not followed


def _endless(run: FaultRun, case: str) -> None:
    pages = sum(1 for r in run.portal.requests if r.path.startswith("/endless/"))
    assert 1 <= pages <= 20, pages
    assert run.stats["govcrawl/trap/repeated_page"] >= 1


def _long_url(run: FaultRun, case: str) -> None:
    run.no_item(case)
    assert "Ignoring link (url length > 2083)" in run.crawl.log
    assert not any("长" in r.path or "%E9%95%BF" in r.path for r in run.portal.requests)


def _stub(trap: str) -> Callable[[FaultRun, str], None]:
    def check(run: FaultRun, case: str) -> None:
        run.no_item(case)
        run.logged(case, f"answered a {trap}")
        assert run.stats[f"govcrawl/trap/{trap}"] >= 1
    return check


#: case -> its outcome
OUTCOMES: dict[str, Callable[[FaultRun, str], None]] = {
    "ok": _clean_item,
    "server_error_storm": _error_logged("Gave up retrying"),
    "unavailable_retry_after": _eventually_fetched,
    "too_many_requests_retry_after": _eventually_fetched,
    "too_many_requests_no_retry_after": _eventually_fetched,
    "slow_drip": _error_logged("took longer than 4.0 seconds"),
    "never_answers": _error_logged("took longer than 4.0 seconds"),
    "tls_stall": _tls_link_not_followed,
    "tls_stall_column": _tls_column,
    "truncated_gzip": _flagged("truncated_gzip"),
    "short_body": _error_logged("Gave up retrying"),  # data loss: Scrapy says "Got data loss" once a crawl
    "redirect_loop": _redirect_loop,
    "offsite_redirect": _offsite_redirect,
    "file_redirect": _redirect_refused,
    "ftp_redirect": _redirect_refused,
    "data_redirect": _redirect_refused,
    "binary_as_html": _flag_prefix("extract_error: ParseError: text looks binary"),
    "huge_page": _flagged("resource_limit: html_bytes"),
    "deep_nesting": _flagged("html_too_deep"),
    "wrong_charset": _flagged("charset_mismatch"),
    "nul_bytes": lambda run, case: (_clean_item(run, case), _flagged("nul_bytes_removed")(run, case)),
    "dotdot_attachment_name": _dotdot,
    "gzip_bomb": _error_logged("exceeded DOWNLOAD_MAXSIZE"),
    "pdf_bomb": _attachment_refused("pdf_stream"),
    "docx_bomb": _attachment_refused("zip_member"),
    "docx_xxe": _docx_xxe,
    "encrypted_pdf": _attachment_unreadable("extract_error: unreadable PDF"),
    "corrupt_pdf": _attachment_unreadable("extract_error: unreadable PDF"),
    "corrupt_docx": lambda run, case: (_flagged("attachment_missing")(run, case),
                                       _not_expanded("PNG")(run, case)),
    "non_http_attachments": _non_http_attachments,
    "header_flood": _header_flood,
    "many_links": _many_links,
    "file_link": _never_fetched,
    "empty_200": _stub("tiny_body"),
    "removed_stub": _stub("removed_stub"),
    "not_found": _error_logged("Ignoring non-200 response"),
    "no_content_type_binary": _flag_prefix("extract_error: ParseError: text looks binary"),
    "bad_chunked": _error_logged("Gave up retrying"),
    "garbage_response": _error_logged("non-integer status code"),
    "missing_location": _error_logged("Ignoring non-200 response"),
    "long_url": _long_url,
    "set_cookie_on_report": _cookie_flood,
    "content_length_too_long_body": _clean_item,
    "xml_as_report": _not_expanded("root:x:0:0"),
    "billion_laughs_page": _not_expanded("lollollol"),
    "endless_pager": _endless,
    "hanweb_xxe_dataproxy": _hanweb_xxe,
    "billion_laughs_dataproxy": _hanweb("/hanweb/dataproxy.jsp", "lollollol"),
}


def test_every_case_of_the_portal_has_an_outcome() -> None:
    with FaultPortal() as portal:
        assert set(portal.cases) == set(OUTCOMES)
    assert len(OUTCOMES) >= 40


@pytest.mark.parametrize("case", sorted(OUTCOMES))
def test_case_outcome(run: FaultRun, case: str) -> None:
    OUTCOMES[case](run, case)


def test_the_crawl_finishes_in_bounds_without_a_traceback(run: FaultRun) -> None:
    assert run.crawl.returncode == 0, run.crawl.log[-3000:]
    assert run.stats["finish_reason"] == "finished"
    assert run.crawl.seconds < CRAWL_BOUND_SECONDS
    assert "Traceback" not in run.crawl.log
    assert "Unhandled error" not in run.crawl.log


def test_peak_memory_of_the_crawl_tree_stays_under_1_gb(run: FaultRun) -> None:
    print(f"fault-portal crawl: peak RSS of the process tree {run.crawl.peak_rss / 2**20:.0f} MiB, "
          f"{run.crawl.seconds:.1f} s")
    assert 0 < run.crawl.peak_rss < PEAK_MEMORY_BOUND


def test_the_crawl_listens_on_no_socket(run: FaultRun) -> None:
    """Telnet console and RemoteControl off: no process of the crawl holds a listening TCP socket."""
    assert run.crawl.peak_rss > 0  # the crawl was sampled while it ran
    assert run.crawl.listening == set()


def test_the_socket_listing_sees_a_listening_socket() -> None:
    """The /proc listing itself works: this test process listening on a port is found."""
    import socket

    from tests.fault_crawl import listening_sockets

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert any(entry.endswith(f":{port:04X}") for entry in listening_sockets(os.getpid()))


def test_the_listing_would_see_the_telnet_console_opted_in(tmp_path: Path) -> None:
    """The same sampling finds the crawl's socket when the user opts in to the telnet console."""
    with FaultPortal() as portal:
        crawl = run_measured(crawl_command([portal.url("ok")], tmp_path, "-s", "TELNETCONSOLE_ENABLED=True",
                                           "-s", "TELNETCONSOLE_PORT=0,0"), timeout=120)
    assert crawl.returncode == 0, crawl.log[-2000:]
    assert crawl.listening, "the telnet console's listening socket was not seen"
