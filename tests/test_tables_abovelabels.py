"""Values a PDF text layer prints on a line of their own, above or inside their row label (the hzq PDFs):
moved behind their label only where that is certain; the flattened reader then reads those rows."""

from __future__ import annotations

import pytest

from benchmarks.real_reports import item_of, real_dir
from govcrawl.parser.tables.abovelabels import values_after_labels
from govcrawl.parser.tables.spec import table_specs

SPEC = table_specs("gbf_2021")["t3_applications"]


def test_values_above_a_label_and_inside_a_wrapped_label_go_behind_it() -> None:
    section = "\n".join([
        "(二)部分公开(区分处理的,只计这一情形,不",
        "4 0 0 0 0 0 4",  # inside the wrapped label: its continuation follows
        "计其他情形)",
        "1 0 0 0 0 0 1",  # above the next row: the row before has its values
        "1.属于国家秘密",
        "本",  # a vertical header's character is read past
        "2.其他法律行政法规禁止公开 0 0 0 0 0 0 0",
        "(四)无法提供",
        "3 0 0 0 0 0 3",  # above the next row: the row before is a group heading
        "2.没有现成信息需要另行制作",
    ])
    assert values_after_labels(section, SPEC, 7).splitlines() == [
        "(二)部分公开(区分处理的,只计这一情形,不 计其他情形) 4 0 0 0 0 0 4",
        "1.属于国家秘密 1 0 0 0 0 0 1",
        "本",
        "2.其他法律行政法规禁止公开 0 0 0 0 0 0 0",
        "(四)无法提供",
        "2.没有现成信息需要另行制作 3 0 0 0 0 0 3",
    ]


def test_values_between_two_rows_without_values_stay_where_they_are() -> None:
    section = "1.属于国家秘密\n1 0 0 0 0 0 1\n2.其他法律行政法规禁止公开\n0 0 0 0 0 0 0"
    assert values_after_labels(section, SPEC, 7) == section  # either row could own them: never guessed
    partial = "1.属于国家秘密\n1 0 0\n2.重复申请 0 0 0 0 0 0 0"
    assert values_after_labels(partial, SPEC, 7) == partial  # not a whole row
    cells = "1.属于国家秘密\n1\n0\n0\n0\n0\n0\n1"
    assert values_after_labels(cells, SPEC, 7) == cells  # one cell per line is the flattened reader's own form


@pytest.mark.parametrize(("year", "rows"), [("2023", 20), ("2024", 22)])
def test_the_hzq_text_layers_read_more_rows_and_every_cell_right(year: str, rows: int) -> None:
    from govcrawl.extract import extract_document
    from govcrawl.parser.normalise import normalise
    from govcrawl.parser.tables.flattext import read_flattened_tables

    document = extract_document((real_dir() / f"pdf/hzq_{year}_report.pdf").read_bytes(), "application/pdf", "u")
    flat = read_flattened_tables(normalise(document.text)[0], "gbf_2021").tables["t3_applications"]["values"]
    grid = item_of(f"pdf/hzq_{year}_report.pdf")["tables"]["t3_applications"]["values"]
    assert len(flat) >= rows  # 14 and 16 with the values left above their labels
    assert {row: grid[row] for row in flat} == flat
