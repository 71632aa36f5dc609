"""Site "county": a county-level TRS site (云岭县人民政府) with a 信息公开年报 column of three list pages.

Reports 2009-2024 of the county government in all three template generations, plus department and town
reports (one 零报告) and the usual decoys. One report page is GBK, one gzip-encoded, one chunked; the list's
second page is gzip-encoded too. The whole site is mirrored under ``/gate/big5/<host>/`` (a 繁體版 trap).
"""

from __future__ import annotations

from govcrawl.demo import chrome
from govcrawl.demo.chrome import SiteInfo
from govcrawl.demo.context import BuildContext
from govcrawl.demo.server import Page
from govcrawl.demo.trs import ReportSpec, TrsColumn, add_decoy, add_trs_report, big5_gateway, mirror_url

COUNTY = "云岭县人民政府"
COLUMN_PATH = "/zwgk/zfxxgk/zfxxgknb/"

DECOYS = [
    ("gzbg", "2024年云岭县人民政府工作报告", 2023),
    ("gzbg", "2021年政府工作报告", 2020),
    ("yaodian", "云岭县2023年政务公开工作要点", 2022),
    ("jiedu", "图解：云岭县人民政府2022年政府信息公开工作年度报告", 2022),
    ("jiedu", "《云岭县人民政府2021年政府信息公开工作年度报告》解读", 2021),
    ("tongzhi", "关于做好2020年政府信息公开工作年度报告编制公布工作的通知", 2020),
    ("tongzhi", "关于云岭县2018年度政府信息公开工作年度报告的说明", 2018),
    ("caizheng", "关于云岭县2022年财政预算执行情况和2023年财政预算草案的报告", 2022),
    ("fazhi", "云岭县人民政府2023年法治政府建设年度报告", 2023),
    ("tongji", "云岭县2022年国民经济和社会发展统计公报", 2022),
    ("han", "关于2014年政府信息公开工作要点落实情况的函", 2014),
]


def build(ctx: BuildContext) -> None:
    site = ctx.site
    host_label = site.base_url.removeprefix("http://")
    info = SiteInfo(
        name=COUNTY,
        site_code="5323000017",
        icp="滇ICP备05001234号",
        police="53232502000101号",
        big5_link=f"/gate/big5/{host_label}/",
    )
    column = TrsColumn(ctx, info, COLUMN_PATH, "政府信息公开年报", chnl_id=1813, per_page=10, gzip_pages={1})
    doc_id = 80100
    for year in range(2009, 2025):
        doc_id += 7
        spec = ReportSpec(agency=COUNTY, year=year, doc_id=doc_id, title_style=year % 6, compiler="云岭县人民政府办公室")
        if year == 2012:
            spec.encoding = "gbk"
        elif year == 2020:
            spec.gzip = True
        elif year == 2016:
            spec.chunked = True
        elif year == 2022:
            spec.fmt = "2019"  # a laggard still on the 2019 tables (domain guide §8)
        add_trs_report(ctx, column, spec)
    add_trs_report(ctx, column, ReportSpec(agency="云岭县教育体育局", year=2023, doc_id=81001, title_style=0))
    add_trs_report(ctx, column, ReportSpec(agency="云岭县财政局", year=2020, doc_id=81002, title_style=3))
    add_trs_report(ctx, column, ReportSpec(agency="云岭县青石镇人民政府", year=2022, doc_id=81003, zero=True))
    for number, (kind, title, year) in enumerate(DECOYS):
        add_decoy(ctx, column, kind, title, year, 82000 + number)
    column.register()

    gbk_url = next(u for u, t in ctx.ground.reports.items() if t.site == site.name and t.year == 2012)
    gzip_url = next(u for u, t in ctx.ground.reports.items() if t.site == site.name and t.year == 2020 and t.agency == COUNTY)
    chunked_url = next(u for u, t in ctx.ground.reports.items() if t.site == site.name and t.year == 2016)
    ctx.ground.add_trap(site.name, "gbk_page", gbk_url)
    ctx.ground.add_trap(site.name, "gzip_page", gzip_url)
    ctx.ground.add_trap(site.name, "chunked_page", chunked_url)
    ctx.ground.add_trap(site.name, "gzip_list_page", column.ctx.site.url(COLUMN_PATH + "index_1.html"))
    for url in [u for u, t in ctx.ground.reports.items() if t.site == site.name]:
        ctx.ground.add_twin(site.name, mirror_url(site.base_url, url, host_label), url)

    home = (
        chrome.head(COUNTY, {"SiteName": COUNTY, "SiteIDCode": info.site_code})
        + "<body>"
        + chrome.header(info)
        + '<div class="w1200"><div class="news"><h3>政务公开</h3><ul>'
        + '<li><a href="/zwgk/index.html">政务公开</a></li>'
        + f'<li><a href="{COLUMN_PATH}index.html">信息公开年报</a></li>'
        + '<li><a href="/zwgk/zfgzbg/index.html">政府工作报告</a></li></ul></div></div>'
        + chrome.footer(info)
        + "</body></html>"
    )
    zwgk = (
        chrome.head(f"政务公开_{COUNTY}", {"SiteName": COUNTY, "ColumnName": "政务公开"})
        + "<body>"
        + chrome.header(info)
        + '<div class="w1200"><div class="position">当前位置：<a href="/">首页</a> &gt; 政务公开</div><ul class="gk-nav">'
        + '<li><a href="/zwgk/zfxxgk/zfxxgkzn/index.html">政府信息公开指南</a></li>'
        + f'<li><a href="{COLUMN_PATH}index.html">政府信息公开年报</a></li>'
        + '<li><a href="/zwgk/zfgzbg/index.html">政府工作报告</a></li></ul></div>'
        + chrome.footer(info)
        + "</body></html>"
    )
    site.add("/", Page.html(home))
    site.add("/index.html", Page.html(home))
    site.add("/zwgk/index.html", Page.html(zwgk))
    site.add(
        "/robots.txt",
        Page(body=b"User-agent: *\nDisallow: /wcm/\nDisallow: /search/\nDisallow: /zwgk/zfxxgk/ysqgk/\n", content_type="text/plain"),
    )
    site.add_prefix(f"/gate/big5/{host_label}", big5_gateway(ctx, host_label))
    ctx.ground.add_column(site.name, column.url, {u for u, t in ctx.ground.reports.items() if t.site == site.name})

    def add_report(year: int = 2025, agency: str = COUNTY, fmt: str | None = None, title: str | None = None, **_: object) -> str:
        nonlocal doc_id
        doc_id += 101
        url = add_trs_report(
            ctx, column, ReportSpec(agency=agency, year=year, doc_id=doc_id, fmt=fmt, title=title, published=f"{year + 1}-01-20")
        )
        return url

    ctx.ground.adders[site.name] = add_report
