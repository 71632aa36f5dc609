"""Trap sites (domain guide §6, issue 4 item 6).

``traps`` column ``/zwgk/ndbg/index.html`` mixes real reports with: a ``_wap`` twin and a ``/gate/big5/`` twin,
links carrying ``;jsessionid=`` and ``?sid=``, ``ms-attr-href`` template junk, a report reachable only through
``onclick``, a near-miss title, a town 零报告 (all-zero tables), a 200 answer with a 2-byte body, a
meta-refresh removal stub, a slow report page and one that always answers 500, and a sidebar link into an
endless meeting calendar. A second column ``/zwgk/bmnb/list?page=N`` repeats its last page for any page
number and always offers 下一页.

``challenge``: the column answers HTTP 412 with a 瑞数-style JS cookie challenge (meta + inline script +
external script) until the request carries the cookie the inline script sets; then it serves a normal list.
"""

from __future__ import annotations

import re

from govcrawl.demo import chrome
from govcrawl.demo.chrome import SiteInfo, esc
from govcrawl.demo.context import BuildContext
from govcrawl.demo.server import Page, Request
from govcrawl.demo.trs import (
    ListEntry,
    ReportSpec,
    TrsColumn,
    add_decoy,
    add_trs_report,
    big5_gateway,
    report_path,
)

CALENDAR_PATH = "/hdjl/hyrl/index.html"
CHALLENGE_COOKIE = "924omrTVcFchP"


def _alias(site, path: str):
    """A handler serving whatever ``path`` serves (a twin URL of the same resource)."""

    def handler(request: Request) -> Page:
        return site.resolve(Request(request.method, path, {}, request.headers))

    return handler


def _entry_of(column: TrsColumn, url: str) -> ListEntry:
    return next(e for e in column.entries if url.endswith(e.href[1:]))


def build_traps(ctx: BuildContext) -> None:
    site = ctx.site
    host_label = site.base_url.removeprefix("http://")
    info = SiteInfo("云岭县石门乡人民政府", "5323000077", "滇ICP备05001377号", "53232502000177号")
    column = TrsColumn(ctx, info, "/zwgk/ndbg/", "政府信息公开年报", chnl_id=4401, per_page=20)
    agency = info.name
    urls = [
        add_trs_report(ctx, column, ReportSpec(agency=agency, year=year, doc_id=940000 + year, title_style=year % 6))
        for year in (2019, 2020, 2021, 2022)
    ]
    zero_url = add_trs_report(ctx, column, ReportSpec(agency="云岭县石门乡大坪村", year=2023, doc_id=940100, zero=True,
                                                      title="石门乡大坪村2023年政府信息公开工作年度报告"))
    slow_url = add_trs_report(ctx, column, ReportSpec(agency=agency, year=2018, doc_id=940200, delay=2.0))
    add_decoy(ctx, column, "han", "关于2014年政府信息公开工作要点落实情况的函", 2014, 940300)
    add_decoy(ctx, column, "tongzhi", "关于石门乡2021年度政府信息公开工作年度报告的说明", 2021, 940301)
    traps = ctx.ground

    # twins: _wap copy, /gate/big5/ copy, ;jsessionid= and ?sid= links
    wap_entry = _entry_of(column, urls[0])
    wap_path = urls[0][len(site.base_url) :].replace(".html", "_wap.html")
    site.add(wap_path, _alias(site, urls[0][len(site.base_url) :]))
    column.entries.append(ListEntry(href=wap_entry.href.replace(".html", "_wap.html"), title=wap_entry.title, date=wap_entry.date))
    traps.add_twin(site.name, site.url(wap_path), urls[0])
    traps.add_trap(site.name, "wap_twin", site.url(wap_path))

    big5_entry = _entry_of(column, urls[1])
    big5_href = f"/gate/big5/{host_label}" + urls[1][len(site.base_url) :]
    column.entries.append(ListEntry(href=big5_href, title=big5_entry.title + "（繁體）", date=big5_entry.date))
    site.add_prefix(f"/gate/big5/{host_label}", big5_gateway(ctx, host_label))
    traps.add_twin(site.name, site.url(big5_href), urls[1])
    traps.add_trap(site.name, "big5_twin", site.url(big5_href))

    sid_entry = _entry_of(column, urls[2])
    session_href = sid_entry.href + ";jsessionid=8F3A2B6C1D0E9F7A5B4C3D2E1F0A9B8C"
    sid_href = sid_entry.href + "?sid=a81f3c9e"
    sid_entry.href = session_href
    column.entries.append(ListEntry(href=sid_href, title=sid_entry.title, date=sid_entry.date))
    site.add(urls[2][len(site.base_url) :] + "?sid=a81f3c9e", _alias(site, urls[2][len(site.base_url) :]))
    base_dir = column.path
    traps.add_twin(site.name, site.url(base_dir + session_href[2:]), urls[2])
    traps.add_twin(site.name, site.url(base_dir + sid_href[2:]), urls[2])
    traps.add_trap(site.name, "jsessionid_link", site.url(base_dir + session_href[2:]))
    traps.add_trap(site.name, "sid_link", site.url(base_dir + sid_href[2:]))

    # onclick-only: the report's list row has no <a href>
    onclick_entry = _entry_of(column, urls[3])
    onclick_entry.raw_html = (
        f'<li class="myflex" onclick="window.open(\'{onclick_entry.href}\')"><span class="title">{esc(onclick_entry.title)}</span>'
        f"<span>{onclick_entry.date}</span></li>"
    )
    traps.add_trap(site.name, "onclick_report", urls[3])

    # junk attributes
    column.entries.append(ListEntry(href="", title="", date="2020-01-01", raw_html=(
        '<li class="fj" style="display:none"><a ms-attr-href="qzbFile" href="javascript:;" ms-text="el.title"></a>'
        '<a ms-attr-href="el.url">{{el.title}}</a><a href="javascript:void(0)" onclick="share(\'share.sina\')">分享</a></li>')))
    traps.add_trap(site.name, "ms_attr_href", column.url)

    # bad answers that look like reports in the list
    bad = {
        "two_byte_body": (Page(body=b"\r\n", content_type="text/html"), "石门乡2017年政府信息公开工作年度报告", "2018-02-11", 940400),
        "removed_stub": (Page.html('<html><head><meta http-equiv="refresh" content="0;URL=../"></head><body></body></html>'),
                         "石门乡2016年政府信息公开工作年度报告", "2017-03-02", 940401),
        "server_error": (Page.html("<html><body><h1>500 Internal Server Error</h1></body></html>", status=500),
                         "石门乡2015年政府信息公开工作年度报告", "2016-03-15", 940402),
    }
    for name, (page, title, date, doc_id) in bad.items():
        path, href = report_path(column.path, date, doc_id)
        site.add(path, page)
        column.entries.append(ListEntry(href=href, title=title, date=date))
        traps.add_trap(site.name, name, site.url(path))
    traps.add_trap(site.name, "slow_report", slow_url)
    traps.add_trap(site.name, "zero_report", zero_url)

    # endless calendar linked from the column's sidebar
    calendar_link = f'<li class="side"><a href="{CALENDAR_PATH}?date=2024-03">会议日历</a></li>'
    column.entries.append(ListEntry(href="", title="", date="1999-01-01", raw_html=calendar_link))

    def calendar(request: Request) -> Page:
        match = re.fullmatch(r"(\d{4})-(\d{2})", request.arg("date", "2024-03"))
        year, month = (int(match.group(1)), int(match.group(2))) if match else (2024, 3)
        prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
        next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
        days = "".join(f'<td><a href="{CALENDAR_PATH}?date={year}-{month:02d}&amp;day={d}">{d}</a></td>' for d in range(1, 29))
        body = (chrome.head(f"会议日历_{info.name}", {"SiteName": info.name}) + "<body>"
                + f'<h2>{year}年{month}月 会议日历</h2><a href="{CALENDAR_PATH}?date={prev_y}-{prev_m:02d}">上一月</a> '
                + f'<a href="{CALENDAR_PATH}?date={next_y}-{next_m:02d}">下一月</a><table><tr>{days}</tr></table></body></html>')
        return Page.html(body)

    site.add(CALENDAR_PATH, calendar)
    traps.add_trap(site.name, "endless_calendar", site.url(f"{CALENDAR_PATH}?date=2024-03"))
    column.register()
    column_reports = {u for u, t in ctx.ground.reports.items() if t.site == site.name}
    ctx.ground.add_column(site.name, column.url, column_reports)

    # a list that repeats its last page for any page number, always offering 下一页
    dept = TrsColumn(ctx, info, "/zwgk/bmnb/", "部门年报", chnl_id=4402)
    dept_urls = [
        add_trs_report(ctx, dept, ReportSpec(agency=f"石门乡{unit}", year=2022, doc_id=941000 + i, title_style=i))
        for i, unit in enumerate(["农业服务中心", "财政所", "卫生院", "中心学校", "文化站"])
    ]
    entries = dept.sorted_entries()

    def repeating_list(request: Request) -> Page:
        try:
            number = max(1, int(request.arg("page", "1")))
        except ValueError:
            number = 1
        chunk = entries[:3] if number == 1 else entries[3:]
        items = "".join(
            f'<li><a href="{esc(e.href)}" title="{esc(e.title)}">{esc(e.title)}</a><span>{e.date}</span></li>' for e in chunk
        )
        pager = f'<a href="list?page={number - 1 if number > 1 else 1}">上一页</a> <a href="list?page={number + 1}">下一页</a>'
        body = (chrome.head(f"部门年报_{info.name}", {"SiteName": info.name, "ColumnName": "部门年报"}) + "<body>"
                + chrome.header(info) + f'<ul class="list">{items}</ul><div class="page">{pager}</div>' + chrome.footer(info)
                + "</body></html>")
        return Page.html(body)

    site.add("/zwgk/bmnb/list", repeating_list)
    ctx.ground.add_column(site.name, site.url("/zwgk/bmnb/list?page=1"), set(dept_urls))
    traps.add_trap(site.name, "repeating_last_page", site.url("/zwgk/bmnb/list?page=7"))
    site.add("/robots.txt", Page(body=b"User-agent: *\nDisallow: /search/\n", content_type="text/plain"))


def challenge_page(token: str) -> str:
    """A 瑞数-style challenge: meta with a seed, inline script computing a cookie, external script, reload."""
    return (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f'<meta id="9DhefwqGPrzGxEp9hPaoag" content="{token[::-1]}" r="m">'
        '<script type="text/javascript" r="m">'
        f"(function(){{var s=document.getElementById('9DhefwqGPrzGxEp9hPaoag').getAttribute('content');"
        f"var v=s.split('').reverse().join('');document.cookie='{CHALLENGE_COOKIE}='+v+'; path=/';"
        "setTimeout(function(){location.reload();},50);})();</script>"
        '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxSzLjS.js" r="m"></script>'
        "</head><body></body></html>"
    )


def build_challenge(ctx: BuildContext) -> None:
    site = ctx.site
    info = SiteInfo("云岭县住房和城乡建设局", "5323000088", "滇ICP备05001388号", "53232502000188号")
    column = TrsColumn(ctx, info, "/zwgk/jcnb/", "信息公开年报", chnl_id=5501)
    urls = [
        add_trs_report(ctx, column, ReportSpec(agency=info.name, year=year, doc_id=950000 + year, title_style=year % 6))
        for year in (2021, 2022, 2023)
    ]
    token = "rs" + str(ctx.sub_rng("token").randrange(10**12, 10**13))
    protected_column = column._serve_index

    def guarded(handler):
        def serve(request: Request) -> Page:
            cookies = request.headers.get("cookie", "")
            if f"{CHALLENGE_COOKIE}={token}" in cookies:
                return handler(request)
            return Page.html(challenge_page(token), status=412,
                             headers=[("Set-Cookie", "enable_924omrTVcFch=true; path=/"),
                                      ("Set-Cookie", f"924omrTVcFchS={token[:6]}; path=/; HttpOnly")])
        return serve

    site.add(column.path, guarded(protected_column))
    site.add_prefix(column.path + "index", guarded(protected_column))
    site.add("/4QbVtADbnLVIc/c.FxSzLjS.js", Page(body=b"/* obfuscated challenge runtime */var _$a=1;", content_type="application/javascript"))
    ctx.ground.add_column(site.name, column.url, set(urls))
    ctx.ground.add_trap(site.name, "js_cookie_challenge", column.url)
    ctx.ground.add_trap(site.name, "challenge_cookie", f"{CHALLENGE_COOKIE}={token}")
