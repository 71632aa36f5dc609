"""The standard tables from text where they were flattened: labels and numbers in one stream, no cell borders.

Real forms read (archivers' page texts, PDF text layers, copy-pasted reports): one cell per line, numbers split
over lines, a row's digits run together (``一、本年新收…数量801000081``), 表四 as one row of 15 numbers, plain
``行政许可 97`` lines of 表二. The section text is cut into *label, numbers* segments; labels are aligned with the
template's rows in order by meaning (typo tolerant: ``其他法律行政止公开`` is 其他法律行政法规禁止公开), each row
taking at most one segment and no segment serving two rows; the numbers are split by :mod:`digitruns` under the
template's arithmetic (row totals, 表四 group totals, then the 勾稽关系 across rows for rows a row total leaves
ambiguous). Ambiguous rows are left out and reported as ``ambiguous_digits``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from govcrawl.parser.tables.abovelabels import values_after_labels
from govcrawl.parser.tables.digitruns import candidate_splits, group_total_rule, read_run, row_total_rule
from govcrawl.parser.tables.labels import TYPO_SIMILARITY, core
from govcrawl.parser.tables.spec import result_leaf_rows, table_specs

#: section boundaries of the 2019/2021 layout, on width-folded text
_ORDINAL = r"[一二三四五六七]\s*[、.]\s*"  # any ordinal: real reports misnumber their sections
_T2_START = re.compile(_ORDINAL + r"主动公开政府信息(?:情况)?")
_T3_START = re.compile(_ORDINAL + r"收到和处理政府信息公开申请(?:情况)?")
_T4_START = re.compile(_ORDINAL + r"(?:因)?政府信息公开[^。\d]{0,8}?复议")
_T5_START = re.compile(_ORDINAL + r"(?:政府信息公开工作)?存在的(?:主要)?问题|\(一\)\s*主要问题")
#: a number (maybe with decimals or a sign) or a run of them with spaces
_NUMBER_RUN = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[\s|]+[-+]?\d+(?:\.\d+)?)*")
#: an enumeration glued after a row's digits: ``…3100000312.没有现成…`` -> the ``2.`` starts the next label
_ENUM_TAIL = re.compile(r"([1-9])\s*$")
_ENUM_AFTER = re.compile(r"^\s*[.、．]\s*[\u4e00-\u9fff]")
_YEAR_WORDS = re.compile(r"(?:19|20)\d{2}\s*年")
MATCH_THRESHOLD = TYPO_SIMILARITY
AMBIGUOUS = "ambiguous_digits"
_T2_HINTS_2021 = ("本年制发件数", "现行有效件数", "本年收费金额")
_T2_HINTS_2019 = ("本年新制作数量", "本年新公开数量", "政府集中采购", "对外公开总数量")
_T2_TABLE_WORDS = ("第二十条", "信息内容", "处理决定数量", "本年制发件数", "本年新制作数量", "上一年项目数量")
_T3_HINTS_2021 = ("逾期不补正", "逾期未按收费通知")


@dataclass
class Segment:
    label: str  # the label text before the numbers (cored)
    numbers: str  # the numbers after it, as printed (spaces kept)


@dataclass
class FlatResult:
    tables: dict[str, Any]
    template: str | None
    issues: list[str]


def _segments(section: str) -> list[Segment]:
    """``label numbers label numbers …`` of one flattened section (newlines become spaces)."""
    text = " ".join(section.split())
    segments: list[Segment] = []
    position, pending_label = 0, ""
    for match in _NUMBER_RUN.finditer(text):
        label_part = text[position:match.start()]
        numbers = match.group()
        carried = ""
        if _ENUM_AFTER.match(text[match.end():]) and (tail := _ENUM_TAIL.search(numbers)):
            numbers, carried = numbers[: tail.start()], tail.group(1)  # 2. belongs to the next label
        label = pending_label + label_part
        if _ENUM_AFTER.match(text[match.end():]) and not numbers.strip():
            pending_label = label + carried  # a bare enumeration (1.属于国家秘密): part of the label
        elif _YEAR_WORDS.match(text[match.start():match.end() + 2]):
            pending_label = label + numbers  # 2023年: words, not cells
        else:
            segments.append(Segment(core(label) if label.strip() else "", numbers.strip()))
            pending_label = carried
        position = match.end()
    if pending_label or text[position:].strip():
        segments.append(Segment(core(pending_label + text[position:]), ""))
    return segments


def _score(label: str, target: str) -> float:
    """How well a segment's label names a template row: 1 equal, 0.95 ends with it, else a similarity ratio of
    the row label and the label's tail (parents and headers printed before a row label are ignored)."""
    if not label or not target:
        return 0.0
    if label == target:
        return 1.0
    if len(target) >= 2 and label.endswith(target):
        return 0.95
    tail = label[-(len(target) + 3):]
    return max(SequenceMatcher(None, target, tail, autojunk=False).ratio(),
               SequenceMatcher(None, target, label, autojunk=False).ratio() if len(label) <= 2 * len(target) else 0)


def _align(segments: list[Segment], rows: list[tuple[str, tuple[str, ...]]]) -> dict[str, Segment]:
    """Row key -> segment: the monotone one-to-one alignment with the highest total score (each pair above
    ``MATCH_THRESHOLD``). Only segments that carry numbers are aligned."""
    numbered = [s for s in segments if s.numbers]
    scores = [[max((_score(s.label, c) for c in cores), default=0.0) for _, cores in rows] for s in numbered]
    n, m = len(numbered), len(rows)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            take = scores[i][j] + best[i + 1][j + 1] if scores[i][j] >= MATCH_THRESHOLD else -1.0
            best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
    chosen: dict[str, Segment] = {}
    i = j = 0
    while i < n and j < m:
        if scores[i][j] >= MATCH_THRESHOLD and abs(best[i][j] - (scores[i][j] + best[i + 1][j + 1])) < 1e-9:
            chosen[rows[j][0]] = numbered[i]
            i, j = i + 1, j + 1
        elif abs(best[i][j] - best[i + 1][j]) < 1e-9:
            i += 1
        else:
            j += 1
    return chosen


def _table(template: str, values: dict[str, Any], missing_rows: list[str], raw: dict[str, str]) -> dict[str, Any]:
    table: dict[str, Any] = {"template": template, "values": values, "blank_cells": [], "units": {},
                             "missing_rows": missing_rows, "missing_columns": [], "source": "text"}
    if raw:
        table["raw_cells"] = raw
    return table


def _read_t3(section: str, template: str, issues: list[str]) -> dict[str, Any] | None:
    spec = table_specs(template)["t3_applications"]
    columns = [c.key for c in spec.columns]
    rows = [(r.key, r.cores) for r in spec.rows]
    aligned = _align(_segments(values_after_labels(section, spec, len(columns))), rows)
    if len(aligned) < 3:
        return None
    values: dict[str, dict[str, int]] = {}
    open_rows: dict[str, list[list[int]]] = {}
    for key, segment in aligned.items():
        cells, candidates = read_run(segment.numbers, len(columns), row_total_rule)
        if cells is not None:
            values[key] = dict(zip(columns, cells, strict=True))
        elif candidates:
            open_rows[key] = candidates
        else:
            issues.append(f"t3_applications: row {key}: {segment.numbers!r} fits no split into {len(columns)} cells")
    if open_rows:
        _settle_by_balance(template, values, open_rows, columns, issues)
    if not values:
        return None
    missing = [r.key for r in spec.rows if r.key not in values]
    return _table(template, {r.key: values[r.key] for r in spec.rows if r.key in values}, missing, {})


def _balance_ok(template: str, values: dict[str, dict[str, int]], columns: list[str]) -> bool | None:
    """The 勾稽关系 over the rows present: result rows sum to (七)总计, 一 + 二 = (七) + 四; None when unknown."""
    leaves = result_leaf_rows(template)
    known = True
    for column in columns:
        if "result_total" in values and all(row in values for row in leaves):
            if sum(values[row][column] for row in leaves) != values["result_total"][column]:
                return False
        else:
            known = False
        needed = ("new_received", "carried_over", "result_total", "carry_to_next")
        if all(row in values for row in needed):
            left = values["new_received"][column] + values["carried_over"][column]
            if left != values["result_total"][column] + values["carry_to_next"][column]:
                return False
        else:
            known = False
    return True if known else None


def _settle_by_balance(template: str, values: dict[str, dict[str, int]], open_rows: dict[str, list[list[int]]],
                       columns: list[str], issues: list[str]) -> None:
    """Rows the row total leaves ambiguous: keep the one combination the 勾稽关系 accepts, if exactly one."""
    keys = list(open_rows)
    combinations = list(itertools.islice(itertools.product(*(open_rows[k] for k in keys)), 5000))
    accepted = []
    for combination in combinations:
        trial = dict(values)
        trial.update({k: dict(zip(columns, cells, strict=True)) for k, cells in zip(keys, combination, strict=True)})
        if _balance_ok(template, trial, columns):
            accepted.append(combination)
    if len(accepted) == 1:
        values.update({k: dict(zip(columns, c, strict=True)) for k, c in zip(keys, accepted[0], strict=True)})
        return
    for key in keys:
        issues.append(f"{AMBIGUOUS}: t3_applications row {key}: {len(open_rows[key])} splits fit the row total")


def _read_t4(section: str, template: str, issues: list[str]) -> dict[str, Any] | None:
    spec = table_specs(template)["t4_review_litigation"]
    columns = [c.key for c in spec.columns]
    runs = [s.numbers for s in _segments(section) if s.numbers]
    if not runs:
        return None
    cells, candidates = read_run(runs[-1], len(columns), group_total_rule(5))
    if cells is None and not candidates and len(runs) > 1:  # one run per group (复议 / 直接起诉 / 复议后起诉)
        cells, candidates = read_run(" ".join(runs[-3:]), len(columns), group_total_rule(5))
    if cells is None:
        if candidates:
            issues.append(f"{AMBIGUOUS}: t4_review_litigation: {len(candidates)} splits fit the group totals")
        return None
    return _table(template, {"counts": dict(zip(columns, cells, strict=True))}, [], {})


def _read_t2(section: str, template: str, issues: list[str]) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    segments = _segments(section)
    for key, spec in table_specs(template).items():
        if not key.startswith("t2_"):
            continue
        columns = [c.key for c in spec.columns]
        aligned = _align(segments, [(r.key, r.cores) for r in spec.rows])
        values: dict[str, dict[str, Any]] = {}
        for row, segment in aligned.items():
            tokens = segment.numbers.replace("|", " ").split()
            digits = "".join(tokens)
            splits = candidate_splits(digits, len(columns), None) if digits.isdigit() else None
            if len(tokens) == len(columns):
                values[row] = {c: _number(t) for c, t in zip(columns, tokens, strict=True)}
            elif splits is not None and len(splits) == 1:  # 000 or 007: only one way to cut it
                values[row] = dict(zip(columns, splits[0], strict=True))
            else:
                issues.append(f"{AMBIGUOUS}: {key} row {row}: {segment.numbers!r} into {len(columns)} cells")
        if values:
            missing = [r.key for r in spec.rows if r.key not in values]
            tables[key] = _table(template, values, missing, {})
    return tables


def _number(token: str) -> int | float:
    value = float(token)
    return int(value) if value.is_integer() and "." not in token else value


def _template_of(text: str, hint: str | None) -> str:
    if any(word in text for word in _T2_HINTS_2021 + _T3_HINTS_2021):
        return "gbf_2021"
    if any(word in text for word in _T2_HINTS_2019):
        return "gbf_2019"
    return hint or "gbf_2021"


def _cut(text: str, start: re.Pattern[str], ends: tuple[re.Pattern[str], ...]) -> str | None:
    match = start.search(text)
    if not match:
        return None
    stop = min((m.start() for m in (e.search(text, match.end()) for e in ends) if m), default=len(text))
    return text[match.end():stop]


def read_flattened_tables(text: str, template_hint: str | None = None) -> FlatResult:
    """The standard tables of a 2019/2021 report whose tables were flattened into ``text`` (see module doc)."""
    template = _template_of(text, template_hint)
    issues: list[str] = []
    tables: dict[str, Any] = {}
    t2 = _cut(text, _T2_START, (_T3_START,))
    t3 = _cut(text, _T3_START, (_T4_START, _T5_START))
    t4 = _cut(text, _T4_START, (_T5_START,))
    if t3 is not None and (table := _read_t3(t3, template, issues)):
        tables["t3_applications"] = table
    if t4 is not None and (table := _read_t4(t4[:600], template, issues)):
        tables["t4_review_litigation"] = table
    if t2 is not None and (tables or any(word in t2 for word in _T2_TABLE_WORDS)):  # a table, not narrative
        tables = {**_read_t2(t2, template, issues), **tables}
    return FlatResult(tables, template if tables else None, issues if tables else [])
