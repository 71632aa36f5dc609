"""Decisions on a list page's links, as pure functions: report or not (and why), and does the page need
the browser. The spider and ``govcrawl explain`` call the same functions, so what an operator reads in
``explain`` is what the crawl did.

Every decision has a short stable ``key`` (``report/title``, ``report/context``, ``refused/list_url``,
``refused/classifier``, ``refused/targetless`` …) counted in the crawl stats under
``govcrawl/decisions/<key>`` by :func:`count_decisions`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import lxml.html

from govcrawl.discovery.classifier import classify_title, is_report_title
from govcrawl.discovery.links import Link, is_attachment_url
from govcrawl.discovery.pagination import PageRequest, looks_like_list_url
from govcrawl.discovery.urls import dedupe_key


@dataclass
class Decision:
    """One link of a list page: taken (as a report, a list page, a column) or refused, and why."""

    url: str
    title: str
    taken: bool
    key: str  # stable stats key: "report/title", "refused/classifier", "pager/static" …
    reason: str  # for people: the classifier's reason, the pager style …
    link: Link | None = None

    def line(self) -> str:
        """One line for ``govcrawl explain``."""
        mark = "TAKE  " if self.taken else "refuse"
        return f"{mark} {self.key:<22} {self.title[:60]!s:<60} {self.url}  ({self.reason})"


_ARTICLE_DIR_RE = re.compile(r"/(?:\d{5,}|[0-9a-f]{16,}|(?:19|20)\d{2}[01]\d(?:[0-3]\d)?)/(?:index\.s?html?)?$", re.I)


def article_shaped(url: str) -> bool:
    """True for article URLs that end like a list page: ``…/2292928/index.html`` (numeric-id folders),
    ``…/<32-hex>/index.html``, ``…/20220301/index.html``."""
    path = urlsplit(url).path
    return bool(_ARTICLE_DIR_RE.search(path)) and "/col/col" not in path


def decide_link(link: Link, column_url: str, is_report: Callable[[str], bool] = is_report_title) -> Decision:
    """Is ``link`` (found on the list page of ``column_url``) a report? ``is_report`` is the title
    classifier (the spider's configurable one); the reason comes from the default classifier."""
    titles = link.candidate_titles
    shown = link.best_title
    if not titles:
        return Decision(link.url, shown, False, "refused/no_title", "no text, title or context", link)
    if looks_like_list_url(link.url) and not is_attachment_url(link.url) and not article_shaped(link.url):
        return Decision(link.url, shown, False, "refused/list_url", "URL shaped like a list page", link)
    if dedupe_key(link.url) == dedupe_key(column_url):
        return Decision(link.url, shown, False, "refused/column_itself", "the column page itself", link)
    for source, title in (("title", link.title), ("text", link.text), ("context", link.context_title)):
        if title and is_report(title):
            if link.region == "tree" and source != "context":
                return Decision(link.url, title, False, "refused/tree_node",
                                "a navigation-tree node named like a report: a (year) sub-column", link)
            reason = classify_title(title)[1]
            if source == "context":
                reason = f"{reason}; unit name under {link.context!r}"
            key = "report/context" if source == "context" else "report/title"
            return Decision(link.url, title, True, key, f"{source}: {reason}", link)
    return Decision(link.url, shown, False, "refused/classifier", classify_title(shown)[1], link)


def count_decisions(stats: Any, decisions: Iterable[Decision], prefix: str = "govcrawl/decisions") -> None:
    """Count each decision's key in a Scrapy stats collector (or any object with ``inc_value``)."""
    if stats is None:
        return
    for decision in decisions:
        stats.inc_value(f"{prefix}/{decision.key}")


# ----------------------------------------------------------------------------- when to render in a browser

_LIST_SCRIPT_RE = re.compile(
    r"\$\.(?:ajax|get|post|getJSON)\s*\(|\bajax\s*\(|XMLHttpRequest|\bfetch\s*\(|\baxios\b|\.innerHTML\s*[+]?=|"
    r"\.(?:append|html)\s*\(\s*[\w'\"]|template\s*\(|laytpl|new\s+Vue\s*\(|\bv-for=|ms-for=|ms-repeat|"
    r"document\.write\s*\(\s*['\"]\s*<(?:li|a|tr|dd)\b",
    re.IGNORECASE,
)
_LIST_CONTAINER_RE = re.compile(r"list|news|item|data|article|wzlb|xxgk|lb\b|record|result|content|con\b|nb", re.I)
_NOT_LIST_RE = re.compile(r"page|paging|fenye|pager|pagination|nav|menu|banner|foot|head|search|share|tool", re.I)
_JS_PAGER_RE = re.compile(r"""href\s*=\s*['"]javascript:\s*[\w.$]+\(\s*['"]?\d+['"]?\s*\)""", re.IGNORECASE)
_DATA_KINDS = frozenset({"json", "jpage", "fjsearch"})


def empty_list_containers(doc: lxml.html.HtmlElement) -> int:
    """How many list containers (``ul``/``ol``/``tbody``, or a ``div`` named like a list) are empty: no
    child element and no text, or only a 加载中/loading placeholder."""
    count = 0
    for element in doc.iter("ul", "ol", "tbody", "div", "dl", "table"):
        marker = f"{element.get('class', '')} {element.get('id', '')}"
        if element.tag in ("div", "dl", "table") and not _LIST_CONTAINER_RE.search(marker):
            continue
        if _NOT_LIST_RE.search(marker):
            continue
        if element.get("id") is None and element.get("class") is None and element.tag != "tbody":
            continue
        children = [c for c in element if isinstance(c.tag, str) and c.tag not in ("script", "style")]
        text = (element.text_content() or "").strip()
        if not children and (not text or re.fullmatch(r"(?:正在)?加载中\.*|loading\.*", text, re.I)):
            count += 1
    return count


def needs_browser(html: str, report_links: int, more: Iterable[PageRequest] = (),
                  doc: lxml.html.HtmlElement | None = None) -> tuple[bool, str]:
    """``(render?, why)`` for a list page that was read statically.

    Render when the page yields no report link but has list-building scripts, a ``javascript:`` pager,
    empty list containers, or scripts and no data API request already scheduled — whatever other links
    (navigation, a site menu's 首页) it has. A page with report links, or whose list comes from an API
    request already made statically (gkmlpt, jpage, Fujian search), is not rendered.
    """
    if report_links:
        return False, "report links found"
    pages = list(more)
    if any(page.kind in _DATA_KINDS for page in pages):
        return False, "list data API requested statically"
    lowered = html.lower()
    if "<script" not in lowered and "onload" not in lowered:
        if doc is not None and empty_list_containers(doc):
            return True, "empty list container (no scripts)"
        return False, "no scripts"
    scripts = " ".join(re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.IGNORECASE | re.DOTALL))
    if _LIST_SCRIPT_RE.search(scripts):
        return True, "no report link; an inline script builds content"
    if _JS_PAGER_RE.search(html):
        return True, "no report link; javascript: pager"
    if doc is not None and empty_list_containers(doc):
        return True, "no report link; empty list container"
    if not pages:
        return True, "no report link and no pagination; page has scripts"
    return False, "static list without report links (its pages are followed)"
