"""The standard tables of 2019/2021-format reports: read grids or text onto the official templates, check them.

Pure: standard library + ``govcrawl.formats`` only. Public API:

* ``read_standard_tables(grids, text) -> TablesResult`` - tables from HTML/PDF grids, else from the text
  (flattened pipe rows, Markdown tables);
* ``check_tables(tables, template) -> list[{rule, ok, detail}]``;
* ``figures_from_tables(tables) -> dict[str, int]``;
* ``carryover_check(prev_item, next_item) -> dict`` (cross-report);
* ``text_grids(text) -> list[grid]`` (grids of PDF tables are built in ``govcrawl.extract.pdf``).

Cell policy (values.py): blank -> 0 and listed in ``blank_cells``; ``—`` ``-`` ``/`` -> null; ``无`` -> 0
(kept in ``raw_cells``); ``0.00`` -> 0; amounts with 元/万元/亿元 -> 万元 with the original unit in ``units``;
Chinese numerals read (a lone ``一`` is 1). Any cell that is not a plain integer keeps its text in ``raw_cells``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govcrawl.parser.tables.checks import carryover_check, check_tables, figures_from_tables
from govcrawl.parser.tables.flattext import read_flattened_tables
from govcrawl.parser.tables.mapping import ReadMemo, map_block, quality_bound
from govcrawl.parser.tables.segmentation import Block, segment
from govcrawl.parser.tables.textgrids import text_grids

__all__ = [
    "TablesResult", "read_standard_tables", "read_tables_from_grids", "check_tables", "figures_from_tables",
    "carryover_check", "text_grids",
]

_TEMPLATE_TABLES = {
    "gbf_2019": ("t2_art20_1", "t2_art20_5", "t2_art20_6", "t2_art20_8", "t2_art20_9", "t3_applications",
                 "t4_review_litigation"),
    "gbf_2021": ("t2_art20_1", "t2_art20_5", "t2_art20_6", "t2_art20_8", "t3_applications", "t4_review_litigation"),
}


@dataclass
class TablesResult:
    """Standard tables found (schema shape ``tables.<key>``), the template they follow, and reading issues."""

    tables: dict[str, Any] = field(default_factory=dict)
    template: str | None = None
    issues: list[str] = field(default_factory=list)


def _read_blocks(blocks: list[Block], source: str, template_hint: str | None) -> TablesResult:
    per_template: dict[str, tuple[float, dict[str, Any], list[str]]] = {}
    memo = ReadMemo()  # the bounds and the reads of both templates share what they read of each block
    bounds = {t: sum(quality_bound(block, t, memo) for block in blocks) for t in ("gbf_2021", "gbf_2019")}
    if template_hint in bounds:
        order = (template_hint, "gbf_2021" if template_hint == "gbf_2019" else "gbf_2019")
    else:  # the more promising template first (2021 on a tie)
        order = ("gbf_2019", "gbf_2021") if bounds["gbf_2019"] > bounds["gbf_2021"] else ("gbf_2021", "gbf_2019")
    for template_id in order:
        if per_template:  # the other template is read: skip this one when it cannot score higher
            ((other_score, other_tables, _),) = per_template.values()
            bound = bounds[template_id]
            if other_tables and bound < other_score - 1e-6:
                per_template[template_id] = (bound, {}, [])  # loses the comparison below, as a full read would
                continue
        tables: dict[str, Any] = {}
        scores: dict[str, float] = {}
        issues: list[str] = []
        for block in blocks:
            mapped = map_block(block, template_id, source, memo)
            if mapped is None:
                continue
            if mapped.key in tables:
                if mapped.score <= scores[mapped.key]:
                    issues.append(f"{mapped.key}: a second copy of the table was ignored")
                    continue
                issues.append(f"{mapped.key}: a second, better-matching copy replaced the first")
            tables[mapped.key] = mapped.table
            scores[mapped.key] = mapped.score
            issues.extend(mapped.issues)
        per_template[template_id] = (sum(scores.values()), tables, issues)
    (s21, t21, i21), (s19, t19, i19) = per_template["gbf_2021"], per_template["gbf_2019"]
    if not t21 and not t19:
        return TablesResult({}, None, [])
    if s21 > s19:
        chosen, template = (t21, i21), "gbf_2021"
    elif s19 > s21:
        chosen, template = (t19, i19), "gbf_2019"
    else:
        template = template_hint if template_hint in per_template else None
        chosen = (t19, i19) if template == "gbf_2019" else (t21, i21)
        if template is None:
            chosen[1].append("template ambiguous: tables read as gbf_2021 (identical in both templates)")
    tables, issues = chosen
    expected = _TEMPLATE_TABLES[template or "gbf_2021"]
    issues.extend(f"{key}: table not found" for key in expected if key not in tables)
    for key, table in tables.items():
        if table["missing_rows"]:
            issues.append(f"{key}: missing rows {', '.join(table['missing_rows'])}")
        if table["missing_columns"]:
            issues.append(f"{key}: missing columns {', '.join(table['missing_columns'])}")
    ordered = {key: tables[key] for key in _TEMPLATE_TABLES["gbf_2019"] if key in tables}
    return TablesResult(ordered, template, issues)


def _clean_grids(grids: Any) -> list[list[list[str]]]:
    """Grids as lists of lists of str, whatever came in (None cells, tuples, numbers, ragged or junk rows)."""
    clean: list[list[list[str]]] = []
    for grid in grids or ():
        if not isinstance(grid, list | tuple):
            continue
        rows = [["" if cell is None else " ".join(str(cell).split()) for cell in row]
                for row in grid if isinstance(row, list | tuple)]
        if rows:
            clean.append(rows)
    return clean


def read_tables_from_grids(grids: list[list[list[str]]], *, source: str = "html",
                           template_hint: str | None = None, clean_cells: bool = False) -> TablesResult:
    """Read the standard tables from grids only (``source``: html | pdf | docx | text). ``clean_cells``: the
    grids are lists of rows of ``str`` cells already whitespace-collapsed, none empty (no cleaning pass)."""
    return _read_blocks(segment(grids if clean_cells else _clean_grids(grids)), source, template_hint)


def read_standard_tables(grids: list[list[list[str]]] | None, text: str, *, source: str | None = None,
                         template_hint: str | None = None, clean_cells: bool = False) -> TablesResult:
    """Read the standard tables from ``grids`` when they hold any, else from tables found in ``text``.

    ``source`` labels where grids came from (default "html"); ``template_hint`` ("gbf_2019"/"gbf_2021", e.g.
    from the report year) only breaks ties when the labels do not tell the templates apart; ``clean_cells`` as
    for :func:`read_tables_from_grids`.
    """
    if grids:
        result = read_tables_from_grids(grids, source=source or "html", template_hint=template_hint,
                                        clean_cells=clean_cells)
        if result.tables:
            return result
    if text and "|" in text:
        result = _read_blocks(segment(text_grids(text)), "text", template_hint)  # text_grids cells are clean
        if result.tables:
            return _supplemented(result, text)
    if text:
        flat = read_flattened_tables(text, template_hint)  # labels and numbers run together, no cell borders
        return TablesResult(flat.tables, flat.template, flat.issues)
    return TablesResult({}, None, [])


def _supplemented(result: TablesResult, text: str) -> TablesResult:
    """Tables the pipe rows lack (表二 printed as ``行政许可 97`` lines beside a Markdown 表二) from the flattened
    reading of the same text, for the same template."""
    flat = read_flattened_tables(text, result.template)
    extra = {key: table for key, table in flat.tables.items()
             if key not in result.tables or (_incomplete(result.tables[key]) and not _incomplete(table))}
    if not extra or flat.template != result.template:
        return result
    merged = {**result.tables, **extra}
    ordered = {key: merged[key] for key in _TEMPLATE_TABLES["gbf_2019"] if key in merged}
    issues = [issue for issue in result.issues if not issue.startswith(tuple(f"{key}:" for key in extra))]
    issues.extend(f"{key}: read from the flattened text (the pipe rows gave an incomplete table)"
                  for key in extra if key in result.tables)
    return TablesResult(ordered, result.template, issues)


def _incomplete(table: dict[str, Any]) -> bool:
    return bool(table.get("missing_rows") or table.get("missing_columns"))
