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


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_figures(entry: dict) -> None:
    """Every labelled headline figure (narrative or table) as labelled."""
    _check(entry, {"figures"})


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_format(entry: dict) -> None:
    """The template generation, from the tables or the section headings (archive texts: flattened tables)."""
    _check(entry, {"format"})


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.get("t4")], ids=lambda e: e["file"])
def test_pdf_table_four_cells(entry: dict) -> None:
    _check(entry, {"t4_cells"})


def test_pdf_typo_row_label_takes_its_own_row() -> None:
    """2.其他法律行政止公开 (typo in the published table) is 其他法律行政法规禁止公开, not 3.其他."""
    for file in ("pdf/hzq_2023_report.pdf", "pdf/hzq_2024_report.pdf"):
        values = item_of(file)["tables"]["t3_applications"]["values"]
        assert values["withheld_other_law"]["total"] == 0
        assert values["withheld_state_secret"]["total"] == (1 if "2023" in file else values["withheld_state_secret"][
            "total"])


def test_pdf_published_table_four_inconsistency_is_flagged_not_fixed() -> None:
    item = item_of("pdf/hzq_2023_report.pdf")
    (check,) = [c for c in item["checks"] if c["rule"] == "t4_group_totals"]
    assert check["ok"] is False
    counts = item["tables"]["t4_review_litigation"]["values"]["counts"]
    assert (counts["review_upheld"], counts["review_corrected"], counts["review_total"]) == (10, 1, 0)
    assert item["tables"]["t4_review_litigation"]["source"] == "pdf"


def test_archive_tables_equal_the_published_page_tables() -> None:
    """表三/表四 read from the flattened archive texts = the cells of the same reports' HTML <table>s."""
    from benchmarks.real_reports import archive_twins, twin_cell_results

    assert len(archive_twins()) >= 5
    results = twin_cell_results()
    assert len(results) >= 900
    misses = [r for r in results if not r[2]]
    assert not misses, misses[:10]


def test_archive_tables_say_they_come_from_text() -> None:
    item = item_of("archive/pingtan_014.txt")
    assert item["tables"]["t3_applications"]["source"] == "text"
    assert item["tables"]["t3_applications"]["values"]["new_received"] == {
        "natural_person": 80, "commercial_enterprise": 1, "research_institution": 0, "public_welfare_org": 0,
        "legal_service_org": 0, "other_org": 0, "total": 81}


def test_ambiguous_digit_runs_are_flagged_and_left_out() -> None:
    """'77132470' (表二 规范性文件: 制发/废止/现行有效) has many splits and no arithmetic to choose: left out."""
    item = item_of("archive/pingtan_014.txt")
    assert "ambiguous_digits" in item["flags"]
    assert "normative_documents" not in item["tables"]["t2_art20_1"]["values"]
    assert item["tables"]["t2_art20_1"]["values"]["regulations"] == {"issued": 0, "repealed": 0, "in_force": 0}


def test_seventeen_digits_for_fifteen_cells_settled_by_group_totals() -> None:
    """pingtan_015 表四 '10203120001200000': only 复议 1,0,2,0,3 | 直接起诉 12,0,0,0,12 | 0… fits the rule."""
    counts = item_of("archive/pingtan_015.txt")["tables"]["t4_review_litigation"]["values"]["counts"]
    assert [counts[k] for k in ("review_upheld", "review_other", "review_total", "suit_direct_upheld",
                                "suit_direct_total", "suit_after_review_total")] == [1, 2, 3, 12, 12, 0]


def test_published_result_rows_inconsistency_is_flagged() -> None:
    """pingtan 2020 (page and archive text): result rows sum to 27, (七)总计 says 21: flagged, numbers kept."""
    for file in ("sites/pingtan/report_2020.html", "archive/pingtan_013.txt"):
        item = item_of(file)
        (check,) = [c for c in item["checks"] if c["rule"] == "t3_result_total"]
        assert check["ok"] is False, file
        assert item["figures"]["results_total"] == 21


def test_narrative_distractors_are_not_the_figures() -> None:
    assert item_of("archive/pingtan_009.txt")["figures"]["applications_received"] == 1  # not 共受理申请121510件
    assert item_of("archive/pingtan_002.txt")["figures"]["proactive_total"] == 425  # 其中 after 制作、获取…总数
    assert item_of("archive/pingtan_008.txt")["figures"]["applications_received"] == 0  # 收到1份…行政复议申请
    assert item_of("reports/sc_edu_2018_report.html")["figures"]["proactive_total"] == 15136  # not 微信 1463
    assert item_of("pdf/hzq_2023_report.pdf")["figures"]["proactive_total"] == 1136  # '政\n府网站…1136 条'


def test_published_sentences_are_verbatim_in_text() -> None:
    """Sentences sampled over the real pingtan pages and archive texts appear in ``text`` as published (full-width
    ，（）：；２ kept; only whitespace is folded)."""
    from benchmarks.real_reports import verbatim_results

    results = verbatim_results()
    assert len(results) >= 500
    missing = [(file, sentence) for file, sentence, ok in results if not ok]
    assert not missing, missing[:5]
    assert any("，" in sentence and "（" in sentence for _, sentence, _ in results)


def test_restore_published_keeps_full_width_and_survives_dropped_runs() -> None:
    from govcrawl.parser.fidelity import restore_published

    published = "标题：甲\n页面导航 首页 > 信息公开\n一、总体情况（2023年）\n全年收到申请２１件，办结21件。"
    kept = "一、总体情况(2023年)\n全年收到申请21件,办结21件。"
    assert restore_published(kept, published) == "一、总体情况（2023年）\n全年收到申请２１件，办结21件。"


def test_narrative_vs_table_checks_every_figure_both_state() -> None:
    """pingtan 2025: received, handled (办结), carried (结转至2026年), reviews, lawsuits all agree; hzq 2024's
    '受理政府信息公开申请 17 件' (the 区政府办 alone) against 本年新收 95 is flagged, and nothing is changed."""
    checks = [c for c in item_of("sites/pingtan/report_2025.html")["checks"] if c["rule"] == "narrative_matches_tables"]
    stated = {c["detail"].split()[2] for c in checks}
    assert stated == {"applications_received", "applications_handled", "carried_next", "review_total",
                      "litigation_total"} and all(c["ok"] for c in checks)
    item = item_of("pdf/hzq_2024_report.pdf")
    assert [c["ok"] for c in item["checks"] if c["rule"] == "narrative_matches_tables"] == [False]
    assert item["figures"]["applications_new_total"] == 95


def test_narrative_received_may_count_the_carried_over_applications() -> None:
    """pingtan 2022: '收到政府信息公开申请75件' = 本年新收 74 + 上年结转 1: not an inconsistency."""
    checks = [c for c in item_of("sites/pingtan/report_2022.html")["checks"] if c["rule"] == "narrative_matches_tables"]
    assert checks and all(c["ok"] for c in checks)


def test_title_named_units_are_kept_but_labels_and_columns_are_not() -> None:
    assert valid_agency("中国人民银行某某中心支行", strict=False)  # a unit a title names: kept
    assert not valid_agency("中国人民银行某某中心支行")  # as a bare metadata value it needs an agency's ending
    assert not valid_agency("政府信息公开年报", strict=False)


def test_old_statistics_appendix_against_the_narrative() -> None:
    """Pre-2019 statistics tables: this year's cell (which column the header says) against the narrative. The
    three conflicts the real documents publish are flagged (jl 2018: 130 vs 18年发生数 6; pingtan 2012: 1913 vs
    739; pingtan 2013: 4970 vs 72804); run-together cells (主动公开信息数条4251516) agree when any split agrees."""
    def verdicts(file: str) -> list[bool]:
        return [c["ok"] for c in item_of(file)["checks"] if c["rule"] == "narrative_matches_statistics"]

    for file in ("reports/jl_forestry_2018_report_b.html", "archive/pingtan_005.txt", "archive/pingtan_008.txt"):
        assert False in verdicts(file), file
    for file in ("archive/pingtan_002.txt", "archive/pingtan_003.txt", "archive/pingtan_004.txt",
                 "archive/pingtan_007.txt", "archive/pingtan_009.txt", "archive/pingtan_010.txt",
                 "archive/pingtan_011.txt", "sites/pingtan/report_2016.html"):
        assert verdicts(file) and all(verdicts(file)), file


@pytest.mark.parametrize("year", ["2023", "2024"])
def test_flattened_reading_of_a_pdf_text_layer_never_takes_another_rows_cells(year: str) -> None:
    """The hzq PDFs' text layer (values above their labels, the vertical 三、本年度办理结果 interleaved): read as
    flattened text, every cell taken equals the PDF table's cell; rows it cannot place are left out."""
    from benchmarks.real_reports import real_dir
    from govcrawl.extract import extract_document
    from govcrawl.parser.normalise import normalise
    from govcrawl.parser.tables.flattext import read_flattened_tables

    document = extract_document((real_dir() / f"pdf/hzq_{year}_report.pdf").read_bytes(), "application/pdf", "u")
    flat = read_flattened_tables(normalise(document.text)[0], "gbf_2021").tables
    grid = item_of(f"pdf/hzq_{year}_report.pdf")["tables"]
    compared = 0
    for key, table in flat.items():
        for row, cells in table["values"].items():
            assert grid[key]["values"][row] == cells, (key, row)
            compared += 1
    assert compared >= 20
