"""Mock site ``empiremixed``: an EmpireCMS 政府信息公开 column mixing sub-column boxes.

It follows the real EmpireCMS column issue 10 describes (a county column mixing sub-columns, where a crawl
found 23 of 24 reports; the one missed was titled ``…扶贫办2017年政府信息年度报告``, no 公开工作). The start
page ``/xxgk/index.html`` holds boxes of several sub-columns, each a heading and a 更多 link to the
sub-column: 信息公开年报 (the newest 6 reports), 政策文件 and 规划计划 (near misses: a 年报编制 通知, a 政务公开
工作要点, a 法治政府建设年度报告...). The 年报 sub-column ``/xxgk/xxgknb/`` is an EmpireCMS list: articles at
``/xxgk/xxgknb/YYYY-MM-DD/<id>.html``, pages ``index.html``, ``index_2.html`` and EmpireCMS's own pager
markup (``<div class="epages"><a title="Total record">&nbsp;<b>26</b> </a>…``). 24 reports (one titled
``永宁县扶贫办2017年政府信息年度报告``), 2 decoys in the 年报 sub-column and 4 in the other boxes.
"""

from __future__ import annotations

from govcrawl.demo.chrome import SiteInfo, esc
from govcrawl.demo.context import BuildContext
from govcrawl.demo.server import Page
from govcrawl.demo.site_cms import Item, plan, publish_rows, simple_list_page
from govcrawl.demo.trs import ReportSpec, publish_date, publish_decoy, publish_report

COUNTY = "永宁县"
UNITS = [f"{COUNTY}人民政府", f"{COUNTY}发展和改革局", f"{COUNTY}教育局", f"{COUNTY}民政局", f"{COUNTY}财政局",
         f"{COUNTY}卫生健康局", f"{COUNTY}城关镇人民政府"]
PER_PAGE = 15
SPECIAL_TITLE = f"{COUNTY}扶贫办2017年政府信息年度报告"
REAL_PAGE = "the real EmpireCMS column of issue 10 (sub-column boxes with 更多 links; …扶贫办2017年政府信息年度报告)"
COMMENT = f"<!-- mock page: follows {REAL_PAGE} -->\n"


def _li(item: Item) -> str:
    return (f'<li><span class="date">{item.date}</span><a href="{esc(item.path)}" title="{esc(item.title)}" '
            f'target="_blank">{esc(item.title)}</a></li>')


def _epages(number: int, pages: int, total: int, base: str) -> str:
    """EmpireCMS's default list pager: total record, current page bold, numbered links, 下一页 / 尾页."""
    def page_url(n: int) -> str:
        return f"{base}index.html" if n == 1 else f"{base}index_{n}.html"
    parts = [f'<a title="Total record">&nbsp;<b>{total}</b> </a>&nbsp;&nbsp;']
    if number > 1:
        parts.append(f'<a href="{page_url(1)}">首页</a>&nbsp;<a href="{page_url(number - 1)}">上一页</a>&nbsp;')
    for n in range(1, pages + 1):
        parts.append(f"<b>{n}</b>&nbsp;" if n == number else f'<a href="{page_url(n)}">{n}</a>&nbsp;')
    if number < pages:
        parts.append(f'<a href="{page_url(number + 1)}">下一页</a>&nbsp;<a href="{page_url(pages)}">尾页</a>')
    return '<div class="epages">' + "".join(parts) + "</div>"


def _page(info: SiteInfo, column: str, body: str) -> Page:
    html = simple_list_page(info, column, "", "").replace('<ul class="list"></ul><div class="pager"></div>', body)
    return Page.html(html.replace("<body>", "<body>\n" + COMMENT, 1))


def _box(title: str, more: str, items: list[Item]) -> str:
    return (f'<div class="xxgk-box"><div class="box-tit"><h3>{esc(title)}</h3><a href="{more}" class="more">更多</a>'
            f'</div><ul class="box-list">{"".join(_li(i) for i in items)}</ul></div>')


def build_empiremixed(ctx: BuildContext) -> None:
    """The mixed column, the 年报 sub-column (2 pages) and the 政策文件 / 规划计划 sub-columns."""
    site = ctx.site
    info = SiteInfo("永宁县人民政府", "6211240001", "陇ICP备06000832号", "62112402000142号")
    nb = "/xxgk/xxgknb/"
    rows = plan(ctx, 23, 2, UNITS, range(2016, 2024), 5100)
    items = publish_rows(ctx, info, "信息公开年报", 12, rows, lambda r: f"{nb}{r['published']}/{r['doc_id']}.html")
    special_id = 5199
    published = publish_date(ctx, 2017, ("special", special_id))
    spec = ReportSpec(agency=f"{COUNTY}扶贫办", year=2017, doc_id=special_id, title=SPECIAL_TITLE, published=published)
    path = f"{nb}{published}/{special_id}.html"
    url, _ = publish_report(ctx, info, "信息公开年报", 12, path, spec)
    items.append(Item(url, SPECIAL_TITLE, published, True, special_id, path))
    items.sort(key=lambda i: (i.date, i.doc_id), reverse=True)

    pages = [items[i : i + PER_PAGE] for i in range(0, len(items), PER_PAGE)]
    for number, chunk in enumerate(pages, 1):
        body = (f'<div class="list-box"><ul class="list">{"".join(_li(i) for i in chunk)}</ul>'
                + _epages(number, len(pages), len(items), nb) + "</div>")
        name = "index.html" if number == 1 else f"index_{number}.html"
        site.add(nb + name, _page(info, "信息公开年报", body))
    site.add(nb, site.routes[nb + "index.html"])  # the 更多 links say the directory

    others: dict[str, list[Item]] = {}
    near_misses = {
        "/xxgk/zcwj/": ("政策文件", 13, [("tongzhi", "关于做好2018年度政府信息公开工作年度报告编制发布工作的通知", 2018),
                                       ("caizheng", f"{COUNTY}人民政府关于2020年预算执行情况的报告", 2020)]),
        "/xxgk/ghjh/": ("规划计划", 14, [("yaodian", f"{COUNTY}2021年政务公开工作要点", 2021),
                                       ("fazhi", f"{COUNTY}人民政府2021年法治政府建设年度报告", 2021)]),
    }
    doc_id = 5300
    for base, (column, chnl_id, entries) in near_misses.items():
        listed = []
        for kind, title, year in entries:
            doc_id += 1
            date = publish_date(ctx, year, ("other", doc_id))
            path = f"{base}{date}/{doc_id}.html"
            listed.append(Item(publish_decoy(ctx, info, column, chnl_id, path, kind, title, year, doc_id, date),
                               title, date, False, doc_id, path))
        others[base] = listed
        body = f'<div class="list-box"><ul class="list">{"".join(_li(i) for i in listed)}</ul>{_epages(1, 1, len(listed), base)}</div>'
        site.add(base + "index.html", _page(info, column, body))
        site.add(base, site.routes[base + "index.html"])

    boxes = (_box("信息公开年报", nb, items[:6]) + _box("政策文件", "/xxgk/zcwj/", others["/xxgk/zcwj/"])
             + _box("规划计划", "/xxgk/ghjh/", others["/xxgk/ghjh/"]))
    site.add("/xxgk/index.html", _page(info, "政府信息公开", f'<div class="xxgk-boxes">{boxes}</div>'))
    start = site.url("/xxgk/index.html")
    ctx.ground.add_column(site.name, start, {i.url for i in items if i.is_report})


__all__ = ["SPECIAL_TITLE", "build_empiremixed"]
