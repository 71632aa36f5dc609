"""A synthetic large TRS site for benchmarks: ``bench_site(n_reports=2000)``.

One column of ``n_reports`` report pages (12–25 KB each, a third with the standard tables) over list pages of
20 items with ``createPageHTML`` pagination, all pre-rendered at start so serving costs no generation time.
"""

from __future__ import annotations

from functools import partial

from govcrawl.demo import chrome
from govcrawl.demo.chrome import SiteInfo
from govcrawl.demo.context import BuildContext
from govcrawl.demo.portal import Portal, PortalHandle
from govcrawl.demo.server import Page
from govcrawl.demo.trs import ListEntry, ReportSpec, TrsColumn, publish_date, publish_report, report_path

BENCH_COLUMN = "/xxgk/zfxxgknb/"
_FILLER = (
    "坚持以公开为常态、不公开为例外，围绕群众关切，持续做好政策文件、重点领域信息和政务服务事项的公开工作，"
    "健全公开属性源头认定、保密审查和发布审核机制，推进基层政务公开标准化规范化建设，提升政务公开质量。"
)


def _padded_detail(target: int, info: SiteInfo, **kwargs) -> str:
    """A TRS detail page padded with extra 工作措施 paragraphs up to ``target`` bytes."""
    html = chrome.detail_page(info, **kwargs)
    missing = target - len(html.encode("utf-8"))
    if missing > 0:
        paragraph = f'<p style="text-indent:2em;">{_FILLER}</p>\n'
        count = missing // len(paragraph.encode("utf-8")) + 1
        kwargs["content_html"] = kwargs["content_html"] + paragraph * count
        html = chrome.detail_page(info, **kwargs)
    return html


def build_bench(ctx: BuildContext, n_reports: int = 2000) -> None:
    """Build the benchmark site on ``ctx.site``."""
    info = SiteInfo("基准测试县人民政府", "9900000001", "京ICP备00000000号", "11000002000000号")
    column = TrsColumn(ctx, info, BENCH_COLUMN, "政府信息公开年报", chnl_id=9901, per_page=20)
    units = [f"基准测试县第{n}部门" for n in range(1, 101)]
    for number in range(n_reports):
        with_tables = number % 3 == 0
        year = 2019 + number % 6 if with_tables else 2009 + number % 10
        target = 12_000 + (number * 7919) % 13_000
        spec = ReportSpec(agency=units[number % len(units)], year=year, doc_id=1_000_000 + number, title_style=number % 6)
        _publish_bench(ctx, column, spec, target)
    for number in range(column.page_count()):
        name = "index.html" if number == 0 else f"index_{number}.html"
        ctx.site.add(column.path + name, column.render_page(number))
    column.register()
    ctx.site.add("/robots.txt", Page(body=b"User-agent: *\nDisallow:\n", content_type="text/plain"))
    ctx.ground.add_column(ctx.site.name, column.url, {u for u, t in ctx.ground.reports.items() if t.site == ctx.site.name})


def _publish_bench(ctx: BuildContext, column: TrsColumn, spec: ReportSpec, target: int) -> str:
    spec.published = publish_date(ctx, spec.year, spec.doc_id)
    path, href = report_path(column.path, spec.published, spec.doc_id)
    url, title = publish_report(ctx, column.info, column.name, column.chnl_id, path, spec, partial(_padded_detail, target))
    column.entries.append(ListEntry(href=href, title=title, date=spec.published))
    return url


def bench_site(n_reports: int = 2000, seed: int = 7) -> PortalHandle:
    """Start a portal holding only the synthetic ``bench`` site (start URL: ``handle.start_urls["bench"][0]``)."""
    return Portal(sites=["bench"], seed=seed, extra={"bench": partial(build_bench, n_reports=n_reports)}).start()
