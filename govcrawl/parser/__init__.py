"""govcrawl.parser: report text (+ table grids + page metadata) -> report item. Pure: no Scrapy, no I/O.

``parse_report`` is the one entry point; the live pipeline and the offline rebuild both reach it through
``govcrawl.report.build_item``. The item it returns is the schema's report item minus ``source`` (the caller adds
capture provenance). See docs/schema.md for every field.
"""

from __future__ import annotations

import re
from typing import Any

from govcrawl.formats import format_of_year, template_of_year
from govcrawl.parser.chrome import is_chrome_line, remove_inline_widgets
from govcrawl.parser.division import division_fields
from govcrawl.parser.fidelity import fold_twins, restore_published
from govcrawl.parser.figures import narrative_figures, narrative_statements
from govcrawl.parser.metadata import (
    admin_level,
    find_agency,
    find_index_no,
    find_report_year,
    find_title,
    looks_like_report_title,
    published_date,
    read_header_fields,
)
from govcrawl.parser.normalise import (
    clean_whitespace,
    detect_script,
    fold_width,
    normalise_with_published,
    to_simplified,
)
from govcrawl.parser.sections import (
    break_inline_headings,
    find_headings,
    has_official_layout,
    has_table_sections,
    split_sections,
    table_section_spans,
)
from govcrawl.parser.tables import check_tables, figures_from_tables, read_standard_tables

#: Bumped whenever the items parse_report returns for the same input change.
PARSER_VERSION = "1.1.0"

__all__ = ["PARSER_VERSION", "ParseError", "empty_item", "parse_report"]

_HEADER_ZONE_MAX = 30
_BODY_LINE = re.compile(r"[。,].*[。,]")
_REPORT_WORDS = re.compile(r"信息公开.{0,40}?(?:年度报告|年报)|(?:年度报告|年报).{0,40}?信息公开", re.S)
_BINARY_SHARE = 0.02
#: where figures_from_tables reads each figure, for figure_notes[...]["evidence"]
_TABLE_EVIDENCE = {
    "applications_new_total": "表三 一、本年新收政府信息公开申请数量 总计",
    "applications_carried_total": "表三 二、上年结转政府信息公开申请数量 总计",
    "results_total": "表三 三、本年度办理结果 (七)总计 总计",
    "carried_next_total": "表三 四、结转下年度继续办理 总计",
    "granted_total": "表三 (一)予以公开 + (二)部分公开 总计",
    "review_total": "表四 行政复议 总计",
    "litigation_direct_total": "表四 行政诉讼 未经复议直接起诉 总计",
    "litigation_after_review_total": "表四 行政诉讼 复议后起诉 总计",
}
_CELL_SEPARATOR = "\x1f"
_CELL_SPACES = re.compile(r"[^\S\x1f]+")  # whitespace runs, as str.split() finds them, within a cell
_ODD_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")


class ParseError(ValueError):
    """The input is not text at all (bytes, binary garbage) or is empty."""


def empty_item() -> dict[str, Any]:
    """The schema-valid report item holding nothing (every field empty or unknown), ``source`` aside.

    ``parse_report`` fills one in; callers that cannot parse a capture fill in what they know and say why in
    ``flags``."""
    return {
        "url": None, "title": None, "agency": None, "admin_level": "unknown", "adcode": None,
        "division_level": None, "report_year": None,
        "published": None, "index_no": None, "script": "simplified", "format": format_of_year(None), "text": "",
        "sections": [], "tables": {}, "figures": {}, "figure_notes": {}, "checks": [], "flags": [],
        "attachments": [], "parser_version": PARSER_VERSION,
    }


def _check_input(text: Any) -> None:
    if not isinstance(text, str):
        raise ParseError(f"parse_report needs decoded text (str), got {type(text).__name__}")
    if not text.strip():
        raise ParseError("empty text: nothing to parse")
    sample = text[:20000]
    odd = len(_ODD_CHARACTERS.findall(sample))
    if odd / len(sample) > _BINARY_SHARE:
        raise ParseError(f"text looks binary ({odd} control/replacement characters in the first {len(sample)})")


def _normalise_meta(page_meta: dict | None, traditional: bool) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, value in (page_meta or {}).items():
        if value is None:
            continue
        value = fold_width(str(value)).strip()
        if traditional or detect_script(value) == "traditional":
            value = to_simplified(value)
        result[key] = value
    return result


def _normalise_grids(grids: list | None, traditional: bool) -> list | None:
    """Grid cells width-folded, converted to simplified when the page (or the grid itself) is traditional, and
    whitespace-collapsed (``" ".join(cell.split())``: the tables reader takes them as they are); grids without
    rows dropped."""
    if not grids:
        return grids
    cells = [str(cell or "") for grid in grids for row in grid for cell in row]
    joined = fold_width(_CELL_SEPARATOR.join(cells))
    if traditional or detect_script(joined) == "traditional":
        joined = to_simplified(joined)
    if joined.count(_CELL_SEPARATOR) == len(cells) - 1:  # one pass over all cells (no cell holds a separator)
        joined = _CELL_SPACES.sub(" ", joined).replace(" " + _CELL_SEPARATOR, _CELL_SEPARATOR)
        converted = iter(joined.replace(_CELL_SEPARATOR + " ", _CELL_SEPARATOR).strip(" ").split(_CELL_SEPARATOR))
    else:  # the converter touched a separator, or a cell holds one: go cell by cell
        converted = iter(" ".join((to_simplified(fold_width(cell)) if traditional else fold_width(cell)).split())
                         for cell in cells)
    return [[[next(converted) for _ in row] for row in grid] for grid in grids if grid]


def _header_zone(lines: list[str]) -> int:
    """Index of the first body line (a sentence-like line); the page header lies before it."""
    for index, line in enumerate(lines[:_HEADER_ZONE_MAX]):
        if len(line) >= 40 and _BODY_LINE.search(line):
            return index
    return min(len(lines), _HEADER_ZONE_MAX)


def _cells_to_pipes(line: str) -> str:
    """A tab-separated table row (how extraction renders <tr>) as a pipe row like the flattened text tables."""
    if "\t" not in line:
        return line
    return "| " + " | ".join(cell.strip() for cell in line.split("\t")) + " |"


def _rows_as_kept(published: str) -> str:
    """``published`` with its tab-separated table rows in the pipe form the kept text gives them (as
    ``_cells_to_pipes``, outer pipes stripped): restoring a kept table row is then one verbatim run, not a walk
    over every cell. The characters restored are the same: the pipes and spaces are the kept text's own."""
    if "\t" not in published:
        return published
    return "\n".join(_cells_to_pipes(line).strip(" |") if "\t" in line else line for line in published.split("\n"))


def _drop_table_rows(lines: list[str]) -> list[str]:
    """``lines`` without the table rows (2+ pipes) that sit inside the official table sections 二/三/四."""
    text = "\n".join(lines)
    spans = table_section_spans(text)
    if not spans:
        return lines
    kept, offset = [], 0
    for line in lines:
        inside = any(start <= offset < end for start, end in spans)
        if not (inside and line.count("|") >= 2):
            kept.append(line)
        offset += len(line) + 1
    return kept


def _dedupe_header(lines: list[str], body_start: int) -> list[str]:
    """Drop header lines repeating an earlier line (titles printed twice above the body)."""
    seen: set[str] = set()
    kept = []
    for index, line in enumerate(lines):
        if index < body_start and line and line in seen:
            continue
        seen.add(line)
        kept.append(line)
    return kept


def parse_report(
    text: str,
    *,
    url: str | None = None,
    grids: list | None = None,
    page_meta: dict | None = None,
    title_hint: str | None = None,
    source_kind: str | None = None,
) -> dict[str, Any]:
    """Parse one report's text into the report item (without ``source``).

    ``grids`` are table grids (rows of cell strings), ``page_meta`` the page's metadata (title, published,
    index_no, agency ... as raw strings), ``title_hint`` the link text that led to the page, ``source_kind`` the
    kind of document text and grids came from ("html", "pdf", "docx", "doc", "wps", "text"; labels the tables read from the
    grids, default "html"). Never raises on odd text: problems end up in ``checks`` and ``flags``. Raises
    :class:`ParseError` for non-text or empty input.
    """
    _check_input(text)
    # the text normalised for the patterns, and what the item's `text` keeps: the published characters (fidelity.py)
    normalised, script, published_text = normalise_with_published(text)
    meta = _normalise_meta(page_meta, script == "traditional")
    if title_hint:
        title_hint = _normalise_meta({"hint": title_hint}, script == "traditional").get("hint")

    raw_lines = [_cells_to_pipes(line) for line in normalised.split("\n")]
    header = read_header_fields(raw_lines, _header_zone(raw_lines))
    body_lines = [remove_inline_widgets(line) for index, line in enumerate(raw_lines)
                  if index not in header.line_numbers and not is_chrome_line(line)]
    body_lines = _dedupe_header(body_lines, _header_zone(body_lines))
    table_text = "\n".join(body_lines)

    title = find_title(body_lines, meta, title_hint, header)
    first_date, _ = published_date(meta, header, body_lines)
    report_year, year_from = find_report_year(title, table_text, first_date)
    published, _published_from = published_date(meta, header, body_lines, report_year)  # placeholders out
    agency = find_agency(title, meta, header, table_text, body_lines)

    tables_result = read_standard_tables(
        _normalise_grids(grids, script == "traditional") or None, table_text, source=source_kind, clean_cells=True,
        template_hint=None if report_year is None else template_of_year(report_year))
    tables: dict = tables_result.tables or {}
    template = tables_result.template if tables else None
    if tables:  # their numbers now live in `tables`
        body_lines = _drop_table_rows(body_lines)
    unbroken = clean_whitespace("\n".join(line.strip(" |") for line in body_lines))
    headings = find_headings(unbroken)
    clean_text = break_inline_headings(unbroken, headings)
    sections = split_sections(clean_text, headings if clean_text is unbroken else None)

    if tables and not {"t3_applications", "t4_review_litigation"} & set(tables) and not has_official_layout(
            sections):  # 表二-like rows of an old statistics appendix: not the 2019/2021 tables
        tables, template = {}, None
        tables_result.issues = ["only 表二-like rows, no 表三/表四 and no 2019/2021 sections: tables not taken"]
    if template == "gbf_2021":
        report_format = "2021"
    elif template == "gbf_2019":
        report_format = "2019"
    elif has_official_layout(sections):
        report_format = "2021" if format_of_year(report_year) == "2021" else "2019"
    else:
        report_format = "pre2019"

    figures: dict[str, int] = {}
    figure_notes: dict[str, dict] = {}
    narrative = narrative_figures(clean_text)
    for key, figure in narrative.items():
        figures[key] = figure.value
        figure_notes[key] = {"approximate": figure.approximate, "evidence": figure.evidence, "origin": "text"}
    if tables:
        for key, value in figures_from_tables(tables).items():
            if value is None or (isinstance(value, float) and not value.is_integer()):
                continue
            figures[key] = int(value)
            evidence = _TABLE_EVIDENCE.get(key, f"standard tables: {key}")
            figure_notes[key] = {"approximate": False, "evidence": f"{evidence} = {int(value)}", "origin": "table"}

    checks: list[dict] = []
    flags: list[str] = []
    if tables:
        checks.extend(check_tables(tables, template))
    if tables_result.issues:
        checks.append({"rule": "tables_read", "ok": False, "detail": "; ".join(tables_result.issues)})
        if any(issue.startswith("ambiguous_digits") for issue in tables_result.issues):
            flags.append("ambiguous_digits")  # cells left out rather than guessed
    if report_format in ("2019", "2021"):
        table_sections = has_table_sections(sections)
        ok = bool(tables) or not table_sections
        detail = (f"{len(tables)} standard tables read" if tables else
                  "sections 二/三/四 are present but hold no table content" if table_sections else
                  "no table sections found")
        checks.append({"rule": "tables_present", "ok": ok, "detail": detail})
        if not ok:
            flags.append("tables_missing")
    checks.append(_year_check(report_year, year_from, published or first_date))  # an early date still tells
    checks.append(_format_year_check(report_format, report_year))
    stated = {key: figure.value for key, figure in narrative_statements(clean_text, narrative).items()}
    if tables:  # every figure both the narrative and the tables state: flagged, never fixed
        from govcrawl.parser.tables.checks import narrative_checks

        checks.extend(narrative_checks(stated, figures_from_tables(tables)))
    elif report_format == "pre2019":  # an old statistics appendix: its this-year cells against the narrative
        from govcrawl.parser.tables.oldstats import statistics_checks

        checks.extend(statistics_checks(clean_text, stated))

    is_report = looks_like_report_title(title) or has_official_layout(sections) or bool(
        _REPORT_WORDS.search(clean_text[:5000]))
    if not is_report:
        flags.append("not_a_report")
    if not clean_text:
        flags.append("empty")
    if title is None:
        flags.append("title_missing")
    if report_year is None:
        flags.append("year_missing")

    published_rows = _rows_as_kept(published_text)
    folded_published = fold_twins(published_rows)  # shared by the text and every section
    item = empty_item()
    item.update({
        "url": url, "title": title, "agency": agency, "admin_level": admin_level(agency), **division_fields(agency),
        "report_year": report_year,
        "published": published, "index_no": find_index_no(meta, header), "script": script, "format": report_format,
        "text": restore_published(clean_text, published_rows, folded_published),
        "sections": [{**section, "text": restore_published(section["text"], published_rows, folded_published)}
                     if isinstance(section.get("text"), str) else section for section in sections],
        "tables": tables, "figures": figures, "figure_notes": figure_notes, "checks": checks, "flags": flags,
    })
    return item


def _year_check(report_year: int | None, year_from: str, published: str | None) -> dict:
    if report_year is None:
        return {"rule": "report_year_plausible", "ok": False, "detail": "no report year found"}
    if published is None:
        return {"rule": "report_year_plausible", "ok": True,
                "detail": f"report year {report_year} (from {year_from}); no publication date to compare"}
    lag = int(published[:4]) - report_year
    return {"rule": "report_year_plausible", "ok": 0 <= lag <= 2,
            "detail": f"report year {report_year} (from {year_from}), published {published}"}


def _format_year_check(report_format: str, report_year: int | None) -> dict:
    if report_year is None:
        return {"rule": "format_matches_year", "ok": True, "detail": "no report year to compare"}
    expected = format_of_year(report_year)
    ok = report_format == expected
    detail = f"{report_format} layout for a {report_year} report" + ("" if ok else f" (expected {expected})")
    return {"rule": "format_matches_year", "ok": ok, "detail": detail}
