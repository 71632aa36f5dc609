"""Crawler traps: detection and the stats that report them.

Every trap met is counted in the crawl stats under ``govcrawl/trap/<name>`` and
``govcrawl/trap/<name>/<site>``; a site answering with a JS cookie challenge is reported by name as
``govcrawl/blocked/<site>`` (plus ``govcrawl/blocked/<site>/<kind>``).

Traps handled:

* ``page_limit``: a column announced or linked more list pages than its ``max_pages`` (endless calendar or
  "next page" loop);
* ``repeated_page``: a list page whose item links equal an earlier page's (sites that answer any page number
  with their last page) — pagination of that column stops;
* ``empty_page``: a list page with no item links — pagination of that column stops;
* ``session_id``: links carrying ``;jsessionid=`` / ``sid=`` that were stripped;
* ``duplicate_twin``: ``_wap`` and ``/gate/big5/`` twins of an article already scheduled;
* ``template_junk`` / ``javascript_link``: ``ms-attr-href``/``{{…}}`` junk and ``javascript:`` hrefs skipped;
* ``js_challenge``: 412/521 answers carrying a script (瑞数, 加速乐) or tiny WAF bodies;
* ``tiny_body`` / ``removed_stub``: a report link answering a near-empty body (WAF glitch) or a
  ``<meta http-equiv="refresh">`` removal stub — archived, but not emitted as a report;
* ``calendar_link``: links into calendar-style columns (``?date=2024-03``, 日历) seen and not followed.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

_SCRIPT_RE = re.compile(rb"<script", re.IGNORECASE)
_JSL_RE = re.compile(rb"__jsl_clearance|__jsluid|document\.cookie", re.IGNORECASE)
CHALLENGE_STATUSES = frozenset({412, 521})
_CALENDAR_URL_RE = re.compile(
    r"[?&](?:date|day|month|ym|yearmonth)=\d{4}-?\d{1,2}|[?&]year=\d{4}&month=\d{1,2}|/calendar|rili|hyrl", re.IGNORECASE
)


def is_calendar_link(url: str, text: str = "") -> bool:
    """True for links into calendar-style (unbounded) columns."""
    return bool(_CALENDAR_URL_RE.search(url)) or "日历" in text


def challenge_kind(status: int, body: bytes, headers: dict[str, Any] | None = None) -> str | None:
    """Name of the JS challenge a response is, or None.

    ``rs_412`` (瑞数-style 412 with a script), ``jsl_521`` (加速乐 521 with a cookie script), ``script_<status>``
    for other challenge statuses with a script, ``cookie_script`` for a 200 whose tiny body only sets a
    cookie and reloads.
    """
    if status not in CHALLENGE_STATUSES and not (status == 200 and len(body) < 2048):
        return None  # the common case, decided without scanning the body
    head = body[:20000]
    has_script = bool(_SCRIPT_RE.search(head))
    if status == 412 and has_script:
        return "rs_412"
    if status == 521 and (has_script or _JSL_RE.search(head)):
        return "jsl_521"
    if status in CHALLENGE_STATUSES:
        return f"script_{status}" if has_script else None
    if status == 200 and len(body) < 2048 and has_script and _JSL_RE.search(head):
        return "cookie_script"
    return None


def page_fingerprint(urls: list[str]) -> str:
    """Content hash of a list page: the set of item URLs it lists."""
    digest = hashlib.sha1()
    for url in sorted(set(urls)):
        digest.update(url.encode("utf-8", "surrogatepass"))
        digest.update(b"\n")
    return digest.hexdigest()


@dataclass
class ColumnState:
    """Pagination bookkeeping for one column (one start URL)."""

    pages_scheduled: int = 1
    page_keys: set[str] = field(default_factory=set)
    fingerprints: set[str] = field(default_factory=set)
    stopped: str | None = None


class TrapTracker:
    """Per-column pagination bounds and trap counters, reported through a Scrapy stats collector."""

    def __init__(self, stats: Any | None = None) -> None:
        self.stats = stats
        self.columns: dict[str, ColumnState] = defaultdict(ColumnState)
        self.counts: dict[str, int] = defaultdict(int)

    def record(self, trap: str, site: str | None = None, count: int = 1) -> None:
        """Count a trap met (globally and for the site)."""
        if count <= 0:
            return
        keys = [f"govcrawl/trap/{trap}"] + ([f"govcrawl/trap/{trap}/{site}"] if site else [])
        for key in keys:
            self.counts[key] += count
            if self.stats is not None:
                self.stats.inc_value(key, count)

    def blocked(self, site: str, kind: str) -> None:
        """Report a site answering with a JS challenge, by name."""
        for key in (f"govcrawl/blocked/{site}", f"govcrawl/blocked/{site}/{kind}"):
            self.counts[key] += 1
            if self.stats is not None:
                self.stats.inc_value(key)
        self.record("js_challenge", site)

    def mark_page(self, column: str, key: str) -> None:
        """Remember a list page as already fetched for ``column`` (not counted again)."""
        self.columns[column].page_keys.add(key)

    def may_schedule_page(self, column: str, site: str | None, key: str, max_pages: int) -> bool:
        """Reserve list page ``key`` for ``column``: False if already scheduled, or (with a ``page_limit``
        trap) once ``max_pages`` pages were scheduled or pagination was stopped."""
        state = self.columns[column]
        if key in state.page_keys:
            return False
        if state.stopped:
            return False
        if state.pages_scheduled >= max_pages:
            state.stopped = "page_limit"
            self.record("page_limit", site)
            return False
        state.pages_scheduled += 1
        state.page_keys.add(key)
        return True

    def page_seen(self, column: str, site: str | None, item_urls: list[str]) -> bool:
        """Register a list page's items; True if pagination of the column should stop here.

        Stops on an empty page (``empty_page``) and on a page listing exactly what an earlier page of the same
        column listed (``repeated_page``).
        """
        state = self.columns[column]
        if not item_urls:
            self.record("empty_page", site)
            state.stopped = state.stopped or "empty_page"
            return True
        fingerprint = page_fingerprint(item_urls)
        if fingerprint in state.fingerprints:
            self.record("repeated_page", site)
            state.stopped = state.stopped or "repeated_page"
            return True
        state.fingerprints.add(fingerprint)
        return False

    def stopped(self, column: str) -> bool:
        """True once pagination of ``column`` was stopped by a trap."""
        return self.columns[column].stopped is not None
