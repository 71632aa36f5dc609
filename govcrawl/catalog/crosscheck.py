"""Checks between two reports of one agency, stored on the later report beside its own checks.

Only the catalog sees both years of an agency, so it computes them: :func:`govcrawl.parser.tables.carryover_check`
(上年结转 of year N+1 == 结转下年度 of year N). A check that cannot be computed (a report without the
applications table, no column with numbers in both) is not stored, as a report without tables has no table
checks.
"""

from __future__ import annotations

from typing import Any

from govcrawl.catalog.schema import CROSS_REPORT_RULES
from govcrawl.parser.tables import carryover_check


def carryover(prev_item: dict[str, Any], next_item: dict[str, Any]) -> dict[str, Any] | None:
    """The ``t3_carryover`` check of ``next_item`` against ``prev_item``, naming both reports; None if undecidable."""
    check = carryover_check(prev_item, next_item)
    if not isinstance(check.get("ok"), bool):
        return None
    prev_url, next_url = prev_item.get("url"), next_item.get("url")
    named = (f"{check['detail']} ({check['prev_year']} report {prev_url}; "
             f"{check['next_year']} report {next_url})")
    return {**check, "detail": named, "prev_url": prev_url, "next_url": next_url}


def with_cross_check(checks: list[Any], rule: str, check: dict[str, Any] | None) -> list[Any]:
    """``checks`` with the check of ``rule`` replaced by ``check`` (removed when None)."""
    if rule not in CROSS_REPORT_RULES:
        raise ValueError(f"{rule!r} is not a cross-report rule")
    kept = [c for c in checks if not (isinstance(c, dict) and c.get("rule") == rule)]
    return kept + ([check] if check is not None else [])


def check_counts(checks: list[Any]) -> tuple[int, int]:
    """(passed, failed) among the check dicts of an item (the ``checks_ok`` / ``checks_failed`` columns)."""
    dicts = [c for c in checks if isinstance(c, dict)]
    passed = sum(1 for c in dicts if c.get("ok"))
    return passed, len(dicts) - passed
