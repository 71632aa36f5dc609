"""Real report texts from public repositories kept in tests/data/real (provenance in reports_manifest.json):
the values the peer project's own tests assert, and values read by hand from the text, through build_item."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govcrawl.capture import Capture
from govcrawl.report import build_item

HERE = Path(__file__).parent / "data" / "real"
ENTRIES = json.loads((HERE / "reports_manifest.json").read_text(encoding="utf-8"))["files"]


def _item(entry: dict) -> dict:
    path = HERE / entry["file"]
    return build_item(Capture(url=f"https://real.invalid/{path.name}", body=path.read_bytes(),
                              content_type="text/plain"))


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_fixture_is_the_stored_text(entry: dict) -> None:
    text = (HERE / entry["file"]).read_text(encoding="utf-8")
    assert len(text) == entry["source"]["chars"]


PEER_CHECKED = [e for e in ENTRIES if (e.get("expected_by_peer") or {}).get("test")]


@pytest.mark.parametrize("entry", PEER_CHECKED, ids=[e["file"] for e in PEER_CHECKED])
def test_values_the_peer_expects(entry: dict) -> None:
    item = _item(entry)
    expected = {k: v for k, v in entry["expected_by_peer"].items() if k != "test"}
    assert expected
    for table, rows in expected.items():
        assert item["tables"][table]["values"] == rows, table


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_values_read_by_hand(entry: dict) -> None:
    item = _item(entry)
    truth = entry["hand_read"]
    assert (item["title"], item["report_year"], item["format"]) == (truth["title"], truth["report_year"],
                                                                    truth["format"])
    assert item["agency"] == truth["agency"]
    if "published" in truth:
        assert item["published"] == truth["published"]
    for key, value in truth["figures"].items():
        assert item["figures"].get(key) == value, key
    for row, value in truth.get("t3_total_column", {}).items():
        assert item["tables"]["t3_applications"]["values"][row]["total"] == value, row
    for table, rows in truth.get("t2", {}).items():
        assert item["tables"][table]["values"] == rows, table
