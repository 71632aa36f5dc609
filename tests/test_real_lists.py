"""Discovery on real government list, front and platform pages (nobody here wrote them).

The pages are read in place from the shared real-page corpus (``shared/real``, see its README and
``manifest.json``), found as: ``$GOVCRAWL_SHARED`` if set, else ``<repo root>/../shared`` (CI clones the
repository next to a copy of ``shared/``), else ``/work/shared``. Further real pages found in public
repositories live in ``tests/data/real/`` with their provenance in ``tests/data/real/manifest.json``.

Each list page gets an exact-set test: the report links discovery takes == the manifest's report links,
no decoy. Links the re-hoster destroyed (``href_rewritten_by_mirror``: the href became ``javascript:;``) have
no target left; they are excepted from the set, and their titles must still pass the classifier.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

from govcrawl.discovery.classifier import is_report_title
from govcrawl.discovery.columns import column_links
from govcrawl.discovery.context import page_column
from govcrawl.discovery.decisions import decide_link, needs_browser
from govcrawl.discovery.explain import explain, list_page_requests
from govcrawl.discovery.links import LinkStats, decode_html, list_links, parse_html
from govcrawl.discovery.subcolumns import subcolumn_requests
from govcrawl.discovery.urls import dedupe_key

REPO = Path(__file__).resolve().parents[1]
LOCAL_REAL = REPO / "tests" / "data" / "real"


def shared_real_dir() -> Path:
    """``shared/real``: ``$GOVCRAWL_SHARED/real``, else ``<repo>/../shared/real``, else ``/work/shared/real``."""
    env = os.environ.get("GOVCRAWL_SHARED")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared", Path("/work/shared")]
    for candidate in candidates:
        if (candidate / "real" / "manifest.json").is_file():
            return candidate / "real"
    raise FileNotFoundError(f"no shared/real corpus in {candidates}")


REAL = shared_real_dir()
MANIFEST = json.loads((REAL / "manifest.json").read_text(encoding="utf-8"))
LOCAL_MANIFEST = json.loads((LOCAL_REAL / "manifest.json").read_text(encoding="utf-8"))


def _entries(kinds: set[str]) -> list[tuple[Path, dict]]:
    found = [(REAL / e["file"], e) for e in MANIFEST["files"] if e.get("kind") in kinds]
    found += [(LOCAL_REAL / e["file"], e) for e in LOCAL_MANIFEST["files"] if e.get("kind") in kinds]
    return found


LISTS = _entries({"list"})
FRONTS = _entries({"home", "platform"})


def base_url(entry: dict) -> str:
    """Where the page was served (its repository path on a placeholder host): relative hrefs resolve here."""
    source = entry.get("source") or {}
    return urljoin("http://real.test/", source.get("path") or entry["file"])


def taken_reports(path: Path, url: str) -> tuple[set[str], LinkStats]:
    text, _ = decode_html(path.read_bytes())
    stats = LinkStats()
    links = list_links(parse_html(text, url), url, stats)
    return {dedupe_key(d.url) for d in (decide_link(link, url) for link in links) if d.taken}, stats


def test_corpus_holds_the_real_list_pages() -> None:
    assert len(LISTS) >= 5 and len(FRONTS) >= 9
    assert all(path.is_file() for path, _ in LISTS + FRONTS)
    for entry in LOCAL_MANIFEST["files"]:  # pages added here are kept byte for byte, with a provenance
        body = (LOCAL_REAL / entry["file"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == entry["sha256"] and len(body) == entry["bytes"]
        assert entry["source"].get("repo") or entry["source"].get("index_file_id")


@pytest.mark.parametrize(("path", "entry"), LISTS, ids=[e["file"] for _, e in LISTS])
def test_real_list_page_exact_report_set(path: Path, entry: dict) -> None:
    url = base_url(entry)
    found, stats = taken_reports(path, url)
    truth = [link for link in entry["report_links"] if not link.get("href_rewritten_by_mirror")]
    expected = {dedupe_key(urljoin(url, link["href"])) for link in truth}
    assert found == expected, {"missed": expected - found, "decoys": found - expected}
    # links the mirror destroyed: no target to take, but their titles are report titles all the same
    destroyed = [link for link in entry["report_links"] if link.get("href_rewritten_by_mirror")]
    refused_texts = {refused.text for refused in stats.refused}
    for link in destroyed:
        assert is_report_title(link["text"]), link["text"]
        assert link["text"] in refused_texts, link["text"]


@pytest.mark.parametrize(("path", "entry"), LISTS, ids=[e["file"] for _, e in LISTS])
def test_real_list_page_decoys_are_refused(path: Path, entry: dict) -> None:
    url = base_url(entry)
    found, _ = taken_reports(path, url)
    for decoy in entry.get("non_report_links_sample", []):
        if decoy.get("href"):
            assert dedupe_key(urljoin(url, decoy["href"])) not in found, decoy


@pytest.mark.parametrize(("path", "entry"), LISTS, ids=[e["file"] for _, e in LISTS])
def test_real_list_pages_need_no_browser_and_announce_no_other_page(path: Path, entry: dict) -> None:
    """Every real list page here is one static page: no further page, no rendering."""
    url = base_url(entry)
    text, _ = decode_html(path.read_bytes())
    doc = parse_html(text, url)
    links = list_links(doc, url)
    more = [p for p in list_page_requests(text, doc, links, url) if dedupe_key(p.url) != dedupe_key(url)]
    assert more == [], [p.url for p in more]
    reports = sum(1 for link in links if decide_link(link, url).taken)
    if reports:
        assert needs_browser(text, reports, more, doc)[0] is False


@pytest.mark.parametrize(("path", "entry"), LISTS, ids=[e["file"] for _, e in LISTS])
def test_explain_takes_what_the_spider_takes(path: Path, entry: dict) -> None:
    url = base_url(entry)
    found, _ = taken_reports(path, url)
    decisions = explain(path.read_bytes(), url)
    assert {dedupe_key(d.url) for d in decisions if d.key.startswith("report/")} == found
    assert all(d.reason for d in decisions)
    assert decisions[-1].key in ("browser/no", "browser/render")


@pytest.mark.parametrize(("path", "entry"), FRONTS, ids=[e["file"] for _, e in FRONTS])
def test_real_front_and_platform_pages_column_links(path: Path, entry: dict) -> None:
    url = base_url(entry)
    text, _ = decode_html(path.read_bytes())
    links = list_links(parse_html(text, url), url)
    found = {dedupe_key(link.url) for link in column_links(links) if dedupe_key(link.url) != dedupe_key(url)}
    expected = set()
    for link in entry.get("column_links", []):
        target = link.get("tppabs") or link["href"]
        if target.strip().lower() in ("javascript:;", "javascript:void(0)"):
            continue  # destroyed by the mirror
        expected.add(dedupe_key(urljoin(url, target)))
    assert found == expected, {"missed": expected - found, "extra": found - expected}
    # no front or platform link is taken as a report (year sub-columns and decoys included)
    assert not any(decide_link(link, url).taken for link in links)


def test_year_subcolumns_of_a_real_tree_are_not_reports() -> None:
    path, entry = next((p, e) for p, e in FRONTS if e.get("year_subcolumns"))
    url = base_url(entry)
    text, _ = decode_html(path.read_bytes())
    # give the hidden tree nodes a target (the mirror removed theirs) to see how discovery reads them
    counter = iter(range(10_000))
    text = re.sub(r"href='javascript:;'(?= onclick='stltree_openFolderByA)",
                  lambda _: f"href='../contents/{next(counter)}.html'", text)
    links = list_links(parse_html(text, url), url)
    subcolumns = {s["text"] for s in entry["year_subcolumns"]}
    named = [link for link in links if link.text in subcolumns]
    assert named, "the tree nodes were not read"
    assert all(decide_link(link, url).key == "refused/tree_node" for link in named)


def test_channel_meta_names_the_column_the_file_name_does_not() -> None:
    path, entry = next((p, e) for p, e in LISTS if "xxgkzd" in (e.get("source") or {}).get("path", ""))
    text, _ = decode_html(path.read_bytes())
    assert page_column(parse_html(text, base_url(entry))) == "信息公开年报"


def test_script_only_entry_page_is_followed_where_its_script_sends_the_browser() -> None:
    """The real 道真 stub has no <a> at all: its next URL is in a document.write'd meta refresh."""
    path, entry = next((p, e) for p, e in FRONTS if e.get("redirect"))
    text, _ = decode_html(path.read_bytes())
    doc = parse_html(text, base_url(entry))
    assert list_links(doc, base_url(entry)) == []
    assert needs_browser(text, 0, [], doc)[0] is True
    # the next URL is read statically from the script, and then no browser is needed
    more = subcolumn_requests(doc, [], base_url(entry))
    assert [p.url for p in more] == [entry["redirect"]["target"]] and more[0].style == "script_redirect"
    assert needs_browser(text, 0, more, doc)[0] is False


def test_gkmlpt_requests_follow_the_real_front_end_script() -> None:
    """The real gkmlpt script: the tab it opens for ACTION 'annualreport' and the API URL it builds."""
    from govcrawl.discovery.pagination import gkmlpt_requests

    path, _ = next((p, e) for p, e in _entries({"api"}) if "gkmlpt" in e["file"])
    script = path.read_text(encoding="utf-8")
    tab = re.search(r"renderTab\(window\._CONFIG\.TREE, false, \{\s*'([^']+)'", script).group(1)
    assert tab == "政府信息公开工作年度报告"
    template = re.search(r"url = '(/gkmlpt/api/all/)' \+ id \+ '\?page=' \+ page \+ '&sid='", script)
    assert template is not None
    page = ('<script>window._CONFIG = {"SID": "755001", "ACTION": "annualreport", "TREE": '
            f'[{{"id": 1, "name": "政策文件"}}, {{"id": 2155, "name": "{tab}"}}]}};</script>')
    requests = gkmlpt_requests(page, "http://www.xx.gov.cn/gkmlpt/annualreport")
    assert [r.url for r in requests] == [f"http://www.xx.gov.cn{template.group(1)}2155?page=1&sid=755001"]
