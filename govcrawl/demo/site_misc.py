"""Mock sites for encodings, traditional characters and attachment reports.

- ``encodings``: report pages in GBK, GB2312 and GB18030, a page whose HTTP header and meta disagree, a page
  whose only declaration is wrong, a page with no declaration; ``phrases(site)`` gives a phrase per page
  (each holds a character that only decodes right with the correct charset).
- ``traditional``: a site published only in traditional characters (TRS layout, two list pages).
- ``attachments``: a detail page with a TRS ``P0…pdf`` attachment (``OLDSRC`` path served too), one with a DOCX
  (GBK ``Content-Disposition`` file name), an attachment-only list entry pointing straight at a PDF, a
  （图片版） report whose PDF is one scanned image without text, a detail page with a binary Word 97 ``.doc`` and
  an attachment-only ``.wps`` entry (both real LibreOffice-written files shipped in ``word97/``, with tables).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from pathlib import Path

from govcrawl.demo import chrome
from govcrawl.demo.attachments import docx_bytes, image_only_pdf_bytes, pdf_bytes, pdf_report_with_tables
from govcrawl.demo.chrome import SiteInfo, esc
from govcrawl.demo.context import BASE_MODIFIED, BuildContext, s2t
from govcrawl.demo.server import Page, Request
from govcrawl.demo.texts import ReportTruth, compose_report, report_title
from govcrawl.demo.trs import ListEntry, ReportSpec, TrsColumn, add_decoy, add_trs_report, report_path

# ---------------------------------------------------------------------------------------------------------
# encodings

#: (case, body encoding, header charset or None, meta charset or None, phrase added to the page)
ENCODING_CASES: list[tuple[str, str, str | None, str | None, str]] = [
    ("gbk", "gbk", "GBK", "gbk", "联系人：李堃，联系电话：0931-8123401。"),
    ("gb2312", "gb2312", None, "gb2312", "联系人：张明，咨询地址：城关镇人民路18号。"),
    ("gb18030", "gb18030", "GB18030", "gb18030", "联系人：王䶮，联系电话：0931-8123403。"),
    ("header_meta_conflict", "gbk", "UTF-8", "gb2312", "联系人：赵喆，联系电话：0931-8123404。"),
    ("wrong_meta", "gbk", None, "utf-8", "联系人：陈昇，联系电话：0931-8123405。"),
    ("undeclared", "gbk", None, None, "联系人：刘珺，联系电话：0931-8123406。"),
]


def _recode(ctx: BuildContext, url: str, encoding: str, header: str | None, meta: str | None) -> None:
    """Re-serve a generated UTF-8 report page in another byte encoding with the given declarations."""
    slot = ctx.ground.slots[url]
    original = slot.render

    def render(variant: int) -> tuple[Page, ReportTruth]:
        page, truth = original(variant)
        text = page.body.decode("utf-8")
        if meta is None:
            text = re.sub(r'<meta http-equiv="Content-Type"[^>]*>\n', "", text, count=1)
        else:
            text = text.replace("charset=utf-8", f"charset={meta}", 1)
        page.body = text.encode(encoding)
        page.content_type = f"text/html; charset={header}" if header else "text/html"
        return page, truth

    slot.render = render
    ctx.serve_slot(slot)


def build_encodings(ctx: BuildContext) -> None:
    site = ctx.site
    info = SiteInfo("定川市城关区人民政府", "6211020003", "陇ICP备06000818号", "62110202000126号")
    column = TrsColumn(ctx, info, "/ndbg/", "信息公开年报", chnl_id=901, per_page=10)
    units = ["城关区发展和改革局", "城关区教育局", "城关区民政局", "城关区司法局", "城关区财政局", "城关区卫生健康局"]
    for number, (case, encoding, header, meta, phrase) in enumerate(ENCODING_CASES):
        year = 2018 + number
        spec = ReportSpec(agency=units[number], year=year, doc_id=910001 + number, title_style=number,
                          suffix_html=f'<p style="text-indent:2em;">{phrase}</p>')
        url = add_trs_report(ctx, column, spec)
        _recode(ctx, url, encoding, header, meta)
        ctx.ground.phrases.setdefault(site.name, {})[url] = phrase.split("，")[0]
        ctx.ground.add_trap(site.name, case, url)
    column.register()
    ctx.ground.add_column(site.name, column.url, {u for u, t in ctx.ground.reports.items() if t.site == site.name})


# ---------------------------------------------------------------------------------------------------------
# traditional-only site


class TraditionalColumn(TrsColumn):
    """A TRS column whose list pages are written in traditional characters."""

    def render_page(self, number: int) -> Page:
        page = super().render_page(number)
        page.body = s2t().convert(page.body.decode("utf-8")).encode("utf-8")
        return page


def build_traditional(ctx: BuildContext) -> None:
    site = ctx.site
    info = SiteInfo("雲嶺縣白沙鎮人民政府", "5323000099", "滇ICP備05001299號", "53232502000199號")
    column = TraditionalColumn(ctx, info, "/xxgk/ndbg/", "政府信息公開年報", chnl_id=77, per_page=5)
    units = ["云岭县白沙镇人民政府", "云岭县白沙镇财政所"]
    for number, year in enumerate(range(2015, 2024)):
        if number == 8:
            break
        add_trs_report(ctx, column, ReportSpec(agency=units[number % 2], year=year, doc_id=920001 + number,
                                               title_style=number, traditional=True))
    add_decoy(ctx, column, "jiedu", s2t().convert("白沙镇2022年政府信息公开工作年度报告解读"), 2022, 920101)
    add_decoy(ctx, column, "yaodian", s2t().convert("白沙镇2023年政务公开工作要点"), 2023, 920102)
    column.register()
    ctx.ground.add_column(site.name, column.url, {u for u, t in ctx.ground.reports.items() if t.site == site.name})


# ---------------------------------------------------------------------------------------------------------
# attachments


def _lazy(factory: Callable[[], bytes], content_type: str, headers: list[tuple[str, str]] | None = None) -> Callable[[Request], Page]:
    """A handler generating its bytes on first request (keeps portal start-up fast), then cached."""
    cache: list[bytes] = []
    lock = threading.Lock()

    def handler(request: Request) -> Page:
        with lock:
            if not cache:
                cache.append(factory())
        return Page(body=cache[0], content_type=content_type, headers=list(headers or []))

    return handler


WORD97_DIR = Path(__file__).resolve().parent / "word97"


def word97_bytes(name: str) -> bytes:
    """A Word 97 binary shipped in govcrawl/demo/word97 (written by LibreOffice; see make_fixtures.py there)."""
    return (WORD97_DIR / f"{name}.doc").read_bytes()


def word97_truth(name: str, kind: str, site: str) -> ReportTruth:
    """Ground truth of a shipped Word 97 report, from the values it was composed from."""
    record = json.loads((WORD97_DIR / f"{name}.truth.json").read_text(encoding="utf-8"))
    return ReportTruth(url="", title=record["title"], year=record["year"], agency=record["agency"],
                       format=record["format"], published=record["published"], site=site, kind=kind,
                       figures=record["figures"], tables=record["tables"], phrase=record["phrase"])


def build_attachments(ctx: BuildContext) -> None:
    site = ctx.site
    info = SiteInfo("云岭县市场监督管理局", "5323000031", "滇ICP备05001300号", "53232502000131号")
    column = TrsColumn(ctx, info, "/zwgk/xxgknb/", "信息公开年报", chnl_id=3101, per_page=10)
    agency = info.name

    def attachment_report(year: int, doc_id: int, fmt: str, kind: str, title_suffix: str = "") -> tuple[ReportTruth, list[str]]:
        published = f"{year + 1}-02-{10 + doc_id % 10:02d}"
        truth = ReportTruth(url="", title=report_title(agency, year, doc_id % 3, title_suffix), year=year, agency=agency,
                            format=fmt, published=published, site=site.name, kind=kind)
        if kind == "image_pdf":
            return truth, []
        body = compose_report(truth, ctx.sub_rng("attach", doc_id), compiler=f"{agency}办公室")
        return truth, body.paragraphs

    def detail_with(doc_id: int, truth: ReportTruth, links_html: str) -> str:
        path, href = report_path(column.path, truth.published, doc_id)
        content = (f'<p style="text-indent:2em;">{esc(truth.title)}全文详见附件。</p>'
                   f'<p class="insertfileTag">附件：{links_html}</p>')
        truth.index_no = f"5323-31/{truth.published[:4]}-{doc_id % 100000:05d}"  # the page's 索引号
        html = chrome.detail_page(info, column=column.name, title=truth.title, published=truth.published, source=agency,
                                  index_no=truth.index_no, content_html=content,
                                  label_set=doc_id, doc_id=doc_id, chnl_id=column.chnl_id,
                                  breadcrumb=[("/", "首页"), ("../index.html", column.name)])
        site.add(path, Page.html(html).with_validators(BASE_MODIFIED))
        column.entries.append(ListEntry(href=href, title=truth.title, date=truth.published))
        truth.url = site.url(path)
        return truth.url

    # 1. detail page + TRS P0 PDF (OLDSRC served as well)
    truth, paragraphs = attachment_report(2017, 931001, "pre2019", "pdf")
    stamp = truth.published.replace("-", "")
    p0 = f"P0{stamp}382295081505"
    pdf_handler = _lazy(lambda t=truth, p=paragraphs: pdf_bytes(t.title, p), "application/pdf")
    folder = column.path + truth.published[:7].replace("-", "") + "/"
    site.add(f"{folder}{p0}.pdf", pdf_handler)
    oldsrc = f"/protect/P0{stamp[:6]}/P0{stamp}/{p0}.pdf"
    site.add(oldsrc, pdf_handler)
    link = (f'<a appendix="true" href="./{p0}.pdf" title="{esc(truth.title)}.pdf" download="{esc(truth.title)}.pdf" '
            f'OLDSRC="{oldsrc}">{esc(truth.title)}.pdf</a>')
    url = detail_with(931001, truth, link)
    truth.attachments = [site.url(f"{folder}{p0}.pdf")]
    ctx.ground.add_truth(truth)
    ctx.ground.add_trap(site.name, "p0_pdf", truth.attachments[0])
    ctx.ground.add_trap(site.name, "oldsrc_pdf", site.url(oldsrc))

    # 2. detail page + DOCX with a GBK Content-Disposition file name
    truth, paragraphs = attachment_report(2016, 931002, "pre2019", "docx")
    stamp = truth.published.replace("-", "")
    folder = column.path + truth.published[:7].replace("-", "") + "/"
    docx_name = f"P0{stamp}512345678901.docx"
    disposition = 'attachment; filename="' + (truth.title + ".docx").encode("gbk").decode("latin-1") + '"'
    site.add(f"{folder}{docx_name}", _lazy(
        lambda t=truth, p=paragraphs: docx_bytes(t.title, p),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        [("Content-Disposition", disposition)],
    ))
    link = f'<a appendix="true" href="./{docx_name}" title="{esc(truth.title)}.docx">{esc(truth.title)}.docx</a>'
    detail_with(931002, truth, link)
    truth.attachments = [site.url(f"{folder}{docx_name}")]
    ctx.ground.add_truth(truth)
    ctx.ground.add_trap(site.name, "docx_gbk_disposition", truth.attachments[0])

    # 3. attachment-only list entry: the list links straight to the PDF
    truth, paragraphs = attachment_report(2018, 931003, "pre2019", "pdf")
    stamp = truth.published.replace("-", "")
    pdf_path = column.path + truth.published[:7].replace("-", "") + f"/P0{stamp}600000000003.pdf"
    site.add(pdf_path, _lazy(lambda t=truth, p=paragraphs: pdf_bytes(t.title, p), "application/pdf"))
    column.entries.append(ListEntry(href="." + pdf_path[len(column.path) - 1 :], title=truth.title, date=truth.published))
    truth.url = site.url(pdf_path)
    ctx.ground.add_truth(truth)
    ctx.ground.add_trap(site.name, "attachment_only_pdf", truth.url)

    # 4. （图片版）: detail page + image-only PDF
    truth, _ = attachment_report(2019, 931004, "2019", "image_pdf", "（图片版）")
    stamp = truth.published.replace("-", "")
    folder = column.path + truth.published[:7].replace("-", "") + "/"
    image_name = f"P0{stamp}700000000004.pdf"
    site.add(f"{folder}{image_name}", _lazy(lambda: image_only_pdf_bytes(4), "application/pdf"))
    link = f'<a appendix="true" href="./{image_name}" title="{esc(truth.title)}.pdf">{esc(truth.title)}.pdf</a>'
    detail_with(931004, truth, link)
    truth.attachments = [site.url(f"{folder}{image_name}")]
    ctx.ground.add_truth(truth)
    ctx.ground.add_trap(site.name, "image_only_pdf", truth.attachments[0])

    # 5. attachment-only entry: a 2021-format report as PDF with its standard tables
    truth = ReportTruth(url="", title=report_title(agency, 2022, 0), year=2022, agency=agency, format="2021",
                        published="2023-01-30", site=site.name, kind="pdf")
    body = compose_report(truth, ctx.sub_rng("attach", 931007), compiler=f"{agency}办公室")
    pdf_path = column.path + "202301/P020230130800000000007.pdf"
    site.add(pdf_path, _lazy(lambda t=truth, b=body: pdf_report_with_tables(t.title, b.paragraphs, "gbf_2021", t.tables),
                             "application/pdf"))
    column.entries.append(ListEntry(href="./202301/P020230130800000000007.pdf", title=truth.title, date=truth.published))
    truth.url = site.url(pdf_path)
    ctx.ground.add_truth(truth)
    ctx.ground.add_trap(site.name, "pdf_with_tables", truth.url)

    # 7. detail page + a binary Word 97 .doc (2021 format, standard tables with merged cells)
    truth = word97_truth("report_2021_published", "doc", site.name)
    stamp = truth.published.replace("-", "")
    folder = column.path + truth.published[:7].replace("-", "") + "/"
    doc_name = f"P0{stamp}900000000008.doc"
    site.add(f"{folder}{doc_name}", _lazy(lambda: word97_bytes("report_2021_published"), "application/msword"))
    link = f'<a appendix="true" href="./{doc_name}" title="{esc(truth.title)}.doc">{esc(truth.title)}.doc</a>'
    detail_with(931008, truth, link)
    truth.attachments = [site.url(f"{folder}{doc_name}")]
    ctx.ground.add_truth(truth)
    ctx.ground.add_trap(site.name, "word97_doc", truth.attachments[0])

    # 8. attachment-only entry: a WPS file (Word 97 binary layout, as WPS Office saves .wps) linked from the list
    truth = word97_truth("report_2019_word", "wps", site.name)
    wps_path = column.path + truth.published[:7].replace("-", "") + "/P0" + truth.published.replace("-", "") + "900000000009.wps"
    site.add(wps_path, _lazy(lambda: word97_bytes("report_2019_word"), "application/kswps"))
    column.entries.append(ListEntry(href="." + wps_path[len(column.path) - 1 :], title=truth.title, date=truth.published))
    truth.url = site.url(wps_path)
    ctx.ground.add_truth(truth)
    ctx.ground.add_trap(site.name, "attachment_only_wps", truth.url)

    # 6. an ordinary HTML report and a decoy, as real columns mix them
    add_trs_report(ctx, column, ReportSpec(agency=agency, year=2023, doc_id=931005, title_style=1))
    add_decoy(ctx, column, "jiedu", f"图解：{agency}2023年政府信息公开工作年度报告", 2023, 931006)
    column.register()
    ctx.ground.add_column(site.name, column.url, {u for u, t in ctx.ground.reports.items() if t.site == site.name})
    del url
