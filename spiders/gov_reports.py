"""``gov_reports``: discovery of 政府信息公开工作年度报告 on government sites. Discovery only.

Usage::

    scrapy crawl gov_reports -a start_urls=URL[,URL…]  # ad-hoc columns, each its own site
    scrapy crawl gov_reports [-a sites=sites.toml]      # a registry (docs/sites.md; default govcrawl/data/sites.toml)

For each column: follow its pagination (govcrawl.discovery.pagination), pick report links with the title
classifier, fetch each report page, fetch its attachments (PDF/DOC/DOCX/WPS/OFD) and yield ONE
:class:`govcrawl.capture.Capture` per report (a dataclass item). Detail pages are not mined for links beyond
attachments. Discovery only: rendering is :mod:`govcrawl.browser`'s, archiving the WARC middleware's, building
report items the pipelines'; a distributed crawl resumes these callbacks by name (:mod:`govcrawl.distributed`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.http import FormRequest, Request, Response
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure

from govcrawl.browser import (
    browser_meta,
    json_answers,
    next_xhr_page,
    pager_snapshots,
    render_again,
    xhr_pages,
)
from govcrawl.capture import Capture
from govcrawl.discovery.decisions import count_decisions, decide_link, needs_browser
from govcrawl.discovery.links import (
    AttachmentLink,
    Link,
    LinkStats,
    attachment_links,
    decode_html,
    is_attachment_url,
    list_links,
    may_have_attachments,
    parse_html,
)
from govcrawl.discovery.pagination import (
    PageRequest,
    jpage_requests,
    json_api_requests,
    json_entries,
    json_next_requests,
    json_page_count,
    listmodel_requests,
    pager_links,
    parse_datastore,
    records_links,
    trs_script_pages,
)
from govcrawl.discovery.seen import KeySet
from govcrawl.discovery.subcolumns import subcolumn_requests
from govcrawl.discovery.traps import TrapTracker, is_calendar_link
from govcrawl.discovery.urls import canonicalize, dedupe_digest, dedupe_key, has_session_id, is_twin
from govcrawl.errors import NotModified
from govcrawl.sites import Site, registry_from_arguments
from govcrawl.stubs import stub_kind

logger = logging.getLogger(__name__)

DEFAULT_CLASSIFIER = "govcrawl.discovery.classifier.is_report_title"
_HTML_TYPES = (b"text/html", b"application/xhtml", b"text/plain", b"application/xml", b"text/xml")
#: Scheduler priorities: attachments, then reports, then list pages (0): the scheduler holds about one list page of
#: reports per column, not every report of every list page reached, and a capture waits in meta as briefly as it can.
REPORT_PRIORITY, ATTACHMENT_PRIORITY = 1, 2


class GovReportsSpider(scrapy.Spider):
    """Crawl 信息公开年报 columns and yield one Capture per annual report (with attachments)."""

    name = "gov_reports"

    def __init__(self, start_urls: str | None = None, sites: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.registry: list[Site] = registry_from_arguments(start_urls, sites)
        self.sites_by_name: dict[str, Site] = {site.name: site for site in self.registry}
        self.traps = TrapTracker()
        self.report_keys = KeySet()  # dedupe_digest() of every report requested
        self.rendered_urls: set[str] = set()
        self._classifier: Callable[[str], bool] | None = None

    # ----------------------------------------------------------------------------------------- setup
    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> GovReportsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        spider.browser_mode = crawler.settings.get("GOVCRAWL_BROWSER", "auto")
        spider.classifier_path = crawler.settings.get("GOVCRAWL_TITLE_CLASSIFIER") or DEFAULT_CLASSIFIER
        return spider

    def _opened(self) -> None:
        self.traps.stats = self.crawler.stats

    def is_report(self, title: str) -> bool:
        """The title classifier (``govcrawl.discovery.classifier.is_report_title``), imported lazily."""
        if self._classifier is None:
            self._classifier = load_object(getattr(self, "classifier_path", DEFAULT_CLASSIFIER).replace(":", "."))
        return bool(self._classifier(title))

    # ----------------------------------------------------------------------------------------- start
    async def start(self) -> AsyncIterator[Request]:
        for site in self.registry:
            for url in site.start_urls:
                yield self._list_request(
                    PageRequest(url=url, style=site.list_style), site, column=url,
                    render=site.render_js or site.list_style == "js",
                )

    # ----------------------------------------------------------------------------------------- requests
    def _list_request(self, page: PageRequest, site: Site, column: str, render: bool = False) -> Request:
        meta: dict[str, Any] = {
            "govcrawl_role": "list",
            "govcrawl_site": site.name,
            "govcrawl_column": column,
            "govcrawl_page": page,
        }
        if render and self._browser_allowed():
            meta.update(browser_meta())
        if page.method == "POST":
            return FormRequest(page.url, formdata=page.formdata or {}, meta=meta, callback=self.parse_list,
                               errback=self.list_failed)
        return Request(canonicalize(page.url), meta=meta, callback=self.parse_list, errback=self.list_failed)

    def _browser_allowed(self) -> bool:
        return getattr(self, "browser_mode", "auto") != "off"

    # ----------------------------------------------------------------------------------------- list pages
    def parse_list(self, response: Response) -> Iterator[Request]:
        """A list page (HTML, jpage XML, JSON API or search answer): report requests + more list pages."""
        meta = response.meta
        site = self.sites_by_name[meta["govcrawl_site"]]
        column: str = meta["govcrawl_column"]
        page: PageRequest = meta["govcrawl_page"]
        self.crawler.stats.inc_value(f"govcrawl/list_pages/{page.kind}")
        # the browser's own exchanges (archived by the WARC middleware); XHR JSON lists are read below
        exchanges: list[dict[str, Any]] = meta.get("govcrawl_browser_exchanges") or []
        if page.kind == "html":
            links, more_pages = self._read_html_list(response, site, column, page)
            if links is not None and exchanges:
                xhr_links, xhr_pages = self._read_browser_json(exchanges, site)
                links.extend(xhr_links)
                more_pages.extend(xhr_pages)
        elif page.kind == "jpage":
            links, more_pages = self._read_jpage(response, page)
        else:
            links, more_pages = self._read_json_list(response, page)
        if links is None:  # re-requested through the browser
            yield more_pages[0]  # type: ignore[misc]
            return
        decisions = [decide_link(link, column, self.is_report) for link in links]
        count_decisions(self.crawler.stats, decisions)
        reports = [d.link for d in decisions if d.taken and d.link is not None]
        reports.sort(key=lambda link: is_twin(link.url))  # the original article wins over its twins
        self.crawler.stats.inc_value("govcrawl/report_links", len(reports))
        for link in reports:
            request = self._report_request(link, site, response.url, page)
            if request is not None:
                yield request
        page_urls = {p.url for p in more_pages}
        item_urls = [link.url for link in links if link.url not in page_urls]
        if page.kind != "html" and self.traps.page_seen(column, site.name, item_urls):
            return
        if page.kind == "html" and item_urls and self.traps.page_seen(column, site.name, item_urls):
            return
        if page.method == "GET":
            self.traps.mark_page(column, _page_key(PageRequest(url=response.url)))
            if response.url.endswith("/"):
                self.traps.mark_page(column, _page_key(PageRequest(url=response.url + "index.html")))
        for extra in more_pages:
            key = _page_key(extra)
            if self.traps.may_schedule_page(column, site.name, key, site.max_pages):
                # JSON/XML answers need no browser; nor do later pages of a column whose JS cookie challenge the
                # browser passed (its cookies are in Scrapy's jar now, see ChallengeMiddleware)
                rendered = bool(meta.get("playwright")) and not meta.get("govcrawl_challenge")
                render = (rendered or site.render_js) and extra.kind == "html"
                yield self._list_request(extra, site, column, render=render)

    def _read_html_list(
        self, response: Response, site: Site, column: str, page: PageRequest
    ) -> tuple[list[Link] | None, list[Any]]:
        declared = response.headers.get(b"Content-Type", b"").decode("latin-1")
        charset = declared.split("charset=", 1)[1].strip() if "charset=" in declared else None
        text, _ = decode_html(response.body, charset)
        doc = parse_html(text, response.url)
        stats = LinkStats()
        links = list_links(doc, response.url, stats)
        seen = {link.url for link in links}
        snapshots = pager_snapshots(response.meta)
        if len(snapshots) > 1:
            self.crawler.stats.inc_value("govcrawl/browser/pager_pages", len(snapshots) - 1)
        for snapshot in snapshots:  # pages the browser reached through the list's javascript: pager
            links.extend(link for link in list_links(parse_html(snapshot, response.url), response.url)
                         if link.url not in seen and not seen.add(link.url))
        self.traps.record("template_junk", site.name, stats.template_junk)
        self.traps.record("javascript_link", site.name, stats.javascript)
        for via, count in stats.targets.items():  # links by how their target was read (href, javascript …)
            self.crawler.stats.inc_value(f"govcrawl/links/{via}", count)
        if stats.refused_scheme:
            self.crawler.stats.inc_value("govcrawl/refused_scheme/link", stats.refused_scheme)
        calendar = sum(1 for link in links if is_calendar_link(link.url, link.text))
        self.traps.record("calendar_link", site.name, calendar)
        self.traps.record("duplicate_twin", site.name, sum(1 for link in links if is_twin(link.url)))
        more: list[PageRequest] = []
        more.extend(trs_script_pages(text, response.url, site.max_pages))
        more.extend(pager_links(doc, links, response.url))
        more.extend(subcolumn_requests(doc, links, response.url))
        datastore = parse_datastore(text) if "<datastore" in text.lower() else None
        if datastore is not None:
            links.extend(records_links(datastore.records, response.url))
            more.extend(jpage_requests(datastore, text, response.url, len(datastore.records), site.max_pages))
        more.extend(json_api_requests(text, response.url))
        more.extend(listmodel_requests(text, response.url, site.max_pages))
        has_reports = any(self._is_report_link(link, site, column) for link in links)  # one is enough to know
        if (
            needs_browser(text, has_reports, more, doc)[0]
            and not response.meta.get("playwright")
            and self._browser_allowed()
            and response.url not in self.rendered_urls
        ):
            self.rendered_urls.add(response.url)
            self.crawler.stats.inc_value("govcrawl/browser/auto_render")
            logger.info("List page %s has no report links but scripts: rendering it in the browser", response.url)
            return None, [render_again(response.request)]
        return links, more

    def _read_jpage(self, response: Response, page: PageRequest) -> tuple[list[Link], list[PageRequest]]:
        text, _ = decode_html(response.body, None)
        data = parse_datastore(text)
        if data is None or not data.records:
            return [], []
        links = records_links(data.records, response.url)
        if data.nextgroup_url is None:
            data.nextgroup_url = page.url + ("&" if "?" in page.url else "?") + "&".join(
                f"{k}={v}" for k, v in (page.formdata or {}).items()
            )
        site = self.sites_by_name[response.meta["govcrawl_site"]]
        more = jpage_requests(data, "", page.url, int(page.context.get("end") or 0), site.max_pages)
        for extra in more:  # keep the original form (columnid, unitid, webname …)
            extra.formdata = {**(page.formdata or {}), **(extra.formdata or {})}
        return links, more

    def _read_json_list(self, response: Response, page: PageRequest) -> tuple[list[Link], list[PageRequest]]:
        try:
            data = json.loads(decode_html(response.body, None)[0])
        except ValueError:
            self.crawler.stats.inc_value("govcrawl/errors/bad_json")
            logger.warning("List API %s did not answer JSON", response.url)
            return [], []
        links = [
            Link(url=response.urljoin(url), text=title, title=title, via="json") for title, url in json_entries(data)
        ]
        site = self.sites_by_name[response.meta["govcrawl_site"]]
        if page.kind == "json":
            more = next_xhr_page(page, bool(links), site.max_pages) or json_next_requests(page, data, site.max_pages)
            return links, more
        # Fujian search API: schedule every page the answer announces (deduplicated by the trap tracker)
        per_page = int((page.formdata or {}).get("prepage", "10") or 10)
        pages = json_page_count(data, per_page) or 0
        more = [
            PageRequest(url=page.url, method="POST", formdata={**(page.formdata or {}), "page": str(n)},
                        kind="fjsearch", page=n, style=page.style)
            for n in range(2, min(pages, site.max_pages) + 1)
        ]
        return links, more

    def _read_browser_json(
        self, exchanges: list[dict[str, Any]], site: Site
    ) -> tuple[list[Link], list[PageRequest]]:
        """List entries in the JSON the browser loaded (XHR list APIs), and that API's further pages."""
        links: list[Link] = []
        pages: list[PageRequest] = []
        for api_url, body in json_answers(exchanges):
            try:
                data = json.loads(decode_html(body, None)[0])
            except ValueError:
                continue
            entries = json_entries(data)
            if not entries:
                continue
            self.crawler.stats.inc_value("govcrawl/browser/json_lists")
            links.extend(Link(url=urljoin(api_url, url), text=title, title=title, via="xhr") for title, url in entries)
        pages.extend(xhr_pages(exchanges, site.max_pages))  # the API's own pages the browser did not load
        return links, pages

    def _is_report_link(self, link: Link, site: Site, column: str) -> bool:
        """A report link when its title attribute OR its text passes the classifier: a junk title attribute
        (``在新窗口打开``) must not hide a real report title in the text, nor a truncated text the full title."""
        return decide_link(link, column, self.is_report).taken

    def _report_request(self, link: Link, site: Site, list_url: str, page: PageRequest) -> Request | None:
        url = link.url
        if not site.allows(url):
            self.crawler.stats.inc_value("govcrawl/offsite_report_links")
            return None
        if has_session_id(url):
            self.traps.record("session_id", site.name)
        key = dedupe_digest(url)
        if key in self.report_keys:
            self.crawler.stats.inc_value("govcrawl/duplicate_report_links")
            return None
        self.report_keys.add(key)
        discovery = {
            "list_url": list_url,
            "link_text": link.text,
            # a title attribute that is not a report title (在新窗口打开) is no title hint: kept apart
            # a unit-name link's title is the one its panel/tab/heading gives it (discovery.context)
            "link_title": (link.title if not link.title or self.is_report(link.title) else "") or link.context_title,
            "site": site.name,
            "agency_hint": site.agency,
            "list_style": page.style,
        }
        if link.title and not discovery["link_title"]:
            discovery["link_title_attr"] = link.title
        meta = {"govcrawl_role": "report", "govcrawl_site": site.name, "govcrawl_discovery": discovery}
        callback = self.parse_attachment_report if is_attachment_url(url) else self.parse_report
        return Request(canonicalize(url), meta=meta, callback=callback, errback=self.report_failed,
                       priority=REPORT_PRIORITY)

    # ----------------------------------------------------------------------------------------- reports
    def parse_attachment_report(self, response: Response) -> Iterator[Capture]:
        """An attachment-only list entry: the PDF/DOC itself is the report."""
        if stub_kind(response.body) is not None:
            self.traps.record("tiny_body", response.meta["govcrawl_site"])
            return
        capture = capture_of(response, response.meta["govcrawl_discovery"])
        self.crawler.stats.inc_value("govcrawl/reports/attachment_only")
        yield capture

    def parse_report(self, response: Response) -> Iterator[Capture | Request]:
        """A report page: collect its attachments, then yield one Capture."""
        discovery = response.meta["govcrawl_discovery"]
        stub = stub_kind(response.body)
        if stub is not None:
            self.traps.record(stub, discovery.get("site"))
            logger.warning("Report link %s answered a %s (archived, no report emitted)", response.url, stub)
            return
        capture = capture_of(response, discovery)
        content_type = response.headers.get(b"Content-Type", b"").lower()
        if content_type and not content_type.startswith(_HTML_TYPES):
            self.crawler.stats.inc_value("govcrawl/reports/attachment_only")
            yield capture
            return
        pending: list[AttachmentLink] = []
        if may_have_attachments(response.body):
            text, _ = decode_html(response.body, None)
            pending = attachment_links(parse_html(text, response.url), response.url)
        site = self.sites_by_name[response.meta["govcrawl_site"]]
        refused = sum(1 for a in pending if not a.url.startswith(("http://", "https://")))  # file:, ftp:, data:
        if refused:
            self.crawler.stats.inc_value("govcrawl/refused_scheme/attachment", refused)
        pending = [a for a in pending if site.allows(a.url)]
        yield from self._next_attachment(capture, pending, site.name)

    def _next_attachment(
        self, capture: Capture, pending: list[AttachmentLink], site_name: str
    ) -> Iterator[Capture | Request]:
        if not pending:
            self.crawler.stats.inc_value("govcrawl/reports")
            yield capture
            return
        attachment, rest = pending[0], pending[1:]
        discovery = {**capture.discovery, "parent_url": capture.url, "link_text": attachment.text}
        yield Request(
            canonicalize(attachment.url),
            callback=self.parse_attachment,
            errback=self.attachment_failed,
            dont_filter=True,
            priority=ATTACHMENT_PRIORITY,
            meta={
                "govcrawl_role": "attachment",
                "govcrawl_site": site_name,
                "govcrawl_discovery": discovery,
                "govcrawl_parent_url": capture.url,
                "govcrawl_capture": capture,
                "govcrawl_pending": rest,
                "govcrawl_attachment": attachment,
            },
        )

    def parse_attachment(self, response: Response) -> Iterator[Capture | Request]:
        meta = response.meta
        capture: Capture = meta["govcrawl_capture"]
        capture.attachments.append(capture_of(response, meta["govcrawl_discovery"]))
        self.crawler.stats.inc_value("govcrawl/attachments")
        yield from self._next_attachment(capture, meta["govcrawl_pending"], meta["govcrawl_site"])

    def attachment_failed(self, failure: Failure) -> Iterator[Capture | Request]:
        """A failed attachment: try its OLDSRC fallback, else go on without it (counted)."""
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        attachment: AttachmentLink = meta["govcrawl_attachment"]
        pending: list[AttachmentLink] = meta["govcrawl_pending"]
        if attachment.fallbacks:
            self.crawler.stats.inc_value("govcrawl/attachments/fallback")
            retry = AttachmentLink(url=attachment.fallbacks[0], text=attachment.text, fallbacks=attachment.fallbacks[1:])
            pending = [retry, *pending]
        else:
            self.crawler.stats.inc_value("govcrawl/attachments/failed")
            logger.warning("Attachment %s failed: %s", request.url, failure.getErrorMessage())
        yield from self._next_attachment(meta["govcrawl_capture"], pending, meta["govcrawl_site"])

    # ----------------------------------------------------------------------------------------- errors
    def list_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self.crawler.stats.inc_value("govcrawl/errors/list")
        if request.meta.get("govcrawl_challenge"):
            logger.error("Site %s is blocked by a JS challenge at %s", request.meta.get("govcrawl_site"), request.url)
        else:
            logger.warning("List page %s failed: %s", request.url, failure.getErrorMessage())

    def report_failed(self, failure: Failure) -> None:
        """A failed report page: counted and logged; a 304 to an incremental re-validation is no failure."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(NotModified):
            self.crawler.stats.inc_value("govcrawl/unchanged")
            logger.debug("Report page %s not modified since its last capture", request.url)
            return
        self.crawler.stats.inc_value("govcrawl/errors/report")
        logger.warning("Report page %s failed: %s", request.url, failure.getErrorMessage())


def _page_key(page: PageRequest) -> str:
    """Identity of a list page request (method, dedupe key, form)."""
    return f"{page.method} {dedupe_key(page.url)} {sorted((page.formdata or {}).items())}"


def capture_of(response: Response, discovery: dict[str, Any]) -> Capture:
    """The capture of a report page or attachment: what the spider saw, why it fetched it, and the WARC
    middleware's reference to where it was archived (resolved by the pipelines once written)."""
    content_type = response.headers.get(b"Content-Type")
    return Capture(
        url=response.url,
        body=response.body,
        content_type=content_type.decode("latin-1") if content_type else None,
        status=response.status,
        discovery=discovery,
        warc=response.meta.get("warc_ref"),
    )
