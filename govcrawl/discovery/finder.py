"""Finding a site's 信息公开年报 column(s) from its front page, the way a visitor does (``govcrawl find-columns``).

A visitor opens the front page, looks for the 政府信息公开 / 政务公开 entry (often a platform on another host:
``zfxxgk.…``, ``xxgk.…``, ``/gkmlpt/``), then 法定主动公开内容 or 信息公开目录, and there the 年报 column.
This module holds the pure decisions; the fetching is done by ``spiders/find_columns.py``:

* :func:`read_page` — on one page: the column links (:func:`govcrawl.discovery.columns.column_links`),
  whether the page is itself a column (report links under a column name, or a gkmlpt/list API naming 年报),
  the navigation links worth following with a score and a reason, and every other link with why it was
  refused;
* :func:`navigation_reason` — the score of one link as a step towards the column;
* :func:`detect_list_style` — the registry ``list_style`` of a column page and what it announces;
* :class:`SiteSearch` — a bounded best-first search over one site (depth, page budget, stop once a
  column is found), and :func:`registry_entry` / :func:`registry_toml` — what it found as registry entries.
"""

from __future__ import annotations

import heapq
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from govcrawl.discovery.classifier import is_report_title, normalise_title
from govcrawl.discovery.columns import column_link_reason, column_url_hint, is_column_title
from govcrawl.discovery.context import page_column
from govcrawl.discovery.decisions import decide_link, needs_browser
from govcrawl.discovery.explain import list_page_requests
from govcrawl.discovery.links import Link, LinkStats, decode_html, is_attachment_url, list_links, parse_html
from govcrawl.discovery.pagination import parse_datastore, records_links
from govcrawl.discovery.subcolumns import script_redirect
from govcrawl.discovery.urls import dedupe_key

DEFAULT_MAX_DEPTH = 3
DEFAULT_MAX_PAGES = 20

# a navigation entry to the disclosure section or platform (short texts only: not a sentence, not a headline)
_NAV_SECTION_RE = re.compile(r"^(?:政府|政务|区|县|市|镇|部门)?(?:信息公开|政务公开|政府信息公开|政务信息公开)"
                             r"(?:专栏|专题|平台|网|栏目|频道|目录)?$|^政务公开$|^信息公开$")
_NAV_CATALOG_RE = re.compile(r"法定主动公开|主动公开内容|主动公开目录|信息公开目录|公开目录|政府信息公开目录|法定公开")
_NAV_GUIDE_RE = re.compile(r"(?:信息公开|政务公开)(?:指南|制度|规定)")
_UNIT_COLUMN_RE = re.compile(r"(?:部门|乡镇|街道|镇街|县区|区县|市直|单位)(?:(?:政府)?信息公开)?(?:工作)?(?:年度报告|年报)$")
_DECOY_RE = re.compile(r"工作报告|解读|统计公报|依申请|申请表|意见箱|留言|投诉|监督|咨询|年鉴|预算|决算|规划|新闻|动态"
                       r"|招聘|招标|采购|通知|公告|公示|会议|领导|机构|办事|服务|互动|登录|注册|English", re.I)
_PLATFORM_HOST_RE = re.compile(r"^(?:xxgk|zwgk|zfxxgk|gkmlpt|xxgkml|zfgk|gk|zwfw?gk)\d*\.", re.I)
_PLATFORM_PATH_RE = re.compile(r"/(?:gkmlpt|xxgk|zwgk|zfxxgk|fdzdgknr|fdgknr|xxgkml|zfxxgkml|gkml|zfxxgkpt)(?:[/_.]|$)",
                               re.I)
_META_REFRESH_RE = re.compile(r"""<meta[^>]+http-equiv\s*=\s*["']?refresh[^>]*content\s*=\s*["']?\s*\d+\s*;\s*url\s*="""
                              r"""\s*['"]?([^"'>\s]+)""", re.I)
_STYLE_OF_PAGER = {"createPageHTML": "trs", "createPage": "trs", "countPage": "trs", "Pager": "trs",
                   "static": "static", "query": "query", "jpage": "jpage", "json": "json", "gkmlpt": "gkmlpt",
                   "dongjing": "dongjing"}
_STYLE_RANK = ("gkmlpt", "dongjing", "jpage", "json", "trs", "query", "static")


@dataclass
class Considered:
    """One link seen on a fetched page, and what the search did with it."""

    url: str
    text: str
    decision: str  # "column" | "follow" | "refused"
    reason: str
    score: int = 0


@dataclass
class ListStyle:
    """What a column page is like: its registry ``list_style`` and what it shows on its first page."""

    style: str
    reports: int
    pages_announced: int = 0
    subcolumns: int = 0
    render_js: bool = False
    why: str = ""


@dataclass
class PageFindings:
    """What one fetched page offers: column links, whether it is a column itself, links to follow."""

    url: str
    title: str
    columns: list[Considered] = field(default_factory=list)
    follow: list[Considered] = field(default_factory=list)
    refused: list[Considered] = field(default_factory=list)
    is_column: bool = False
    style: ListStyle | None = None


def _same_site(url: str, front_url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    front = (urlsplit(front_url).hostname or "").lower()
    front = front[4:] if front.startswith("www.") else front
    return host == front or host.endswith("." + front)


def is_platform_url(url: str) -> bool:
    """True for a 信息公开平台 URL: a ``gkmlpt``/``xxgk``/``zwgk``/``zfxxgk`` host or path."""
    parts = urlsplit(url)
    return bool(_PLATFORM_HOST_RE.match(parts.hostname or "")) or bool(_PLATFORM_PATH_RE.search(parts.path))


def is_platform_entry(url: str) -> bool:
    """True for the entry page of a 信息公开 platform: a platform host's root, or a URL ending at the platform
    folder (``…/xxgk/``, ``…/gkmlpt/index``)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s and not re.match(r"^index\.\w+$", s)]
    if _PLATFORM_HOST_RE.match(parts.hostname or "") and len(segments) <= 1:
        return True
    return bool(segments) and bool(_PLATFORM_PATH_RE.search("/" + segments[-1] + "/")) and (
        len(segments) <= 2 or segments[-1].lower() in ("gkmlpt", "index"))


def navigation_reason(link: Link, front_url: str) -> tuple[int, str]:
    """``(score, reason)`` of ``link`` as a step towards the 年报 column; score 0 means refused (reason why).

    Scores: 信息公开/政务公开 section 10, 法定主动公开内容/信息公开目录 9, a unit-kind 年报 column (部门年报) 9,
    信息公开指南/制度 (pages sharing the section's menu) 5, a platform host or path with a neutral text 4.
    Off-site links are followed only to a platform URL or under a section/catalogue name.
    """
    text = normalise_title(link.title or link.text)
    if not urlsplit(link.url).scheme.startswith("http"):
        return 0, "not an http(s) link"
    if is_attachment_url(link.url):
        return 0, "an attachment"
    if text and is_report_title(text):
        return 0, "a report, not a column"
    score, reason = 0, "not a step towards the 信息公开 section"
    if text and len(text) <= 16 and _NAV_SECTION_RE.match(text):
        score, reason = 10, f"names the 信息公开 section: {text}"
    elif text and len(text) <= 16 and _NAV_CATALOG_RE.search(text):
        score, reason = 9, f"names the disclosure catalogue: {text}"
    elif text and _UNIT_COLUMN_RE.search(text):
        score, reason = 9, f"names a unit-kind 年报 column: {text}"
    elif text and len(text) <= 16 and _NAV_GUIDE_RE.search(text):
        score, reason = 5, f"a page of the 信息公开 section: {text}"
    elif text and _DECOY_RE.search(text):
        return 0, f"another kind of page: {text}"
    elif is_platform_entry(link.url) or (not text and is_platform_url(link.url)):
        score, reason = 4, "the entry of a 信息公开 platform" if text else "an image link into a 信息公开 platform"
    elif is_platform_url(link.url):
        return 0, f"a page inside the platform, not a step to the column: {text}"
    if score and not _same_site(link.url, front_url) and not is_platform_url(link.url) and score < 9:
        return 0, f"off-site and not a 信息公开 platform: {urlsplit(link.url).netloc}"
    return score, reason


def detect_list_style(text: str, url: str, doc: Any = None, links: list[Link] | None = None) -> ListStyle:
    """The registry ``list_style`` of the list page ``text`` at ``url`` (the spider's own readers decide)."""
    doc = parse_html(text, url) if doc is None else doc
    links = list_links(doc, url) if links is None else list(links)
    datastore = parse_datastore(text) if "<datastore" in text.lower() else None
    if datastore is not None:
        links.extend(records_links(datastore.records, url))
    more = list_page_requests(text, doc, links, url)
    reports = sum(1 for link in links if decide_link(link, url).taken)
    styles = {_STYLE_OF_PAGER[p.style] for p in more if p.style in _STYLE_OF_PAGER}
    subcolumns = sum(1 for p in more if p.style in ("subcolumn", "script_redirect"))
    pages = sum(1 for p in more if p.style in _STYLE_OF_PAGER)
    render, why = needs_browser(text, reports, more, doc)
    style = next((s for s in _STYLE_RANK if s in styles), "static" if reports else "auto")
    if render:
        style, why = "js", why
    elif styles:
        why = f"pagination: {', '.join(sorted({p.style for p in more if p.style in _STYLE_OF_PAGER}))}"
    return ListStyle(style=style, reports=reports, pages_announced=pages, subcolumns=subcolumns,
                     render_js=render, why=why or "single static page")


def page_redirect(text: str) -> str | None:
    """Where a page without links sends the browser: a meta refresh, or a script's (see ``script_redirect``)."""
    found = _META_REFRESH_RE.search(text)
    return found.group(1) if found else script_redirect(text)


def read_page(body: bytes, url: str, front_url: str, charset: str | None = None) -> PageFindings:
    """Every decision the search makes on the page ``body`` fetched at ``url`` while searching ``front_url``."""
    text, _ = decode_html(body, charset)
    doc = parse_html(text, url)
    stats = LinkStats()
    links = list_links(doc, url, stats)
    own = dedupe_key(url)
    style = detect_list_style(text, url, doc, links)
    findings = PageFindings(url=url, title=page_column(doc), style=style)
    named = is_column_title(findings.title) or column_url_hint(url)
    findings.is_column = bool(style.reports and named) or style.style == "gkmlpt"
    seen: set[str] = {own}
    for link in links:
        key = dedupe_key(link.url)
        if key in seen:
            continue
        seen.add(key)
        shown = link.best_title
        column = column_link_reason(link)
        if column:
            findings.columns.append(Considered(link.url, shown, "column", column))
            continue
        score, reason = navigation_reason(link, front_url)
        target = findings.follow if score else findings.refused
        target.append(Considered(link.url, shown, "follow" if score else "refused", reason, score))
    for refused in stats.refused:
        findings.refused.append(Considered(refused.href, refused.text, "refused", f"no target: {refused.reason}"))
    if not links:
        target = page_redirect(text)
        if target and urljoin(url, target).startswith("http") and dedupe_key(urljoin(url, target)) != own:
            findings.follow.append(Considered(urljoin(url, target), "redirect", "follow",
                                              "the page sends the browser there (refresh/script)", 10))
    findings.follow.sort(key=lambda c: -c.score)
    return findings


@dataclass
class Step:
    """A page the search wants: ``role`` "page" (navigation) or "column" (a column link to verify)."""

    url: str
    depth: int
    trail: list[str]
    role: str = "page"
    score: int = 0


@dataclass
class FetchedPage:
    """A page fetched (or not) during a search, with what was decided on it."""

    url: str
    depth: int
    role: str
    status: int | str
    trail: list[str]
    title: str = ""
    considered: list[Considered] = field(default_factory=list)


@dataclass
class FoundColumn:
    """A 年报 column found for a site."""

    url: str
    text: str
    found_on: str
    trail: list[str]
    reason: str
    status: int | str = "not fetched"
    style: ListStyle | None = None


class SiteSearch:
    """Best-first search of one site from its front page: at most ``max_depth`` navigation hops and
    ``max_pages`` fetches (column pages included); navigation stops once a column is found."""

    def __init__(self, front_url: str, max_depth: int = DEFAULT_MAX_DEPTH,
                 max_pages: int = DEFAULT_MAX_PAGES) -> None:
        self.front_url = front_url
        self.max_depth = max_depth
        self.max_pages = max_pages
        self.pages: list[FetchedPage] = []
        self.columns: dict[str, FoundColumn] = {}
        self.notes: list[str] = []
        self._seen: set[str] = {dedupe_key(front_url)}
        self._fetched: dict[str, tuple[int | str, ListStyle | None]] = {}
        self._frontier: list[tuple[int, int, int, Step]] = []
        self._order = 0
        self._push(Step(front_url, 0, [], "page", 100))

    def _push(self, step: Step) -> None:
        priority = 0 if step.role == "column" else 1
        heapq.heappush(self._frontier, (priority, -step.score, self._order, step))
        self._order += 1

    def next_step(self) -> Step | None:
        """The next page to fetch, or None when done (budget spent, frontier empty, column found)."""
        while self._frontier:
            if len(self.pages) >= self.max_pages:
                left = sum(1 for *_, s in self._frontier if s.role == "column" or not self.columns)
                if left:
                    self.notes.append(f"page budget of {self.max_pages} spent; {left} page(s) not fetched")
                self._frontier.clear()
                return None
            step = heapq.heappop(self._frontier)[3]
            if (step.role == "page" and self.columns) or dedupe_key(step.url) in self._fetched:
                continue  # a visitor stops looking once the column is found
            return step
        return None

    def record(self, step: Step, status: int | str, findings: PageFindings | None) -> None:
        """What fetching ``step`` gave: its status and (for a page that answered) its findings."""
        page = FetchedPage(step.url, step.depth, step.role, status, step.trail, findings.title if findings else "")
        self.pages.append(page)
        self._fetched[dedupe_key(step.url)] = (status, findings.style if findings else None)
        if step.role == "column":
            column = self.columns[dedupe_key(step.url)]
            column.status = status
            if findings is not None:
                column.style = findings.style
        if findings is None:
            return
        if findings.is_column and step.role == "page":
            key = dedupe_key(step.url)
            self.columns.setdefault(key, FoundColumn(step.url, findings.title, step.url, step.trail,
                                                     "the page is a 年报 column", status, findings.style))
        for column in findings.columns:
            key = dedupe_key(column.url)
            page.considered.append(column)
            if key not in self.columns:
                found = FoundColumn(column.url, column.text, step.url, [*step.trail, column.text], column.reason)
                self.columns[key] = found
                if key in self._fetched:  # fetched already on the way (as a navigation page)
                    found.status, found.style = self._fetched[key]
                else:
                    self._push(Step(column.url, step.depth + 1, [*step.trail, column.text], "column", 100))
            self._seen.add(key)
        for follow in findings.follow:
            key = dedupe_key(follow.url)
            if key in self._seen:
                page.considered.append(Considered(follow.url, follow.text, "refused", "already seen", follow.score))
            elif step.depth + 1 > self.max_depth:
                page.considered.append(Considered(follow.url, follow.text, "refused",
                                                  f"depth limit {self.max_depth}", follow.score))
            else:
                self._seen.add(key)
                page.considered.append(follow)
                self._push(Step(follow.url, step.depth + 1, [*step.trail, follow.text], "page", follow.score))
        page.considered.extend(findings.refused)

    @property
    def found(self) -> bool:
        return bool(self.columns)

    def report(self) -> dict[str, Any]:
        """Everything tried, JSON-ready: pages fetched with the links considered, columns found, notes."""
        return {"front_url": self.front_url, "found": self.found,
                "columns": [asdict(c) for c in self.columns.values()],
                "pages": [asdict(p) for p in self.pages], "notes": self.notes}


def read_url_list(path: str) -> list[str]:
    """Front-page URLs of a file: one per line; blank lines and ``#`` comments skipped."""
    with open(path, encoding="utf-8") as file:
        lines = [line.split("#", 1)[0].strip() for line in file]
    return [line for line in lines if line]


def site_name(url: str, taken: set[str]) -> str:
    """A registry name from a front page's host (``www.bjgjj.gov.cn`` -> ``bjgjj``), unique within ``taken``."""
    parts = urlsplit(url)
    host = (parts.hostname or "site").lower()
    host = re.sub(r"^www\.", "", host)
    host = re.sub(r"\.(?:gov|org|com|net)?\.?cn$|\.gov$", "", host)
    base = re.sub(r"[^a-z0-9]+", "-", host).strip("-") or "site"
    if parts.port:
        base = f"{base}-{parts.port}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def registry_entry(search: SiteSearch, name: str, agency: str = "") -> dict[str, Any] | None:
    """The ``[[site]]`` table for what ``search`` found (see docs/sites.md), or None if nothing was found."""
    if not search.columns:
        return None
    columns = list(search.columns.values())
    styles = {c.style.style for c in columns if c.style is not None and c.style.style != "auto"}
    hosts = sorted({urlsplit(c.url).netloc.lower() for c in columns})
    entry: dict[str, Any] = {"name": name, "agency": agency, "start_urls": [c.url for c in columns],
                             "allowed_domains": hosts,
                             "list_style": styles.pop() if len(styles) == 1 else "auto"}
    if any(c.style is not None and c.style.render_js for c in columns):
        entry["render_js"] = True
    entry["found_from"] = search.front_url
    front_title = search.pages[0].title if search.pages else ""
    if front_title:
        entry["front_title"] = front_title  # who publishes here, to fill in ``agency``
    entry["found_via"] = [" > ".join(t for t in c.trail if t) for c in columns]
    entry["column_status"] = [str(c.status) for c in columns]
    entry["reports_on_first_page"] = [c.style.reports if c.style else 0 for c in columns]
    return entry


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def registry_toml(entries: list[dict[str, Any]], header: str = "", not_found: list[SiteSearch] = ()) -> str:
    """A site registry (TOML ``[[site]]`` tables) for ``entries``; sites searched in vain as comments."""
    lines = [f"# {line}" for line in header.splitlines()] + ([""] if header else [])
    for search in not_found:
        lines.append(f"# no 年报 column found from {search.front_url} ({len(search.pages)} page(s) tried)")
    lines += [""] if not_found else []
    for entry in entries:
        lines.append("[[site]]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in entry.items() if value not in ("", None)]
        lines.append("")
    return "\n".join(lines)
