"""Mock sites for the other list styles of real CMS families (domain guide §2):

- ``hanweb``: 大汉 JCMS column ``/col/col<id>/index.html`` with the first group of records as XML in a
  ``<script type="text/xml"><datastore>`` block, later groups by POST ``/module/web/jpage/dataproxy.jsp``;
  ``/art/Y/M/D/art_C_A.html`` articles; ``downfile.jsp`` 302 to a PDF attachment.
- ``query``: ``?page=N``, ``list.do?…&pageNo=N`` and ``column-index-N.shtml`` pagination (three columns).
- ``gkmlpt``: 信息公开平台 page with ``window._CONFIG`` + JSON list API ``/gkmlpt/api/all/<cat>?page=N``.
- ``fujian``: 动静结合 — first 10 items static in ``<dl><dd>``, the rest from ``POST /fjdzapp/search``.
- ``jsonly``: an empty list container filled by a script from ``/api/ndbg/list.json`` (XHR).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import quote

from govcrawl.demo import chrome
from govcrawl.demo.attachments import pdf_bytes
from govcrawl.demo.chrome import SiteInfo, esc
from govcrawl.demo.context import BuildContext
from govcrawl.demo.server import Page, Request
from govcrawl.demo.texts import report_title
from govcrawl.demo.trs import DECOY_TEXTS, ReportSpec, publish_date, publish_decoy, publish_report

CITY_UNITS = [
    "定川市发展和改革委员会",
    "定川市教育局",
    "定川市公安局",
    "定川市民政局",
    "定川市司法局",
    "定川市财政局",
    "定川市人力资源和社会保障局",
    "定川市自然资源局",
    "定川市住房和城乡建设局",
    "定川市交通运输局",
    "定川市农业农村局",
    "定川市卫生健康委员会",
    "定川市市场监督管理局",
    "定川市统计局",
    "定川市安定区人民政府",
    "定川市人民政府办公室",
]
DECOY_TITLES = [
    ("jiedu", "《{a}{y}年政府信息公开工作年度报告》解读"),
    ("gzbg", "{y}年{a}工作报告"),
    ("yaodian", "{a}{y}年政务公开工作要点"),
    ("tongzhi", "关于做好{y}年政府信息公开工作年度报告编制发布工作的通知"),
    ("fazhi", "{a}{y}年法治政府建设年度报告"),
    ("tongji", "{a}{y}年统计公报"),
    ("caizheng", "{a}关于{y}年预算执行情况的报告"),
]


@dataclass
class Item:
    """One list entry of a non-TRS column (report or decoy)."""

    url: str
    title: str
    date: str
    is_report: bool
    doc_id: int
    path: str


def plan(ctx: BuildContext, n_reports: int, n_decoys: int, units: list[str], years: range, first_id: int) -> list[dict]:
    """A deterministic mix of (unit, year) reports and decoys, newest first."""
    rng = ctx.sub_rng("plan", first_id)
    pairs = [(u, y) for y in years for u in units]
    rng.shuffle(pairs)
    chosen = pairs[:n_reports]
    rows = [
        {"agency": u, "year": y, "report": True, "doc_id": first_id + i, "style": rng.randrange(6)}
        for i, (u, y) in enumerate(chosen)
    ]
    for i in range(n_decoys):
        kind, pattern = DECOY_TITLES[i % len(DECOY_TITLES)]
        unit, year = rng.choice(units), rng.choice(list(years))
        rows.append(
            {"agency": unit, "year": year, "report": False, "kind": kind, "title": pattern.format(a=unit, y=year),
             "doc_id": first_id + n_reports + i}
        )
    for row in rows:
        row["published"] = publish_date(ctx, row["year"], ("plan", row["doc_id"]))
    rows.sort(key=lambda r: (r["published"], r["doc_id"]), reverse=True)
    return rows


def publish_rows(
    ctx: BuildContext, info: SiteInfo, column: str, chnl_id: int, rows: list[dict], path_of, builder=None, suffix=None
) -> list[Item]:
    """Serve every planned row at ``path_of(row)``; return the list items."""
    items = []
    for row in rows:
        path = path_of(row)
        if row["report"]:
            spec = ReportSpec(agency=row["agency"], year=row["year"], doc_id=row["doc_id"], title_style=row["style"],
                              published=row["published"], suffix_html=suffix(row) if suffix else "")
            url, title = publish_report(ctx, info, column, chnl_id, path, spec, builder)
        else:
            title = row["title"]
            url = publish_decoy(ctx, info, column, chnl_id, path, row["kind"], title, row["year"], row["doc_id"],
                                row["published"], builder)
        items.append(Item(url, title, row["published"], row["report"], row["doc_id"], path))
    return items


def simple_list_page(info: SiteInfo, column: str, items_html: str, pager_html: str, extra_head: str = "") -> str:
    """A plain (non-TRS) list page with chrome."""
    return (
        chrome.head(f"{column}_{info.name}", {"SiteName": info.name, "ColumnName": column})
        + extra_head
        + "<body>"
        + chrome.header(info)
        + f'<div class="w1200 main"><div class="position">当前位置：<a href="/">首页</a> &gt; {esc(column)}</div>'
        + f'<div class="list-box"><ul class="list">{items_html}</ul><div class="pager">{pager_html}</div></div></div>'
        + chrome.footer(info)
        + "</body></html>"
    )


def _li(item: Item, href: str | None = None) -> str:
    return f'<li><a href="{esc(href or item.url)}" title="{esc(item.title)}" target="_blank">{esc(item.title)}</a><span class="date">{item.date}</span></li>'


def _register(ctx: BuildContext, start_url: str, items: list[Item]) -> None:
    ctx.ground.add_column(ctx.site.name, start_url, {i.url for i in items if i.is_report})


# ---------------------------------------------------------------------------------------------------------
# Hanweb jpage


def hanweb_detail(info: SiteInfo, **kw) -> str:
    """A Hanweb article: i_columnid/i_articleid metas, ZJEG_RSS content markers, ``div#zoom``."""
    kw["content_html"] = (
        '<!--ZJEG_RSS.content.begin--><meta name="ContentStart">' + kw["content_html"] + '<meta name="ContentEnd"><!--ZJEG_RSS.content.end-->'
    )
    html = chrome.detail_page(info, container="artile_zw", **kw)
    metas = f'<meta name="i_columnid" content="{kw["chnl_id"]}">\n<meta name="i_articleid" content="{kw["doc_id"]}">\n<title>'
    return html.replace("<title>", metas, 1).replace("/wcm/app/js/jquery.min.js", "/module/jslib/jquery/jquery.js")


def build_hanweb(ctx: BuildContext) -> None:
    site = ctx.site
    info = SiteInfo("定川市政府信息公开平台", "6211000001", "陇ICP备06000815号", "62110202000123号")
    col_id, unit_id, web_id = 4321, 98765, 21
    per_page, group = 15, 45
    rows = plan(ctx, 40, 12, CITY_UNITS, range(2018, 2024), 300100)
    attach_ids: dict[int, str] = {}

    def art_path(row: dict) -> str:
        y, m, d = (int(x) for x in row["published"].split("-"))
        return f"/art/{y}/{m}/{d}/art_{col_id}_{row['doc_id']}.html"

    def suffix(row: dict) -> str:
        if row["doc_id"] % 4:
            return ""
        hexname = hashlib.md5(str(row["doc_id"]).encode()).hexdigest()
        attach_ids[row["doc_id"]] = hexname
        name = report_title(row["agency"], row["year"], row["style"]) + ".pdf"
        return (
            f'<p>附件：<a href="/module/download/downfile.jsp?classid=0&amp;filename={hexname}.pdf&amp;showname={quote(name)}">'
            f"{esc(name)}</a></p>"
        )

    items = publish_rows(ctx, info, "政府信息公开年报", col_id, rows, art_path, hanweb_detail, suffix)
    by_id = {i.doc_id: i for i in items}

    def record(item: Item) -> str:
        short = item.title if len(item.title) <= 18 else item.title[:18] + "..."
        if item.doc_id % 3 == 0:
            return (f"<li class=\"clearfix\"><a href='{item.path}' title='{esc(item.title)}' target=\"_blank\">{esc(short)}</a>"
                    f"<b>{item.date}</b></li>")
        if item.doc_id % 3 == 1:
            return (f'<table width="100%"><tr><td width="620"><a href="{item.path}" title="{esc(item.title)}" target="_blank">'
                    f'{esc(short)}</a></td><td width="100">{item.date}</td></tr></table>')
        date = item.date.replace("-", "-\n")
        return f"<li><a href='{item.path}' title='{esc(item.title)}' target=\"_blank\">{esc(short)}</a><span class=\"time\">{date}</span></li>"

    def records(start: int, end: int) -> str:
        return "".join(f"<record><![CDATA[\n{record(i)}\n]]></record>\n" for i in items[start - 1 : end])

    webname = quote("定川市政府信息公开平台")
    nextgroup = (f'<a href="/module/web/jpage/dataproxy.jsp?page=1&webid={web_id}&path=/&columnid={col_id}'
                 f'&unitid={unit_id}&webname={webname}&permissiontype=0"></a>')
    column_html = simple_list_page(
        info,
        "政府信息公开年报",
        "",
        f"""<div id="{unit_id}"><script type="text/xml"><datastore><nextgroup><![CDATA[{nextgroup}]]></nextgroup>
<recordset>
{records(1, group)}</recordset></datastore></script>
<script language="javascript" src="/module/web/jpage/jpage.js"></script>
<script type="text/javascript">
$(function(){{ $("#{unit_id}").jpage({{ dataStore: dataStore, proxyUrl: "/module/web/jpage/dataproxy.jsp", perPage: {per_page},
  totalRecord: {len(items)}, groupSize: 3, barPosition: "bottom", ajaxParam: {{ col: 1, appid: 1, webid: {web_id}, path: "/",
  columnid: {col_id}, sourceContentType: 1, unitid: {unit_id}, webname: "定川市政府信息公开平台", permissiontype: 0 }} }}); }});
</script></div>""",
    ).replace("/wcm/app/js/jquery.min.js", "/module/jslib/jquery/jquery.js")
    column_path = f"/col/col{col_id}/index.html"
    site.add(column_path, Page.html(column_html))
    site.add(f"/col/col{col_id}/", Page.html(column_html))

    def dataproxy(request: Request) -> Page:
        try:
            start = int(request.arg("startrecord", "1"))
            end = int(request.arg("endrecord", str(group)))
        except ValueError:
            return Page(body=b"<datastore></datastore>", content_type="text/xml;charset=UTF-8", status=400)
        if request.arg("columnid", str(col_id)) != str(col_id) or start < 1:
            body = "<datastore><totalrecord>0</totalrecord><recordset></recordset></datastore>"
        else:
            body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n<nextgroup><![CDATA[{nextgroup}]]></nextgroup>\n'
                    f"<recordset>\n{records(start, min(end, len(items)))}</recordset>\n<totalrecord>{len(items)}</totalrecord>\n</datastore>")
        return Page(body=body.encode("utf-8"), content_type="text/xml;charset=UTF-8")

    site.add("/module/web/jpage/dataproxy.jsp", dataproxy)
    pdf_cache: dict[str, bytes] = {}

    def downfile(request: Request) -> Page:
        name = request.arg("filename")
        if name.removesuffix(".pdf") not in attach_ids.values():
            return Page.html("<html><body>文件不存在</body></html>", status=404)
        return Page(body=b"", status=302, content_type=None, headers=[("Location", f"/attach/0/{name}")])

    def attach(request: Request) -> Page:
        hexname = request.path.rsplit("/", 1)[-1].removesuffix(".pdf")
        doc_id = next((d for d, h in attach_ids.items() if h == hexname), None)
        if doc_id is None:
            return Page.html("<html><body>404</body></html>", status=404)
        if hexname not in pdf_cache:
            truth = ctx.ground.reports[by_id[doc_id].url]
            pdf_cache[hexname] = pdf_bytes(truth.title, [f"{truth.agency}（PDF版）", truth.phrase, "详见网页正文。"])
        return Page(body=pdf_cache[hexname], content_type="application/pdf")

    site.add("/module/download/downfile.jsp", downfile)
    site.add_prefix("/attach/0/", attach)
    for doc_id, hexname in attach_ids.items():
        ctx.ground.reports[by_id[doc_id].url].attachments.append(site.url(f"/attach/0/{hexname}.pdf"))
    site.add("/robots.txt", Page(body=b"User-agent: *\nDisallow: /jcms/\n", content_type="text/plain"))
    _register(ctx, site.url(column_path), items)
    ctx.ground.add_trap(site.name, "dataproxy", site.url("/module/web/jpage/dataproxy.jsp"))


# ---------------------------------------------------------------------------------------------------------
# query pagination


def build_query(ctx: BuildContext) -> None:
    site = ctx.site
    info = SiteInfo("定川市安定区人民政府", "6211020001", "陇ICP备06000816号", "62110202000124号")
    units = CITY_UNITS[:8]

    # 1. ?page=N  (page 1 = no parameter)
    rows = plan(ctx, 10, 3, units, range(2019, 2024), 400100)
    items = publish_rows(ctx, info, "年度报告", 501, rows, lambda r: f"/zwgk/ndbg/content_{r['doc_id']}.html")
    size = 5
    pages = -(-len(items) // size)

    def page_list(request: Request) -> Page:
        try:
            number = int(request.arg("page", "1"))
        except ValueError:
            number = 1
        if not 1 <= number <= pages:
            return Page.html(simple_list_page(info, "年度报告", "<li>暂无数据</li>", ""))
        chunk = items[(number - 1) * size : number * size]
        pager = f'<span>共{len(items)}条 第{number}/{pages}页</span> <a href="?page=1">首页</a> '
        if number > 1:
            pager += f'<a href="?page={number - 1}">上一页</a> '
        if number < pages:
            pager += f'<a href="?page={number + 1}">下一页</a> '
        pager += f'<a href="?page={pages}">尾页</a>'
        return Page.html(simple_list_page(info, "年度报告", "".join(_li(i, i.path) for i in chunk), pager))

    site.add("/zwgk/ndbg/index.jsp", page_list)
    _register(ctx, site.url("/zwgk/ndbg/index.jsp"), items)

    # 2. list.do?channelId=22&pageNo=N ; details detail.do?docId=N
    rows = plan(ctx, 6, 2, units, range(2019, 2024), 410100)
    items2 = publish_rows(ctx, info, "部门年报", 502, rows, lambda r: f"/gov/xxgk/detail.do?docId={r['doc_id']}")
    size2 = 3
    pages2 = -(-len(items2) // size2)

    def page_no_list(request: Request) -> Page:
        try:
            number = int(request.arg("pageNo", "1"))
        except ValueError:
            number = 1
        number = min(max(number, 1), pages2)
        chunk = items2[(number - 1) * size2 : number * size2]
        links = " ".join(
            f'<a href="list.do?channelId=22&amp;pageNo={n}">{n}</a>' if n != number else f"<b>{n}</b>"
            for n in range(1, pages2 + 1)
        )
        pager = f'<form name="pageForm" action="list.do"><input type="hidden" name="channelId" value="22">{links} ' \
                f'<a href="javascript:goPage({min(number + 1, pages2)})">下一页</a></form>'
        return Page.html(simple_list_page(info, "部门年报", "".join(_li(i, i.path) for i in chunk), pager))

    site.add("/gov/xxgk/list.do", page_no_list)
    _register(ctx, site.url("/gov/xxgk/list.do?channelId=22&pageNo=1"), items2)

    # 3. column-index-N.shtml
    rows = plan(ctx, 7, 2, units, range(2019, 2024), 420100)
    items3 = publish_rows(ctx, info, "乡镇年报", 503, rows, lambda r: f"/gkml/xzb/{r['published'][:7].replace('-', '')}/{r['doc_id']}.shtml")
    size3 = 4
    pages3 = -(-len(items3) // size3)
    for number in range(1, pages3 + 1):
        chunk = items3[(number - 1) * size3 : number * size3]
        pager = " ".join(f'<a href="column-index-{n}.shtml">{n}</a>' for n in range(1, pages3 + 1))
        pager += f' <span>共{pages3}页</span>'
        site.add(f"/gkml/xzb/column-index-{number}.shtml",
                 Page.html(simple_list_page(info, "乡镇年报", "".join(_li(i, i.path) for i in chunk), pager)))
    _register(ctx, site.url("/gkml/xzb/column-index-1.shtml"), items3)


# ---------------------------------------------------------------------------------------------------------
# gkmlpt JSON API


def build_gkmlpt(ctx: BuildContext) -> None:
    site = ctx.site
    info = SiteInfo("岭南市徐安县人民政府", "4408230001", "粤ICP备05088888号", "44082302000001号")
    sid, cat = "755029", 2657
    units = ["徐安县人民政府", "徐安县发展和改革局", "徐安县教育局", "徐安县财政局", "徐安县城北镇人民政府", "徐安县海安镇人民政府"]
    rows = plan(ctx, 18, 5, units, range(2019, 2024), 500100)
    items = publish_rows(ctx, info, "政府信息公开年报", cat, rows,
                         lambda r: f"/gkmlpt/content/{r['doc_id'] // 1000}/{r['doc_id']}/post_{r['doc_id']}.html",
                         gkmlpt_detail)
    config = {
        "SID": sid,
        "TREE": [
            {"id": 2650, "name": "机构职能", "children": []},
            {"id": 2653, "name": "政策文件", "children": []},
            {"id": cat, "name": "政府信息公开年报", "children": []},
        ],
        "API_ROOT": "/gkmlpt/api",
    }
    index_html = simple_list_page(
        info,
        "政府信息公开目录",
        "",
        '<div id="gkmlpt-app"></div>',
        extra_head=f"<script>window._CONFIG = {json.dumps(config, ensure_ascii=False)};</script>"
        '<script src="/gkmlpt/static/js/app.js"></script>',
    )
    site.add("/gkmlpt/index", Page.html(index_html))
    site.add("/gkmlpt/static/js/app.js", Page(body=(
        "(function(){var c=window._CONFIG;var cat=location.hash.replace('#','')||'" + str(cat) + "';"
        "fetch(c.API_ROOT+'/all/'+cat+'?page=1&sid='+c.SID).then(function(r){return r.json()}).then(function(d){"
        "var box=document.getElementById('gkmlpt-app');d.articles.forEach(function(a){var e=document.createElement('a');"
        "e.href=a.url;e.textContent=a.title;box.appendChild(e);});});})();").encode(), content_type="application/javascript"))
    size = 10

    def api(request: Request) -> Page:
        try:
            category = int(request.path.rsplit("/", 1)[-1])
            number = int(request.arg("page", "1"))
        except ValueError:
            return Page(body=b'{"error":"bad request"}', content_type="application/json", status=400)
        chosen = items if category == cat else []
        chunk = chosen[(number - 1) * size : number * size] if number >= 1 else []
        articles = [
            {
                "id": i.doc_id, "title": i.title, "document_number": "", "identifier": f"11440823007{i.doc_id % 1000:03d}/{i.date[:4]}-{i.doc_id % 10000:05d}",
                "publisher": units[i.doc_id % len(units)], "date": i.date, "created_at": f"{i.date} 10:00:00",
                "display_publish_time": i.date, "url": i.url, "post_url": i.url,
                "classify_main_name": "政府信息公开年报", "is_expired": False, "is_abolished": False, "attachment": [],
            }
            for i in chunk
        ]
        body = {"classify": {"id": category, "name": "政府信息公开年报", "post_count": len(chosen)}, "articles": articles,
                "page": number, "page_size": size}
        return Page(body=json.dumps(body, ensure_ascii=False).encode(), content_type="application/json;charset=UTF-8")

    site.add_prefix("/gkmlpt/api/all/", api)
    _register(ctx, site.url("/gkmlpt/index"), items)
    ctx.ground.add_trap(site.name, "list_api", site.url(f"/gkmlpt/api/all/{cat}?page=1&sid={sid}"))


def gkmlpt_detail(info: SiteInfo, **kw) -> str:
    """gkmlpt article: rendered content plus the same content JSON-escaped in ``_CONFIG.DETAIL.content``."""
    html = chrome.detail_page(info, container="article-content", **kw)
    detail = {"DETAIL": {"title": kw["title"], "content": kw["content_html"], "date": kw["published"], "id": kw["doc_id"]}}
    return html.replace("</head>", f"<script>window._CONFIG = {json.dumps(detail, ensure_ascii=False)};</script>\n</head>", 1)


# ---------------------------------------------------------------------------------------------------------
# Fujian 动静结合


def build_fujian(ctx: BuildContext) -> None:
    site = ctx.site
    info = SiteInfo("闽海综合实验区管理委员会", "3590000001", "闽ICP备09032658号", "35012899001-19002")
    units = ["闽海综合实验区", "闽海综合实验区管委会", "闽海综合实验区财政金融局", "闽海综合实验区社会事业局", "闽海县人民政府"]
    rows = plan(ctx, 19, 5, units, range(2011, 2024), 600100)
    column_path = "/zwgk/zfxxgkzl/zfxxgknb/"
    items = publish_rows(ctx, info, "政府信息公开年报", 1813, rows,
                         lambda r: f"{column_path}{r['published'][:7].replace('-', '')}/t{r['published'].replace('-', '')}_{r['doc_id']}.htm")
    size = 10
    first = items[:size]
    static = "".join(
        f'<dl><dd class="trt-col-sm-24 trt-col-md-20"><a href=".{i.path[len(column_path) - 1 :]}" title="{esc(i.title)}" target="_blank">'
        f'{esc(i.title)}</a></dd><dd class="trt-col-4 trt-col-md-4 xl-hide">{i.date}</dd></dl>'
        for i in first
    )
    script = (
        '<script src="/static/js/avalon.js"></script><script>\n'
        'listModel({quickMode:"动静结合", url:"/fjdzapp/search", listArgs:{channelid:"200210", sortfield:"-docreltime", '
        f'classsql:"chnlid=1813"}}, pagebar:{{prepage:{size}, recordCount:\'{len(items)}\'}}, el:"#list-box"}});\n</script>'
    )
    column_html = simple_list_page(info, "政府信息公开年报", "", f'<div id="list-box">{static}</div><div class="pagebar" ms-html="pagebar"></div>{script}')
    site.add(column_path + "index.htm", Page.html(column_html))
    site.add(column_path, Page.html(column_html))

    def search(request: Request) -> Page:
        if request.method != "POST":
            return Page(body=json.dumps({"msg": "请使用POST请求"}, ensure_ascii=False).encode(), status=405,
                        content_type="application/json;charset=UTF-8")
        try:
            number = int(request.arg("page", "1"))
            per = int(request.arg("prepage", str(size)))
        except ValueError:
            number, per = 1, size
        per = max(1, min(per, 50))
        chosen = items if request.arg("classsql", "chnlid=1813") == "chnlid=1813" else []
        chunk = chosen[(number - 1) * per : number * per] if number >= 1 else []
        data = [
            {"doctitle": i.title, "docpuburl": i.url, "chnldocurl": i.url, "docreltime": f"{i.date} 09:30:00",
             "pubdate": i.date, "fileno": "", "docsourcename": units[i.doc_id % len(units)], "puborg": units[i.doc_id % len(units)],
             "idxid": f"MH00101-{i.date[:4]}-{i.doc_id % 10000:05d}", "chnlid": 1813}
            for i in chunk
        ]
        body = {"pageCount": -(-len(chosen) // per), "pageNo": number, "recordCount": len(chosen), "data": data}
        return Page(body=json.dumps(body, ensure_ascii=False).encode(), content_type="application/json;charset=UTF-8")

    site.add("/fjdzapp/search", search)
    _register(ctx, site.url(column_path + "index.htm"), items)
    ctx.ground.add_trap(site.name, "search_api", site.url("/fjdzapp/search"))


# ---------------------------------------------------------------------------------------------------------
# JS-only list


def build_jsonly(ctx: BuildContext) -> None:
    site = ctx.site
    info = SiteInfo("定川市卫生健康委员会", "6211000015", "陇ICP备06000817号", "62110202000125号")
    units = ["定川市卫生健康委员会", "定川市疾病预防控制中心", "定川市人民医院"]
    rows = plan(ctx, 8, 2, units, range(2019, 2024), 700100)
    items = publish_rows(ctx, info, "信息公开年报", 801, rows,
                         lambda r: f"/xxgk/ndbg/{r['published'][:7].replace('-', '')}/t{r['published'].replace('-', '')}_{r['doc_id']}.html")
    script = """<script>
(function(){
  var xhr = new XMLHttpRequest();
  xhr.open('GET', '/api/ndbg/list.json?page=1&size=20');
  xhr.onload = function(){
    var data = JSON.parse(xhr.responseText), ul = document.getElementById('report-list');
    data.list.forEach(function(it){
      var li = document.createElement('li'), a = document.createElement('a'), s = document.createElement('span');
      a.href = it.link; a.textContent = it.name; a.title = it.name; s.textContent = it.date;
      li.appendChild(a); li.appendChild(s); ul.appendChild(li);
    });
  };
  xhr.send();
})();
</script>"""
    html = simple_list_page(info, "信息公开年报", "", '<ul id="report-list"></ul>' + script)
    html = html.replace('<ul class="list"></ul>', "")
    site.add("/xxgk/ndbg/index.html", Page.html(html))
    listing = {"total": len(items), "page": 1, "list": [{"name": i.title, "link": i.path, "date": i.date} for i in items]}
    site.add("/api/ndbg/list.json", Page(body=json.dumps(listing, ensure_ascii=False).encode(), content_type="application/json;charset=UTF-8"))
    _register(ctx, site.url("/xxgk/ndbg/index.html"), items)
    ctx.ground.add_trap(site.name, "list_json", site.url("/api/ndbg/list.json?page=1&size=20"))


__all__ = ["DECOY_TEXTS", "build_fujian", "build_gkmlpt", "build_hanweb", "build_jsonly", "build_query"]
