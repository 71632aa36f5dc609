"""Real reports (``shared/real``: re-hosted HTML pages, pingtan pages and archive texts, two PDFs) through
``govcrawl.report.build_item``, field by field against the manifest's hand-checked labels.

The files are read in place (``$GOVCRAWL_SHARED``, else ``<repo>/../shared``, else ``/work/shared``); the truth
and the scoring are shared with ``benchmarks/bench_real.py`` (``benchmarks/real_reports.py``)."""

from __future__ import annotations

import pytest

from benchmarks.real_reports import field_results, item_of, report_entries, truth_of
from govcrawl.parser.metadata import DateCandidate, choose_published, complete_agency, valid_agency

ENTRIES = report_entries()
IDS = [entry["file"] for entry in ENTRIES]


def _check(entry: dict, groups: set[str]) -> None:
    results = [r for r in field_results(truth_of(entry), item_of(entry["file"])) if r[0] in groups]
    misses = [f"{name}: got {got!r}, want {want!r}" for _, name, ok, got, want in results if not ok]
    assert not misses, misses


def test_corpus_is_there() -> None:
    assert len(ENTRIES) >= 31
    kinds = {entry["file"].rsplit(".", 1)[1] for entry in ENTRIES}
    assert kinds == {"html", "txt", "pdf"}


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_metadata(entry: dict) -> None:
    """Title, agency, report year, publication date as labelled."""
    _check(entry, {"title", "agency", "report_year", "published"})


def test_agency_is_never_a_field_label() -> None:
    for label in ("栏目", "发布机构", "来源", "信息来源", "所属机构"):
        assert not valid_agency(label)
    assert valid_agency("平潭综合实验区") and valid_agency("洪泽区人民政府") and valid_agency("某某街道")
    assert not valid_agency("栏目:政府信息公开年报")


def test_agency_printed_without_its_place_is_completed_from_the_text() -> None:
    text = "2018年度市林业局认真落实。吉林市林业局党组高度重视。吉林市林业局公开信息。"
    assert complete_agency("市林业局", text) == "吉林市林业局"
    assert complete_agency("市林业局", "2018年度市林业局认真落实。") == "市林业局"  # 年度市 is no place


def test_placeholder_dates_are_not_the_publication_date() -> None:
    jan1 = DateCandidate("2025-01-01", "page_meta.published", "2025-01-01 00:00:00")
    signed = DateCandidate("2025-02-10", "signature", "2025-02-10")
    assert choose_published([jan1, signed], 2024)[0] == "2025-02-10"  # the signature wins over a placeholder
    assert choose_published([jan1], 2024)[0] == "2025-01-01"  # nothing else: taken, but last
    in_year = DateCandidate("2024-01-01", "page_meta.published", "2024-01-01 00:00")
    assert choose_published([in_year], 2024) == (None, "none")  # 2024-01-01 never publishes the 2024 report
    december = DateCandidate("2018-12-24", "page_meta.published", "2018-12-24 13:54")
    assert choose_published([december], 2018)[0] == "2018-12-24"
    regenerated = DateCandidate("2020-09-26", "page_meta.published", "2020-09-26 03:45:41")
    printed = DateCandidate("2020-01-17", "header.dateline", "(2020年1月17日)")
    assert choose_published([regenerated, printed], 2019)[0] == "2020-01-17"
