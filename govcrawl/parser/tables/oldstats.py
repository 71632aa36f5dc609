"""The pre-2019 statistics appendix (政府信息公开情况统计表 / 相关数据统计表) against the narrative.

Old reports append a table of 指标 rows with two numbers, this year's and the running total (历年累计 / 累计数), in
either order; the header says which. Its rows are often flattened (``主动公开信息数 条 425 1516``, or run together:
``主动公开信息数条4251516``). Only a check is made of it: the narrative's figure must be a possible reading of this
year's cell (``narrative_matches_statistics``); a run that can be split several ways is consistent when any split
agrees. Nothing is changed and nothing becomes a figure.
"""

from __future__ import annotations

import re
from typing import Any

_CONTEXT = re.compile(r"统计表|指\s*标")
_ROWS = {
    "proactive_total": re.compile(r"(?:主动公开(?:政府)?(?:信息|文件)数|公开信息总数)[★*]?[\s|]*(?:条|件)?[\s|]*"
                                  r"(\d[\d\s|]*)"),
    "applications_received": re.compile(r"(?:受理)?依申请公开(?:政府)?信息(?:总数|数)[★*]?[\s|]*(?:条|件)?[\s|]*"
                                        r"(\d[\d\s|]*)"),
}
_CUMULATIVE = re.compile(r"累计")
_THIS_YEAR = re.compile(r"(?:(?:19|20)?\d{2}\s*年(?:度|发生数)?|本年|发生数)(?!\d)")
_LOOKBACK = 700


def _this_year_first(before: str) -> bool | None:
    """From the header before a row: is this year's column the first of the two? None when the header is absent."""
    cumulative = [m.start() for m in _CUMULATIVE.finditer(before)]
    this_year = [m.start() for m in _THIS_YEAR.finditer(before) if not before[m.end():m.end() + 2].startswith("累计")]
    if not cumulative or not this_year:
        return None
    return this_year[-1] < cumulative[-1]


def _readings(run: str, this_year_first: bool) -> set[int]:
    """Every value this year's cell can have: two printed numbers, or a digit run cut in two with the running
    total not below this year's count."""
    tokens = re.findall(r"\d+", run)
    if len(tokens) >= 2:
        return {int(tokens[0] if this_year_first else tokens[1])}
    digits = tokens[0] if tokens else ""
    values = set()
    for cut in range(1, len(digits)):
        first, second = digits[:cut], digits[cut:]
        if (len(first) > 1 and first.startswith("0")) or (len(second) > 1 and second.startswith("0")):
            continue
        year, total = (int(first), int(second)) if this_year_first else (int(second), int(first))
        if total >= year:
            values.add(year)
    return values


def statistics_checks(text: str, stated: dict[str, int]) -> list[dict[str, Any]]:
    """``narrative_matches_statistics`` for each narrative figure an old statistics appendix also gives."""
    checks: list[dict[str, Any]] = []
    for key, pattern in _ROWS.items():
        if key not in stated:
            continue
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - _LOOKBACK):match.start()]
            if not _CONTEXT.search(before):
                continue
            order = _this_year_first(before)
            if order is None:
                continue
            readings = _readings(match.group(1), order)
            if not readings:
                continue
            ok = stated[key] in readings
            checks.append({"rule": "narrative_matches_statistics", "ok": ok,
                           "detail": f"text says {key} {stated[key]}; statistics table this year "
                                     f"{'/'.join(map(str, sorted(readings)))} ({match.group(0).strip()[:40]})"})
            break
    return checks
