"""The list's pager told apart from the site's navigation.

首页 means "home page" in a site menu and "first page" in a pager; a bare number may be a page number or a
footnote. Those labels count as pagination only inside a pager: an element named like one (``class="page"``,
``id="fenye"``, ``pagination``) or a group holding several pager labels (上一页 / 下一页 / 1 2 3). 下一页,
尾页, 上一页 … are pager labels anywhere.

Also here: the inline ``Pager({size:N, current:C, prefix:'index', suffix:'html'})`` script of TRS-era
templates (seen on a real 吉林市林业局 年报 column), whose page ``i`` is ``prefix_i.suffix`` (page 0 is
``prefix.suffix``).
"""

from __future__ import annotations

import json
import re

import lxml.html

#: labels that only a pager uses
UNAMBIGUOUS_LABELS = frozenset({
    "下一页", "下页", "尾页", "末页", "最后一页", "上一页", "上页", "后页", "前页", "第一页", "最前页", "最后页",
    ">", ">>", "»", "›", "<", "<<", "«", "‹", "next", "prev", "previous", "last",
})
#: labels a pager and a site menu share
AMBIGUOUS_LABELS = frozenset({"首页", "1", "first"})
_PAGER_TOKEN_RE = re.compile(
    r"^(?:.*[-_])?(?:pag(?:e|es|ing|er|ination|ebar|elist|enum|enav|ebox|ebtn|efoot|ecode)|fenye|fy|turn_?page|pg"
    r"|pagenav|page_?bar)(?:[-_]?\w*)?$",
    re.IGNORECASE,
)
_NOT_PAGER_TOKEN_RE = re.compile(r"wrap|head|container|main|content|body|top|title|side|left|right|home|index", re.I)
_PAGER_CALL_RE = re.compile(r"(?<![\w.])Pager\s*\(\s*(\{[^{}]*\})\s*\)", re.IGNORECASE)


def pager_label(label: str) -> bool:
    """A label that is a page number or a pager word (ambiguous ones included)."""
    value = re.sub(r"\s+", "", label).strip("[]【】").lower()
    return value in UNAMBIGUOUS_LABELS or value in AMBIGUOUS_LABELS or (value.isdigit() and len(value) <= 3)


def _named_like_pager(element: lxml.html.HtmlElement) -> bool:
    tokens = f"{element.get('class', '')} {element.get('id', '')}".split()
    return any(_PAGER_TOKEN_RE.match(t) and not _NOT_PAGER_TOKEN_RE.search(t) for t in tokens)


def in_pager(element: lxml.html.HtmlElement) -> bool:
    """True when an anchor sits in the list's pager: an ancestor named like a pager (4 levels up), or a
    parent/grandparent grouping it with another pager label (下一页, 尾页, page numbers)."""
    for depth, ancestor in enumerate(element.iterancestors()):
        if depth >= 4 or ancestor.tag in ("body", "html"):
            break
        if _named_like_pager(ancestor):
            return True
    for depth, ancestor in enumerate(element.iterancestors()):
        if depth >= 2 or ancestor.tag in ("body", "html"):
            break
        labels = [re.sub(r"\s+", "", a.text_content()).lower() for a in ancestor.iter("a") if a is not element]
        strong = sum(1 for label in labels if label in UNAMBIGUOUS_LABELS)
        numbers = sum(1 for label in labels if label.isdigit() and len(label) <= 3)  # not years
        if len(labels) <= 30 and (strong >= 1 or numbers >= 2):
            return True
    return False


def pager_script_pages(text: str) -> list[tuple[str, int]]:
    """``(file name, page)`` of every page an inline ``Pager({...})`` call announces (page 0 included)."""
    for match in _PAGER_CALL_RE.finditer(text):
        raw = match.group(1)
        fixed = re.sub(r"'([^'\\]*)'", lambda m: json.dumps(m.group(1), ensure_ascii=False), raw)
        fixed = re.sub(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:", r'\1"\2":', fixed)
        try:
            config = json.loads(re.sub(r",\s*}", "}", fixed))
        except ValueError:
            continue
        size = config.get("size")
        if not isinstance(size, int) or size < 1:
            continue
        prefix = str(config.get("prefix") or "index")
        suffix = str(config.get("suffix") or "html")
        return [(f"{prefix}.{suffix}" if n == 0 else f"{prefix}_{n}.{suffix}", n) for n in range(size)]
    return []
