"""Mapping: read a block of rows (segmentation.py) onto one template table: rows -> template rows, columns ->
template columns, cells -> values.

``map_block`` finds data rows by their row labels (rightmost label cell first, enumeration and brackets ignored),
the header rows above them, and the data columns through the header labels, aligned in order to the template
columns (a truncated header such as 结果 still matches 结果纠正 in its place). Rectangular grids (HTML, PDF,
Markdown) are read by column position; flattened pipe text (spans dropped, columns shifted) is read through the
header tree: each group label (法人或其他组织, 行政诉讼, ...) is replaced by the labels of the next header row
(the header leaves and their alignment: :mod:`.headers`). A group's name is never matched onto one of its rows (:mod:`.rowgroups`: 其他处理 is not 3.其他).
Functions of a :class:`TableSpec` (frozen, hashable) cache with ``lru_cache``: the same labels and headers recur across reports; a block's reading of rows and columns is kept in a
per-page :class:`ReadMemo`, so bounding and mapping one block against a template reads it once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from govcrawl.parser.tables.headers import Leaf, align, aligned_leaves, flattened_leaves
from govcrawl.parser.tables.labels import EXACT, best_score, core
from govcrawl.parser.tables.rowgroups import FOLDED_ROW_SCORE, row_group
from govcrawl.parser.tables.segmentation import Block, Row, is_header_row, row_kind, row_labels
from govcrawl.parser.tables.spec import AMOUNT_COLUMNS, TableSpec, table_specs
from govcrawl.parser.tables.values import parse_cell, to_10k_yuan

_HEADER_UNIT = re.compile(r"单位(亿元|万元|元)|(亿元|万元|元)$")
_PLAIN_INT = re.compile(r"^\d+$")
_NOT_AMOUNT = object()  # in _read_values: the default unit of a column that holds no amount

@dataclass
class Mapped:
    """One block read against one template."""

    key: str
    table: dict[str, Any]
    score: float
    issues: list[str]


# ----------------------------------------------------------------------------------------------- rows
@lru_cache(maxsize=16384)
def _match_row(labels: tuple[str, ...], spec: TableSpec) -> tuple[str, int] | None:
    """The template row named by the rightmost matching label (parents break ties), with its score."""
    cores = tuple(core(label) for label in labels)
    for i in range(len(cores) - 1, -1, -1):
        if row_group(cores[i], spec) is not None:
            continue  # a group's name (其他处理) never names one of its rows (其他)
        scored = [(best_score(cores[i], r.cores), r) for r in spec.rows if r.label]
        top = max((s for s, _ in scored), default=0)
        if not top:
            continue
        tied = [r for s, r in scored if s == top]
        if len(tied) > 1:
            others = cores[:i]
            tied.sort(key=lambda r: -sum(1 for p in r.parents for o in others if best_score(o, (p,))))
        skipped = len(cores) - 1 - i  # labels right of the match that named no row: a weaker match
        return tied[0].key, max(top - skipped, 1)
    return None


# ----------------------------------------------------------------------------------------------- reading
@dataclass(frozen=True, eq=False)
class _Rows:
    """The mode-independent part of reading a block through one table spec: header and data rows."""

    header_rows: tuple[Row, ...]
    data_rows: tuple[tuple[str, Row, int], ...]  # (row key, cells, index where values start)
    score: float
    issues: tuple[str, ...]
    folded: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (group row key, the template rows it stands for)


class ReadMemo:
    """What one page's reading computed per (block, table spec) and per reading mode: the template bounds and
    the reads of both templates ask for the same rows and columns. Keys are identities (no hashing of a block's
    cells), so a memo serves one read of blocks that do not change meanwhile (``_read_blocks``)."""

    __slots__ = ("rows", "columns")

    def __init__(self) -> None:
        self.rows: dict[tuple[int, TableSpec], tuple[Block, _Rows]] = {}
        self.columns: dict[tuple[int, bool], tuple[_Rows, _Columns]] = {}

    def read_rows(self, block: Block, spec: TableSpec) -> _Rows:
        hit = self.rows.get((id(block), spec))
        if hit is None:
            hit = self.rows[(id(block), spec)] = (block, _read_rows(tuple(block.rows), spec))  # block kept alive
        return hit[1]

    def read_columns(self, rows: _Rows, spec: TableSpec, aligned: bool) -> _Columns:
        hit = self.columns.get((id(rows), aligned))  # a _Rows belongs to one spec
        if hit is None:
            hit = self.columns[(id(rows), aligned)] = (rows, _read_columns(rows, spec, aligned))
        return hit[1]


def _read_rows(block_rows: tuple[Row, ...], spec: TableSpec) -> _Rows:
    """Split a block's rows into header rows (above the first data row) and data rows named by their labels."""
    header_rows: list[Row] = []
    data_rows: list[tuple[str, Row, int]] = []
    row_score = 0.0
    is_t4 = spec.key == "t4_review_litigation"
    seen_rows: set[str] = set()
    issues: list[str] = []
    folded: list[tuple[str, tuple[str, ...]]] = []
    for cells in block_rows:
        if is_t4:
            if data_rows:
                continue
            texts = sum(1 for c in cells if c.strip() and not parse_cell(c).is_value)
            filled = sum(1 for c in cells if c.strip()) - texts
            if (len(cells) - texts >= 5 and texts <= 2 and not is_header_row(cells, spec)
                    and (filled >= 5 or (header_rows and filled >= 1))):
                _, end = row_labels(cells)
                data_rows.append(("counts", cells, end))
                row_score += EXACT
            else:
                header_rows.append(cells)
            continue
        labels, end = row_labels(cells)
        group = row_group(core(labels[-1]), spec) if labels else None
        if group is not None:  # a group's own row: its rows' total when it has values, else a heading
            valued = group[0] not in ("", *seen_rows) and any(parse_cell(c).is_value for c in cells[end:])
            match, folded = ((group[0], FOLDED_ROW_SCORE), [*folded, group]) if valued else (None, folded)
        else:
            match = _match_row(labels, spec) if labels and not is_header_row(cells, spec) else None
        if match is None:
            if not data_rows:
                header_rows.append(cells)
            continue
        key, score = match
        if key in seen_rows:
            issues.append(f"{spec.key}: row {key} appears twice; first kept")
            continue
        seen_rows.add(key)
        data_rows.append((key, cells, end))
        row_score += score
    if is_t4 and not data_rows:  # all-blank data row (blank zeros): the first empty row after a header row
        seen_header = False
        for cells in block_rows:
            if any(c.strip() for c in cells):
                seen_header = True
            elif seen_header and len(cells) >= 5:
                data_rows.append(("counts", cells, 0))
                header_rows = [r for r in header_rows if r is not cells]
                break
    for key, rows in [g for g in folded if seen_rows.intersection(g[1])]:  # its rows printed too: a heading
        folded.remove((key, rows))
        data_rows, row_score = [row for row in data_rows if row[0] != key], row_score - FOLDED_ROW_SCORE
    return _Rows(tuple(header_rows), tuple(data_rows), row_score, tuple(issues), tuple(folded))


@dataclass
class _Columns:
    """How one reading mode maps the header onto the template columns."""

    aligned: bool
    width: int
    leaves: tuple[Leaf, ...]
    mapping: Mapping[str, tuple[int, float]]
    by_position: bool

    def best_quality(self, rows: _Rows) -> float:
        """An upper bound of the quality ``_read_values`` can reach (every cell readable, none bad)."""
        col_score = sum(s for _, s in self.mapping.values()) if not self.by_position else 0.0
        return rows.score + col_score + (len(rows.data_rows) * len(self.mapping)) * 0.01  # as _read_values sums


def _read_columns(rows: _Rows, spec: TableSpec, aligned: bool) -> _Columns:
    """The column mapping of one reading mode (callers only read the result: a :class:`ReadMemo` shares it)."""
    width = max((len(r) for r in rows.header_rows), default=0)
    if aligned:
        leaves = aligned_leaves(rows.header_rows, spec, width)
    else:
        leaves = flattened_leaves(rows.header_rows, spec)
    mapping = align(leaves, spec)
    by_position = bool(not mapping and rows.data_rows)
    if by_position:
        leaves = tuple((i, col.cores[0], col.groups) for i, col in enumerate(spec.columns))
        mapping = {col.key: (i, 1.0) for i, col in enumerate(spec.columns)}
        aligned = False
    return _Columns(aligned, width, leaves, mapping, by_position)


def _read_values(rows: _Rows, columns: _Columns, spec: TableSpec, source: str
                 ) -> tuple[dict[str, Any], float, list[str]]:
    """The values of the data rows under the column mapping; returns (table, quality, issues)."""
    issues = list(rows.issues)
    leaves, mapping, by_position, aligned, width = (columns.leaves, columns.mapping, columns.by_position,
                                                    columns.aligned, columns.width)
    if by_position:
        issues.append(f"{spec.key}: no readable header; columns taken by position")
    ordinal = {pos: n for n, (pos, _, _) in enumerate(leaves)}
    header_units = {key: _header_unit(leaves, pos) for key, (pos, _) in mapping.items() if key in AMOUNT_COLUMNS}

    values: dict[str, dict[str, Any]] = {}
    blank: list[list[str]] = []
    raw: dict[str, dict[str, str]] = {}
    units: dict[str, dict[str, str]] = {}
    good = bad = 0
    n_leaves = len(leaves)
    spec_unit = "万元" if spec.unit == "万元" else None
    # per column, once: (key, grid position, value position, the unit an amount takes when its cell has none)
    plan = [(col_key, pos, pos if by_position else ordinal[pos], (header_units.get(col_key) or spec_unit)
             if col_key in AMOUNT_COLUMNS else _NOT_AMOUNT) for col_key, (pos, _) in mapping.items()]
    for row_key, cells, end in rows.data_rows:
        row_values: dict[str, Any] = {}
        same_shape = aligned and len(cells) == width
        tail = cells[end:]
        if aligned and not same_shape and len(tail) > n_leaves:
            tail = tail[len(tail) - n_leaves:]  # another grid's row (next PDF page): data columns sit right
        for col_key, pos, n, default_unit in plan:
            if same_shape:
                text = cells[pos] if pos < width else ""
            elif n >= len(tail):
                issues.append(f"{spec.key}: row {row_key} has no cell for column {col_key}")
                continue
            else:
                text = tail[n]
            kind, value, cell_unit, keep_raw = _cell_read(text)
            if kind == "blank":
                blank.append([row_key, col_key])
                good += 1
            elif kind == "text":
                bad += 1
                issues.append(f"{spec.key}: cell {row_key}/{col_key} {text!r} is not a number")
                raw.setdefault(row_key, {})[col_key] = text
            else:
                good += 1
                if keep_raw:
                    raw.setdefault(row_key, {})[col_key] = text
                if value is not None and kind == "number" and default_unit is not _NOT_AMOUNT:
                    unit = cell_unit or default_unit
                    if unit:
                        value = to_10k_yuan(value, unit)
                    units.setdefault(row_key, {})[col_key] = unit or "unspecified (taken as 万元)"
            row_values[col_key] = value
        values[row_key] = row_values
    is_t4 = spec.key == "t4_review_litigation"
    table: dict[str, Any] = {
        "template": spec.template_id,
        "values": values,
        "blank_cells": blank,
        "units": units,
        "missing_rows": [r.key for r in spec.rows if r.key not in values and (r.label or is_t4)
                         and not any(r.key in group for _, group in rows.folded)],
        "missing_columns": [c.key for c in spec.columns if c.key not in mapping],
        "source": source,
    }
    if raw:
        table["raw_cells"] = raw
    if rows.folded:
        table["folded_rows"] = {key: list(group) for key, group in rows.folded}
    col_score = sum(s for _, s in mapping.values()) if not by_position else 0.0
    quality = rows.score + col_score + good * 0.01 - bad * 3
    return table, quality, issues


@lru_cache(maxsize=4096)
def _cell_read(text: str) -> tuple[str, int | float | None, str | None, bool]:
    """(kind, value, unit, keep the text in raw_cells: anything but a plain integer) of a cell."""
    cell = parse_cell(text)
    return cell.kind, cell.value, cell.unit, cell.kind != "number" or _PLAIN_INT.match(text.strip()) is None


def _header_unit(leaves: tuple[Leaf, ...], pos: int) -> str | None:
    for p, leaf, _ in leaves:
        if p == pos:
            m = _HEADER_UNIT.search(leaf)
            return (m[1] or m[2]) if m else None
    return None


def _keys(block: Block, specs: dict[str, TableSpec]) -> list[str]:
    if block.kind == "t2":
        if block.key:
            keys = [block.key]
        else:  # named by its row labels; all t2 tables only when no row label is known
            named = {row_kind(cells) for cells in block.rows} - {None}
            keys = [k for k in specs if k.startswith("t2") and (k in named or not named)]
        return [k for k in keys if k in specs]
    return ["t3_applications" if block.kind == "t3" else "t4_review_litigation"]


def _rectangular(block: Block) -> bool:
    first_grid = block.row_grids[0] if block.row_grids else None
    return len({len(r) for r, g in zip(block.rows, block.row_grids, strict=True) if g == first_grid}) == 1


def quality_bound(block: Block, template_id: str, memo: ReadMemo | None = None) -> float:
    """An upper bound of ``map_block(block, template_id).score`` (0 when it maps nothing), without reading cells.
    ``memo``: share the rows and columns read with later calls on the same, unchanged blocks."""
    specs = table_specs(template_id)
    memo = memo or ReadMemo()
    bound = 0.0
    for key in _keys(block, specs):
        rows = memo.read_rows(block, specs[key])
        if rows.data_rows:
            for aligned in (True, False):
                bound = max(bound, memo.read_columns(rows, specs[key], aligned).best_quality(rows))
    return bound


def map_block(block: Block, template_id: str, source: str, memo: ReadMemo | None = None) -> Mapped | None:
    """Read one block against one template (choosing the t2 table and the reading mode that fit best);
    ``memo`` as for :func:`quality_bound`."""
    specs = table_specs(template_id)
    memo = memo or ReadMemo()
    best: Mapped | None = None
    modes = [True, False] if _rectangular(block) else [False, True]
    for key in _keys(block, specs):
        spec = specs[key]
        rows = memo.read_rows(block, spec)
        if not rows.data_rows:
            continue  # no values in either mode
        for aligned in modes:
            columns = memo.read_columns(rows, spec, aligned)
            if best is not None and columns.best_quality(rows) <= best.score:
                # cannot beat the best read so far, whatever its cells hold (same outcome as reading it)
                if aligned and len(columns.mapping) == len(spec.columns):
                    break
                continue
            table, quality, issues = _read_values(rows, columns, spec, source)
            if best is None or quality > best.score:
                best = Mapped(key, table, quality, issues)
            if aligned and not table["missing_columns"]:
                break  # a clean positional read: no need to try the flattened reading
    return best
