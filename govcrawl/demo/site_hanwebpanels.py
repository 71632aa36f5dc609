"""Mock site ``hanwebpanels``: a Hanweb 年报 column of year panels, entries named only by their unit.

It follows the real Hanweb 年报 column issue 10 describes (a district site listing about 230 reports, of which
a crawl found 5): the column ``/col/col37703/index.html`` holds one panel per year whose heading is the
report's title ("2021年度安宁区政府信息公开工作年度报告"); inside it the 区政府 entry's text is a whole title,
every department and town entry shows only the unit's name (区发改局, 城关街道). Each link is
``href="javascript:window.open('http://HOST:PORT/art/2022/2/8/art_37703_NNN.html?xxgkhide=1');"`` with the
site's own host:port (the real column writes its own host too). An older panel (2018) has hrefs broken by
nested quotes (``href="javascript:window.open("http://…");"``) under a heading that names only the year: the
real title is only in the link's ``title`` attribute. Decoys on the same page, as on the real column: a
年报解读 in each panel (its text a whole title) and a 政府工作报告 panel whose entries are also unit names.
"""

from __future__ import annotations

from govcrawl.demo.chrome import SiteInfo, esc
from govcrawl.demo.context import BuildContext
from govcrawl.demo.server import Page
from govcrawl.demo.site_cms import hanweb_detail, simple_list_page
from govcrawl.demo.trs import ReportSpec, publish_date, publish_decoy, publish_report

COLUMN_ID = 37703
DISTRICT = "定川市安宁区"
#: (short name shown in the list, full agency name on the report page)
UNITS = [
    ("区政府", f"{DISTRICT}人民政府"),
    ("区发改局", f"{DISTRICT}发展和改革局"),
    ("区教育局", f"{DISTRICT}教育局"),
    ("区财政局", f"{DISTRICT}财政局"),
    ("区民政局", f"{DISTRICT}民政局"),
    ("城关街道", f"{DISTRICT}城关街道办事处"),
    ("西河镇", f"{DISTRICT}西河镇人民政府"),
]
PANEL_YEARS = (2021, 2020, 2019)
OLD_YEAR = 2018
REAL_PAGE = "the real Hanweb 年报 column of issue 10 (year panels, unit-name entries, javascript:window.open hrefs)"


def _art_path(published: str, doc_id: int) -> str:
    y, m, d = (int(x) for x in published.split("-"))
    return f"/art/{y}/{m}/{d}/art_{COLUMN_ID}_{doc_id}.html"


def _open_href(url: str) -> str:
    return esc(f"javascript:window.open('{url}');")


def build_hanwebpanels(ctx: BuildContext) -> None:
    """The column and its 26 report pages (3 panels of 7 + an old panel of 5) and 5 decoys."""
    site = ctx.site
    info = SiteInfo("定川市安宁区人民政府", "6211030001", "陇ICP备06000831号", "62110302000141号")
    column = "政府信息公开年报"
    reports: set[str] = set()
    panels: list[str] = []
    doc_id = 2740490

    def report(short: str, agency: str, year: int, query: str) -> tuple[str, str]:
        nonlocal doc_id
        doc_id += 1
        published = publish_date(ctx, year, ("panel", doc_id))
        title = f"{agency}{year}年度政府信息公开工作年度报告"
        spec = ReportSpec(agency=agency, year=year, doc_id=doc_id, title=title, published=published)
        url, _ = publish_report(ctx, info, column, COLUMN_ID, _art_path(published, doc_id) + query, spec, hanweb_detail)
        reports.add(url)
        return url, title

    for year in PANEL_YEARS:
        heading = f"{year}年度{DISTRICT.removeprefix('定川市')}政府信息公开工作年度报告"
        entries = []
        for short, agency in UNITS:
            url, title = report(short, agency, year, "?xxgkhide=1")
            text = title if short == "区政府" else short
            entries.append(f'<li><a href="{_open_href(url)}" target="_blank">{esc(text)}</a></li>')
        doc_id += 1
        published = publish_date(ctx, year, ("jiedu", doc_id))
        jiedu = f"《{year}年度安宁区政府信息公开工作年度报告》解读"
        url = publish_decoy(ctx, info, column, COLUMN_ID, _art_path(published, doc_id) + "?xxgkhide=1", "jiedu", jiedu,
                            year, doc_id, published, hanweb_detail)
        entries.insert(1, f'<li><a href="{_open_href(url)}" target="_blank">{esc(jiedu)}</a></li>')
        panels.append(f'<div class="nb-panel"><div class="nb-title"><h3>{esc(heading)}</h3></div>'
                      f'<ul class="nb-list">{"".join(entries)}</ul></div>')

    # the older panel: href="javascript:window.open("URL");" (nested quotes), title only in title=""
    old_entries = []
    for short, agency in UNITS[:5]:
        url, title = report(short, agency, OLD_YEAR, "")
        old_entries.append(f'<li><a href="javascript:window.open("{url}");" title="{esc(title)}">{esc(short)}</a></li>')
    panels.append(f'<div class="nb-panel old"><div class="nb-title"><h3>{OLD_YEAR}年度</h3></div>'
                  f'<ul class="nb-list">{"".join(old_entries)}</ul></div>')

    # a 政府工作报告 panel: unit-name entries that are not annual reports
    gzbg_entries = []
    for year in (2022, 2021):
        doc_id += 1
        published = f"{year}-01-{10 + year % 10:02d}"
        title = f"{year}年{DISTRICT}政府工作报告"
        url = publish_decoy(ctx, info, "政府工作报告", 37704, _art_path(published, doc_id) + "?xxgkhide=1", "gzbg", title,
                            year, doc_id, published, hanweb_detail)
        gzbg_entries.append(f'<li><a href="{_open_href(url)}" target="_blank">区政府（{year}年）</a></li>')
    panels.append('<div class="nb-panel"><div class="nb-title"><h3>安宁区人民政府政府工作报告</h3></div>'
                  f'<ul class="nb-list">{"".join(gzbg_entries)}</ul></div>')

    comment = f"<!-- mock page: follows {REAL_PAGE} -->\n"
    html = simple_list_page(info, column, "", "").replace(
        '<ul class="list"></ul><div class="pager"></div>', '<div id="nb-panels">' + "".join(panels) + "</div>")
    html = html.replace("<body>", "<body>\n" + comment, 1).replace("/wcm/app/js/jquery.min.js", "/module/jslib/jquery/jquery.js")
    column_path = f"/col/col{COLUMN_ID}/index.html"
    site.add(column_path, Page.html(html))
    ctx.ground.add_column(site.name, site.url(column_path), reports)


__all__ = ["build_hanwebpanels"]
