"""Sub-columns of a 年报 column: further list pages that hold reports, told apart from reports.

Real 年报 columns split their reports into sub-columns: year sub-columns (a navigation tree's hidden nodes
named "2019年政府信息公开年度报告" that are columns, not reports — seen on a real SiteServer site group),
unit-kind boxes (区政府 / 部门 / 乡镇 年报, each with a 更多 link), year tabs linking to per-year lists.
:func:`subcolumn_requests` returns them as list-page requests (style ``subcolumn``), on the list's own host
only; the spider bounds them with the column's ``max_pages`` like any other page. A page with no link at
all is followed where its script sends the browser (:func:`script_redirect`: a ``document.write``'d meta
refresh, a top-level ``location.href``), style ``script_redirect``.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html

from govcrawl.discovery.classifier import is_report_title, normalise_title
from govcrawl.discovery.columns import is_column_title
from govcrawl.discovery.context import context_texts, page_column
from govcrawl.discovery.decisions import article_shaped
from govcrawl.discovery.links import Link, is_attachment_url
from govcrawl.discovery.pagination import PageRequest, looks_like_list_url
from govcrawl.discovery.urls import dedupe_key

# <script>document.write('<meta http-equiv="Refresh" content="0;URL=http://…/zwgk/gsgg/" />')</script>
_SCRIPT_REFRESH_RE = re.compile(
    r"""document\.write(?:ln)?\s*\(\s*(['"])\s*<meta[^>]*?http-equiv\s*=\s*\\?["']?refresh[^>]*?content\s*=\s*\\?["']?"""
    r"""\s*\d+\s*;\s*url\s*=\s*([^"'\\>\s]+)""",
    re.IGNORECASE,
)
_SCRIPT_LOCATION_RE = re.compile(
    r"""^\s*(?:window\.|top\.|self\.)?location(?:\.href)?\s*=\s*(['"])([^'"]+)\1|"""
    r"""^\s*(?:window\.)?location\.replace\(\s*(['"])([^'"]+)\3""",
    re.IGNORECASE | re.MULTILINE,
)
_MORE_RE = re.compile(r"^(?:更多|查看更多|更多>+|more|>>|»|更多信息|进入栏目)$", re.IGNORECASE)
_YEAR_LABEL_RE = re.compile(r"^(?:19|20)\d{2}年?度?$")
# "部门年报", "乡镇政府信息公开年报", "区政府年度报告": a kind of unit, then the column name
_UNIT_KIND_RE = re.compile(
    r"^(?:部门|乡镇|街道|镇街|镇|乡|县区|区县|市直|区直|县直|单位|本级|区政府|县政府|市政府|政府|市级|区级|县级)"
    r"(?:(?:政府|政务)?信息公开|政务公开)?(?:工作)?(?:年度报告|年报)$"
)
_REPORT_NAME_RE = re.compile(r"年报|年度报告")


def is_subcolumn_title(title: str, column_is_reports: bool) -> bool:
    """A title that names a sub-column of annual reports: a report-like name on a list-shaped URL, a
    unit-kind column (部门年报), or, on a 年报 column page, a bare year (2021年度)."""
    value = normalise_title(title)
    if not value:
        return False
    if is_column_title(value) or _UNIT_KIND_RE.match(value) or is_report_title(value):
        return True
    return column_is_reports and bool(_YEAR_LABEL_RE.match(value))


def _box_texts(anchor: lxml.html.HtmlElement) -> list[str]:
    """What a 更多 link stands under: its box's own text (``<div class="tit"><h3>部门年报</h3><a>更多</a>``)
    and the headings above it."""
    texts = context_texts(anchor, limit=2)
    box = anchor.getparent()
    if box is not None:
        rest = normalise_title(box.text_content()).replace(normalise_title(anchor.text_content()), "")
        if 0 < len(rest) <= 40:
            texts.insert(0, rest)
    return texts


def script_redirect(html: str) -> str | None:
    """Where a link-less entry page sends the browser from a script: a ``document.write``'d meta refresh
    (a real 道真县人社局 stub) or a top-level ``location.href = '…'``; None if it does not."""
    match = _SCRIPT_REFRESH_RE.search(html)
    if match:
        return match.group(2)
    for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.IGNORECASE | re.DOTALL):
        found = None if "function" in script else _SCRIPT_LOCATION_RE.search(script)  # top level only
        if found:
            return found.group(2) or found.group(4)
    return None


def subcolumn_requests(doc: lxml.html.HtmlElement, links: list[Link], list_url: str,
                       column_name: str | None = None) -> list[PageRequest]:
    """List-page requests for the sub-columns linked from ``list_url`` (same host, never the page itself,
    never a pager link or an article). ``column_name`` defaults to what the page says it is."""
    own = urlsplit(list_url)
    column_name = page_column(doc) if column_name is None else column_name
    column_is_reports = bool(_REPORT_NAME_RE.search(normalise_title(column_name))) or "nb" in own.path.lower()
    elements = {}
    for anchor in doc.iter("a"):
        text = normalise_title(anchor.text_content())
        if _MORE_RE.match(text):
            elements.setdefault(anchor.get("href") or "", anchor)
    found: dict[str, PageRequest] = {}
    own_key = dedupe_key(list_url)
    if not links:  # an entry page without links: follow where its script sends the browser
        target = script_redirect(lxml.html.tostring(doc, encoding="unicode"))
        if target:
            url = urljoin(list_url, target)
            if urlsplit(url).scheme in ("http", "https") and dedupe_key(url) != own_key:
                return [PageRequest(url=url, style="script_redirect", context={"title": "script redirect"})]
    for link in links:
        parts = urlsplit(link.url)
        if parts.netloc != own.netloc or link.region == "pager" or dedupe_key(link.url) == own_key:
            continue
        if is_attachment_url(link.url):
            continue
        listish = (looks_like_list_url(link.url) and not article_shaped(link.url)) or link.region == "tree"
        title = link.title or link.text
        take = listish and any(is_subcolumn_title(t, column_is_reports) for t in (link.title, link.text) if t)
        if not take and _MORE_RE.match(normalise_title(link.text)):
            anchor = elements.get(link.url)
            take = anchor is not None and any(
                _REPORT_NAME_RE.search(normalise_title(t)) for t in _box_texts(anchor))
            title = "更多"
        if take:
            found.setdefault(dedupe_key(link.url), PageRequest(url=link.url, style="subcolumn",
                                                               context={"title": title}))
    return list(found.values())
