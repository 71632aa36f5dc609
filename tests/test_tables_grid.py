"""HTML table -> grid (govcrawl.extract.tables) on hand-written markup of the kinds real report pages use."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import html

from govcrawl.extract.tables import cell_text, html_tables_to_grids, table_to_grid


def test_rowspan_and_colspan_are_expanded() -> None:
    page = """<table>
      <tr><th rowspan=2>项目</th><th colspan=2>申请人</th></tr>
      <tr><th>自然人</th><th>法人</th></tr>
      <tr><td>新收</td><td>3</td><td>4</td></tr></table>"""
    assert html_tables_to_grids(page) == [[["项目", "申请人", "申请人"], ["项目", "自然人", "法人"], ["新收", "3", "4"]]]


def test_huge_colspan_is_capped() -> None:
    grid = html_tables_to_grids("<table><tr><td colspan=99999>a</td><td>1</td></tr></table>")[0]
    assert len(grid[0]) == 51 and grid[0][-1] == "1"


def test_spans_overrunning_the_table_are_clipped() -> None:
    page = """<table>
      <tr><td rowspan=9>a</td><td colspan="12">wide title</td></tr>
      <tr><td>1</td><td>2</td></tr></table>"""
    assert html_tables_to_grids(page) == [[["a", "wide title", "wide title"], ["a", "1", "2"]]]


def test_rowspan_zero_and_malformed_spans() -> None:
    page = """<table><tr><td rowspan="0">x</td><td colspan="2abc">y</td></tr>
      <tr><td colspan="junk">p</td><td colspan="-3">q</td></tr><tr><td>r</td><td>s</td></tr></table>"""
    assert html_tables_to_grids(page) == [[["x", "y", "y"], ["x", "p", "q"], ["x", "r", "s"]]]


def test_cell_text_from_paragraphs_spans_breaks_and_nbsp() -> None:
    page = """<table><tr><td><p>商业</p><p>企业</p></td><td>科研<br/>机构</td>
      <td><span>1</span><span>2</span></td><td>&nbsp;</td><td>\u3000 7 \u00a0</td></tr></table>"""
    assert html_tables_to_grids(page) == [[["商业 企业", "科研 机构", "12", "", "7"]]]


def test_nested_table_is_its_own_grid_and_not_repeated_in_the_outer_cell() -> None:
    page = """<table class=layout><tr><td>导航</td><td>正文
      <table><tr><td>自然人</td><td>5</td></tr></table> 尾</td></tr></table>"""
    grids = html_tables_to_grids(page)
    assert grids == [[["导航", "正文 尾"]], [["自然人", "5"]]]


def test_split_tables_merge_only_when_adjacent_and_same_width() -> None:
    page = """<div><table><tr><td>a</td><td>1</td></tr></table>
      <p>&nbsp;</p><table><tr><td>b</td><td>2</td></tr></table>
      <p>续表</p><table><tr><td>c</td><td>3</td></tr></table>
      <table><tr><td>d</td><td>4</td><td>5</td></tr></table></div>"""
    assert html_tables_to_grids(page) == [
        [["a", "1"], ["b", "2"]],
        [["c", "3"]],
        [["d", "4", "5"]],
    ]
    assert len(html_tables_to_grids(page, merge_split=False)) == 4


def test_split_tables_in_sibling_wrappers_merge() -> None:
    page = """<div><div class=t><table><tr><td>a</td><td>1</td></tr></table></div>
      <div class=t><table><tr><td>b</td><td>2</td></tr></table></div></div>"""
    assert html_tables_to_grids(page) == [[["a", "1"], ["b", "2"]]]


def test_word_export_markup() -> None:
    page = """<div class=WordSection1><table class=MsoNormalTable border=1 style='border-collapse:collapse;
      mso-yfti-tbllook:1184'><tr style='mso-yfti-irow:0'><td style='border:solid windowtext 1.0pt;
      mso-border-alt:solid windowtext .5pt'><p class=MsoNormal align=center><span lang=EN-US
      style='font-size:10.5pt;mso-bidi-font-family:"Times New Roman"'>(一)予以公开<o:p></o:p></span></p></td>
      <td><p class=MsoNormal><span lang=EN-US>12<o:p></o:p></span></p></td>
      <td><!--[if supportFields]><span>PAGE</span><![endif]--><p class=MsoNormal>3</p></td></tr></table></div>"""
    assert html_tables_to_grids(page) == [[["(一)予以公开", "12", "3"]]]


def test_scripts_styles_and_comments_do_not_leak_into_cells() -> None:
    element = html.fromstring("<td>5<script>var x=1;</script><style>p{}</style><!-- 注释 -->件</td>")
    assert cell_text(element) == "5件"


def test_thead_tbody_tfoot_rows_in_order() -> None:
    table = html.fromstring("""<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>b</td></tr></tbody>
      <tfoot><tr><td>f</td></tr></tfoot></table>""")
    assert table_to_grid(table) == [["h"], ["b"], ["f"]]


def test_empty_input_and_empty_tables() -> None:
    assert html_tables_to_grids("") == []
    assert html_tables_to_grids("<p>no tables</p>") == []
    assert html_tables_to_grids("<table><tr><td> </td></tr></table>") == []


def test_accepts_a_parsed_element() -> None:
    root = html.fromstring("<div><table><tr><td>x</td></tr></table></div>")
    assert html_tables_to_grids(root) == [[["x"]]]


_SPAN = st.sampled_from(["", " rowspan=2", " colspan=3", " rowspan=0", " colspan=x", " rowspan=-1", " colspan=99999",
                         " rowspan=\"2.5\""])
_CELL = st.builds(lambda tag, span, text: f"<{tag}{span}>{text}</{tag}>", st.sampled_from(["td", "th"]), _SPAN,
                  st.sampled_from(["", "1", "&nbsp;", "商业<br>企业", "<p>x</p>", "<table><tr><td>in</td></tr></table>"]))
_ROW = st.builds(lambda cells: "<tr>" + "".join(cells) + "</tr>", st.lists(_CELL, max_size=6))
_TABLE = st.builds(lambda rows, tail: "<table>" + "".join(rows) + "</table>" + tail, st.lists(_ROW, max_size=6),
                   st.sampled_from(["", "<p>续</p>", " "]))


@settings(max_examples=150, deadline=None)
@given(tables=st.lists(_TABLE, max_size=4))
def test_arbitrary_table_markup_gives_rectangular_grids(tables: list[str]) -> None:
    for grid in html_tables_to_grids("<div>" + "".join(tables) + "</div>"):
        assert grid and len({len(row) for row in grid}) == 1
        assert all(isinstance(cell, str) for row in grid for cell in row)
        assert len(grid[0]) <= 6 * 50  # colspans capped at 50, trailing overruns clipped
        assert len(grid) <= 6 * len(tables)  # split tables of equal width are merged into one grid


_RICH_CELL = st.builds(
    lambda tag, span, text: f"<{tag}{span}>{text}</{tag}>", st.sampled_from(["td", "th", "TD"]), _SPAN,
    st.sampled_from(["", "1", " 2 ", "&nbsp;", "商业<br>企业", "<p>x</p><p>y</p>", "<span>1</span>2<o:p></o:p>",
                     "5<script>var x=1;</script><!-- c -->件", "<style>p{}</style>a<b>b</b>c", "<div>a<span>b</span></div>tail",
                     "<table><tr><td>in</td></tr></table>after", "<h2>标题</h2><li>项</li>", "a\u3000b\xa0c"]))
_RICH_TABLE = st.builds(
    lambda rows, wrap: wrap.replace("{}", "".join(rows), 1).replace("{}", "".join(rows[:1])),
    st.lists(st.builds(lambda cells: "<tr>" + "".join(cells) + "</tr>", st.lists(_RICH_CELL, max_size=5)), max_size=5),
    st.sampled_from(["<table>{}</table>", "<table><thead>{}</thead></table>", "<table><tbody>{}</tbody><tfoot>{}</tfoot></table>",
                     "<div><table>{}</table></div>"]))


@settings(max_examples=200, deadline=None)
@given(tables=st.lists(_RICH_TABLE, min_size=1, max_size=3))
def test_xslt_cell_reader_equals_the_python_walk(tables: list[str]) -> None:
    """The libxslt fast path reads every table exactly as table_to_grid/cell_text do (spans, skips, blocks)."""
    from govcrawl.extract.tables import _expand, _fast_tables

    root = html.fromstring("<div>" + "<p>x</p>".join(tables) + "</div>")
    elements = list(root.iter("table"))
    fast = _fast_tables(root, len(elements))
    assert fast is not None
    assert [_expand(rows) for rows in fast] == [table_to_grid(table) for table in elements]


def test_separator_characters_in_the_page_fall_back_to_the_python_walk() -> None:
    from govcrawl.extract.tables import _fast_tables

    page = "<table><tr><td rowspan='2\ufdd1'>a\ufdd2b</td><td>1</td></tr><tr><td>2</td></tr></table>"
    assert _fast_tables(html.fromstring(page), 1) is None
    assert html_tables_to_grids(page) == [[["a\ufdd2b", "1"], ["a\ufdd2b", "2"]]]
    assert html_tables_to_grids(page.replace("a\ufdd2b", "ab")) == [[["ab", "1"], ["ab", "2"]]]


@pytest.mark.parametrize("place", ["rowspan", "colspan", "text", "last text", "nested"])
@pytest.mark.parametrize("where", ["{}2", "2{}", "{}", "1{}2"])
@pytest.mark.parametrize("mark", ["\ufdd0", "\ufdd1", "\ufdd2", "\ufdd3", "\ufdd4"])
def test_a_separator_in_a_table_never_misreads_it(place: str, where: str, mark: str) -> None:
    """The page is not scanned for the stylesheet's separators: any of them in a cell's text or a span
    attribute must break the output's shape (fast path refused), so the grid is the Python walk's."""
    from govcrawl.extract.tables import _fast_tables

    value = where.format(mark)
    first = {"rowspan": f"<td rowspan='{value}'>a</td><td>1</td>", "colspan": f"<td colspan='{value}'>a</td><td>1</td>",
             "text": f"<td>{value}</td><td>1</td>", "last text": f"<td>a</td><td>{value}</td>",
             "nested": f"<td>a<span>b<b>{value}</b></span></td><td>1</td>"}[place]
    page = (f"<div><table><tr>{first}</tr><tr><td>2</td><td>3</td></tr></table>"
            "<p>x</p><table><tr><td>b</td></tr></table></div>")
    assert _fast_tables(html.fromstring(page), 2) is None
    assert html_tables_to_grids(page) == [table_to_grid(t) for t in html.fromstring(page).iter("table")]


def test_word_layout_grids_via_xslt_match_the_python_walk() -> None:
    import random

    from govcrawl.demo.table_layouts import LAYOUTS, random_consistent_values, render_tables_html
    from govcrawl.extract.tables import _expand, _fast_tables

    for template_id in ("gbf_2019", "gbf_2021"):
        values = random_consistent_values(template_id, random.Random(5))
        for layout in LAYOUTS:
            root = html.fromstring(f"<html><body>{render_tables_html(template_id, values, layout)}</body></html>")
            elements = list(root.iter("table"))
            fast = _fast_tables(root, len(elements))
            assert fast is not None
            assert [_expand(rows) for rows in fast] == [table_to_grid(table) for table in elements], layout
