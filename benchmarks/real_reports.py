"""The real report corpus (``shared/real``): truth per manifest entry, one item per file, per-field scoring.

Shared by ``tests/test_real_reports.py`` and ``benchmarks/bench_real.py`` so both measure the same thing. Every
item is built through :func:`govcrawl.report.build_item` (the one extract -> parse path). The manifest's labels are
semi-structured (``"四川省教育厅 (printed as …)"``); :func:`truth_of` turns one entry into comparable values.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from govcrawl.capture import Capture
from govcrawl.report import build_item

ROOT = Path(__file__).resolve().parents[1]
CONTENT_TYPES = {".html": "text/html", ".htm": "text/html", ".txt": "text/plain", ".pdf": "application/pdf"}
#: figure keys of the schema a label may give (``applications_total`` is the manifest's name for the narrative count)
FIGURE_KEYS = ("proactive_total", "applications_received", "applications_new_total", "applications_carried_total",
               "granted_total", "results_total", "carried_next_total", "review_total", "litigation_direct_total",
               "litigation_after_review_total")
FIGURE_ALIASES = {"applications_total": "applications_received"}
#: manifest row names of t3_rows_total_column -> template row keys (2021 template)
T3_ROWS = {
    "予以公开": "result_open", "部分公开": "result_partial", "国家秘密": "withheld_state_secret",
    "其他法律行政法规禁止公开": "withheld_other_law", "三安全一稳定": "withheld_three_security_one_stability",
    "第三方合法权益": "withheld_third_party", "三类内部事务": "withheld_internal_affairs",
    "四类过程性": "withheld_process_info", "行政执法案卷": "withheld_enforcement_file",
    "行政查询事项": "withheld_admin_query", "本机关不掌握": "unavailable_not_held",
    "没有现成信息需要另行制作": "unavailable_needs_creation", "补正后仍不明确": "unavailable_still_unclear",
    "信访举报投诉": "not_processed_petition", "重复申请": "not_processed_repeat",
    "公开出版物": "not_processed_publication", "无正当理由大量反复": "not_processed_mass_repeat",
    "要求确认或重新出具": "not_processed_confirm_reissue", "其他处理": "other_processing", "总计": "result_total",
}
T4_GROUPS = {"行政复议": "review", "未经复议直接起诉": "suit_direct", "复议后起诉": "suit_after_review"}
T4_COLUMNS = {"维持": "upheld", "纠正": "corrected", "其他": "other", "尚未审结": "pending", "总计": "total"}
#: checks that can flag an inconsistency the report itself publishes
INCONSISTENCY_RULES = ("t3_balance", "t3_result_total", "t3_row_total", "t4_group_totals", "narrative_matches_tables",
                       "narrative_matches_statistics")
_PAREN = re.compile(r"\s*\((.*)\)\s*$")
_PRINTED = re.compile(r"(?:printed as|body:|body heading)\s*([^;,)]+)")
_SPACES = re.compile(r"\s+")


def shared_dir() -> Path:
    """``$GOVCRAWL_SHARED``, else the ``shared`` folder beside the repository, else ``/work/shared``."""
    env = os.environ.get("GOVCRAWL_SHARED")
    if env:
        return Path(env)
    beside = ROOT.parent / "shared"
    return beside if (beside / "real").is_dir() else Path("/work/shared")


def real_dir() -> Path:
    return shared_dir() / "real"


@cache
def manifest() -> dict[str, Any]:
    return json.loads((real_dir() / "manifest.json").read_text(encoding="utf-8"))


def report_entries() -> list[dict[str, Any]]:
    """Manifest entries of kind ``report`` (HTML pages, archive texts, PDFs)."""
    return [entry for entry in manifest()["files"] if entry.get("kind") == "report"]


def _squash(text: str | None) -> str:
    return _SPACES.sub("", text or "")


def _names(label: str | None) -> list[str]:
    """``"A (printed as B; body: C)"`` -> [A, B, C]; ``"A"`` -> [A]."""
    if not label:
        return []
    match = _PAREN.search(label)
    head = label[: match.start()] if match else label
    names = [head.strip()]
    if match:
        names += [name.strip() for name in _PRINTED.findall(match.group(1))]
    return [_squash(name) for name in names if name.strip()]


@dataclass
class Truth:
    """What one manifest entry says the item must contain (None / empty: not labelled)."""

    file: str
    titles: list[str]
    agencies: list[str]
    report_year: int | None
    published: str | None
    format: str | None
    figures: dict[str, int] = field(default_factory=dict)
    t3_total_column: dict[str, int] = field(default_factory=dict)
    t4: dict[str, int] = field(default_factory=dict)
    inconsistencies: list[str] = field(default_factory=list)


def truth_of(entry: dict[str, Any]) -> Truth:
    """Comparable truth of a manifest entry. Agencies include the name the page prints where a re-hoster
    substituted it (a parser can only read what is printed) and the manifest's ``agency_aliases``."""
    agencies = _names(entry.get("agency")) + [_squash(a) for a in entry.get("agency_aliases") or []]
    figures: dict[str, int] = {}
    for key, value in (entry.get("figures") or {}).items():
        key = FIGURE_ALIASES.get(key, key)
        if key in FIGURE_KEYS and isinstance(value, int) and not isinstance(value, bool):
            figures[key] = value
    t3: dict[str, int] = {}
    for name, value in (entry.get("t3_rows_total_column") or {}).items():
        if isinstance(value, dict):
            for sub, sub_value in value.items():
                t3[T3_ROWS[sub]] = sub_value
        else:
            t3[T3_ROWS[name]] = value
    t4: dict[str, int] = {}
    raw_t4 = entry.get("t4") or {}
    for group, values in raw_t4.items():
        if group in T4_GROUPS:
            for column, value in zip(raw_t4["columns"], values, strict=True):
                t4[f"{T4_GROUPS[group]}_{T4_COLUMNS[column]}"] = value
    return Truth(
        file=entry["file"], titles=_names(entry.get("title")), agencies=list(dict.fromkeys(agencies)),
        report_year=entry.get("report_year"), published=entry.get("published"), format=entry.get("format"),
        figures=figures, t3_total_column=t3, t4=t4, inconsistencies=list(entry.get("known_inconsistencies") or []),
    )


def capture_of(path: Path) -> Capture:
    """A capture of a corpus file as a crawl would fetch it (the file name as the URL's last segment)."""
    return Capture(url=f"https://real.invalid/{path.parent.name}/{path.name}", body=path.read_bytes(),
                   content_type=CONTENT_TYPES.get(path.suffix.lower()))


@cache
def item_of(file: str) -> dict[str, Any]:
    """The item ``build_item`` makes of a corpus file (cached: tests and bench ask for each file many times)."""
    return build_item(capture_of(real_dir() / file))


def t3_total(item: dict[str, Any], row: str) -> Any:
    """The 总计 cell of a 表三 row; ``other_processing`` of a 2021 table is the sum of its three sub-rows."""
    values = ((item.get("tables") or {}).get("t3_applications") or {}).get("values") or {}
    if row == "other_processing" and row not in values:
        parts = [(values.get(sub) or {}).get("total") for sub in ("other_no_correction", "other_fee_unpaid",
                                                                   "other_other")]
        return sum(parts) if all(isinstance(p, int) for p in parts) else None
    return (values.get(row) or {}).get("total")


def t4_cell(item: dict[str, Any], column: str) -> Any:
    table = (item.get("tables") or {}).get("t4_review_litigation") or {}
    return ((table.get("values") or {}).get("counts") or {}).get(column)


def flagged_inconsistency(item: dict[str, Any]) -> bool:
    return any(not check["ok"] for check in item.get("checks", []) if check["rule"] in INCONSISTENCY_RULES)


def field_results(truth: Truth, item: dict[str, Any]) -> list[tuple[str, str, bool, Any, Any]]:
    """(field group, field name, ok, got, want) for every labelled field of one entry."""
    results: list[tuple[str, str, bool, Any, Any]] = []
    if truth.titles:
        got = _squash(item.get("title"))
        results.append(("title", "title", got in truth.titles, item.get("title"), truth.titles))
    if truth.agencies:
        got = _squash(item.get("agency"))
        results.append(("agency", "agency", got in truth.agencies, item.get("agency"), truth.agencies))
    for name in ("report_year", "published", "format"):
        want = getattr(truth, name)
        if want is not None:
            results.append((name, name, item.get(name) == want, item.get(name), want))
    for key, want in truth.figures.items():
        got = (item.get("figures") or {}).get(key)
        results.append(("figures", key, got == want, got, want))
    for row, want in truth.t3_total_column.items():
        got = t3_total(item, row)
        results.append(("t3_cells", row, got == want, got, want))
    for column, want in truth.t4.items():
        got = t4_cell(item, column)
        results.append(("t4_cells", column, got == want, got, want))
    if truth.inconsistencies:
        results.append(("inconsistencies", "flagged", flagged_inconsistency(item), None, truth.inconsistencies))
    return results


def all_results() -> list[tuple[str, str, str, bool, Any, Any]]:
    """(file, group, field, ok, got, want) over the whole report corpus."""
    rows = []
    for entry in report_entries():
        truth = truth_of(entry)
        for group, name, ok, got, want in field_results(truth, item_of(entry["file"])):
            rows.append((entry["file"], group, name, ok, got, want))
    return rows


_ORIGINAL_URL = re.compile(r"^原文链接:\s*(\S+)", re.M)


def archive_twins() -> list[tuple[str, str]]:
    """(archive text, HTML page) pairs of the same published report (the archive's 原文链接 is the page's URL)."""
    pages = {(e.get("site") or {}).get("url"): e["file"] for e in report_entries() if e["file"].endswith(".html")}
    pairs = []
    for entry in report_entries():
        if entry["file"].endswith(".txt"):
            match = _ORIGINAL_URL.search((real_dir() / entry["file"]).read_text(encoding="utf-8")[:2000])
            if match and match.group(1) in pages:
                pairs.append((entry["file"], pages[match.group(1)]))
    return pairs


def table_cells(item: dict[str, Any], keys: tuple[str, ...] = ("t3_applications", "t4_review_litigation")
                ) -> dict[str, Any]:
    """``table/row/column`` -> value of the standard tables ``keys`` of an item."""
    cells = {}
    for key in keys:
        for row, columns in (((item.get("tables") or {}).get(key) or {}).get("values") or {}).items():
            for column, value in columns.items():
                cells[f"{key}/{row}/{column}"] = value
    return cells


def twin_cell_results() -> list[tuple[str, str, bool, Any, Any]]:
    """(archive file, cell, ok, archive value, page value): 表三/表四 cells read from the flattened archive text
    against the same report's HTML ``<table>`` cells (every page cell counts; a cell the text lacks is a miss)."""
    rows = []
    for text_file, page_file in archive_twins():
        page, text = table_cells(item_of(page_file)), table_cells(item_of(text_file))
        for cell, want in page.items():
            rows.append((text_file, cell, text.get(cell) == want, text.get(cell), want))
    return rows


_SENTENCE_END = re.compile(r"(?<=[。！？；])")
_TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S | re.I)


def published_sentences(file: str, limit: int = 40) -> list[str]:
    """Sentences (10-80 characters, ending in 。！？；) of a real report as published: the archive text's body,
    or the HTML page's text with tags dropped and entities unescaped (taken evenly over the document)."""
    import html

    raw = (real_dir() / file).read_text(encoding="utf-8", errors="replace")
    if file.endswith(".txt"):
        raw = raw.split("正文", 1)[-1]
    else:
        raw = html.unescape(_TAGS.sub("\n", raw))
    sentences = []
    for line in raw.splitlines():
        for part in _SENTENCE_END.split(line):
            part = _SPACES.sub("", part)
            if 10 <= len(part) <= 80 and part.endswith(("。", "！", "？", "；")) and re.search(r"[\u4e00-\u9fff]", part):
                sentences.append(part)
    step = max(1, len(sentences) // limit)
    return sentences[::step][:limit]


def verbatim_results() -> list[tuple[str, str, bool]]:
    """(file, sentence, found verbatim in the item's text, whitespace aside) over the pingtan pages and texts."""
    rows = []
    for entry in report_entries():
        if "pingtan" in entry["file"]:
            text = _SPACES.sub("", item_of(entry["file"])["text"])
            rows.extend((entry["file"], s, s in text) for s in published_sentences(entry["file"]))
    return rows


LOCAL_REAL = ROOT / "tests" / "data" / "real"


def fixture_results() -> list[tuple[str, str, bool, Any, Any]]:
    """(file, field, ok, got, want) for the report texts in tests/data/real (reports_manifest.json): the values
    the peer project's tests assert and the values read by hand."""
    manifest_path = LOCAL_REAL / "reports_manifest.json"
    if not manifest_path.is_file():
        return []
    rows: list[tuple[str, str, bool, Any, Any]] = []
    for entry in json.loads(manifest_path.read_text(encoding="utf-8"))["files"]:
        path = LOCAL_REAL / entry["file"]
        item = build_item(Capture(url=f"https://real.invalid/{path.name}", body=path.read_bytes(),
                                  content_type="text/plain"))
        tables = item.get("tables") or {}
        expected = {k: v for k, v in (entry.get("expected_by_peer") or {}).items() if k != "test"}
        truth = entry.get("hand_read") or {}
        for table, values in {**expected, **truth.get("t2", {})}.items():
            for row, cells in values.items():
                for column, want in cells.items():
                    got = (((tables.get(table) or {}).get("values") or {}).get(row) or {}).get(column)
                    rows.append((entry["file"], f"{table}/{row}/{column}", got == want, got, want))
        for name in ("title", "agency", "report_year", "published", "format"):
            if name in truth:
                rows.append((entry["file"], name, item.get(name) == truth[name], item.get(name), truth[name]))
        for key, want in (truth.get("figures") or {}).items():
            got = (item.get("figures") or {}).get(key)
            rows.append((entry["file"], key, got == want, got, want))
        for row, want in (truth.get("t3_total_column") or {}).items():
            got = t3_total(item, row)
            rows.append((entry["file"], f"t3/{row}", got == want, got, want))
    return rows
