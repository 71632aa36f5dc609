"""Groups of template rows printed as one row.

2021's 表三 has （六）其他处理 as a group over three sub-rows (1. 逾期不补正, 2. 逾期未缴费, 3. 其他); real
reports (the hzq PDFs) still print it as one row with values, as the 2019 template did. Such a label names
the group and no row of the template: it is never matched onto one of its rows (其他处理 is not 3.其他, whose
cell it would take); with values, it is read under the key a template gives that label where it is a row
(2019's ``other_processing``) and its rows are reported as the table's ``folded_rows``, not as missing.
"""

from __future__ import annotations

from functools import lru_cache

from govcrawl.formats import report_formats
from govcrawl.parser.tables.spec import TableSpec, table_specs

#: a group read as one row counts less than a row of the template: the template printing it as a row wins
FOLDED_ROW_SCORE = 1


@lru_cache(maxsize=4096)
def row_group(label_core: str, spec: TableSpec) -> tuple[str, tuple[str, ...]] | None:
    """``(key, rows)`` when a label core names a group of rows of ``spec`` and no row of it: the key a template
    gives the group where it is one row (``""`` when none does) and the group's rows, in template order."""
    if not label_core or any(label_core in r.cores for r in spec.rows):
        return None
    rows = tuple(r.key for r in spec.rows if r.parents and r.parents[-1] == label_core)
    if not rows:
        return None
    for template_id in report_formats()["formats"]:
        other = table_specs(template_id).get(spec.key)
        for row in other.rows if other is not None else ():
            if row.is_leaf and label_core in row.cores:
                return row.key, rows
    return "", rows
