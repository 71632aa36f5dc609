"""Building blocks for TRS-style sites: a paginated column, report detail pages, decoy pages, the big5 gateway."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from govcrawl.demo import chrome
from govcrawl.demo.chrome import SiteInfo
from govcrawl.demo.context import BASE_MODIFIED, BuildContext, ReportSlot, s2t
from govcrawl.demo.server import Page, Request, not_found_page
from govcrawl.demo.texts import ReportTruth, compose_report, report_title
from govcrawl.formats import format_of_year


def publish_date(ctx: BuildContext, year: int, key: object) -> str:
    """A year-N report appears between mid-January and end of March of N+1 (domain guide §1)."""
    rng = ctx.sub_rng("date", key)
    month = rng.choice([1, 2, 3])
    day = rng.randint(10 if month == 1 else 1, 28)
    return f"{year + 1}-{month:02d}-{day:02d}"


@dataclass
class ListEntry:
    href: str  # as written in the list page (relative to the column)
    title: str
    date: str
    text: str | None = None  # link text when it differs from the title (truncated)
    raw_html: str | None = None  # a fully custom <li>


@dataclass
class TrsColumn:
    """A TRS column with static pagination ``index.html``, ``index_1.html``… and the createPageHTML script."""

    ctx: BuildContext
    info: SiteInfo
    path: str  # ends with "/"
    name: str
    chnl_id: int
    per_page: int = 10
    charset: str = "utf-8"
    entries: list[ListEntry] = field(default_factory=list)
    breadcrumb: list[tuple[str, str]] = field(default_factory=list)
    gzip_pages: set[int] = field(default_factory=set)

    def register(self) -> None:
        self.ctx.site.add(self.path, self._serve_index)
        self.ctx.site.add_prefix(self.path + "index", self._serve_index)

    @property
    def url(self) -> str:
        return self.ctx.site.url(self.path + "index.html")

    def page_count(self) -> int:
        return max(1, -(-len(self.entries) // self.per_page))

    def sorted_entries(self) -> list[ListEntry]:
        return sorted(self.entries, key=lambda e: e.date, reverse=True)

    def _serve_index(self, request: Request) -> Page:
        tail = request.path[len(self.path) :]
        match = re.fullmatch(r"(?:index(?:_(\d+))?\.html)?", tail)
        if not match:
            return not_found_page()
        number = int(match.group(1) or 0)
        if number >= self.page_count() or match.group(1) == "0":
            return not_found_page()
        return self.render_page(number)

    def render_page(self, number: int) -> Page:
        chunk = self.sorted_entries()[number * self.per_page : (number + 1) * self.per_page]
        items = [(e.href, e.title, e.date) for e in chunk if e.raw_html is None and e.text is None]
        extra = "\n".join(
            e.raw_html
            or f'<li><a href="{chrome.esc(e.href)}" target="_blank" title="{chrome.esc(e.title)}">{chrome.esc(e.text or "")}</a><span>{e.date}</span></li>'
            for e in chunk
            if e.raw_html is not None or e.text is not None
        )
        crumbs = self.breadcrumb or [("/", "首页"), ("/zwgk/index.html", "政务公开"), ("./index.html", self.name)]
        html = chrome.list_page(
            self.info,
            self.name,
            crumbs,
            items,
            chrome.create_page_script(self.page_count(), number),
            self.chnl_id,
            self.charset,
            extra,
        )
        return Page.html(html, self.charset, gzip=number in self.gzip_pages)


@dataclass
class ReportSpec:
    """What to publish: a report of ``agency`` for ``year`` in a column."""

    agency: str
    year: int
    doc_id: int
    fmt: str | None = None
    title: str | None = None
    title_style: int = 0
    published: str | None = None
    encoding: str = "utf-8"
    gzip: bool = False
    chunked: bool = False
    zero: bool = False
    traditional: bool = False
    compiler: str | None = None
    suffix_html: str = ""
    delay: float = 0.0


def report_path(column_path: str, published: str, doc_id: int) -> tuple[str, str]:
    """(absolute path, list href) of a TRS t-date article."""
    yyyymm = published[:4] + published[5:7]
    name = f"t{published.replace('-', '')}_{doc_id}.html"
    return f"{column_path}{yyyymm}/{name}", f"./{yyyymm}/{name}"


def add_trs_report(ctx: BuildContext, column: TrsColumn, spec: ReportSpec) -> str:
    """Publish a generated report in ``column``: detail page, list entry, ground truth. Returns its URL."""
    published = spec.published or publish_date(ctx, spec.year, spec.doc_id)
    spec.published = published
    path, href = report_path(column.path, published, spec.doc_id)
    url, title = publish_report(ctx, column.info, column.name, column.chnl_id, path, spec)
    column.entries.append(ListEntry(href=href, title=title, date=published))
    return url


def publish_report(
    ctx: BuildContext,
    info: SiteInfo,
    column_name: str,
    chnl_id: int,
    path: str,
    spec: ReportSpec,
    page_builder: Callable[..., str] | None = None,
) -> tuple[str, str]:
    """Serve a generated report at ``path`` (editable slot + ground truth). Returns (url, title).

    ``page_builder`` (default :func:`chrome.detail_page`) receives the same keyword arguments.
    """
    published = spec.published or publish_date(ctx, spec.year, spec.doc_id)
    fmt = spec.fmt or format_of_year(spec.year)
    plain_title = spec.title or report_title(spec.agency, spec.year, spec.title_style)
    # a traditional site publishes title and agency in traditional characters; the truth keeps both forms
    title = s2t().convert(plain_title) if spec.traditional else plain_title
    shown_agency = s2t().convert(spec.agency) if spec.traditional else spec.agency
    url = ctx.site.url(path)
    compiler = spec.compiler or f"{spec.agency}办公室"
    site_name = ctx.site.name
    builder = page_builder or chrome.detail_page

    def render(variant: int) -> tuple[Page, ReportTruth]:
        rng = ctx.sub_rng("report", spec.doc_id, variant)
        truth = ReportTruth(
            url=url,
            title=plain_title,
            title_original=title,
            year=spec.year,
            agency=spec.agency,
            agency_original=shown_agency,
            format=fmt,
            published=published,
            site=site_name,
            index_no=f"{info.site_code[-6:]}-{spec.doc_id % 97:02d}/{published[:4]}-{spec.doc_id % 100000:05d}",
            script="traditional" if spec.traditional else "simplified",
        )
        body = compose_report(truth, rng, compiler=compiler, site_url=ctx.site.base_url, zero=spec.zero)
        content = body.html + spec.suffix_html
        if variant:
            content += f'\n<p style="text-indent:2em;">（本报告于{published[:4]}年4月{variant}日更新，更正了部分统计数据。）</p>'
        html = builder(
            info,
            column=column_name,
            title=title,
            published=published,
            source=spec.agency,
            index_no=truth.index_no,
            content_html=content,
            label_set=spec.doc_id,
            doc_id=spec.doc_id,
            chnl_id=chnl_id,
            breadcrumb=[("/", "首页"), ("/zwgk/index.html", "政务公开"), ("../index.html", column_name)],
            charset=spec.encoding,
        )
        if spec.traditional:
            html = s2t().convert(html)
            truth.phrase = s2t().convert(truth.phrase)
        page = Page.html(html, spec.encoding, gzip=spec.gzip, chunked=spec.chunked, delay=spec.delay)
        return page, truth

    slot = ReportSlot(site=site_name, path=path, render=render)
    ctx.serve_slot(slot)
    return url, title


DECOY_TEXTS: dict[str, list[str]] = {
    "gzbg": [
        "各位代表：现在，我代表{a}，向大会报告政府工作，请予审议，并请县政协各位委员提出意见。",
        "过去一年，全县地区生产总值增长{n}%，一般公共预算收入完成{m}亿元，城乡居民人均可支配收入稳步增长。",
        "今年政府工作的总体要求是：坚持稳中求进工作总基调，扎实推动高质量发展。",
    ],
    "yaodian": [
        "为深入贯彻落实国务院办公厅关于政务公开工作的部署，现就{y}年全县政务公开工作提出以下要点。",
        "一、围绕稳定经济运行加强政策发布解读。二、围绕重点领域加强信息公开。三、加强政务公开平台建设。",
    ],
    "jiedu": [
        "近日，《{t}》在县政府门户网站发布。现就年报内容进行如下解读。",
        "一、主动公开情况。二、依申请公开情况。三、存在问题及改进措施。图文解读仅供参考，以年报原文为准。",
    ],
    "tongzhi": [
        "各乡镇人民政府，县政府各部门：根据《中华人民共和国政府信息公开条例》规定，现就做好年度报告编制公布工作通知如下。",
        "一、各单位应于1月31日前向社会公布本单位年度报告。二、严格按照年度报告格式编制，确保数据准确。",
    ],
    "caizheng": [
        "受县人民政府委托，现将{y}年全县财政预算执行情况和{y1}年财政预算草案提请大会审议。",
        "{y}年全县一般公共预算收入完成{m}亿元，一般公共预算支出完成{n}亿元。",
    ],
    "fazhi": [
        "{y}年，{a}深入学习贯彻习近平法治思想，全面推进法治政府建设，现将有关情况报告如下。",
        "一、主要举措和成效。二、存在的不足和原因。三、党政主要负责人履行推进法治建设第一责任人职责情况。",
    ],
    "tongji": [
        "{y}年，全县经济运行总体平稳。初步核算，全年地区生产总值{m}亿元，比上年增长{n}%。",
        "注：本公报中部分数据为初步统计数，各项统计数据均未包括港澳台地区。",
    ],
    "han": [
        "县政务公开办：根据要求，现将我单位{y}年政府信息公开工作要点落实情况函告如下。",
        "一是完善公开目录；二是加强政策解读；三是规范依申请公开办理。特此函告。",
    ],
}


def add_decoy(
    ctx: BuildContext, column: TrsColumn, kind: str, title: str, year: int, doc_id: int, published: str | None = None
) -> str:
    """Publish a non-report page (near miss) in ``column``; recorded as a decoy."""
    published = published or publish_date(ctx, year, ("decoy", doc_id))
    path, href = report_path(column.path, published, doc_id)
    url = publish_decoy(ctx, column.info, column.name, column.chnl_id, path, kind, title, year, doc_id, published)
    column.entries.append(ListEntry(href=href, title=title, date=published))
    return url


def publish_decoy(
    ctx: BuildContext,
    info: SiteInfo,
    column_name: str,
    chnl_id: int,
    path: str,
    kind: str,
    title: str,
    year: int,
    doc_id: int,
    published: str,
    page_builder: Callable[..., str] | None = None,
) -> str:
    """Serve a near-miss page (政府工作报告, 解读, 通知...) at ``path``; recorded as a decoy. Returns its URL."""
    rng = ctx.sub_rng("decoy", doc_id)
    paragraphs = [
        t.format(a=info.name, y=year, y1=year + 1, t=title, n=rng.randint(3, 9), m=rng.randint(10, 90))
        for t in DECOY_TEXTS[kind]
    ]
    content = "\n".join(f'<p style="text-indent:2em;">{chrome.esc(p)}</p>' for p in paragraphs)
    html = (page_builder or chrome.detail_page)(
        info,
        column=column_name,
        title=title,
        published=published,
        source=info.name,
        index_no=f"{info.site_code[-6:]}/{published[:4]}-{doc_id % 100000:05d}",
        content_html=content,
        label_set=doc_id,
        doc_id=doc_id,
        chnl_id=chnl_id,
        breadcrumb=[("/", "首页"), ("../index.html", column_name)],
        charset="utf-8",
    )
    ctx.site.add(path, Page.html(html).with_validators(BASE_MODIFIED))
    url = ctx.site.url(path)
    ctx.ground.add_decoy(ctx.site.name, url, title)
    return url


def big5_gateway(ctx: BuildContext, host_label: str) -> Callable[[Request], Page]:
    """``/gate/big5/<host>/<path>``: the same site converted to traditional characters, served as Big5."""
    prefix = f"/gate/big5/{host_label}"

    def handler(request: Request) -> Page:
        inner_path = request.path[len(prefix) :] or "/"
        inner = ctx.site.resolve(Request(request.method, inner_path, request.query, request.headers, request.body))
        if inner.status != 200 or not (inner.content_type or "").startswith("text/html"):
            return inner
        charset = re.search(r"charset=([\w-]+)", inner.content_type or "")
        text = inner.body.decode(charset.group(1) if charset else "utf-8", "replace")
        text = s2t().convert(text)
        text = re.sub(r'(href|src|action)="/(?!/)', rf'\1="{prefix}/', text)
        text = re.sub(r"charset=[\w-]+", "charset=big5", text, count=1)
        return Page(body=text.encode("big5", "xmlcharrefreplace"), content_type="text/html; charset=big5")

    return handler


def mirror_url(site_base: str, url: str, host_label: str) -> str:
    """The /gate/big5/ twin of a URL on the same site."""
    return site_base + f"/gate/big5/{host_label}" + url[len(site_base) :]
