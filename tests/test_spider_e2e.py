"""End-to-end: the gov_reports spider against the bundled mock portal, one test per list style.

Each test crawls one mock site in a subprocess (``python -m scrapy crawl gov_reports``; the Twisted reactor
cannot restart in one process) with the discovery-only pipeline, and asserts the EXACT set of reports found
against the portal's ground truth. The county, encodings and attachments sites are crawled with the full
pipeline in test_e2e_crawl.py, the JS-only list in test_warc_rendered.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
PORTAL_SITES = ["county", "hanweb", "query", "gkmlpt", "fujian", "jsonly", "traditional", "traps", "challenge"]


def build_paged_challenge(ctx) -> None:
    """The ``challenge`` mock site with two reports per list page, so its column has two guarded pages."""
    from govcrawl.demo import site_traps
    from govcrawl.demo.trs import TrsColumn

    class TwoPerPage(TrsColumn):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **{**kwargs, "per_page": 2})

    with mock.patch.object(site_traps, "TrsColumn", TwoPerPage):
        site_traps.build_challenge(ctx)


PORTAL_EXTRA = {"challenge_paged": build_paged_challenge}


def crawl(tmp_path: Path, start_urls: list[str] | None = None, sites_file: Path | None = None,
          env: dict[str, str] | None = None, **settings: str) -> tuple[list[dict], dict]:
    """Run one crawl; returns (items, stats)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    out, stats_file = tmp_path / "items.jsonl", tmp_path / "stats.json"
    command = [sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-O", str(out)]
    if start_urls:
        command += ["-a", "start_urls=" + ",".join(start_urls)]
    if sites_file:
        command += ["-a", f"sites={sites_file}"]
    base = {
        "GOVCRAWL_FAST_LOCAL": "True",
        "GOVCRAWL_ARCHIVE_DIR": str(tmp_path / "archive"),
        "GOVCRAWL_CATALOG": "",
        "GOVCRAWL_STATS_FILE": str(stats_file),
        "ITEM_PIPELINES": json.dumps({"govcrawl.pipelines.CaptureSummaryPipeline": 100}),
        "LOG_LEVEL": "INFO",
    }
    for name, value in {**base, **settings}.items():
        command += ["-s", f"{name}={value}"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr[-4000:]
    assert "Traceback" not in result.stderr or "warc-writer" in result.stderr, result.stderr[-4000:]
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    return items, stats


def assert_exact_reports(items: list[dict], expected: set[str]) -> None:
    urls = Counter(item["url"] for item in items)
    duplicates = sorted(url for url, count in urls.items() if count > 1)
    assert not duplicates, f"reports emitted more than once: {duplicates}"
    assert set(urls) == expected, f"missing {sorted(expected - set(urls))}, extra {sorted(set(urls) - expected)}"


def assert_list_style(items: list[dict], stats: dict, expected: set[str]) -> None:
    """Exactly the expected reports, each with its discovery provenance, a 200 and a body; counted in stats."""
    assert_exact_reports(items, expected)
    assert all(item["discovery"]["list_url"] and item["discovery"]["site"] for item in items)
    assert all(item["status"] == 200 and item["size"] > 0 for item in items)
    assert stats["govcrawl/reports"] == len(items)


@pytest.mark.parametrize("site", ["query", "gkmlpt", "fujian", "traditional"])
def test_list_style_finds_exactly_the_reports(portal, tmp_path: Path, site: str) -> None:
    starts = portal.start_urls[site]
    items, stats = crawl(tmp_path, starts)
    assert_list_style(items, stats, set().union(*(portal.expected_for(start) for start in starts)))


def test_hanweb_reads_jpage_groups_and_downfile_attachments(portal, tmp_path: Path) -> None:
    starts = portal.start_urls["hanweb"]
    assert len(starts) == 1
    items, stats = crawl(tmp_path, starts)
    assert_list_style(items, stats, portal.expected_for(starts[0]))
    assert stats["govcrawl/list_pages/jpage"] >= 1  # at least one dataproxy.jsp POST group was needed
    for item in items:
        truth = portal.truth(item["url"])
        assert len(item["attachments"]) == len(truth.attachments), item["url"]


def test_missing_chromium_breaks_neither_static_crawls_nor_the_crawl_that_needs_it(portal, tmp_path: Path) -> None:
    no_browser = {"GOVCRAWL_CHROMIUM": str(tmp_path / "no-such-chromium")}
    (county,) = portal.start_urls["county"]
    items, stats = crawl(tmp_path / "static", [county], env=no_browser)
    assert_exact_reports(items, portal.expected_for(county))
    (jsonly,) = portal.start_urls["jsonly"]
    items, stats = crawl(tmp_path / "js", [jsonly], env=no_browser)
    assert items == [] and stats["govcrawl/close_reason"] == "finished"
    assert stats["govcrawl/browser/auto_render"] == 1 and stats["govcrawl/errors/list"] == 1


def test_registry_file_and_offsite_by_port(portal, tmp_path: Path) -> None:
    (county,) = portal.start_urls["county"]
    query = portal.start_urls["query"][0]
    registry = tmp_path / "sites.toml"
    registry.write_text(
        f'[[site]]\nname = "county"\nagency = "云岭县人民政府"\nstart_urls = ["{county}"]\n'
        f'[[site]]\nname = "query"\nstart_urls = ["{query}"]\nmax_pages = 50\n',
        encoding="utf-8",
    )
    items, stats = crawl(tmp_path, sites_file=registry)
    assert_exact_reports(items, portal.expected_for(county) | portal.expected_for(query))
    by_site = Counter(item["discovery"]["site"] for item in items)
    assert by_site == {"county": len(portal.expected_for(county)), "query": len(portal.expected_for(query))}
    assert all(item["discovery"]["agency_hint"] == "云岭县人民政府" for item in items if item["discovery"]["site"] == "county")


def test_traps_end_on_their_own_with_each_report_once_and_traps_in_stats(portal, tmp_path: Path) -> None:
    starts = portal.start_urls["traps"]
    assert len(starts) == 2  # the trap column and the list that repeats its last page
    items, stats = crawl(tmp_path, starts)
    assert stats["govcrawl/close_reason"] == "finished"
    assert_exact_reports(items, set().union(*(portal.expected_for(start) for start in starts)))
    site = items[0]["discovery"]["site"]
    for trap in ("duplicate_twin", "session_id", "template_junk", "repeated_page", "calendar_link", "tiny_body",
                 "removed_stub"):
        assert stats.get(f"govcrawl/trap/{trap}/{site}", 0) >= 1, trap
    assert stats["govcrawl/trap/duplicate_twin"] == 2  # the _wap and /gate/big5/ twins
    assert stats["govcrawl/links/onclick"] >= 1
    onclick_report = portal.traps("traps")["onclick_report"]
    assert onclick_report in {item["url"] for item in items}
    assert stats["govcrawl/errors/report"] == 1  # the page that always answers 500
    calendar_path = urlsplit(portal.traps("traps")["endless_calendar"]).path
    requested = [r.path for r in portal.site_requests("traps")]
    assert any(path.startswith("/zwgk/ndbg/") for path in requested)  # the log does record this crawl
    assert not [path for path in requested if path.startswith(calendar_path)]  # the calendar was never entered


def test_js_challenge_is_reported_as_blocked_by_name(portal, tmp_path: Path) -> None:
    (start,) = portal.start_urls["challenge"]
    registry = tmp_path / "sites.toml"
    registry.write_text(f'[[site]]\nname = "jcnb-challenge"\nstart_urls = ["{start}"]\n', encoding="utf-8")
    items, stats = crawl(tmp_path, sites_file=registry)
    assert items == []
    assert stats["govcrawl/blocked/jcnb-challenge"] == 1
    assert stats["govcrawl/blocked/jcnb-challenge/rs_412"] == 1
    assert "govcrawl/browser/started" not in stats  # the registry entry does not allow the browser


@pytest.mark.browser
def test_after_the_browser_passes_a_challenge_later_pages_go_through_plain_http(portal, tmp_path: Path) -> None:
    (start,) = portal.start_urls["challenge_paged"]
    cookie = portal.traps("challenge_paged")["challenge_cookie"]
    registry = tmp_path / "sites.toml"
    registry.write_text(
        f'[[site]]\nname = "paged-challenge"\nstart_urls = ["{start}"]\nbrowser_on_challenge = true\n', encoding="utf-8"
    )
    portal.clear_requests()
    items, stats = crawl(tmp_path, sites_file=registry)
    assert_exact_reports(items, portal.expected_for(start))
    assert stats["govcrawl/browser/challenge_passed"] == 1 and stats["govcrawl/browser/cookies_copied"] >= 1
    assert stats["playwright/page_count"] == 1, "only the challenged list page may go through the browser"
    assert stats["govcrawl/blocked/paged-challenge"] == 1  # the second list page was not challenged
    requests = portal.site_requests("challenge_paged")
    column = urlsplit(start).path.rsplit("/", 1)[0] + "/"
    second = [r for r in requests if r.path == column + "index_1.html"]
    assert second, [r.path for r in requests]
    # fetched once, by Scrapy (no browser-only headers), with the cookie only the challenge script sets
    assert len(second) == 1 and cookie in second[0].headers.get("cookie", "")
    assert not any(name.lower().startswith("sec-") for name in second[0].headers), second[0].headers
    report_paths = {urlsplit(u).path for u in portal.expected_for(start)}
    browser_paths = {r.path for r in requests if "sec-fetch-mode" in r.headers}  # headers only Chromium sends
    assert column + "index.html" in browser_paths and not browser_paths & (report_paths | {second[0].path})
    reports = [r for r in requests if r.path in report_paths]
    assert len(reports) == len(portal.expected_for(start)) and all(cookie in r.headers.get("cookie", "") for r in reports)
