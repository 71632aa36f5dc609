"""Seed 003 (山海关区 2023, 2021 template): the flattened pipe tables read cell by cell.

Every expectation below was read off /work/shared/seeds/003_*.txt by eye and written out, not computed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govcrawl.parser.tables import check_tables, figures_from_tables, read_standard_tables, text_grids

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
T3_COLUMNS = ("natural_person", "commercial_enterprise", "research_institution", "public_welfare_org",
              "legal_service_org", "other_org", "total")
# row -> the 7 numbers as printed: 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计
T3_EXPECTED = {
    "new_received": (2, 0, 0, 0, 0, 0, 2),
    "carried_over": (0, 0, 0, 0, 0, 0, 0),
    "result_open": (0, 0, 0, 0, 0, 0, 0),
    "result_partial": (0, 0, 0, 0, 0, 0, 0),
    "withheld_state_secret": (0, 0, 0, 0, 0, 0, 0),
    "withheld_other_law": (0, 0, 0, 0, 0, 0, 0),
    "withheld_three_security_one_stability": (0, 0, 0, 0, 0, 0, 0),
    "withheld_third_party": (0, 0, 0, 0, 0, 0, 0),
    "withheld_internal_affairs": (0, 0, 0, 0, 0, 0, 0),
    "withheld_process_info": (0, 0, 0, 0, 0, 0, 0),
    "withheld_enforcement_file": (0, 0, 0, 0, 0, 0, 0),
    "withheld_admin_query": (0, 0, 0, 0, 0, 0, 0),
    "unavailable_not_held": (0, 0, 0, 0, 0, 0, 0),
    "unavailable_needs_creation": (0, 0, 0, 0, 0, 0, 0),
    "unavailable_still_unclear": (0, 0, 0, 0, 0, 0, 0),
    "not_processed_petition": (0, 0, 0, 0, 0, 0, 0),
    "not_processed_repeat": (0, 0, 0, 0, 0, 0, 0),
    "not_processed_publication": (0, 0, 0, 0, 0, 0, 0),
    "not_processed_mass_repeat": (0, 0, 0, 0, 0, 0, 0),
    "not_processed_confirm_reissue": (0, 0, 0, 0, 0, 0, 0),
    "other_no_correction": (0, 0, 0, 0, 0, 0, 0),
    "other_fee_unpaid": (0, 0, 0, 0, 0, 0, 0),
    "other_other": (0, 0, 0, 0, 0, 0, 0),
    "result_total": (2, 0, 0, 0, 0, 0, 2),
    "carry_to_next": (0, 0, 0, 0, 0, 0, 0),
}
T2_EXPECTED = {
    "t2_art20_1": {"regulations": {"issued": 0, "repealed": 0, "in_force": 0},
                   "normative_documents": {"issued": 0, "repealed": 0, "in_force": 0}},
    "t2_art20_5": {"administrative_license": {"decisions": 0}},
    "t2_art20_6": {"administrative_penalty": {"decisions": 0}, "administrative_coercion": {"decisions": 0}},
    "t2_art20_8": {"administrative_fees": {"fee_amount_10k_yuan": 0}},
}
T4_EXPECTED = {
    "review_upheld": 0, "review_corrected": 0, "review_other": 0, "review_pending": 0, "review_total": 0,
    "suit_direct_upheld": 0, "suit_direct_corrected": 0, "suit_direct_other": 0, "suit_direct_pending": 0,
    "suit_direct_total": 0, "suit_after_review_upheld": 0, "suit_after_review_corrected": 0,
    "suit_after_review_other": 0, "suit_after_review_pending": 0, "suit_after_review_total": 0,
}


@pytest.fixture(scope="module")
def seed_text() -> str:
    path = next(SEEDS.glob("003_*.txt"))
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def result(seed_text: str):
    return read_standard_tables(None, seed_text)


def test_template_and_tables_found(result) -> None:
    assert result.template == "gbf_2021"
    assert list(result.tables) == ["t2_art20_1", "t2_art20_5", "t2_art20_6", "t2_art20_8", "t3_applications",
                                   "t4_review_litigation"]
    assert result.issues == []
    for table in result.tables.values():
        assert table["template"] == "gbf_2021"
        assert table["source"] == "text"
        assert table["missing_rows"] == [] and table["missing_columns"] == []
        assert table["blank_cells"] == []


def test_t2_every_cell(result) -> None:
    for key, rows in T2_EXPECTED.items():
        assert result.tables[key]["values"] == rows, key
    assert result.tables["t2_art20_8"]["units"] == {"administrative_fees": {"fee_amount_10k_yuan": "万元"}}


@pytest.mark.parametrize("row", list(T3_EXPECTED))
def test_t3_every_cell(result, row: str) -> None:
    assert result.tables["t3_applications"]["values"][row] == dict(zip(T3_COLUMNS, T3_EXPECTED[row], strict=True))


def test_t3_has_exactly_the_template_rows(result) -> None:
    assert set(result.tables["t3_applications"]["values"]) == set(T3_EXPECTED)


def test_t4_every_cell_despite_truncated_headers(result) -> None:
    # the seed's header row reads 结果维持 | 结果 | 其他 | 尚未 | 总计 and then 结果 | 结果 | 其他 | 尚未 | 总计 twice
    assert result.tables["t4_review_litigation"]["values"] == {"counts": T4_EXPECTED}


def test_checks_flag_the_published_inconsistency(result) -> None:
    checks = {c["rule"]: c for c in check_tables(result.tables, result.template)}
    assert set(checks) == {"t3_balance", "t3_result_total", "t3_row_total", "t4_group_totals"}
    assert checks["t3_balance"]["ok"] is True  # 2 + 0 = 2 + 0
    assert checks["t3_row_total"]["ok"] is True
    assert checks["t4_group_totals"]["ok"] is True
    failed = checks["t3_result_total"]
    assert failed["ok"] is False  # the result rows sum to 0 while (七)总计 says 2
    assert "natural_person" in failed["detail"] and "total" in failed["detail"]
    assert "=0 ≠ 2" in failed["detail"]
    assert "commercial_enterprise" not in failed["detail"]
    # the numbers were not "fixed"
    assert result.tables["t3_applications"]["values"]["result_total"]["total"] == 2


def test_figures(result) -> None:
    assert figures_from_tables(result.tables) == {
        "applications_new_total": 2, "applications_carried_total": 0, "granted_total": 0, "results_total": 2,
        "carried_next_total": 0, "review_total": 0, "litigation_direct_total": 0,
        "litigation_after_review_total": 0,
    }


def test_text_grids_of_the_seed(seed_text: str) -> None:
    grids = text_grids(seed_text)
    # metadata line block, section 二 (4 sub-tables), 三, 四
    assert [len(g) for g in grids] == [3, 14, 28, 4]
    assert grids[2][2][:2] == ["商业 企业", "科研 机构"]
