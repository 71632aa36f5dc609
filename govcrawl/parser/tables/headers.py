"""Header leaves onto template columns: the label of each grid column (aligned grids) or each value position
(flattened pipe text, through the template's group tree), and their alignment to a table spec's columns
(``align``: exact unique labels wherever they stand, the rest in order). Used by :mod:`.mapping`; cached per
(header rows, spec): the same headers recur across reports."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from govcrawl.parser.tables.labels import EXACT, LABEL_COLUMN_HEADERS, PARTIAL, best_score, core
from govcrawl.parser.tables.segmentation import Row
from govcrawl.parser.tables.spec import ColumnSpec, TableSpec

#: a header leaf: (grid column or value position, leaf label core, cores of the group path above it)
Leaf = tuple[int, str, tuple[str, ...]]


def _column_match(leaf: str, groups: tuple[str, ...], col: ColumnSpec, spec: TableSpec) -> float:
    score = best_score(leaf, col.cores)
    if not score:
        return 0.0
    for group in groups:
        if group in spec.group_cores:
            score += 0.5 if group in col.groups else -1.5
    return max(score, 0.1)


@lru_cache(maxsize=4096)
def align(leaves: tuple[Leaf, ...], spec: TableSpec) -> Mapping[str, tuple[int, float]]:
    """Header leaves -> template columns: col key -> (position, score) (read-only: it is cached).

    A column whose label is unique in the template and matches exactly one leaf exactly is taken wherever it
    stands (columns may come in any order); the rest (repeated labels such as table 四's 结果维持/总计, and
    truncated labels) are aligned in order, group labels breaking ties.
    """
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
    return MappingProxyType(out)


def _align_in_order(leaves: list[Leaf], columns: list[ColumnSpec], spec: TableSpec) -> dict[str, tuple[int, float]]:
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


@lru_cache(maxsize=4096)
def aligned_leaves(header_rows: tuple[Row, ...], spec: TableSpec, width: int) -> tuple[Leaf, ...]:
    """Per grid column: the header leaf label (lowest label matching a template column) and its group path."""
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


@lru_cache(maxsize=4096)
def flattened_leaves(header_rows: tuple[Row, ...], spec: TableSpec) -> tuple[Leaf, ...]:
    """Leaf labels of a flattened header, in value order, through the template's group tree."""
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
