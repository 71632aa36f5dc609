"""Mock site ``teleport``: a Teleport Ultra offline mirror of a TRS 年报 column, links hidden the ways real
mirrors and CMSs hide them.

It follows real pages in ``../shared/real`` (see its manifest):

* ``lists/hf_police_home_teleport.jsp`` (合肥警务网, a Teleport Ultra mirror): a page not mirrored is linked as
  ``href="javascript:if(confirm('URL  \\n\\n<message>  \\n\\n<question>?'))window.location='URL'"`` with the
  original URL again in ``tppabs="URL"``; a mirrored page keeps a relative ``href`` plus ``tppabs``; the home
  page's 信息公开 block (``<h2>信息公开</h2>``) links the 年报 column that way. Teleport's GBK message arrives
  as U+FFFD replacement characters, as in that file;
* ``lists/jl_forestry_ndbg_list.html`` (TRS WCM): entries written ``<a href="X"><a href="X">title</a>`` (two
  opening anchors, one closing);
* ``lists/pds_edu_nb_list.html`` (SiteServer): a whole card inside one ``<a>``, the title in its ``<h2>``,
  then an excerpt, ``主题分类：政府信息公开年度报告`` and ``日间：YYYY-MM-DD``;
* ``lists/hd_xxgk_platform_index.jsp``: link text split by ``<br>`` plus newline and indentation.

The column ``/zwgk/ndbg/index.html`` (start URL) lists 12 reports and 3 decoys; ``/index.html`` is the
mirrored home page.
"""

from __future__ import annotations

from govcrawl.demo.chrome import SiteInfo, esc
from govcrawl.demo.context import BuildContext
from govcrawl.demo.server import Page
from govcrawl.demo.site_cms import Item, plan, publish_rows, simple_list_page

UNITS = ["定川市清水县人民政府", "清水县教育局", "清水县公安局", "清水县民政局", "清水县交通运输局", "清水县白沙镇人民政府"]
COLUMN = "/zwgk/ndbg/"
#: Teleport's GBK message as the real mirror carries it (decoded to U+FFFD)
GARBLED = "\ufffd\ufffd\ufffd\u013c\ufffd\ufffd\u07b7\ufffd\ufffd\ufffd Teleport Ultra \ufffd\ufffd\ufffd\ufffd, \ufffd\ufffd\u03aa"
QUESTION = "\ufffd\ufffd\ufffd\ufffd\ufffd\u06b7\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\u03f4\ufffd\ufffd\ufffd?"
REAL_PAGES = ("lists/hf_police_home_teleport.jsp (confirm/tppabs), lists/jl_forestry_ndbg_list.html (<a><a>), "
              "lists/pds_edu_nb_list.html (card with <h2>), lists/hd_xxgk_platform_index.jsp (<br> in link text)")
COMMENT = f"<!-- mock page: follows ../shared/real {REAL_PAGES} -->\n"


def confirm_href(url: str) -> str:
    """Teleport Ultra's wrapper of a link to a page it did not download."""
    return f"javascript:if(confirm('{url}  \\n\\n{GARBLED}  \\n\\n{QUESTION}'))window.location='{url}'"


def _relative(item: Item) -> str:
    return item.path.removeprefix(COLUMN)


def _entry(number: int, item: Item) -> str:
    """One list entry; the five forms rotate over the list (each holds at least one report)."""
    title, url = esc(item.title), esc(item.url)
    date = f"<span>{item.date}</span>"
    form = number % 5
    if form == 0:  # mirrored, written <a href=X><a href=X>title</a> (one closing tag)
        href = esc(_relative(item))
        return f'<li>{date}<a href="{href}" tppabs="{url}" target="_blank"><a href="{href}" tppabs="{url}" target="_blank">{title}</a></li>'
    if form == 1:  # not mirrored: confirm wrapper + tppabs
        return f'<li>{date}<a href="{esc(confirm_href(item.url))}" tppabs="{url}" target="_blank">{title}</a></li>'
    if form == 2:  # a card inside one <a>, the title in <h2>
        excerpt = "根据《中华人民共和国政府信息公开条例》规定，特向社会公布本年度政府信息公开工作年度报告。" * 2
        return (f'<li class="card"><a href="{esc(confirm_href(item.url))}" tppabs="{url}" target="_blank"><h2>{title}</h2>'
                f'<div class="note"><div class="licontent">{esc(excerpt)}</div><p><i class="hot Chits">主题分类：政府信息公开年度报告</i>'
                f'<i class="date Cdate">日间：{item.date} </i></p></div></a></li>')
    if form == 3:  # link text split by <br>, newline and indentation
        cut = item.title.find("年") + 1 or len(item.title) // 2
        split = f"{esc(item.title[:cut])}<br>\n                        {esc(item.title[cut:])}"
        return f'<li>{date}<a href="{esc(_relative(item))}" tppabs="{url}" target="_blank">{split}</a></li>'
    return f'<li>{date}<a href="{esc(_relative(item))}" tppabs="{url}" target="_blank" title="{title}">{title}</a></li>'


def _home(info: SiteInfo, column_url: str) -> str:
    """The mirrored home page: its 信息公开 block links the column through the confirm wrapper."""
    links = [
        (column_url, "政府信息<br>\n                        公开年报"),
        (column_url.replace("ndbg/index.html", "xxgkzn/index.html"), "政府信息公开指南"),
        (column_url.replace("ndbg/index.html", "xxgkml/index.html"), "政府信息公开目录"),
    ]
    items = "".join(f'<li><a href="{esc(confirm_href(u))}" tppabs="{esc(u)}" target="_blank">{t}</a></li>' for u, t in links)
    block = f'<div class="xxgk"><h2>信息公开</h2><ul>{items}</ul></div>'
    html = simple_list_page(info, "首页", "", "").replace('<div class="list-box"><ul class="list"></ul><div class="pager"></div></div>', block)
    return html.replace("<body>", "<body>\n" + COMMENT, 1)


def build_teleport(ctx: BuildContext) -> None:
    """The column (12 reports, 3 decoys, one list page) and the mirrored home page."""
    site = ctx.site
    info = SiteInfo("清水县人民政府", "6211250001", "陇ICP备06000833号", "62112502000143号")
    rows = plan(ctx, 12, 3, UNITS, range(2015, 2024), 633600)

    def path_of(row: dict) -> str:
        published = row["published"]
        return f"{COLUMN}{published[:4]}{published[5:7]}/t{published.replace('-', '')}_{row['doc_id']}.html"

    items = publish_rows(ctx, info, "政府信息公开年报", 1201, rows, path_of)
    entries = "".join(_entry(n, item) for n, item in enumerate(items))
    assert all(any(i.is_report for i in items[form::5]) for form in range(5)), "a link form holds no report"
    html = simple_list_page(info, "政府信息公开年报", entries, "")
    site.add(f"{COLUMN}index.html", Page.html(html.replace("<body>", "<body>\n" + COMMENT, 1)))
    site.add("/index.html", Page.html(_home(info, site.url(f"{COLUMN}index.html"))))
    ctx.ground.add_column(site.name, site.url(f"{COLUMN}index.html"), {i.url for i in items if i.is_report})


__all__ = ["build_teleport", "confirm_href"]
