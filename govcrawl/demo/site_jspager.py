"""Mock site ``jspager``: a 年报 list built by an inline script from a JSON API, paged by ``javascript:load(n)``.

It follows the real page issue 10 describes (a county 信息公开年报 column, 17 reports over 3 pages): the list
container is empty in the HTML; ``load(n)`` fetches ``/api/xxgk/ndbg/list?page=n&size=7`` (an answer with rows
and no total, as that site's API gives) and writes the rows and a pager of ``javascript:load(n)`` links
(首页 上一页 1 2 3 下一页 尾页); the page carries the site's ordinary navigation, whose own 首页 link is the
home page, not the pager's first page. The JSON shape (``code``/``data.rows`` with ``title``/``url``) is that
of the real gkmlpt-style list scripts in ``../shared/real/lists``. Three pages of 7: 17 reports, 4 decoys.
"""

from __future__ import annotations

import json

from govcrawl.demo.chrome import SiteInfo
from govcrawl.demo.context import BuildContext
from govcrawl.demo.server import Page, Request
from govcrawl.demo.site_cms import Item, plan, publish_rows, simple_list_page

PER_PAGE = 7
PAGES = 3
UNITS = ["定川市永和县人民政府", "永和县教育局", "永和县民政局", "永和县财政局", "永和县自然资源局", "永和县城关镇人民政府"]

SCRIPT = """<script>
var TOTAL_PAGES = %d;
function load(n){
  var xhr = new XMLHttpRequest();
  xhr.open('GET', '/api/xxgk/ndbg/list?page=' + n + '&size=%d');
  xhr.onload = function(){
    var answer = JSON.parse(xhr.responseText), ul = document.getElementById('ndbg-list'), html = '';
    answer.data.rows.forEach(function(row){
      html += '<li><a href="' + row.url + '" target="_blank" title="' + row.title + '">' + row.title +
              '</a><span class="date">' + row.publishDate + '</span></li>';
    });
    ul.innerHTML = html;
    var pager = '<a href="javascript:load(1)">首页</a> ';
    if (n > 1) pager += '<a href="javascript:load(' + (n - 1) + ')">上一页</a> ';
    for (var i = 1; i <= TOTAL_PAGES; i++) {
      pager += i == n ? '<span class="current">' + i + '</span> ' : '<a href="javascript:load(' + i + ')">' + i + '</a> ';
    }
    if (n < TOTAL_PAGES) pager += '<a href="javascript:load(' + (n + 1) + ')">下一页</a> ';
    pager += '<a href="javascript:load(' + TOTAL_PAGES + ')">尾页</a>';
    document.getElementById('ndbg-pager').innerHTML = pager;
  };
  xhr.send();
}
load(1);
</script>"""


def _pages(items: list[Item]) -> list[list[Item]]:
    """Three pages of 7 in date order: 6 reports + 1 decoy, 6 + 1, 5 + 2 (the first page alone holds 6 of 17)."""
    reports = [i for i in items if i.is_report]
    decoys = [i for i in items if not i.is_report]
    cut = [(reports[0:6], decoys[0:1]), (reports[6:12], decoys[1:2]), (reports[12:], decoys[2:])]
    pages = []
    for page_reports, page_decoys in cut:
        page = [*page_reports[:3], *page_decoys, *page_reports[3:]]
        pages.append(page)
    return pages


def build_jspager(ctx: BuildContext, pager: bool = True) -> None:
    """The column ``/xxgk/ndbg/index.html`` and its JSON API ``/api/xxgk/ndbg/list``. ``pager=False`` (tests of
    the API's own paging) leaves the script's pager out: only page 1 is ever rendered."""
    site = ctx.site
    info = SiteInfo("永和县人民政府", "6211230003", "陇ICP备06000823号", "62112302000131号")
    rows = plan(ctx, 17, 4, UNITS, range(2018, 2025), 730100)
    items = publish_rows(ctx, info, "信息公开年报", 902, rows,
                         lambda r: f"/xxgk/ndbg/{r['published'][:4]}/{r['doc_id']}.html")
    pages = _pages(items)
    assert [len(p) for p in pages] == [PER_PAGE] * PAGES
    script = SCRIPT % (PAGES, PER_PAGE)
    if not pager:
        script = script.replace("document.getElementById('ndbg-pager').innerHTML = pager;", "")
    body = ('<ul id="ndbg-list" class="list"></ul>', '<div id="ndbg-pager"></div>' + script)
    html = simple_list_page(info, "信息公开年报", "", "").replace(
        '<ul class="list"></ul><div class="pager"></div>', "".join(body))
    site.add("/xxgk/ndbg/index.html", Page.html(html))

    def api(request: Request) -> Page:
        try:
            number = int(request.query.get("page", ["1"])[0])
        except ValueError:
            number = 1
        chunk = pages[number - 1] if 1 <= number <= len(pages) else []
        rows_out = [{"title": i.title, "url": i.path, "publishDate": i.date} for i in chunk]
        answer = {"code": 200, "msg": "success", "data": {"rows": rows_out}}
        return Page(body=json.dumps(answer, ensure_ascii=False).encode(), content_type="application/json;charset=UTF-8")

    site.add("/api/xxgk/ndbg/list", api)
    start = site.url("/xxgk/ndbg/index.html")
    ctx.ground.add_column(site.name, start, {i.url for i in items if i.is_report})
    ctx.ground.add_trap(site.name, "list_api", site.url(f"/api/xxgk/ndbg/list?page=1&size={PER_PAGE}"))


__all__ = ["PER_PAGE", "build_jspager"]
