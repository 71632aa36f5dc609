"""Link picking on list pages and report pages.

* :func:`decode_html` turns page bytes into text even when the declared charset is wrong or missing.
* :func:`list_links` returns the candidate item links of a list page: ``href`` links, targets inside
  ``javascript:`` hrefs, ``onclick`` (Chengdu ``li[onclick]`` rows), ``data-href`` and Teleport ``tppabs``
  (:mod:`govcrawl.discovery.targets`), hrefs broken by nested quotes repaired before parsing, a card's
  ``<h2>`` as its text, nested ``<a><a>`` merged, unit-name links titled by their panel
  (:mod:`govcrawl.discovery.context`), pager links marked (:mod:`govcrawl.discovery.pagers`). Template junk
  (``ms-attr-href``, ``{{…}}``) and targetless ``javascript:;`` links are skipped and counted.
* :func:`attachment_links` returns report attachments on a detail page: PDF/DOC/DOCX/WPS/OFD links, TRS
  ``P0…pdf`` with their ``OLDSRC`` path as fallback, Hanweb ``downfile.jsp``, PDF.js viewer links and the old
  ``var file_appendix='<a …>'`` script form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import lxml.html

from govcrawl.charset import decode_body
from govcrawl.discovery.classifier import is_report_title
from govcrawl.discovery.context import context_title, is_unit_name, page_column, squash
from govcrawl.discovery.pagers import in_pager, pager_label
from govcrawl.discovery.targets import (
    DATA_TARGET_ATTRS,
    is_targetless,
    repair_nested_quotes,
    resolve,
    script_target,
)

ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps", ".ofd", ".xls", ".xlsx", ".et")
_ATTACHMENT_RE = re.compile(r"\.(?:pdf|docx?|wps|ofd|xlsx?|et)$", re.IGNORECASE)
_TEMPLATE_JUNK_RE = re.compile(r"\{\{|\}\}|\$\{|\{%|<%|%>|^@|^el\.|^item\.")
_TEMPLATE_ATTR_RE = re.compile(r"^(?:ms-attr-href|ms-href|v-bind:href|:href|ng-href|data-ng-href|x-bind:href)$", re.I)
_FILE_APPENDIX_RE = re.compile(r"""file_appendix\s*=\s*['"](.*?)['"]\s*;""", re.DOTALL)
_WS_RE = re.compile(r"\s+")
_ATTACHMENT_HINTS = (b".pdf", b".doc", b".wps", b".ofd", b".xls", b".et", b"downfile", b"viewer.html", b"file_appendix")
#: the hints with a dot, in one pass that stops only at dots (``viewer.html``: ``.html`` after ``viewer``)
_DOTTED_HINTS_RE = re.compile(rb"\.(?:pdf|doc|wps|ofd|xls|et|html(?<=viewer\.html))")


@dataclass
class Link:
    """A candidate item link on a list page."""

    url: str
    text: str
    title: str
    via: str = "href"  # "href" | "javascript" | "onclick" | "data-href" | "tppabs" | "json" | "xhr"
    #: the title a unit-name link stands for, from its panel/tab/heading ("区发改局 2021年度…年度报告")
    context_title: str = ""
    #: the panel heading / tab label / caption that gave ``context_title``
    context: str = ""
    #: "pager" when the link sits in the list's pager, "tree" for a navigation-tree node, else ""
    region: str = ""

    @property
    def best_title(self) -> str:
        """The complete title: the ``title`` attribute wins over (possibly truncated) link text."""
        return self.title or self.text or self.context_title

    @property
    def candidate_titles(self) -> list[str]:
        """Every title the classifier may accept the link by: title attribute, text, context title."""
        return [t for t in dict.fromkeys((self.title, self.text, self.context_title)) if t]


@dataclass
class AttachmentLink:
    """An attachment on a report page; ``fallbacks`` are tried in order if ``url`` fails (TRS OLDSRC)."""

    url: str
    text: str
    fallbacks: list[str] = field(default_factory=list)


@dataclass
class RefusedLink:
    """An anchor list picking could not follow (no target at all), kept for ``govcrawl explain``."""

    href: str
    text: str
    reason: str


@dataclass
class LinkStats:
    """What link picking found and skipped, for the crawl stats.

    ``javascript`` counts only targetless ``javascript:`` links (``javascript:;``, ``void(0)``): a
    ``javascript:`` href naming a URL is followed and counted in ``targets["javascript"]``.
    """

    template_junk: int = 0
    javascript: int = 0
    onclick: int = 0
    targets: dict[str, int] = field(default_factory=dict)  # links found, by how their target was read
    refused: list[RefusedLink] = field(default_factory=list)
    refused_scheme: int = 0  # links to file:, ftp:, data:... (only http/https is ever fetched)

    def found(self, via: str) -> None:
        """Count a link whose target was read ``via`` (href, javascript, onclick, data-href, tppabs, context)."""
        self.targets[via] = self.targets.get(via, 0) + 1


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode list-page bytes with the same charset logic as report extraction; returns ``(text, encoding)``.

    ``declared`` is the HTTP charset, if any (see :func:`govcrawl.charset.decode_body`).
    """
    decoded = decode_body(body, f"text/html; charset={declared}" if declared else None)
    return decoded.text, decoded.encoding


def parse_html(text: str, base_url: str) -> lxml.html.HtmlElement:
    """Parse HTML text (never raises on junk); honours ``<base href>``; repairs hrefs broken by nested
    quotes first (``href="javascript:window.open("URL")"``)."""
    doc = lxml.html.document_fromstring(repair_nested_quotes(text) if text else "<html></html>")
    base = doc.find(".//base[@href]")
    doc.make_links_absolute(urljoin(base_url, base.get("href")) if base is not None else base_url,
                            resolve_base_href=False, handle_failures="ignore")
    return doc


def clean_text(value: str | None) -> str:
    """Collapse whitespace (list titles are split over lines on some sites)."""
    return _WS_RE.sub(" ", value or "").strip()


def _usable_href(href: str | None, stats: LinkStats) -> bool:
    if not href:
        return False
    href = href.strip()
    lowered = href.lower()
    if lowered.startswith("javascript:") or lowered in {"#", ""} or lowered.startswith(("mailto:", "tel:")):
        return False  # javascript: hrefs are read by targets.script_target; only targetless ones are traps
    if _TEMPLATE_JUNK_RE.search(unquote(href)):
        stats.template_junk += 1
        return False
    return True


def onclick_url(script: str | None, base_url: str) -> str | None:
    """The URL an ``onclick`` handler or ``javascript:`` href navigates to, if it names one."""
    target = script_target(script)
    return resolve(base_url, target) if target else None


_TREE_MARKER_RE = re.compile(r"tree|folder", re.IGNORECASE)
_HEADING_CHILD = ".//h1|.//h2|.//h3|.//h4|.//h5|.//h6"


def _link_text(element: lxml.html.HtmlElement) -> str:
    """Visible text of a link: a card's heading (``<a><h2>TITLE</h2><div>excerpt…</div></a>``) stands for
    the whole card; text split by ``<br>`` is joined; an image-only link says its ``alt``."""
    if element.tag == "a":
        headings = element.xpath(_HEADING_CHILD)
        if headings and element.xpath(".//div|.//p"):
            return squash(headings[0].text_content())
    text = squash(element.text_content())
    if not text:
        image = element.find(".//img")
        if image is not None:
            text = squash(image.get("alt") or image.get("title"))
    return text


def _tree_node(element: lxml.html.HtmlElement) -> bool:
    """True for a node of a navigation tree (SiteServer ``stltree``, ``treeitemlevel`` rows, folder handlers)."""
    if element.get("istreelink") or _TREE_MARKER_RE.search(element.get("onclick") or ""):
        return True
    for ancestor in element.iterancestors():
        if ancestor.get("treeitemlevel") is not None:
            return True
        if ancestor.tag in ("body", "html"):
            break
    return False


_OTHER_SCHEME_RE = re.compile(r"^(?!(?:https?|javascript|mailto|tel):)[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _target(element: lxml.html.HtmlElement, base_url: str, stats: LinkStats) -> tuple[str | None, str]:
    """``(absolute URL, via)`` of an element, or ``(None, reason)``."""
    tag = element.tag
    href = element.get("href") if tag == "a" else None
    if tag == "a" and _usable_href(href, stats):
        return resolve(base_url, href.strip()), "href"  # type: ignore[union-attr]
    lowered = (href or "").strip().lower()
    if lowered.startswith("javascript:") and not is_targetless(href):
        target = script_target(href)
        if target:
            return resolve(base_url, target), "javascript"
    if element.get("onclick"):
        target = script_target(element.get("onclick"))
        if target:
            return resolve(base_url, target), "onclick"
    for name in DATA_TARGET_ATTRS:
        value = (element.get(name) or "").strip()
        if value and not _TEMPLATE_JUNK_RE.search(value) and not is_targetless(value):
            return resolve(base_url, value), "data-href"
    tppabs = (element.get("tppabs") or "").strip()
    if tppabs:
        return resolve(base_url, tppabs), "tppabs"
    if tag == "a" and lowered.startswith("javascript:"):
        return None, "javascript: link without a target"
    return None, ""


def list_links(doc: lxml.html.HtmlElement, base_url: str, stats: LinkStats | None = None) -> list[Link]:
    """Candidate item links of a list page (already made absolute), in document order, unique by URL.

    Targets are read from ``href``, ``javascript:`` hrefs, ``onclick``, ``data-href`` and Teleport's
    ``tppabs``; a link whose text is only a unit name gets a ``context_title`` from its panel, tab or
    heading (see :mod:`govcrawl.discovery.context`). A second anchor with the same URL (``<a href=X><a
    href=X>title</a>``) completes the first one's empty text.
    """
    stats = stats if stats is not None else LinkStats()
    by_url: dict[str, Link] = {}
    found: list[Link] = []
    column = page_column(doc)
    cache: dict[int, list[str] | None] = {}
    row_urls: set[str] = set()
    for element in doc.iter("a", "li", "tr", "div", "dd", "span", "td", "area"):
        tag = element.tag
        if tag == "a" and any(_TEMPLATE_ATTR_RE.match(name) for name in element.attrib):
            stats.template_junk += 1  # ms-attr-href / v-bind:href / ng-href: template bindings, not links
        if tag not in ("a", "area") and not element.get("onclick") and not any(
                element.get(name) for name in DATA_TARGET_ATTRS):
            continue
        url, via = _target(element, base_url, stats)
        text = _link_text(element)
        title = clean_text(element.get("title"))
        if not url:
            if _OTHER_SCHEME_RE.match((element.get("href") or "").strip()):
                stats.refused_scheme += 1  # file:, ftp:, data:…: only http/https is ever fetched
                continue
            if via and tag == "a":
                stats.javascript += 1
                stats.refused.append(RefusedLink(href=(element.get("href") or "").strip(), text=title or text,
                                                 reason=via))
            continue
        if not url.startswith(("http://", "https://")):
            stats.refused_scheme += 1
            continue
        if via == "onclick":
            stats.onclick += 1
        if not title and tag not in ("a", "area"):
            inner = element.find(".//*[@title]")
            title = clean_text(inner.get("title")) if inner is not None else ""
        existing = by_url.get(url)
        if existing is not None:
            anchor_over_row = tag == "a" and url in row_urls  # the row's own anchor says it better
            if text and (not existing.text or anchor_over_row):
                existing.text = text
            if title and (not existing.title or anchor_over_row):
                existing.title = title
            row_urls.discard(url)
            continue
        if tag not in ("a", "area"):
            row_urls.add(url)
        region = "tree" if _tree_node(element) else ""
        if tag == "a" and pager_label(text) and in_pager(element):
            region = "pager"
        link = Link(url=url, text=text, title=title, via=via, region=region)
        if is_unit_name(link.text) and (not title or is_unit_name(title) or not is_report_title(title)):
            link.context_title, link.context = context_title(element, link.text, column, cache)
            if link.context_title:
                stats.found("context")
        stats.found(via)
        by_url[url] = link
        found.append(link)
    return found


def is_attachment_url(url: str) -> bool:
    """True for a PDF/DOC/DOCX/WPS/OFD/XLS URL or a Hanweb ``downfile.jsp`` download."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if _ATTACHMENT_RE.search(path):
        return True
    if path.endswith("downfile.jsp") or "/download/" in path.lower() and "filename=" in parts.query.lower():
        return True
    return False


def _viewer_file(url: str) -> str | None:
    parts = urlsplit(url)
    if "viewer.html" not in parts.path:
        return None
    files = parse_qs(parts.query).get("file")
    return urljoin(url, files[0]) if files else None


def may_have_attachments(body: bytes) -> bool:
    """Cheap byte-level pre-check: False means the page certainly links no attachment (skip parsing it)."""
    lowered = body.lower()  # then case-sensitive tests: a case-insensitive regex is ~20x slower
    if _DOTTED_HINTS_RE.search(lowered) is not None:  # one scan for the six dotted hints
        return True
    return b"file" in lowered and (b"downfile" in lowered or b"file_appendix" in lowered)


def attachment_links(doc: lxml.html.HtmlElement, base_url: str) -> list[AttachmentLink]:
    """Attachments of a report page, unique by URL, in document order."""
    found: dict[str, AttachmentLink] = {}

    def add(url: str, text: str, fallbacks: list[str]) -> None:
        url = url.split("#", 1)[0]
        if url not in found:
            found[url] = AttachmentLink(url=url, text=text, fallbacks=[f for f in fallbacks if f != url])

    stats = LinkStats()
    for anchor in doc.iter("a"):
        href = anchor.get("href")
        oldsrc = anchor.get("oldsrc") or anchor.get("OLDSRC")
        text = clean_text(anchor.get("title") or anchor.text_content())
        candidates = []
        if _usable_href(href, stats):
            candidates.append(urljoin(base_url, href.strip()))  # type: ignore[union-attr]
        old_url = urljoin(base_url, oldsrc.strip()) if oldsrc and oldsrc.strip() else None
        primary = next((u for u in candidates if is_attachment_url(u)), None)
        if primary is None and candidates:
            primary = _viewer_file(candidates[0])
        if primary is None and old_url and is_attachment_url(old_url):
            primary, old_url = old_url, None
        if primary is None:
            continue
        add(primary, text, [old_url] if old_url and is_attachment_url(old_url) else [])
    for script in doc.iter("script"):
        for fragment in _FILE_APPENDIX_RE.findall(script.text or ""):
            try:
                sub = lxml.html.fragment_fromstring(fragment, create_parent="div")
            except Exception:
                continue
            for anchor in sub.iter("a"):
                href = anchor.get("href")
                if _usable_href(href, stats):
                    url = urljoin(base_url, href.strip())  # type: ignore[union-attr]
                    if is_attachment_url(url):
                        add(url, clean_text(anchor.text_content()), [])
    return list(found.values())
