"""The mock government portal: several mock sites, each on its own 127.0.0.1 port, with ground truth.

>>> with Portal(sites=["county"]).start() as portal:
...     portal.sites["county"], portal.start_urls["county"], portal.expected_reports("county")
"""

from __future__ import annotations

import importlib
import random
import threading
from collections.abc import Callable, Iterable
from typing import Any

from govcrawl.demo.context import BuildContext, Ground
from govcrawl.demo.server import LoggedRequest, MockSite, SiteServers
from govcrawl.demo.texts import ReportTruth

#: site name -> ("module:function" building it from a BuildContext, human title)
SITE_BUILDERS: dict[str, tuple[str, str]] = {
    "county": ("govcrawl.demo.site_county:build", "TRS county site (createPageHTML, GBK/gzip/chunked pages, big5 mirror)"),
    "hanweb": ("govcrawl.demo.site_cms:build_hanweb", "Hanweb jpage column (datastore XML, dataproxy.jsp POST, downfile.jsp)"),
    "query": ("govcrawl.demo.site_cms:build_query", "query pagination (?page=N, pageNo=, column-index-N.shtml)"),
    "gkmlpt": ("govcrawl.demo.site_cms:build_gkmlpt", "信息公开平台 with a JSON list API (gkmlpt-like)"),
    "fujian": ("govcrawl.demo.site_cms:build_fujian", "Fujian 动静结合: static first page, POST /fjdzapp/search for the rest"),
    "jsonly": ("govcrawl.demo.site_cms:build_jsonly", "list rendered only by JavaScript (XHR JSON)"),
    "jspager": ("govcrawl.demo.site_jspager:build_jspager", "JS list from a JSON API, javascript:load(n) pager, site menu 首页"),
    "hanwebpanels": ("govcrawl.demo.site_hanwebpanels:build_hanwebpanels", "Hanweb year panels: unit-name entries, window.open hrefs, nested quotes"),
    "empiremixed": ("govcrawl.demo.site_empiremixed:build_empiremixed", "EmpireCMS column of sub-column boxes (更多 links, 政府信息年度报告)"),
    "teleport": ("govcrawl.demo.site_teleport:build_teleport", "Teleport Ultra mirror: confirm/tppabs links, <a><a>, <h2> cards, <br> in link text"),
    "encodings": ("govcrawl.demo.site_misc:build_encodings", "GBK / GB2312 / GB18030 / wrong / missing charset pages"),
    "traditional": ("govcrawl.demo.site_misc:build_traditional", "a traditional-character-only site"),
    "attachments": ("govcrawl.demo.site_misc:build_attachments", "PDF / DOCX / attachment-only / P0 OLDSRC / image-only reports"),
    "traps": ("govcrawl.demo.site_traps:build_traps", "crawler traps: calendar, session ids, twins, stubs, 2-byte body, 500"),
    "challenge": ("govcrawl.demo.site_traps:build_challenge", "column behind a 412 JS cookie challenge (needs a browser)"),
}
DEFAULT_SITES = tuple(SITE_BUILDERS)


def _builder(name: str) -> Callable[[BuildContext], None]:
    module_name, function_name = SITE_BUILDERS[name][0].split(":")
    return getattr(importlib.import_module(module_name), function_name)


class Portal:
    """Configure which mock sites to run; :meth:`start` binds ports, builds content and serves."""

    def __init__(self, sites: Iterable[str] | None = None, seed: int = 20250301, extra: dict[str, Callable] | None = None):
        self.site_names = list(sites) if sites is not None else list(DEFAULT_SITES)
        unknown = [name for name in self.site_names if name not in SITE_BUILDERS and name not in (extra or {})]
        if unknown:
            raise ValueError(f"unknown mock site(s) {unknown}; known: {sorted(SITE_BUILDERS)}")
        self.seed = seed
        self.extra = extra or {}

    def start(self) -> PortalHandle:
        return PortalHandle(self.site_names, self.seed, self.extra)


class PortalHandle:
    """A running portal: URLs, ground truth, mutations and the request log. Use as a context manager."""

    def __init__(self, site_names: list[str], seed: int, extra: dict[str, Callable]) -> None:
        self.seed = seed
        self.ground = Ground()
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._servers = SiteServers(self._log)
        self._mock_sites: dict[str, MockSite] = {}
        self.sites: dict[str, str] = {}
        for name in site_names:
            site = MockSite(name)
            self.sites[name] = self._servers.bind(site)
            self._mock_sites[name] = site
        try:
            for name in site_names:
                ctx = BuildContext(self._mock_sites[name], self.ground, random.Random(f"{seed}/{name}"), seed)
                builder = extra.get(name) or _builder(name)
                builder(ctx)
        except BaseException:
            self._servers.stop()
            raise
        self._servers.start()

    # -- lifecycle ---------------------------------------------------------------------------------
    def stop(self) -> None:
        self._servers.stop()

    def __enter__(self) -> PortalHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def site_requests(self, site: str) -> list[LoggedRequest]:
        """Requests one mock site received."""
        with self._lock:
            return [r for r in self.requests if r.site == site]

    # -- ground truth ------------------------------------------------------------------------------
    @property
    def start_urls(self) -> dict[str, list[str]]:
        """site -> the 信息公开年报 column URL(s) a crawl should start from."""
        return self.ground.start_urls

    def _check(self, site: str | None) -> None:
        if site is not None and site not in self.sites:
            raise KeyError(f"no mock site {site!r} in this portal; running: {sorted(self.sites)}")

    def reports(self, site: str | None = None) -> dict[str, ReportTruth]:
        """Canonical URL -> generated report metadata (title, year, agency, format, figures, tables...)."""
        self._check(site)
        return {u: t for u, t in self.ground.reports.items() if site is None or t.site == site}

    def expected_reports(self, site: str | None = None) -> set[str]:
        """Canonical URLs of the true reports (for one site or all)."""
        return set(self.reports(site))

    def expected_for(self, start_url: str) -> set[str]:
        """Report URLs a crawl started at ``start_url`` (one of ``start_urls``) must find, exactly."""
        return set(self.ground.column_reports[start_url])

    def truth(self, url: str) -> ReportTruth:
        """Ground truth of one report URL."""
        return self.ground.reports[url]

    def decoys(self, site: str | None = None) -> dict[str, str]:
        """URL -> title of near-miss pages listed among the reports (must not become report items)."""
        self._check(site)
        return {u: t for s, d in self.ground.decoys.items() if site in (None, s) for u, t in d.items()}

    def twins(self, site: str | None = None) -> dict[str, str]:
        """Duplicate URL (big5 mirror, _wap, session id...) -> the canonical report URL."""
        self._check(site)
        return {u: c for s, d in self.ground.twins.items() if site in (None, s) for u, c in d.items()}

    def traps(self, site: str | None = None) -> dict[str, str]:
        """Trap name -> URL (the name is prefixed with the site when ``site`` is None)."""
        self._check(site)
        if site is not None:
            return dict(self.ground.traps.get(site, {}))
        return {f"{s}:{n}": u for s, d in self.ground.traps.items() for n, u in d.items()}

    def phrases(self, site: str | None = None) -> dict[str, str]:
        """URL -> a phrase the decoded text of that page must contain (encodings checks)."""
        self._check(site)
        return {u: p for s, d in self.ground.phrases.items() if site in (None, s) for u, p in d.items()}

    # -- mutations (incremental-crawl tests) --------------------------------------------------------
    def add_report(self, site: str, **kwargs: Any) -> str:
        """Publish a new report on ``site`` (newest in its list; kwargs: year, agency, fmt, title). Returns its URL."""
        self._check(site)
        adder = self.ground.adders.get(site)
        if adder is None:
            raise ValueError(f"mock site {site!r} does not support add_report; sites that do: {sorted(self.ground.adders)}")
        with self._lock:
            url = adder(**kwargs)
            for start_url, urls in self.ground.column_reports.items():
                if start_url in self.ground.start_urls.get(site, [])[:1]:
                    urls.add(url)
            return url

    def edit_report(self, url: str) -> ReportTruth:
        """Change a report's content (new figures + an 更正 note); ETag and Last-Modified change. Returns new truth."""
        slot = self.ground.slots.get(url)
        if slot is None:
            raise KeyError(f"{url} is not an editable report page of this portal")
        site = self._mock_sites[slot.site]
        with self._lock:
            slot.variant += 1
            slot.last_modified += 86400
            page, truth = slot.render(slot.variant)
            page.with_validators(slot.last_modified)
            site.add(slot.path, page)
            self.ground.reports[url] = truth
        return truth
