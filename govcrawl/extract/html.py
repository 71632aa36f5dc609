"""Report HTML -> clean text, page metadata, table grids and attachment links (lxml, no BeautifulSoup).

The content container is found by the class/id names real government CMSs use (domain guide §2.5) or the
Hanweb ``<!--ZJEG_RSS.content.begin-->`` markers; failing both, by the densest block of non-link text.
Chrome (script, style, nav, header, footer, breadcrumbs, toolbars) is dropped at DOM level. Text comes out
one block per line; a table row is one line with its cells separated by a tab.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html

from govcrawl.extract.tables import html_tables_to_grids

#: tags whose content is never report text
DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "select", "button", "nav", "header",
             "footer", "svg", "canvas", "template", "input", "textarea")
#: block-level tags: each starts a new line
BLOCK_TAGS = frozenset({"p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
                        "table", "tbody", "thead", "tfoot", "tr", "section", "article", "center", "blockquote",
                        "pre", "hr", "form", "address", "caption", "figure", "figcaption", "main", "aside"})
#: content containers in priority order: (attribute, value) matched as an id or a class token
CONTAINERS: tuple[tuple[str, str], ...] = (
    ("class", "TRS_Editor"), ("class", "trs_editor_view"), ("class", "TRS_UEDITOR"), ("id", "UCAP-CONTENT"),
    ("id", "zoom"), ("id", "Zoom"), ("id", "zoomcon"), ("id", "fontzoom"), ("id", "ivs_content"),
    ("class", "Article_content"), ("class", "article_content"), ("class", "article-content"),
    ("class", "xxgk_content"), ("class", "article_con"), ("class", "main-txt"), ("class", "artile_zw"),
    ("class", "zc_article_con"), ("class", "detailCont"), ("class", "view"), ("id", "content"),
    ("class", "content"),
)
#: class/id words marking page chrome inside the page (matched as whole tokens, case-insensitive)
CHROME_TOKENS = frozenset({"header", "footer", "nav", "navbar", "menu", "breadcrumb", "crumb", "crumbs", "share",
                           "bdshare", "toolbar", "print", "position", "location", "sidebar", "copyright",
                           "wza", "topbar", "top-bar", "foot", "head", "bottom", "dqwz", "weizhi", "pagebar"})
ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ofd", ".zip", ".rar", ".txt")

_HANWEB_CONTENT = re.compile(r"<!--\s*ZJEG_RSS\.content\.begin\s*-->(.*?)<!--\s*ZJEG_RSS\.content\.end\s*-->",
                             re.S | re.I)
_LOCAL = threading.local()
_TAG = re.compile(r"<[^>]*>")
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|tr|h[1-6]|table|dd|dt)\b[^>]*>", re.I)


def _parser() -> lxml.html.HTMLParser:
    """This thread's parser (lxml parsers are not shared between threads). ``huge_tree`` lifts libxml2's
    nesting limit from 255 to 2048 levels; deeper than that it drops the rest of the page."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = lxml.html.HTMLParser(huge_tree=True)
        # every element an HtmlElement, chosen in C: lxml.html's own lookup (a Python call per element proxy,
        # for the form-field classes this module never uses) costs more than the walks over the tree
        parser.set_element_class_lookup(lxml.etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity))
    return parser


def _too_deep(parser: lxml.html.HTMLParser) -> bool:
    return any("Excessive depth" in entry.message for entry in parser.error_log)


def strip_tags(text: str) -> str:
    """Markup-free text by regular expressions: the fallback for pages lxml cannot hold in a tree."""
    text = _BLOCK_TAG.sub("\n", _SCRIPT_STYLE.sub("", text))
    lines = (_clean(unescape(line)) for line in _TAG.sub("", text).splitlines())
    return "\n".join(line for line in lines if line)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
#: what ``str.splitlines`` breaks on that ``_clean`` leaves in place
_LINE_BREAK = re.compile("[\n\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"[ \t\r\f\v\xa0\u2002\u2003\u2009\u200b\u3000]+")
_LABEL_STRIP = re.compile(r"[\s\xa0\u3000:：]+")
_TITLE_SPLIT = re.compile(r"\s*(?:[-_|—–]{1,2}|\s-\s)\s*")

#: 要素表 labels (whitespace removed) -> page_meta key
META_LABELS: dict[str, str] = {
    "索引号": "index_no", "索取号": "index_no",
    "发布机构": "agency", "发文机关": "agency", "发文单位": "agency", "发布单位": "agency", "公开主体": "agency",
    "生成机构": "agency", "公开责任部门": "agency", "发布部门": "agency",
    "发布日期": "published", "发文日期": "published", "公开日期": "published", "发布时间": "published",
    "生成日期": "published", "成文日期": "written", "印发日期": "written",
    "名称": "title", "标题": "title", "信息名称": "title", "文件名称": "title", "文章标题": "title",
    "文号": "doc_no", "发文字号": "doc_no", "文件编号": "doc_no", "发布文号": "doc_no",
    "分类": "category", "主题分类": "category", "组配分类": "category", "信息分类": "category",
    "关键词": "keywords", "主题词": "keywords", "来源": "content_source", "信息来源": "content_source",
    "有效性": "validity", "内容概述": "summary",
}
#: traditional forms of the characters in META_LABELS (OpenCC s2t/s2tw/s2hk, plus 佈 of 發佈) -> simplified, so
#: the 要素表 of traditional pages (索引號, 發佈機構, 發佈日期, 發文日期 ...) is recognised too
_TRADITIONAL_LABEL_CHARS = str.maketrans("號發佈機構關單開體責門時間稱標題編類組鍵詞來內",
                                         "号发布机构关单开体责门时间称标题编类组键词来内")
_LABEL_INITIALS = frozenset(label[0] for label in META_LABELS) | frozenset(
    chr(traditional) for traditional, simplified in _TRADITIONAL_LABEL_CHARS.items()
    if chr(simplified) in {label[0] for label in META_LABELS})
#: <meta name=...> (lower-cased) -> page_meta key
META_TAGS: dict[str, str] = {
    "articletitle": "title", "pubdate": "published", "contentsource": "content_source", "sitename": "site_name",
    "columnname": "column", "keywords": "keywords", "sitedomain": "site_domain", "siteidcode": "site_id_code",
    "author": "author", "firstdate": "published",
}


@dataclass
class HtmlExtract:
    """What :func:`extract_html` returns (wrapped into ``ExtractedDocument`` by the package)."""

    text: str
    grids: list[list[list[str]]]
    page_meta: dict[str, Any]
    attachment_links: list[dict[str, str]] = field(default_factory=list)
    container: str | None = None   # how the content was located: "TRS_Editor", "hanweb-markers", "density", ...
    images: int = 0                # <img> elements inside the content container
    too_deep: bool = False         # nesting beyond libxml2's limit: text taken by the regex fallback


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _compact(text: str) -> str:
    """Label text without spaces and colons, traditional label characters made simplified."""
    return _LABEL_STRIP.sub("", text).translate(_TRADITIONAL_LABEL_CHARS)


def parse_html(text: str) -> lxml.html.HtmlElement:
    """Parse decoded HTML text with lxml (XML declarations stripped: lxml rejects them on str input)."""
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        text = "<html><body></body></html>"
    try:
        return lxml.html.document_fromstring(text, parser=_parser())
    except (lxml.etree.ParserError, ValueError):
        return lxml.html.document_fromstring(f"<html><body>{text}</body></html>", parser=_parser())


def _class_tokens(element: lxml.html.HtmlElement) -> list[str]:
    return (element.get("class") or "").split()


def _is_chrome(element: lxml.html.HtmlElement) -> bool:
    words = [w.lower() for w in _class_tokens(element)]
    element_id = (element.get("id") or "").lower()
    if element_id:
        words.append(element_id)
    return any(word in CHROME_TOKENS for word in words)


def _drop_chrome(root: lxml.html.HtmlElement) -> None:
    for element in list(root.iter(*DROP_TAGS)):
        element.drop_tree()
    for element in list(root.iter(lxml.etree.Comment, lxml.etree.ProcessingInstruction)):
        parent = element.getparent()
        if parent is not None:
            element.drop_tree()


def _drop_chrome_blocks(root: lxml.html.HtmlElement) -> None:
    for element in list(root.iter("div", "ul", "span", "p", "table", "section", "aside")):
        if element.getparent() is not None and _is_chrome(element):
            element.drop_tree()


def _cell_line(cell: lxml.html.HtmlElement) -> str:
    """One table cell as one line (its blocks joined by spaces); a cell without child elements directly."""
    if len(cell):
        return _clean(" ".join(render_text(cell).splitlines()))
    return _text_line(cell.text) if cell.text else ""


@lru_cache(maxsize=8192)
def _text_line(text: str) -> str:
    """A childless cell's text as one line (cached: labels, numbers and blanks recur from report to report)."""
    line = _clean(text)
    return _clean(" ".join(line.splitlines())) if _LINE_BREAK.search(line) else line


def render_text(element: lxml.html.HtmlElement) -> str:
    """Text of ``element``, one block per line; table rows as tab-separated cells (iterative: any depth)."""
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:  # nothing pending: nothing to add
            line = _clean("".join(current))
            if line:
                lines.append(line)
            current.clear()

    # an element is entered when popped; its exit, (is_block, tail), is pushed only when it has work to do
    stack: list[Any] = [element]
    while stack:
        node = stack.pop()
        if type(node) is tuple:
            block, tail = node
            if block:
                flush()
            if tail:
                current.append(tail)
            continue
        tag = node.tag if isinstance(node.tag, str) else ""
        tail = node.tail if node is not element else None
        if tag == "tr":
            flush()
            cells = [_cell_line(cell) for cell in node if cell.tag in ("td", "th")]
            if any(cells):
                lines.append("\t".join(cells))
            if tail:
                current.append(tail)
            continue
        block = tag in BLOCK_TAGS
        if block:
            flush()
        if node.text and tag:
            current.append(node.text)
        if block or tail:
            stack.append((block, tail))
        stack.extend(reversed(node))
    flush()
    return "\n".join(lines)


#: the elements that can be containers: one axis step (a ``//*[...]`` per name was 21 scans of the whole tree)
_HAS_ID_OR_CLASS = lxml.etree.XPath("descendant-or-self::*[@id or @class]")
#: XPath's whitespace (what ``normalize-space`` collapses in a class attribute)
_XML_SPACE = re.compile(r"[ \t\r\n]+")


def _container_candidates(root: lxml.html.HtmlElement) -> list[list[lxml.html.HtmlElement]]:
    """Per entry of CONTAINERS, the elements it names, in document order (one pass over the tree)."""
    by_id: dict[str, list[int]] = {}
    by_class: dict[str, list[int]] = {}
    for index, (attribute, value) in enumerate(CONTAINERS):
        (by_id if attribute == "id" else by_class).setdefault(value, []).append(index)
    found: list[list[lxml.html.HtmlElement]] = [[] for _ in CONTAINERS]
    for element in _HAS_ID_OR_CLASS(root):
        element_id = element.get("id")
        if element_id is not None:
            for index in by_id.get(element_id, ()):
                found[index].append(element)
        classes = element.get("class")
        if classes:
            for token in dict.fromkeys(_XML_SPACE.split(classes.strip(" \t\r\n"))):
                for index in by_class.get(token, ()):
                    found[index].append(element)
    return found


def find_container(root: lxml.html.HtmlElement) -> tuple[lxml.html.HtmlElement | None, str | None]:
    """The report content element by known container names (largest text wins among equals)."""
    for (_attribute, name), matches in zip(CONTAINERS, _container_candidates(root), strict=True):
        if not matches:
            continue
        sizes = [len(el.text_content().strip()) for el in matches]
        size = max(sizes)
        if size >= 20:
            return matches[sizes.index(size)], name  # the first of the largest
    return None, None


def densest_block(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The element collecting the most non-link text from its paragraphs (a small readability score)."""
    scores: dict[lxml.html.HtmlElement, float] = {}
    for element in root.iter("p", "td", "div", "li", "span", "font", "pre", "section", "article"):
        own = (element.text or "") + "".join((child.tail or "") for child in element)
        own_len = len(_clean(own))
        if own_len < 10:
            continue
        parent = element.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + own_len
        grandparent = parent.getparent()
        if grandparent is not None:
            scores[grandparent] = scores.get(grandparent, 0.0) + own_len / 2
    if not scores:
        body = root.find("body")
        return body if body is not None else root
    for element in list(scores):
        link_chars = sum(len(a.text_content()) for a in element.iter("a"))
        total = len(element.text_content()) or 1
        scores[element] *= 1.0 - min(1.0, link_chars / total)
    return max(scores, key=lambda el: scores[el])


def meta_tags(root: lxml.html.HtmlElement) -> dict[str, str]:
    """page_meta values from ``<meta name=... content=...>`` (ArticleTitle, PubDate, ContentSource, ...)."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = META_TAGS.get((meta.get("name") or "").strip().lower())
        value = _clean(meta.get("content") or "")
        if key and value and key not in found:
            found[key] = value
    return found


def _value_after(element: lxml.html.HtmlElement) -> str:
    """The value that follows a label element: its tail, else the next sibling, climbing up to two levels."""
    node: lxml.html.HtmlElement | None = element
    for _ in range(3):
        if node is None:
            break
        if node.tail and node.tail.strip():
            return _clean(node.tail)
        sibling = node.getnext()
        while sibling is not None and not isinstance(sibling.tag, str):  # a comment or processing instruction
            if sibling.tail and sibling.tail.strip():
                return _clean(sibling.tail)
            sibling = sibling.getnext()
        if sibling is not None:
            return _clean(sibling.text_content())
        node = node.getparent()
        if node is not None and node.tag in ("body", "html", "table", "tbody"):
            break
    return ""


def metadata_table(root: lxml.html.HtmlElement) -> dict[str, str]:
    """The 要素表 fields (索引号, 发布机构, 发文日期, 名称...) found anywhere in the page, first occurrence wins."""
    found: dict[str, str] = {}
    for element in root.iter("td", "th", "dt", "li", "span", "b", "strong", "label", "em", "p", "div", "font"):
        # cheap filter first: the element's own leading text must start like a label
        own = (element.text or "").lstrip(" \t\r\n\xa0\u3000")
        if not own or own[0] not in _LABEL_INITIALS or len(element) > 6:
            continue
        raw = element.text_content()
        if len(raw) > 200:
            continue
        compact = _compact(raw)
        if not compact:
            continue
        key = META_LABELS.get(compact)
        if key:
            if key not in found:
                value = _value_after(element)
                if value and META_LABELS.get(_compact(value)) is None:
                    found[key] = value
            continue
        # "索引号：014416330/2018-04736" within one element without inner blocks
        if len(element) > 2 or any(child.tag in BLOCK_TAGS for child in element.iterdescendants()):
            continue
        match = re.match(r"^\s*([^:：\s][^:：]{0,8}?)\s*[:：]\s*(.+)$", raw.replace("\xa0", " "), re.S)
        if match:
            key = META_LABELS.get(_compact(match.group(1)))
            value = _clean(match.group(2))
            if key and value and key not in found and len(value) <= 150:
                found[key] = value
    return found


def page_title(root: lxml.html.HtmlElement, tags: dict[str, str], table: dict[str, str]) -> str | None:
    """ArticleTitle meta, the 要素表 名称, an h1/.title element, or the <title> without its site suffix."""
    for candidate in (tags.get("title"), table.get("title")):
        if candidate:
            return candidate
    for element in root.iter("h1", "h2", "div", "p", "span", "td"):
        if element.tag in ("div", "p", "span", "td") and not any(
            "title" in token.lower() for token in _class_tokens(element) + [element.get("id") or ""]
        ):
            continue
        text = _clean(element.text_content())
        if 6 <= len(text) <= 120 and ("报告" in text or "年报" in text):
            return text
    title_element = root.find(".//title")
    if title_element is not None:
        parts = [p for p in _TITLE_SPLIT.split(_clean(title_element.text_content())) if p]
        if parts:
            return max(parts[:2], key=len) if len(parts) > 1 else parts[0]
    return None


def attachment_links(root: lxml.html.HtmlElement, base_url: str) -> list[dict[str, str]]:
    """Links to attachment files (PDF/DOC/DOCX/WPS/...; Hanweb downfile.jsp; TRS ``appendix``), absolute."""
    seen: set[str] = set()
    links: list[dict[str, str]] = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        path = href.split("?", 1)[0].split("#", 1)[0].lower()
        if not (path.endswith(ATTACHMENT_EXTENSIONS) or "downfile.jsp" in path or anchor.get("appendix") == "true"):
            continue
        url = urljoin(base_url, href)
        if url in seen:
            continue
        seen.add(url)
        link = {"url": url, "text": _clean(anchor.text_content()) or _clean(anchor.get("title") or "")}
        oldsrc = anchor.get("oldsrc")
        if oldsrc:
            link["oldsrc"] = urljoin(base_url, oldsrc)
        links.append(link)
    return links


def extract_html(text: str, url: str) -> HtmlExtract:
    """Extract text, grids, page metadata and attachment links from decoded report HTML."""
    root = parse_html(text)
    too_deep = _too_deep(_parser())
    # Holding every element's Python proxy for the whole extraction lets the later walks (metadata, container,
    # text, tables) reuse them instead of building a new proxy (and running lxml.html's class lookup) per visit.
    elements = list(root.iter())
    tags = meta_tags(root)
    table = metadata_table(root)
    title = page_title(root, tags, table)
    links = attachment_links(root, url)

    hanweb = _HANWEB_CONTENT.search(text)
    container: lxml.html.HtmlElement | None = None
    how: str | None = None
    if hanweb and hanweb.group(1).strip():
        container = parse_html(f"<html><body><div>{hanweb.group(1)}</div></body></html>").find("body")
        how = "hanweb-markers"
    _drop_chrome(root)
    if container is not None:
        _drop_chrome(container)
    else:
        container, how = find_container(root)
    if container is None:
        _drop_chrome_blocks(root)
        container, how = densest_block(root), "density"

    page_meta: dict[str, Any] = {}
    for key in ("title", "published", "index_no", "agency", "column", "site_name", "content_source", "doc_no",
                "written", "category", "keywords", "site_id_code", "site_domain", "validity"):
        value = table.get(key) if key != "title" else None
        value = value or tags.get(key)
        if key == "title":
            value = title
        if key == "published" and not value:
            value = table.get("written")
        if value:
            page_meta[key] = value
    if "agency" not in page_meta and page_meta.get("content_source"):
        page_meta["agency"] = page_meta["content_source"]
    if too_deep:  # the tree lost everything below libxml2's depth limit: take the text by regex instead
        body = hanweb.group(1) if hanweb else text
        return HtmlExtract(text=strip_tags(body), grids=[], page_meta=page_meta, attachment_links=links,
                           container="regex-fallback", images=body.lower().count("<img"), too_deep=True)
    extract = HtmlExtract(text=render_text(container), grids=html_tables_to_grids(container), page_meta=page_meta,
                          attachment_links=links, container=how, images=sum(1 for _ in container.iter("img")))
    del elements  # kept alive until here on purpose (see above)
    return extract
