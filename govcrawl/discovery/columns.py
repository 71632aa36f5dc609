"""Links to the 年报 column on front pages and 信息公开 platform pages.

A column link is named like the column, not like one report: 政府信息公开年报, 信息公开年报, 公开年报,
年度报告, 政府信息公开工作年度报告 (no year, no unit), possibly split by ``<br>`` (政府信息 / 公开年报). An
image-only link (no text, no alt) counts when its URL names the column (``/ndbg/``, ``/zfxxgknb/``,
``/xxgknb/``, ``/gknb/``). The target may be hidden as for list links (``javascript:`` confirm wrappers,
Teleport's ``tppabs``): :func:`govcrawl.discovery.links.list_links` reads it.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from govcrawl.discovery.classifier import normalise_title, title_year
from govcrawl.discovery.links import Link

_COLUMN_NAME_RE = re.compile(
    r"^(?:(?:政府|政务)?信息公开|政务公开|公开)?(?:工作)?(?:年度报告|年报)(?:专栏|栏目)?$"
)
_COLUMN_SLUG_RE = re.compile(r"(?:^|/)(?:[a-z]*gknb|[a-z]*xxgknb|zfxxgknb|ndbg|nianbao|gzbgnb)(?:_\d+)?(?:/|$)", re.I)
_FRAME_NB_RE = re.compile(r"(?:^|&)frame=nb(?:&|$)", re.I)


def is_column_title(text: str) -> bool:
    """True for a name of the annual-report column (no year, no unit): 政府信息公开年报, 公开年报, 年度报告."""
    value = normalise_title(text).strip("[]【】>»")
    return bool(value) and title_year(value) is None and bool(_COLUMN_NAME_RE.match(value))


def column_url_hint(url: str) -> bool:
    """True when a URL's path names the 年报 column (``ndbg``, ``zfxxgknb``, ``xxgknb``, ``frame=nb``)."""
    parts = urlsplit(url)
    return bool(_COLUMN_SLUG_RE.search(unquote(parts.path))) or bool(_FRAME_NB_RE.search(parts.query))


def column_link_reason(link: Link) -> str | None:
    """Why ``link`` leads to the 年报 column, or None."""
    for source, value in (("text", link.text), ("title", link.title)):
        if value and is_column_title(value):
            return f"{source} names the column: {value}"
    if not link.text and not link.title and column_url_hint(link.url):
        return "image-only link whose URL names the column"
    return None


def column_links(links: list[Link]) -> list[Link]:
    """The links among ``links`` that lead to the 年报 column, unique by URL, in document order."""
    return [link for link in links if column_link_reason(link)]
