"""The context of a link on a list page: the panel, tab, heading, table caption or list header above it.

Real 年报 columns list department and town reports by the unit's name only (区发改局, XX街道, 教育局) inside
a year panel whose heading is the report's title ("2021年度政府信息公开工作年度报告"), under year tabs
(2021年度 | 2020年度) or in a table whose caption names the report. :func:`context_title` composes the
title such a link stands for ("区发改局 2021年度政府信息公开工作年度报告") when — and only when — the
link's own text is a unit name and its nearest context names both the annual report and a year.

:func:`page_column` reads what column a page is (``<meta name="ColumnName">``, ``<meta name="channel"
channelname=…>``, the ``<title>``): a column's file name may say another column (``zfxxgk_xxgkzd.html`` =
信息公开制度 for a 信息公开年报 column on the Sichuan site group).
"""

from __future__ import annotations

import re
import unicodedata

import lxml.html

from govcrawl.discovery.classifier import classify_title, normalise_title, title_year

_WS_RE = re.compile(r"\s+")
_CJK_GAP_RE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_YEAR_TEXT_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年度?|年)?(?!\d)")
#: names of the annual report (the column or the document) without unit or year
_REPORT_NAME_RE = re.compile(r"(?:(?:政府|政务)?信息公开|政务公开)(?:工作)?(?:年度报告|年报|工作报告|报告)|公开年报|年度报告")
_REPORT_WORD_RE = re.compile(r"报告|年报|报表|公开|通知|指南|制度|目录|解读|首页|更多|more|下一页|上一页|尾页|末页", re.I)
# what a unit name ends with (departments, towns, streets, the government itself)
_UNIT_END_RE = re.compile(
    r"(?:人民政府|政府|管委会|管理委员会|委员会|办事处|街道办|街道|办公室|办公厅|局|委|办|厅|院|所|站|中心|镇|乡|苏木"
    r"|队|大队|支队|联合会|联社|会|联|协|部|社|馆|处|科|署|园区|开发区|新区|社区|村|区|县|市|旗|农场|林场|本级|机关)$"
)
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "caption", "thead", "dt", "legend", "th", "header"})
_HEADING_CLASS_RE = re.compile(r"tit|head|hd\b|caption|bt\b|biaoti|name|year|nian|tab|label|lm", re.I)
_MAX_LEVELS = 8
_DATE_RE = re.compile(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
_PANEL_TAGS = frozenset({"div", "ul", "ol", "table", "tbody", "dl", "section"})


def squash(text: str | None) -> str:
    """Collapse whitespace; drop it between two Chinese characters (text split by ``<br>`` or indentation)."""
    return _CJK_GAP_RE.sub("", _WS_RE.sub(" ", text or "").strip())


def is_unit_name(text: str) -> bool:
    """True when a link text is only a unit's name (区发改局, 城关街道, 教育局, 区政府), maybe with a year."""
    value = unicodedata.normalize("NFKC", squash(text))
    value = re.sub(r"[(（\[【]?(?:19|20)\d{2}\s*年?度?[)）\]】]?", "", value).strip(" -—_:：·")
    if not 2 <= len(value) <= 30 or _REPORT_WORD_RE.search(value):
        return False
    return bool(_UNIT_END_RE.search(value))


def _own_text(element: lxml.html.HtmlElement) -> str:
    return squash(element.text_content())


def _is_headingish(element: lxml.html.HtmlElement) -> bool:
    if not isinstance(element.tag, str):
        return False
    if element.tag in _HEADING_TAGS:
        return True
    marker = f"{element.get('class', '')} {element.get('id', '')}"
    text = _own_text(element)
    if not text or len(text) > 60 or _DATE_RE.search(text):
        return False
    links = len(element.findall(".//a"))
    return links <= 1 if _HEADING_CLASS_RE.search(marker) else links == 0


def _shape(element: lxml.html.HtmlElement) -> tuple[str, str]:
    classes = (element.get("class") or "").split()
    return str(element.tag), classes[0] if classes else ""


def _tab_label(panel: lxml.html.HtmlElement, cache: dict[int, list[str] | None]) -> str | None:
    """The tab label of ``panel`` when it is the i-th of several sibling panels and a tab strip near them
    has as many (year) labels."""
    parent = panel.getparent()
    if parent is None or panel.tag not in _PANEL_TAGS:
        return None
    key = _shape(panel)
    panels = [c for c in parent if isinstance(c.tag, str) and _shape(c) == key]
    if len(panels) < 2:
        return None
    index = panels.index(panel)
    cache_key = id(parent)
    if cache_key not in cache:
        cache[cache_key] = _tab_strip(parent, panels)
    labels = cache[cache_key]
    if labels:
        return labels[index]
    marker = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", f"{panel.get('id', '')} {panel.get('class', '')}")
    return f"{marker.group(1)}年" if marker else None  # <div class="con" id="nb2021">


def _tab_strip(parent: lxml.html.HtmlElement, panels: list[lxml.html.HtmlElement]) -> list[str] | None:
    """Labels of the tab strip of ``panels``: a list just before the panels (or before their parent, two
    levels up) with one short, year-bearing label per panel."""
    candidates: list[lxml.html.HtmlElement] = []
    anchor: lxml.html.HtmlElement | None = panels[0]
    for _ in range(3):
        if anchor is None:
            break
        sibling = anchor.getprevious()
        for _ in range(3):
            if sibling is None:
                break
            if isinstance(sibling.tag, str):
                candidates.append(sibling)
                candidates.extend(sibling.iterdescendants("ul", "ol", "div", "p", "tr"))
            sibling = sibling.getprevious()
        anchor = anchor.getparent()
    for strip in candidates:
        items = [c for c in strip if isinstance(c.tag, str)]
        if len(items) != len(panels):
            continue
        labels = [_own_text(c) for c in items]
        if all(0 < len(label) <= 30 for label in labels) and \
                sum(1 for label in labels if _YEAR_TEXT_RE.search(label)) >= len(labels) - 1:
            return labels
    return None


def context_texts(element: lxml.html.HtmlElement, limit: int = 6,
                  cache: dict[int, list[str] | None] | None = None) -> list[str]:
    """Heading-like texts around ``element``, nearest first: previous sibling headings of each ancestor
    (peer items of the same list skipped), table captions and headers, tab labels of its panel."""
    cache = {} if cache is None else cache
    found: list[str] = []
    child = element
    for _ in range(_MAX_LEVELS):
        parent = child.getparent()
        if parent is None or parent.tag == "html":
            break
        label = _tab_label(child, cache)
        if label:
            found.append(label)
        for tag in ("caption", "thead"):
            node = parent.find(tag)
            if node is not None and node is not child:
                found.append(_own_text(node))
        sibling = child.getprevious()
        steps = 0
        shape = _shape(child)
        while sibling is not None and steps < 3:
            if isinstance(sibling.tag, str):
                has_links = bool(sibling.findall(".//a"))
                if has_links and _shape(sibling) == shape:  # an earlier item of the same list
                    sibling = sibling.getprevious()
                    continue
                if _is_headingish(sibling):  # a heading, or a table's heading row (a peer without links)
                    found.append(_own_text(sibling))  # and go on: <h2>2021年度…报告</h2><h3>区直部门</h3>
                elif has_links:
                    break
                steps += 1
            sibling = sibling.getprevious()
        if len(found) >= limit or parent.tag == "body":
            break
        child = parent
    return [text for text in found if text][:limit]


def context_title(element: lxml.html.HtmlElement, own_text: str, column: str | None = None,
                  cache: dict[int, list[str] | None] | None = None) -> tuple[str, str]:
    """``(composed title, context)`` for a link whose text is only a unit name, else ``("", "")``.

    The nearest context must name a year; the report name comes from the same context, a farther one or,
    last, the page's own column (``column``). A context that is itself a report title (year + report noun)
    gives ``unit + that title``.
    """
    if not own_text or not is_unit_name(own_text):
        return "", ""
    texts = context_texts(element, cache=cache)
    year: int | None = None
    year_text = ""
    for text in texts:
        if _REPORT_NAME_RE.search(normalise_title(text)) and title_year(text) and classify_title(text)[0]:
            if year is None or title_year(text) == year:
                return f"{squash(own_text)} {text}", text
        found = _YEAR_TEXT_RE.search(text)
        if year is None and found and len(text) <= 30:
            year, year_text = int(found.group(1)), text
    if year is None:
        return "", ""
    names = [t for t in texts if _REPORT_NAME_RE.search(normalise_title(t))] + ([column] if column else [])
    for name in names:
        match = _REPORT_NAME_RE.search(normalise_title(name))
        if match:
            composed = f"{squash(own_text)} {year}年度{match.group(0)}"
            if classify_title(composed)[0]:
                return composed, f"{year_text} / {name}"
    return "", ""


def page_column(doc: lxml.html.HtmlElement) -> str:
    """The column a page says it is: ``ColumnName`` meta, ``channel`` meta's ``channelname``, else the
    ``<title>``'s first segment. Empty if none."""
    for meta in doc.iter("meta"):
        name = (meta.get("name") or "").lower()
        if name == "columnname" and meta.get("content"):
            return squash(meta.get("content"))
        if name == "channel" and meta.get("channelname"):
            return squash(meta.get("channelname"))
    title = doc.find(".//title")
    if title is not None and title.text_content():
        return squash(re.split(r"[_|｜\-—]", title.text_content().strip(" []【】"))[0].strip("[]【】 "))
    return ""
