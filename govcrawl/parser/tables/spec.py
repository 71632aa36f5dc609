"""The two official templates, pre-digested for matching (label cores, group tree, leaf rows)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from govcrawl import formats
from govcrawl.parser.tables.labels import core

AMOUNT_COLUMNS = frozenset({"fee_amount_10k_yuan", "procurement_amount"})
LABEL_COLUMN_KEY = "content_item"
RESULTS_PARENT = core("三、本年度办理结果")


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    label: str
    cores: tuple[str, ...]
    groups: tuple[str, ...]  # cores of the group path, outermost first


@dataclass(frozen=True)
class RowSpec:
    key: str
    label: str | None
    cores: tuple[str, ...]
    parents: tuple[str, ...]
    is_leaf: bool


@dataclass(frozen=True, eq=False)
class TableSpec:
    """One table of a template. Frozen, and compared and hashed by identity (``table_specs`` builds each spec
    once), so functions of a spec cache with ``functools.lru_cache`` at the cost of a pointer hash."""

    template_id: str
    key: str
    columns: tuple[ColumnSpec, ...]  # data columns only (the label column 信息内容 excluded)
    rows: tuple[RowSpec, ...]
    unit: str | None
    children: Mapping[str, int]  # group core -> number of direct children
    group_cores: tuple[str, ...]  # in template order
    exact_columns: frozenset[str]  # every column label/variant core

    def row(self, key: str) -> RowSpec:
        """The row spec with this key."""
        return next(r for r in self.rows if r.key == key)


def _cores(label: str | None, variants: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for text in [label or "", *(variants or [])]:
        c = core(text)
        if c and c not in out:
            out.append(c)
    return tuple(out)


@cache
def exact_row_index() -> dict[str, str]:
    """Row label core -> table key, over both templates (2021 first): tells which table a data row belongs to."""
    index: dict[str, str] = {}
    for template_id in ("gbf_2021", "gbf_2019"):
        for key, spec in table_specs(template_id).items():
            for row in spec.rows:
                for c in row.cores:
                    index.setdefault(c, key)
    return index


@cache
def table_specs(template_id: str) -> dict[str, TableSpec]:
    """All tables of a template, keyed by table key."""
    specs: dict[str, TableSpec] = {}
    for table in formats.template(template_id)["tables"]:
        columns = tuple(
            ColumnSpec(c["key"], c["label"], _cores(c["label"], c.get("label_variants")),
                       tuple(core(g) for g in c.get("group", [])))
            for c in table["columns"] if c["key"] != LABEL_COLUMN_KEY
        )
        rows = tuple(
            RowSpec(r["key"], r["label"], _cores(r["label"], r.get("label_variants")),
                    tuple(core(p) for p in r.get("parents", [])), r["is_leaf"])
            for r in table["rows"]
        )
        children: dict[str, list[str]] = {}
        for col in columns:
            path = [*col.groups, col.cores[0]]
            for depth, group in enumerate(path[:-1]):
                kids = children.setdefault(group, [])
                if path[depth + 1] not in kids:
                    kids.append(path[depth + 1])
        specs[table["key"]] = TableSpec(
            template_id, table["key"], columns, rows, table.get("unit"),
            children=MappingProxyType({g: len(k) for g, k in children.items()}), group_cores=tuple(children),
            exact_columns=frozenset(c for col in columns for c in col.cores),
        )
    return specs


def result_leaf_rows(template_id: str) -> list[str]:
    """The leaf rows under 三、本年度办理结果 whose sum is (七)总计 (2021: with the three 其他处理 sub-rows)."""
    t3 = table_specs(template_id)["t3_applications"]
    return [r.key for r in t3.rows if r.is_leaf and r.parents and r.parents[0] == RESULTS_PARENT]
