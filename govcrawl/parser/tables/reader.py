"""Grid -> template mapping: find the standard tables in grids by their labels and read their values.

Steps: (1) ``segment`` cuts the stream of grid rows into blocks, one per standard table, at anchor rows
(第二十条第（X）项 subtitles, 申请人情况 / 勾稽关系 for table 三, 行政复议+行政诉讼 for table 四); a block may
continue into the next grid (a table split over several ``<table>`` elements or PDF pages). (2) ``map_block``
finds data rows by their row labels (rightmost label cell first, enumeration and brackets ignored), the header
rows above them, and the data columns through the header labels, aligned in order to the template columns
(a truncated header such as 结果 still matches 结果纠正 in its place). Rectangular grids (HTML, PDF, Markdown)
are read by column position; flattened pipe text (spans dropped, columns shifted) is read through the header
tree: each group label (法人或其他组织, 行政诉讼, ...) is replaced by the labels of the next header row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from govcrawl.parser.tables.labels import EXACT, LABEL_COLUMN_HEADERS, PARTIAL, best_score, core, fold
from govcrawl.parser.tables.spec import AMOUNT_COLUMNS, TableSpec, exact_row_index, table_specs
from govcrawl.parser.tables.values import parse_cell, to_10k_yuan

Grid = list[list[str]]

_T2_SUBTITLE = re.compile(r"第二十条第\(?([一二三四五六七八九十])\)?项")
_T2_KEYS = {"一": "t2_art20_1", "五": "t2_art20_5", "六": "t2_art20_6", "八": "t2_art20_8", "九": "t2_art20_9"}
_END_WORDS = ("主动公开政府信息情况", "存在的主要问题", "其他需要报告的事项", "总体情况")
_HEADER_UNIT = re.compile(r"单位(亿元|万元|元)|(亿元|万元|元)$")
_PLAIN_INT = re.compile(r"^\d+$")
_SECTION_HEADING = re.compile(r"^[一二三四五六七八九十]+、.*情况$")


@dataclass
class Block:
    """Rows believed to belong to one standard table."""

    kind: str  # "t2" | "t3" | "t4"
    key: str | None
    rows: list[tuple[str, ...]] = field(default_factory=list)
    grids: set[int] = field(default_factory=set)
    row_grids: list[int] = field(default_factory=list)  # grid index of each row
    memo: dict[tuple, Any] = field(default_factory=dict, repr=False, compare=False)  # per-spec reads (rows fixed)


@dataclass
class Mapped:
    """One block read against one template."""

    key: str
    table: dict[str, Any]
    score: float
    issues: list[str]


# ----------------------------------------------------------------------------------------------- segmenting
def _anchor(cells: list[str]) -> tuple[str, str | None] | str | None:
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


def row_labels(cells: list[str] | tuple[str, ...]) -> tuple[list[str], int]:
    """Label cells of a row (non-empty text cells before the first non-empty value) and where values start."""
    labels, end = _row_labels(tuple(cells))
    return list(labels), end


@lru_cache(maxsize=32768)
def _row_labels(cells: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
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


def _row_kind(cells: list[str]) -> str | None:
    """Which table a data row's label belongs to (exact label match in either template)."""
    labels, _ = row_labels(cells)
    index = exact_row_index()
    for label in reversed(labels):
        key = index.get(core(label))
        if key is not None:
            return key
    return None


def _is_header_row(cells: list[str] | tuple[str, ...], spec: TableSpec) -> bool:
    """A column-header row: no value in it and a label-column header or two exact column/group labels."""
    cells = tuple(cells)
    return not _has_value(cells) and _is_header_row_cached(cells, spec.template_id, spec.key)


@lru_cache(maxsize=32768)
def _has_value(cells: tuple[str, ...]) -> bool:
    """Does any non-blank cell read as a value (number, 无, /)? Such a row is never a header row."""
    return any(cell.strip() and parse_cell(cell).is_value for cell in cells)


@lru_cache(maxsize=32768)
def _is_header_row_cached(cells: tuple[str, ...], template_id: str, table_key: str) -> bool:
    spec = table_specs(template_id)[table_key]
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
            row_key = _row_kind(cells)
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
        return any(_row_kind(r) and not _is_header_row(r, spec) for r in block.rows)
    return any(_row_kind(r) for r in block.rows)


def _family_spec(kind: str) -> TableSpec:
    return table_specs("gbf_2021")["t3_applications" if kind == "t3" else "t4_review_litigation"]


def _t4_data_like(cells: list[str]) -> bool:
    values = [c for c in cells if c.strip() and parse_cell(c).is_value]
    return len(values) >= 5


def _continues(block: Block, cells: list[str]) -> bool:
    """Does the first row of a new grid continue ``block`` (split table, next PDF page)?"""
    row_key = _row_kind(cells)
    if row_key is not None:
        return row_key[:2] == block.kind and (block.kind != "t2" or block.key in (None, row_key))
    if block.kind in ("t3", "t4") and _is_header_row(cells, _family_spec(block.kind)):
        return True
    return block.kind == "t4" and not _has_data(block) and _t4_data_like(cells)


# ----------------------------------------------------------------------------------------------- mapping
def _match_row(labels: list[str], spec: TableSpec) -> tuple[str, int] | None:
    return _match_row_cores(tuple(core(label) for label in labels), spec.template_id, spec.key)


@lru_cache(maxsize=16384)
def _match_row_cores(cores: tuple[str, ...], template_id: str, table_key: str) -> tuple[str, int] | None:
    """The template row named by the rightmost matching label (parents break ties), with its score."""
    spec = table_specs(template_id)[table_key]
    for i in range(len(cores) - 1, -1, -1):
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


def _column_match(leaf: str, groups: tuple[str, ...], col, spec: TableSpec) -> float:
    score = best_score(leaf, col.cores)
    if not score:
        return 0.0
    for group in groups:
        if group in spec.group_cores:
            score += 0.5 if group in col.groups else -1.5
    return max(score, 0.1)


def _align(leaves: list[tuple[int, str, tuple[str, ...]]], spec: TableSpec) -> dict[str, tuple[int, float]]:
    """Header leaves -> template columns (cached: the same headers recur across reports)."""
    return dict(_align_cached(tuple(leaves), spec.template_id, spec.key))


@lru_cache(maxsize=4096)
def _align_cached(leaves: tuple[tuple[int, str, tuple[str, ...]], ...], template_id: str, table_key: str
                  ) -> dict[str, tuple[int, float]]:
    """Header leaves -> template columns: col key -> (position, score).

    A column whose label is unique in the template and matches exactly one leaf exactly is taken wherever it
    stands (columns may come in any order); the rest (repeated labels such as table 四's 结果维持/总计, and
    truncated labels) are aligned in order, group labels breaking ties.
    """
    spec = table_specs(template_id)[table_key]
    out: dict[str, tuple[int, float]] = {}
    label_counts: dict[str, int] = {}
    for col in spec.columns:
        label_counts[col.cores[0]] = label_counts.get(col.cores[0], 0) + 1
    taken: set[int] = set()
    for col in spec.columns:
        if label_counts[col.cores[0]] != 1:
            continue
        exact = [i for i, (_, leaf, _) in enumerate(leaves) if best_score(leaf, col.cores) == EXACT]
        if len(exact) == 1 and exact[0] not in taken:
            taken.add(exact[0])
            out[col.key] = (leaves[exact[0]][0], float(EXACT))
    rest_leaves = [leaf for i, leaf in enumerate(leaves) if i not in taken]
    rest_columns = [col for col in spec.columns if col.key not in out]
    out.update(_align_in_order(rest_leaves, rest_columns, spec))
    return out


def _align_in_order(leaves: list[tuple[int, str, tuple[str, ...]]], columns: list, spec: TableSpec
                    ) -> dict[str, tuple[int, float]]:
    """Order-preserving best alignment (dynamic programming over leaves x columns)."""
    n, m = len(leaves), len(columns)
    scores = [[_column_match(leaf, groups, col, spec) for col in columns] for _, leaf, groups in leaves]
    dp = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best = max(dp[i - 1][j], dp[i][j - 1])
            s = scores[i - 1][j - 1]
            if s > 0:
                best = max(best, dp[i - 1][j - 1] + s)
            dp[i][j] = best
    out: dict[str, tuple[int, float]] = {}
    i, j = n, m
    while i > 0 and j > 0:
        s = scores[i - 1][j - 1]
        if s > 0 and dp[i][j] == dp[i - 1][j - 1] + s:
            out[columns[j - 1].key] = (leaves[i - 1][0], s)
            i, j = i - 1, j - 1
        elif dp[i][j] == dp[i - 1][j]:
            i -= 1
        else:
            j -= 1
    return out


def _relevant(c: str, spec: TableSpec) -> bool:
    if not c or c in LABEL_COLUMN_HEADERS:
        return False
    return any(best_score(c, col.cores) for col in spec.columns) or any(best_score(c, (g,)) for g in spec.group_cores)


def _group_of(c: str, spec: TableSpec) -> str | None:
    for g in spec.group_cores:
        if c == g:
            return g
    if any(best_score(c, col.cores) == EXACT for col in spec.columns):
        return None
    for g in spec.group_cores:
        if best_score(c, (g,)) >= PARTIAL:
            return g
    return None


def _aligned_leaves(header_rows: list, spec: TableSpec, width: int) -> list[tuple[int, str, tuple]]:
    """Per grid column: the header leaf label (lowest label matching a template column) and its group path."""
    return list(_aligned_leaves_cached(tuple(map(tuple, header_rows)), spec.template_id, spec.key, width))


@lru_cache(maxsize=4096)
def _aligned_leaves_cached(header_rows: tuple[tuple[str, ...], ...], template_id: str, table_key: str,
                           width: int) -> tuple[tuple[int, str, tuple], ...]:
    spec = table_specs(template_id)[table_key]
    leaves = []
    for j in range(width):
        path: list[str] = []
        for row in header_rows:
            c = core(row[j]) if j < len(row) else ""
            if c and (not path or path[-1] != c):
                path.append(c)
        for k in range(len(path) - 1, -1, -1):
            if k > 0:  # a label split over two header rows: 商业 / 企业
                joined = path[k - 1] + path[k]
                if any(best_score(joined, col.cores) == EXACT for col in spec.columns):
                    leaves.append((j, joined, tuple(path[:k - 1])))
                    break
            if path[k] not in LABEL_COLUMN_HEADERS and any(best_score(path[k], col.cores) for col in spec.columns):
                leaves.append((j, path[k], tuple(path[:k])))
                break
    return tuple(leaves)


def _flattened_leaves(header_rows: list, spec: TableSpec) -> list[tuple[int, str, tuple]]:
    """Leaf labels of a flattened header, in value order, through the template's group tree."""
    return list(_flattened_leaves_cached(tuple(map(tuple, header_rows)), spec.template_id, spec.key))


@lru_cache(maxsize=4096)
def _flattened_leaves_cached(header_rows: tuple[tuple[str, ...], ...], template_id: str, table_key: str
                             ) -> tuple[tuple[int, str, tuple], ...]:
    spec = table_specs(template_id)[table_key]
    seq: list[tuple[str, tuple[str, ...]]] | None = None
    for row in header_rows:
        labels = []
        for cell in row:
            c = core(cell)
            if _relevant(c, spec):
                labels.append(c)
        if not labels:
            continue
        if seq is None:
            seq = [(c, ()) for c in labels]
            continue
        if not any(_group_of(c, spec) for c, _ in seq):
            break  # nothing left to expand: a repeated header
        pending = iter(labels)
        new: list[tuple[str, tuple[str, ...]]] = []
        for c, groups in seq:
            group = _group_of(c, spec)
            if group is None:
                new.append((c, groups))
                continue
            for _ in range(spec.children.get(group, 0)):
                nxt = next(pending, None)
                if nxt is None:
                    break
                new.append((nxt, (*groups, group)))
        new.extend((c, ()) for c in pending)
        seq = new
    return tuple((i, c, groups) for i, (c, groups) in enumerate(seq or []))


@dataclass
class _Rows:
    """The mode-independent part of reading a block through one table spec: header and data rows."""

    header_rows: list[tuple[str, ...]]
    data_rows: list[tuple[str, tuple[str, ...], int]]
    score: float
    issues: list[str]


def _read_rows(block: Block, spec: TableSpec) -> _Rows:
    """Split the block's rows into header rows (above the first data row) and data rows named by their labels."""
    memo_key = ("rows", spec.template_id, spec.key, len(block.rows))
    rows = block.memo.get(memo_key)
    if rows is None:
        rows = block.memo[memo_key] = _read_rows_uncached(block, spec)
    return rows


def _read_rows_uncached(block: Block, spec: TableSpec) -> _Rows:
    header_rows: list[tuple[str, ...]] = []
    data_rows: list[tuple[str, tuple[str, ...], int]] = []
    row_score = 0.0
    is_t4 = spec.key == "t4_review_litigation"
    seen_rows: set[str] = set()
    issues: list[str] = []
    for cells in block.rows:
        if is_t4:
            if data_rows:
                continue
            texts = sum(1 for c in cells if c.strip() and not parse_cell(c).is_value)
            filled = sum(1 for c in cells if c.strip()) - texts
            if (len(cells) - texts >= 5 and texts <= 2 and not _is_header_row(cells, spec)
                    and (filled >= 5 or (header_rows and filled >= 1))):
                _, end = _row_labels(cells)
                data_rows.append(("counts", cells, end))
                row_score += EXACT
            else:
                header_rows.append(cells)
            continue
        labels, end = _row_labels(cells)
        match = _match_row(labels, spec) if labels and not _is_header_row(cells, spec) else None
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
        for cells in block.rows:
            if any(c.strip() for c in cells):
                seen_header = True
            elif seen_header and len(cells) >= 5:
                data_rows.append(("counts", cells, 0))
                header_rows = [r for r in header_rows if r is not cells]
                break
    return _Rows(header_rows, data_rows, row_score, issues)


@dataclass
class _Columns:
    """How one reading mode maps the header onto the template columns."""

    aligned: bool
    width: int
    leaves: list[tuple[int, str, tuple]]
    mapping: dict[str, tuple[int, float]]
    by_position: bool

    def best_quality(self, rows: _Rows) -> float:
        """An upper bound of the quality ``_read_values`` can reach (every cell readable, none bad)."""
        col_score = sum(s for _, s in self.mapping.values()) if not self.by_position else 0.0
        return rows.score + col_score + (len(rows.data_rows) * len(self.mapping)) * 0.01  # as _read_values sums


def _read_columns(rows: _Rows, spec: TableSpec, aligned: bool) -> _Columns:
    width = max((len(r) for r in rows.header_rows), default=0)
    if aligned:
        leaves = _aligned_leaves(rows.header_rows, spec, width)
    else:
        leaves = _flattened_leaves(rows.header_rows, spec)
    mapping = _align(leaves, spec)
    by_position = bool(not mapping and rows.data_rows)
    if by_position:
        leaves = [(i, col.cores[0], col.groups) for i, col in enumerate(spec.columns)]
        mapping = {col.key: (i, 1.0) for i, col in enumerate(spec.columns)}
        aligned = False
    return _Columns(aligned, width, leaves, mapping, by_position)


def _read(block: Block, spec: TableSpec, aligned: bool, source: str) -> tuple[dict[str, Any], float, list[str]]:
    """Read the block's values through ``spec`` in one mode; returns (table, quality, issues)."""
    rows = _read_rows(block, spec)
    return _read_values(rows, _read_columns(rows, spec, aligned), spec, source)


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
    for row_key, cells, end in rows.data_rows:
        row_values: dict[str, Any] = {}
        same_shape = aligned and len(cells) == width
        tail = cells[end:]
        if aligned and not same_shape and len(tail) > n_leaves:
            tail = tail[len(tail) - n_leaves:]  # another grid's row (next PDF page): data columns sit right
        for col_key, (pos, _) in mapping.items():
            if same_shape:
                text = cells[pos] if pos < len(cells) else ""
            else:
                n = ordinal[pos] if not by_position else pos
                if n >= len(tail):
                    issues.append(f"{spec.key}: row {row_key} has no cell for column {col_key}")
                    continue
                text = tail[n]
            cell = parse_cell(text)
            value = cell.value
            kind = cell.kind
            if kind == "blank":
                blank.append([row_key, col_key])
            elif kind == "text":
                bad += 1
                issues.append(f"{spec.key}: cell {row_key}/{col_key} {text!r} is not a number")
                raw.setdefault(row_key, {})[col_key] = text
            elif kind != "number" or not _is_plain_int(text):
                raw.setdefault(row_key, {})[col_key] = text
            if kind != "text":
                good += 1
            if value is not None and kind == "number" and col_key in AMOUNT_COLUMNS:
                unit = cell.unit or header_units.get(col_key) or ("万元" if spec.unit == "万元" else None)
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
        "missing_rows": [r.key for r in spec.rows if r.key not in values and (r.label or is_t4)],
        "missing_columns": [c.key for c in spec.columns if c.key not in mapping],
        "source": source,
    }
    if raw:
        table["raw_cells"] = raw
    col_score = sum(s for _, s in mapping.values()) if not by_position else 0.0
    quality = rows.score + col_score + good * 0.01 - bad * 3
    return table, quality, issues


@lru_cache(maxsize=4096)
def _is_plain_int(text: str) -> bool:
    return _PLAIN_INT.match(text.strip()) is not None


def _header_unit(leaves: list[tuple[int, str, tuple]], pos: int) -> str | None:
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
            named = {_row_kind(cells) for cells in block.rows} - {None}
            keys = [k for k in specs if k.startswith("t2") and (k in named or not named)]
        return [k for k in keys if k in specs]
    return ["t3_applications" if block.kind == "t3" else "t4_review_litigation"]


def _rectangular(block: Block) -> bool:
    first_grid = block.row_grids[0] if block.row_grids else None
    return len({len(r) for r, g in zip(block.rows, block.row_grids, strict=True) if g == first_grid}) == 1


def quality_bound(block: Block, template_id: str) -> float:
    """An upper bound of ``map_block(block, template_id).score`` (0 when it maps nothing), without reading cells."""
    specs = table_specs(template_id)
    bound = 0.0
    for key in _keys(block, specs):
        rows = _read_rows(block, specs[key])
        if rows.data_rows:
            for aligned in (True, False):
                bound = max(bound, _read_columns(rows, specs[key], aligned).best_quality(rows))
    return bound


def map_block(block: Block, template_id: str, source: str) -> Mapped | None:
    """Read one block against one template (choosing the t2 table and the reading mode that fit best)."""
    specs = table_specs(template_id)
    best: Mapped | None = None
    modes = [True, False] if _rectangular(block) else [False, True]
    for key in _keys(block, specs):
        spec = specs[key]
        rows = _read_rows(block, spec)
        if not rows.data_rows:
            continue  # no values in either mode
        for aligned in modes:
            columns = _read_columns(rows, spec, aligned)
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
