"""Consistency checks (勾稽关系) on parsed standard tables, figures derived from them, and the cross-year check.

Checks never change numbers: they report. A check whose cells are ``None`` ('/' or '—') skips those columns
and says so; a table present but missing the rows a check needs fails with "cannot check".
"""

from __future__ import annotations

from typing import Any

from govcrawl.parser.tables.spec import result_leaf_rows, table_specs

APPLICANT_COLUMNS = (
    "natural_person", "commercial_enterprise", "research_institution",
    "public_welfare_org", "legal_service_org", "other_org",
)
T3_COLUMNS = (*APPLICANT_COLUMNS, "total")
T4_GROUPS = {
    "review": ("review_upheld", "review_corrected", "review_other", "review_pending", "review_total"),
    "suit_direct": ("suit_direct_upheld", "suit_direct_corrected", "suit_direct_other",
                    "suit_direct_pending", "suit_direct_total"),
    "suit_after_review": ("suit_after_review_upheld", "suit_after_review_corrected", "suit_after_review_other",
                          "suit_after_review_pending", "suit_after_review_total"),
}


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _terms(values: list[float]) -> str:
    if len(values) == 1:
        return _num(values[0])
    if len(values) <= 8:
        return f"{'+'.join(_num(v) for v in values)}={_num(sum(values))}"
    return f"sum of {len(values)} cells={_num(sum(values))}"


def _check(rule: str, failures: list[str], skipped: list[str], checked: int, what: str) -> dict[str, Any]:
    if checked == 0:
        reason = "; ".join(skipped) or "no cells"
        return {"rule": rule, "ok": False, "detail": f"cannot check {what}: {reason}"}
    if failures:
        detail = "; ".join(failures)
    else:
        detail = f"{what} hold in {checked} checked"
    if skipped:
        detail += f" (skipped: {'; '.join(skipped)})"
    return {"rule": rule, "ok": not failures, "detail": detail}


def _cell(values: dict, row: str, col: str) -> tuple[bool, float | None]:
    """(present, value): present is False when the row or column is absent."""
    if row not in values or col not in values[row]:
        return False, None
    return True, values[row][col]


def _sum_check(rule: str, values: dict, lines: list[tuple[str, list[tuple[str, str]], list[tuple[str, str]]]],
               what: str, blank_totals: set[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Generic: for each (name, left cells, right cells): sum(left) == sum(right).

    With ``blank_totals``, a line whose right side is a single cell left blank (a 总计 not filled in, a quirk
    of real reports) is skipped rather than failed when the left side is not zero.
    """
    failures, skipped, checked = [], [], 0
    for name, left, right in lines:
        if blank_totals and len(right) == 1 and right[0] in blank_totals:
            parts = [_cell(values, r, c)[1] for r, c in left]
            if all(isinstance(p, int | float) for p in parts) and sum(parts):
                skipped.append(f"{name}: 总计 left blank")
                continue
        got: list[float] = []
        absent: list[str] = []
        nulls: list[str] = []
        for r, c in left + right:
            row = values.get(r)
            if row is None or c not in row:
                absent.append(f"{r}/{c}")
            elif row[c] is None:
                nulls.append(f"{r}/{c}")
            else:
                got.append(row[c])
        if absent:
            skipped.append(f"{name}: missing {', '.join(absent[:3])}{'…' if len(absent) > 3 else ''}")
            continue
        if nulls:
            skipped.append(f"{name}: not numeric {', '.join(nulls[:3])}{'…' if len(nulls) > 3 else ''}")
            continue
        checked += 1
        lv, rv = got[: len(left)], got[len(left):]
        if abs(sum(lv) - sum(rv)) > 1e-6:
            failures.append(f"{name}: {_terms(lv)} ≠ {_terms(rv)}")
    return _check(rule, failures, skipped, checked, what)


def check_tables(tables: dict, template: str | None) -> list[dict[str, Any]]:
    """The table checks: t3_balance, t3_result_total, t3_row_total, t4_group_totals (only for tables present)."""
    checks: list[dict[str, Any]] = []
    t3 = tables.get("t3_applications")
    if t3:
        values = t3["values"]
        template_id = template or t3.get("template") or "gbf_2021"
        checks.append(_sum_check(
            "t3_balance", values,
            [(c, [("new_received", c), ("carried_over", c)], [("result_total", c), ("carry_to_next", c)])
             for c in T3_COLUMNS],
            "一+二 = 三(七)总计+四 per column"))
        leaves = result_leaf_rows(template_id)
        for group, rows in (t3.get("folded_rows") or {}).items():  # a group printed as one row stands for its rows
            leaves = [group if r == rows[0] else r for r in leaves if r == rows[0] or r not in rows]
        checks.append(_sum_check(
            "t3_result_total", values,
            [(c, [(r, c) for r in leaves], [("result_total", c)]) for c in T3_COLUMNS],
            "result rows sum to (七)总计 per column"))
        rows = [r.key for r in table_specs(template_id)["t3_applications"].rows if r.key in values]
        checks.append(_sum_check(
            "t3_row_total", values,
            [(r, [(r, c) for c in APPLICANT_COLUMNS], [(r, "total")]) for r in rows],
            "applicant columns sum to 总计 per row",
            blank_totals={tuple(cell) for cell in t3.get("blank_cells", [])}))
    t4 = tables.get("t4_review_litigation")
    if t4:
        checks.append(_sum_check(
            "t4_group_totals", t4["values"],
            [(group, [("counts", c) for c in cols[:4]], [("counts", cols[4])]) for group, cols in T4_GROUPS.items()],
            "upheld+corrected+other+pending = total per group"))
    return checks


def _get(tables: dict, table: str, row: str, col: str) -> Any:
    return tables.get(table, {}).get("values", {}).get(row, {}).get(col)


def _t3_total(tables: dict, row: str) -> int | None:
    """A t3 row's 总计; when 总计 was left blank but applicant cells are filled, their sum."""
    t3 = tables.get("t3_applications")
    if not t3 or row not in t3["values"]:
        return None
    cells = t3["values"][row]
    total = cells.get("total")
    if [row, "total"] in t3.get("blank_cells", []):
        parts = [cells.get(c) for c in APPLICANT_COLUMNS]
        if all(isinstance(p, int | float) for p in parts) and sum(parts):
            total = sum(parts)
    return int(total) if isinstance(total, int | float) and float(total).is_integer() else None


def figures_from_tables(tables: dict) -> dict[str, int]:
    """Figures derived from the tables (keys absent when the cell is absent or not a number).

    granted_total = (一)予以公开 + (二)部分公开 总计 (applications where information was provided, fully or
    partly). A blank 总计 with filled applicant cells counts as their sum (real reports leave 总计 empty).
    """
    out: dict[str, int] = {}
    for name, row in (("applications_new_total", "new_received"), ("applications_carried_total", "carried_over"),
                      ("results_total", "result_total"), ("carried_next_total", "carry_to_next")):
        value = _t3_total(tables, row)
        if value is not None:
            out[name] = value
    opened, partial = _t3_total(tables, "result_open"), _t3_total(tables, "result_partial")
    if opened is not None and partial is not None:
        out["granted_total"] = opened + partial
    for name, col in (("review_total", "review_total"), ("litigation_direct_total", "suit_direct_total"),
                      ("litigation_after_review_total", "suit_after_review_total")):
        value = _get(tables, "t4_review_litigation", "counts", col)
        if isinstance(value, int | float) and float(value).is_integer():
            out[name] = int(value)
    return out


def carryover_check(prev_item: dict, next_item: dict) -> dict[str, Any]:
    """Cross-report check: 上年结转 (carried_over) of year N+1 == 结转下年度继续办理 (carry_to_next) of year N.

    Compared per t3 column. ``ok`` is None when it cannot be computed (a table or row missing, years not
    consecutive); the detail says why. Agencies are not compared here: the caller pairs reports of one agency.
    """
    rule = "t3_carryover"
    prev_year, next_year = prev_item.get("report_year"), next_item.get("report_year")
    base = {"rule": rule, "prev_year": prev_year, "next_year": next_year}
    if isinstance(prev_year, int) and isinstance(next_year, int) and next_year != prev_year + 1:
        return {**base, "ok": None, "detail": f"years {prev_year} and {next_year} are not consecutive"}
    prev_t3 = (prev_item.get("tables") or {}).get("t3_applications")
    next_t3 = (next_item.get("tables") or {}).get("t3_applications")
    if not prev_t3 or not next_t3:
        which = "previous" if not prev_t3 else "next"
        return {**base, "ok": None, "detail": f"the {which} report has no t3_applications table"}
    carried_out = prev_t3["values"].get("carry_to_next")
    carried_in = next_t3["values"].get("carried_over")
    if carried_out is None or carried_in is None:
        return {**base, "ok": None, "detail": "row carry_to_next (year N) or carried_over (year N+1) missing"}
    failures, compared = [], 0
    for col in T3_COLUMNS:
        a, b = carried_out.get(col), carried_in.get(col)
        if a is None or b is None:
            continue
        compared += 1
        if a != b:
            failures.append(f"{col}: {prev_year} 结转下年度 {_num(a)} ≠ {next_year} 上年结转 {_num(b)}")
    if not compared:
        return {**base, "ok": None, "detail": "no column has numbers in both reports"}
    detail = "; ".join(failures) if failures else f"carry-over matches in {compared} columns"
    return {**base, "ok": not failures, "detail": detail}


#: narrative statement -> the table figures it must equal (any one of the listed sums)
_NARRATIVE_VS_TABLE = {
    "applications_received": ("本年新收 总计 (or 本年新收 + 上年结转)",
                              (("applications_new_total",), ("applications_new_total", "applications_carried_total"))),
    "applications_handled": ("(七)总计 总计", (("results_total",),)),
    "carried_next": ("结转下年度继续办理 总计", (("carried_next_total",),)),
    "review_total": ("表四 行政复议 总计", (("review_total",),)),
    "litigation_total": ("表四 行政诉讼 总计 (直接起诉 + 复议后起诉)",
                         (("litigation_direct_total", "litigation_after_review_total"),)),
}


def narrative_checks(stated: dict[str, int], table: dict[str, Any]) -> list[dict[str, Any]]:
    """``narrative_matches_tables`` for every figure both the narrative and the tables state: flagged, never
    fixed. ``stated``: narrative values (``figures.narrative_statements``); ``table``: ``figures_from_tables``."""
    checks: list[dict[str, Any]] = []
    for key, (label, sums) in _NARRATIVE_VS_TABLE.items():
        if key not in stated:
            continue
        totals = [sum(table[k] for k in keys) for keys in sums if all(isinstance(table.get(k), int) for k in keys)]
        if not totals:
            continue
        ok = stated[key] in totals
        checks.append({"rule": "narrative_matches_tables", "ok": ok,
                       "detail": f"text says {key} {stated[key]}; table {label} {'/'.join(map(str, totals))}"})
    return checks
