"""parse_report on every HTML report of the bundled mock portal (real HTTP on 127.0.0.1), against its ground truth.

The portal's texts are generated independently of the parser (three template generations, six title patterns,
GBK pages, a traditional-only site, table layouts), so this checks that the parser's rules generalise beyond the
five seeds.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from govcrawl.extract import extract_document
from govcrawl.parser import parse_report
from govcrawl.parser.normalise import to_simplified
from govcrawl.schema import validate_item

PORTAL_SITES = ["county", "traditional", "encodings", "hanweb", "query"]
#: granted_total is left out: the portal counts only 予以公开 while the tables reader (and docs/schema.md) count
#: 予以公开 + 部分公开; the narrative reader does not produce it.
SKIPPED_FIGURES = {"granted_total"}


@pytest.fixture(scope="module")
def parsed(portal) -> list[tuple[Any, dict[str, Any]]]:
    results = []
    for url, truth in sorted(portal.ground.reports.items()):
        if truth.kind != "html":
            continue
        with urllib.request.urlopen(url, timeout=30) as response:
            body, content_type = response.read(), response.headers.get("Content-Type")
        document = extract_document(body, content_type, url)
        item = parse_report(document.text, url=url, grids=document.grids, page_meta=document.page_meta)
        results.append((truth, item))
    return results


def test_portal_has_reports_of_every_generation(parsed: list[tuple[Any, dict[str, Any]]]) -> None:
    assert len(parsed) >= 40
    assert {truth.format for truth, _ in parsed} == {"pre2019", "2019", "2021"}
    assert {truth.script for truth, _ in parsed} == {"simplified", "traditional"}


def test_metadata_matches_ground_truth(parsed: list[tuple[Any, dict[str, Any]]]) -> None:
    wrong = []
    for truth, item in parsed:
        validate_item({**item, "source": None})
        expected = {"title": to_simplified(truth.title), "report_year": truth.year, "agency": truth.agency,
                    "format": truth.format, "published": truth.published, "script": truth.script}
        got = {key: item[key] for key in expected}
        if got != expected:
            wrong.append((truth.url, got, expected))
    assert not wrong, wrong[:3]


def test_figures_match_ground_truth(parsed: list[tuple[Any, dict[str, Any]]]) -> None:
    wrong = []
    for truth, item in parsed:
        for key, value in truth.figures.items():
            if key not in SKIPPED_FIGURES and item["figures"].get(key) != value:
                wrong.append((truth.url, key, item["figures"].get(key), value))
    assert not wrong, wrong[:5]


def test_generated_tables_pass_their_checks(parsed: list[tuple[Any, dict[str, Any]]]) -> None:
    for truth, item in parsed:
        if truth.format == "pre2019":
            assert item["tables"] == {} and "tables_missing" not in item["flags"]
            continue
        assert item["tables"], truth.url
        assert all(check["ok"] for check in item["checks"] if check["rule"].startswith("t3_balance")), truth.url
