"""Segmentation: find the standard tables in grids by their labels, as blocks of rows.

``segment`` cuts the stream of grid rows into blocks, one per standard table, at anchor rows (第二十条第（X）项
subtitles, 申请人情况 / 勾稽关系 for table 三, 行政复议+行政诉讼 for table 四); a block may continue into the next
grid (a table split over several ``<table>`` elements or PDF pages). Rows with no anchor join the block their
row label names. ``mapping.py`` then reads each block onto a template. The row helpers here (labels of a row,
which table a row label names, header rows) are shared with the mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from govcrawl.parser.tables.labels import LABEL_COLUMN_HEADERS, core, fold
from govcrawl.parser.tables.spec import TableSpec, exact_row_index, table_specs
from govcrawl.parser.tables.values import parse_cell

Grid = list[list[str]]
Row = tuple[str, ...]

_T2_SUBTITLE = re.compile(r"第二十条第\(?([一二三四五六七八九十])\)?项")
_T2_KEYS = {"一": "t2_art20_1", "五": "t2_art20_5", "六": "t2_art20_6", "八": "t2_art20_8", "九": "t2_art20_9"}
_END_WORDS = ("主动公开政府信息情况", "存在的主要问题", "其他需要报告的事项", "总体情况")
_SECTION_HEADING = re.compile(r"^[一二三四五六七八九十]+、.*情况$")


@dataclass
class Block:
    """Rows believed to belong to one standard table."""

    kind: str  # "t2" | "t3" | "t4"
    key: str | None
    rows: list[Row] = field(default_factory=list)
    grids: set[int] = field(default_factory=set)
    row_grids: list[int] = field(default_factory=list)  # grid index of each row


# ----------------------------------------------------------------------------------------------- row helpers
@lru_cache(maxsize=32768)
def row_labels(cells: Row) -> tuple[tuple[str, ...], int]:
    """Label cells of a row (non-empty text cells before the first non-empty value) and where values start."""
    labels: list[str] = []
    end = 0
    for i, cell in enumerate(cells):
        if not cell.strip():
            continue
        if parse_cell(cell).is_value:
            break
        if not labels or core(labels[-1]) != core(cell):
            labels.append(cell)
        end = i + 1
    return tuple(labels), end


@lru_cache(maxsize=32768)
def row_kind(cells: Row) -> str | None:
    """Which table a data row's label belongs to (exact label match in either template; cached like
    ``row_labels``: segmentation asks again for every row of a block)."""
    labels, _ = row_labels(cells)
    index = exact_row_index()
    for label in reversed(labels):
        key = index.get(core(label))
        if key is not None:
            return key
    return None


@lru_cache(maxsize=32768)
def is_header_row(cells: Row, spec: TableSpec) -> bool:
    """A column-header row: no value in it (number, 无, /) and a label-column header or two exact column/group
    labels of ``spec``."""
    hits = set()
    label_header = False
    for cell in cells:
        if not cell.strip():
            continue
        if parse_cell(cell).is_value:
            return False
        c = core(cell)
        if c in LABEL_COLUMN_HEADERS:
            label_header = True
        elif c in spec.group_cores or c in spec.exact_columns:
            hits.add(c)
    return label_header or len(hits) >= 2


# ----------------------------------------------------------------------------------------------- segmenting
@lru_cache(maxsize=32768)
def _anchor(cells: Row) -> tuple[str, str | None] | str | None:
    joined = fold("".join(cells))
    if not joined:
        return None
    match = _T2_SUBTITLE.search(joined)
    if match and len(joined) <= 40:
        return ("t2", _T2_KEYS.get(match[1]))
    if ("申请人情况" in joined or "勾稽关系" in joined or "收到和处理政府信息公开申请" in joined
            or ("自然人" in joined and ("法人" in joined or "商业企业" in joined))):
        return ("t3", None)
    if ("行政复议" in joined and ("行政诉讼" in joined or "结果维持" in joined)) or (
            "结果维持" in joined and "总计" in joined):
        return ("t4", None)
    if any(word in joined for word in _END_WORDS):
        return "end"
    return None


def segment(grids: list[Grid]) -> list[Block]:
    """Cut the rows of all grids into blocks, one per standard table occurrence."""
    blocks: list[Block] = []
    current: Block | None = None

    def start(kind: str, key: str | None) -> Block:
        block = Block(kind, key)
        blocks.append(block)
        return block

    for gi, grid in enumerate(grids):
        first = True
        for row in grid:
            cells = tuple(row)
            if not any(c.strip() for c in cells):
                if current is not None and current.kind == "t4" and current.rows and not _has_data(current):
                    current.rows.append(cells)  # an all-blank data row: zeros left blank
                    current.row_grids.append(gi)
                continue
            anchor = _anchor(cells)
            if anchor == "end":
                current, first = None, False
                continue
            if isinstance(anchor, tuple):
                kind, key = anchor
                same = current is not None and current.kind == kind
                repeated_header = same and kind != "t2" and not _SECTION_HEADING.match(fold("".join(cells)))
                data_seen = current is not None and _has_data(current) and not repeated_header
                if not same or data_seen or (key and current.key not in (None, key)):
                    current = start(kind, key)
                elif key:
                    current.key = key
                if kind != "t2" and not _SECTION_HEADING.match(fold("".join(cells))):
                    current.rows.append(cells)
                    current.row_grids.append(gi)
                current.grids.add(gi)
                first = False
                continue
            if current is not None and first and gi not in current.grids and not _continues(current, cells):
                current = None
            first = False
            row_key = row_kind(cells)
            if current is None or (current.kind == "t2" and row_key and row_key.startswith("t2")
                                   and current.key and row_key != current.key and _has_data(current)):
                if row_key is None and not any(fold(c) in LABEL_COLUMN_HEADERS for c in cells):
                    continue
                kind = "t2" if (row_key is None or row_key.startswith("t2")) else row_key[:2]
                current = start(kind, None)
            current.rows.append(cells)
            current.row_grids.append(gi)
            current.grids.add(gi)
    return [b for b in blocks if b.rows]


def _has_data(block: Block) -> bool:
    """Has the block got a data row yet (a header row ending in 总计 is not one)?"""
    if block.kind == "t4":
        return any(_t4_data_like(r) for r in block.rows)
    if block.kind == "t3":
        spec = _family_spec("t3")
        return any(row_kind(r) and not is_header_row(r, spec) for r in block.rows)
    return any(row_kind(r) for r in block.rows)


def _family_spec(kind: str) -> TableSpec:
    return table_specs("gbf_2021")["t3_applications" if kind == "t3" else "t4_review_litigation"]


def _t4_data_like(cells: Row) -> bool:
    values = [c for c in cells if c.strip() and parse_cell(c).is_value]
    return len(values) >= 5


def _continues(block: Block, cells: Row) -> bool:
    """Does the first row of a new grid continue ``block`` (split table, next PDF page)?"""
    key = row_kind(cells)
    if key is not None:
        return key[:2] == block.kind and (block.kind != "t2" or block.key in (None, key))
    if block.kind in ("t3", "t4") and is_header_row(cells, _family_spec(block.kind)):
        return True
    return block.kind == "t4" and not _has_data(block) and _t4_data_like(cells)
