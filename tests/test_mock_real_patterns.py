"""Mock sites rebuilt on real list-page patterns (issue 10, Deliver 1): each crawled for real in a subprocess
(``python -m scrapy crawl gov_reports``) and compared with the portal's ground truth: the exact report set,
each report once, no decoy. The site modules' docstrings say which real page each follows.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

from govcrawl.demo.portal import Portal
from govcrawl.demo.site_empiremixed import SPECIAL_TITLE
from govcrawl.discovery.finder import read_page
from tests.crawling import crawl_column

ROOT = Path(__file__).resolve().parents[1]


def _crawl(tmp: Path, site: str) -> dict[str, Any]:
    with Portal(sites=[site]).start() as portal:
        (start,) = portal.start_urls[site]
        items, stats = crawl_column(start, tmp)
        result = {"expected": portal.expected_for(start), "decoys": set(portal.decoys(site)),
                  "column": portal.site_requests(site),
                  "titles": {url: portal.truth(url).title for url in portal.expected_for(start)}}
    result["items"], result["stats"] = items, stats
    return result


def _assert_exact(result: dict[str, Any], n_reports: int, n_decoys: int) -> list[str]:
    urls = [item["url"] for item in result["items"]]
    assert len(result["expected"]) == n_reports and len(result["decoys"]) == n_decoys
    assert len(urls) == len(set(urls)), "a report was emitted twice"
    assert not set(urls) & result["decoys"], "a decoy became a report"
    assert sorted(set(result["expected"]) - set(urls)) == []
    assert set(urls) == result["expected"]
    return urls


def test_hanweb_year_panels_with_unit_name_entries_and_window_open_links(tmp_path: Path) -> None:
    result = _crawl(tmp_path, "hanwebpanels")
    urls = _assert_exact(result, 26, 5)
    assert sum("?xxgkhide=1" in url for url in urls) == 21  # the three javascript:window.open('…') panels
    stats = result["stats"]
    assert stats["govcrawl/links/javascript"] >= 26  # every report link is a javascript: href
    assert stats["govcrawl/links/context"] >= 18  # the unit-name entries titled by their panel heading


def test_empirecms_column_of_subcolumn_boxes_reaches_every_report_of_the_nianbao_subcolumn(tmp_path: Path) -> None:
    result = _crawl(tmp_path, "empiremixed")
    urls = _assert_exact(result, 24, 6)
    special = [url for url in urls if url.endswith("/5199.html")]
    assert len(special) == 1, f"{SPECIAL_TITLE} (no 公开工作) was missed"
    (special_item,) = [item for item in result["items"] if item["url"] == special[0]]
    assert "not_a_report" not in special_item["flags"]  # the parser takes that title form as a report too
    assert {item["url"]: item["source"]["link_text"] for item in result["items"]} == result["titles"]
    requested = {request.path for request in result["column"]}
    assert {"/xxgk/xxgknb/", "/xxgk/xxgknb/index_2.html"} <= requested  # the 更多 sub-column and its page 2


def test_teleport_mirror_links_in_confirm_wrappers_nested_anchors_cards_and_br_split_text(tmp_path: Path) -> None:
    result = _crawl(tmp_path, "teleport")
    _assert_exact(result, 12, 3)
    stats = result["stats"]
    assert stats["govcrawl/links/javascript"] >= 6  # the confirm('…'))window.location='…' entries
    # the list title of every entry: the card's <h2> alone, <br>-split text joined, the nested anchor's text
    link_texts = {item["url"]: item["source"]["link_text"] for item in result["items"]}
    assert link_texts == result["titles"]


def test_teleport_home_page_leads_to_the_column_through_a_confirm_wrapper_with_br_split_text() -> None:
    with Portal(sites=["teleport"]).start() as portal:
        home = portal.sites["teleport"] + "/index.html"
        with urllib.request.urlopen(home, timeout=10) as answer:
            findings = read_page(answer.read(), home, home)
        (start,) = portal.start_urls["teleport"]
    assert [(c.url, c.text) for c in findings.columns] == [(start, "政府信息公开年报")]  # not 指南, not 目录
