"""Where a link really goes: targets hidden in ``javascript:`` hrefs, handlers and mirror attributes.

Real list pages hide the target of a link in many ways (all seen on real government pages, see
``../shared/real`` and issue 10):

* ``href="javascript:window.open('http://…/art_37703_2740494.html?xxgkhide=1');"`` (Hanweb 年报 columns);
* ``location.href=…``, ``window.location='…'``, ``openWin(…)``, ``goUrl(…)`` in the href or ``onclick``;
* Teleport Ultra mirrors: ``javascript:if(confirm('URL …'))window.location='URL'`` and ``tppabs="URL"``;
* ``data-href`` / ``data-url`` / ``data-link`` attributes on rows;
* hrefs broken by nested quotes (``href="javascript:window.open("URL")"``): an HTML parser keeps only
  ``javascript:window.open(`` — :func:`repair_nested_quotes` rewrites the inner quotes before parsing.

Only truly targetless links (``javascript:;``, ``javascript:void(0)``, a handler naming no URL) are left
without a target.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

_TEMPLATE_JUNK_RE = re.compile(r"\{\{|\}\}|\$\{|\{%|<%|%>|^@|^el\.|^item\.")
# A navigation call and its first quoted argument: window.open('…'), location.href = "…", openWin('…'), go('…')
_NAV_CALL_RE = re.compile(
    r"""(?:window\.open|\.open|location(?:\.href)?\s*=|location\.(?:assign|replace)|(?:window|self|top|parent)"""
    r"""\.location\s*=|open[A-Za-z]*|go[A-Za-z]*|to[A-Za-z]*|view[A-Za-z]*|show[A-Za-z]*|jump[A-Za-z]*|"""
    r"""redirect[A-Za-z]*|link[A-Za-z]*|turn[A-Za-z]*|detail[A-Za-z]*)\s*\(?\s*(['"])((?:(?!\1).)+)\1(?!\s*\+)""",
    re.IGNORECASE | re.DOTALL,
)
# Any quoted string that looks like a URL or a path to a page (last resort inside a handler).
_QUOTED_URL_RE = re.compile(
    r"""(['"])((?:https?://|\.{0,2}/)[^'"\s<>]+|[\w./-]+\.(?:s?html?|jsp|aspx?|php|pdf|docx?|wps|ofd|xlsx?)(?:\?[^'"\s<>]*)?)\1"""
    r"""(?!\s*\+)""",
    re.IGNORECASE,
)
_TARGETLESS_RE = re.compile(r"^javascript:\s*(?:;|void\s*\(\s*0?\s*\)\s*;?|false;?|return\s+false;?|\s*)$", re.I)
# href="javascript:fn("URL")"  →  href="javascript:fn('URL')" (nested quotes of the same kind)
_NESTED_QUOTES_RE = re.compile(
    r"""(?P<pre>\b(?:href|onclick)\s*=\s*)(?P<q>["'])(?P<js>javascript:[\w.$\s]*[(=]\s*|[\w.$\s]*\(\s*)"""
    r"""(?P=q)(?P<url>[^"'<>\s]+)(?P=q)(?P<post>[^"'<>]*?)(?P=q)""",
    re.IGNORECASE,
)
#: attributes that carry a row's target on real sites (data-href rows, Teleport's original URL)
DATA_TARGET_ATTRS = ("data-href", "data-url", "data-link", "data-src-url")


def repair_nested_quotes(html: str) -> str:
    """Rewrite inner quotes of ``href="javascript:fn("URL")"`` to the other quote kind, so a parser keeps
    the whole handler (and the URL in it) as the attribute value."""
    if "javascript:" not in html and "onclick" not in html.lower():
        return html

    def fix(match: re.Match[str]) -> str:
        quote = match.group("q")
        inner = "'" if quote == '"' else '"'
        return (f"{match.group('pre')}{quote}{match.group('js')}{inner}{match.group('url')}{inner}"
                f"{match.group('post')}{quote}")

    return _NESTED_QUOTES_RE.sub(fix, html)


def is_targetless(href: str | None) -> bool:
    """True for ``javascript:;``, ``javascript:void(0)``, ``#`` and empty hrefs: links that go nowhere."""
    value = (href or "").strip()
    return not value or value == "#" or bool(_TARGETLESS_RE.match(value))


def script_target(script: str | None) -> str | None:
    """The URL a ``javascript:`` href or an ``onclick`` handler navigates to, unresolved; None if it names none.

    ``if(confirm('URL …'))window.location='URL'`` gives the URL assigned to ``location``, not the message.
    """
    if not script:
        return None
    text = script.strip()
    if text.lower().startswith("javascript:"):
        text = text[len("javascript:"):]
    candidates = [m.group(2) for m in _NAV_CALL_RE.finditer(text)]
    candidates += [m.group(2) for m in _QUOTED_URL_RE.finditer(text)]
    for target in candidates:
        target = target.strip()
        if not target or target.lower().startswith("javascript:") or _TEMPLATE_JUNK_RE.search(target):
            continue
        if re.match(r"^(?:https?://|\.{0,2}/|[\w-]+(?:/|\.\w+))", target) and not re.search(r"\s", target):
            return target
    return None


def resolve(base_url: str, target: str) -> str | None:
    """``target`` made absolute against ``base_url``; None if it is not an http(s) URL."""
    url = urljoin(base_url, target.strip())
    return url.split("#", 1)[0] if url.startswith(("http://", "https://")) else None
