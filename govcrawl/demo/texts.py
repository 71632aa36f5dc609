"""Report text generator for the mock portal: 政府信息公开工作年度报告 in the three template generations.

Texts are composed from paragraph templates written for this project (not copied from any real report) and a
seeded ``random.Random``; every number quoted in the narrative comes from the :class:`ReportTruth` returned with
the HTML, so tests can compare parsed figures with what was generated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from govcrawl.demo import tables as demo_tables
from govcrawl.formats import TEMPLATE_OF_FORMAT

GENERATIONS = ("pre2019", "2019", "2021")


@dataclass
class ReportTruth:
    """Ground truth for one generated report (what a perfect crawler + parser would find)."""

    url: str
    title: str  # simplified characters, as the parser outputs it (``title_original``: as published)
    year: int
    agency: str  # simplified, like ``title`` (``agency_original``: as published)
    format: str  # "pre2019" | "2019" | "2021"
    published: str  # YYYY-MM-DD
    figures: dict[str, int] = field(default_factory=dict)  # keys and meanings of docs/schema.md "Figures"
    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    kind: str = "html"  # "html" | "pdf" | "docx" | "image_pdf"
    script: str = "simplified"
    site: str = ""
    index_no: str = ""
    phrase: str = ""  # a sentence that must survive extraction verbatim
    attachments: list[str] = field(default_factory=list)
    zero_report: bool = False
    title_original: str = ""  # the title in the site's own script (traditional on a traditional site)
    agency_original: str = ""

    def __post_init__(self) -> None:
        self.title_original = self.title_original or self.title
        self.agency_original = self.agency_original or self.agency

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def report_title(agency: str, year: int, style: int = 0, suffix: str = "") -> str:
    """A report title in one of the real title patterns (year before/after the unit, 年 vs 年度...)."""
    patterns = [
        "{a}{y}年政府信息公开工作年度报告",
        "{a}{y}年度政府信息公开工作年度报告",
        "{y}年{a}政府信息公开工作年度报告",
        "{a}{y}年政务信息公开年度报告",
        "{y}年度{a}政府信息公开工作年度报告",
        "{a}{y}年信息公开年报",
    ]
    return patterns[style % len(patterns)].format(a=agency, y=year) + suffix


_OVERVIEW_PRE2019 = [
    "{y}年，{a}认真贯彻落实《条例》和上级关于政府信息公开工作的部署要求，把政府信息公开作为建设法治政府、服务型政府的重要抓手，坚持“以公开为常态、不公开为例外”，不断健全工作机制，拓宽公开渠道，政府信息公开工作取得了新的进展。",
    "{y}年，我单位调整充实了政府信息公开工作领导小组，由分管负责同志任组长，办公室具体承担日常工作，明确专人负责信息的收集、审核、发布和归档，形成了主要领导亲自抓、分管领导具体抓、工作人员抓落实的工作格局。",
    "全年组织开展政府信息公开业务培训{t}次，参训人员{tp}人次，进一步提高了工作人员的业务水平和保密意识，坚持“先审查、后公开”和“一事一审”原则，未发生泄密事件。",
]
_PROBLEMS = [
    "一是部分单位对政府信息公开工作重视程度不够，信息报送不够及时；二是公开内容的深度和广度有待加强，政策解读的形式较为单一；三是工作人员业务能力有待进一步提高。",
    "下一步，我们将进一步完善信息发布审核机制，加强对重点领域信息公开的督促检查，丰富政策解读形式，加大业务培训力度，不断提高政府信息公开工作的质量和水平。",
]
_OVERVIEW_NEW = [
    "{y}年，{a}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，围绕中心工作，持续深化政务公开，推进决策、执行、管理、服务、结果公开，不断提升政务公开质量和实效。",
    "（三）政府信息管理。严格落实公开属性源头认定机制，公文在拟制时即明确公开方式；坚持发布前保密审查，全年未发生因公开不当引发的泄密事件。定期清理已公开的规范性文件，及时标注失效、废止情况。",
    "（四）政府信息公开平台建设。持续加强政府门户网站信息公开专栏建设，优化栏目设置，规范专栏内容；用好政务新媒体，全年通过政务微信公众号发布信息{wx}条；在政务服务中心设置查阅点，为群众查询提供便利。",
    "（五）监督保障。将政务公开工作纳入年度绩效考核，定期开展网站和政务新媒体检查，组织政务公开业务培训{t}次，参训{tp}人次，及时回应社会关切。",
]
_PROBLEMS_NEW = [
    "{y}年，我们的政府信息公开工作虽然取得了一定成效，但仍存在一些不足：一是政策解读形式还不够丰富，图解、视频等解读方式运用较少；二是基层政务公开标准化规范化水平有待提高；三是依申请公开答复的规范性需要进一步加强。",
    "针对上述问题，我们将采取以下措施：一是丰富解读形式，提高政策解读的针对性和可读性；二是对照标准目录，推动基层政务公开标准化规范化建设；三是加强业务培训，提升依申请公开办理质量。",
]
_OTHER_NEW = [
    "依据《政府信息公开信息处理费管理办法》规定，本年度未收取信息处理费。",
    "本年度{a}无其他需要报告的事项。",
]


def _paragraph(text: str, style: int) -> str:
    if style == 0:
        return f'<p style="text-indent:2em;">{text}</p>'
    if style == 1:
        return f"<p>　　{text}</p>"
    return f'<p class="MsoNormal" style="text-indent:32pt;line-height:28pt"><span style="font-family:仿宋_GB2312;font-size:16pt">{text}</span></p>'


def _heading(text: str, style: int) -> str:
    if style == 0:
        return f'<p style="text-indent:2em;"><strong>{text}</strong></p>'
    if style == 1:
        return f"<h3>{text}</h3>"
    return f'<p class="MsoNormal"><b><span style="font-family:黑体">{text}</span></b></p>'


@dataclass
class ReportBody:
    """Generated content: HTML for the TRS_Editor container, the same content as plain paragraphs, truth."""

    html: str
    paragraphs: list[str]
    truth: ReportTruth
    tables_html: str = ""


def compose_report(
    truth: ReportTruth,
    rng: random.Random,
    *,
    compiler: str,
    site_url: str = "",
    zero: bool = False,
    layout: str | None = None,
) -> ReportBody:
    """Compose a full report for ``truth`` (title/year/agency/format set); fills ``truth.figures``/``tables``."""
    style = rng.randrange(3)
    parts: list[str] = []
    paragraphs: list[str] = []
    y, a = truth.year, truth.agency

    def para(text: str) -> None:
        parts.append(_paragraph(text, style))
        paragraphs.append(text)

    def head(text: str) -> None:
        parts.append(_heading(text, style))
        paragraphs.append(text)

    trainings, trainees = rng.randint(1, 6), rng.randint(20, 300)
    if truth.format == "pre2019":
        proactive = 0 if zero else rng.randint(80, 3000)
        web = proactive * rng.randint(60, 85) // 100
        other = proactive - web
        received = 0 if zero else rng.randint(1, 60)
        granted = received * rng.randint(40, 80) // 100
        partial = (received - granted) // 3
        refused = (received - granted - partial) // 2
        absent = received - granted - partial - refused
        review, suits = (0, 0) if zero else (rng.randint(0, 3), rng.randint(0, 2))
        para(
            f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求，由{compiler}编制。全文包括概述，"
            "主动公开政府信息情况，依申请公开政府信息情况，政府信息公开的收费及减免情况，因政府信息公开申请行政复议、"
            "提起行政诉讼的情况，存在的主要问题及改进措施，其他需要报告的事项。"
            f"本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。"
            + (f"本报告的电子版可在门户网站（{site_url}）下载。" if site_url else "")
        )
        head("一、概述")
        for template in _OVERVIEW_PRE2019:
            para(template.format(y=y, a=a, t=trainings, tp=trainees))
        head("二、主动公开政府信息情况")
        para(
            f"{y}年，共主动公开政府信息{proactive}条，其中通过政府门户网站公开{web}条，通过公开栏、电子显示屏等"
            f"其他方式公开{other}条。主动公开的信息主要包括机构职能、政策法规、规划计划、财政资金、工作动态等内容。"
        )
        head("三、依申请公开政府信息情况")
        if received:
            para(
                f"{y}年，共受理政府信息公开申请{received}件，已全部按期答复。其中同意公开{granted}件，部分公开{partial}件，"
                f"不予公开{refused}件，信息不存在{absent}件。"
            )
        else:
            para(f"{y}年，未收到政府信息公开申请。")
        head("四、政府信息公开的收费及减免情况")
        para(f"{y}年，未收取政府信息公开检索、复制、邮寄等费用。")
        head("五、因政府信息公开申请行政复议、提起行政诉讼的情况")
        if review or suits:
            para(f"{y}年，发生因政府信息公开申请提起行政复议{review}件，提起行政诉讼{suits}件。")
        else:
            para(f"{y}年，未发生因政府信息公开申请提起行政复议、行政诉讼的情况。")
        head("六、存在的主要问题及改进措施")
        for template in _PROBLEMS:
            para(template)
        head("七、其他需要报告的事项")
        para("本年度无其他需要报告的事项。")
        truth.figures = {"proactive_total": proactive, "applications_received": received, "review_total": review}
        truth.phrase = f"共主动公开政府信息{proactive}条"
        tables_html = ""
    else:
        template_id = TEMPLATE_OF_FORMAT[truth.format]
        values = demo_tables.values_for(template_id, rng, zero=zero)
        truth.tables = values
        t3 = values["t3_applications"]
        t4 = values["t4_review_litigation"]["counts"]
        received = t3["new_received"]["total"]
        carried = t3["carried_over"]["total"]
        results = t3["result_total"]["total"]
        carry_next = t3["carry_to_next"]["total"]
        proactive = 0 if zero else rng.randint(150, 5000)
        doc_no = "国办公开办函〔2019〕60号" if truth.format == "2019" else "国办公开办函〔2021〕30号"
        para(
            f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《中华人民共和国政府信息公开工作年度报告格式》"
            f"（{doc_no}）要求，由{compiler}编制。报告全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
            "政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项六部分。"
            f"本报告所列数据统计期限自{y}年1月1日起至{y}年12月31日止。"
        )
        head("一、总体情况")
        para(_OVERVIEW_NEW[0].format(y=y, a=a))
        para(
            f"（一）主动公开。{y}年，共主动公开政府信息{proactive}条，其中政策文件{proactive // 9}条，"
            f"政策解读{proactive // 31}条，及时公开财政预决算、重大建设项目、公共资源配置等重点领域信息。"
        )
        if received or carried:
            para(
                f"（二）依申请公开。{y}年，共收到政府信息公开申请{received}件，上年结转{carried}件；"
                f"办结{results}件，结转下年度继续办理{carry_next}件，均在法定期限内答复。"
            )
        else:
            para(f"（二）依申请公开。{y}年，未收到政府信息公开申请，无上年结转申请。")
        for template in _OVERVIEW_NEW[1:]:
            para(template.format(y=y, a=a, t=trainings, tp=trainees, wx=rng.randint(50, 900)))
        tables_by_section = demo_tables.render(template_id, values, layout or rng.choice(demo_tables.LAYOUTS))
        for section in ("二", "三", "四"):  # the renderer writes these headings with the tables
            parts.append(tables_by_section[section])
            paragraphs.append(demo_tables.SECTION_HEADINGS[section])
        head("五、存在的主要问题及改进情况")
        for template in _PROBLEMS_NEW:
            para(template.format(y=y))
        head("六、其他需要报告的事项")
        for template in _OTHER_NEW:
            para(template.format(a=a))
        tables_html = "".join(tables_by_section.values())
        truth.figures = {
            "proactive_total": proactive,
            "applications_received": received,
            "applications_new_total": received,
            "applications_carried_total": carried,
            "granted_total": t3["result_open"]["total"] + t3["result_partial"]["total"],
            "results_total": results,
            "carried_next_total": carry_next,
            "review_total": t4["review_total"],
            "litigation_direct_total": t4["suit_direct_total"],
            "litigation_after_review_total": t4["suit_after_review_total"],
        }
        truth.phrase = f"共主动公开政府信息{proactive}条"
    truth.zero_report = zero
    sign = f'<p style="text-align:right">{a}</p><p style="text-align:right">{truth.published[:4]}年{int(truth.published[5:7])}月{int(truth.published[8:10])}日</p>'
    parts.append(sign)
    paragraphs.extend([a, truth.published])
    return ReportBody(html="\n".join(parts), paragraphs=paragraphs, truth=truth, tables_html=tables_html)
