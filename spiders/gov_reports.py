"""``gov_reports``: discovery of 政府信息公开工作年度报告 on government sites. Discovery only.

Usage::

    scrapy crawl gov_reports -a start_urls=URL[,URL…]      # ad-hoc columns, each its own site
    scrapy crawl gov_reports -a sites=sites.toml            # a registry (docs/sites.md)
    scrapy crawl gov_reports                                # the default registry in govcrawl/data/sites.toml

For each column: follow its pagination (govcrawl.discovery.pagination), pick report links with the title
classifier, fetch each report page, fetch its attachments (PDF/DOC/DOCX/WPS/OFD) and yield ONE
:class:`govcrawl.items.CaptureItem` per report. Detail pages are not mined for links beyond attachments.
Never imports ``govcrawl.parser``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from importlib import import_module
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy import signals
from scrapy.http import FormRequest, Request, Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

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
from govcrawl.discovery.subcolumns import subcolumn_requests
from govcrawl.discovery.traps import TrapTracker, is_calendar_link
from govcrawl.discovery.urls import canonicalize, dedupe_key, has_session_id, is_twin
from govcrawl.errors import NotModified
from govcrawl.items import CaptureItem
from govcrawl.sites import RegistryError, Site, load_registry, site_from_url
from govcrawl.stubs import stub_kind
from govcrawl.warc.records import new_record_id  # ids for browser exchanges, set when collected

logger = logging.getLogger(__name__)

DEFAULT_CLASSIFIER = "govcrawl.discovery.classifier.is_report_title"
_HTML_TYPES = (b"text/html", b"application/xhtml", b"text/plain", b"application/xml", b"text/xml")


def _load_callable(path: str) -> Callable[[str], bool]:
    module_name, _, attr = path.replace(":", ".").rpartition(".")
    return getattr(import_module(module_name), attr)


class GovReportsSpider(scrapy.Spider):
    """Crawl 信息公开年报 columns and yield one CaptureItem per annual report (with attachments)."""

    name = "gov_reports"

    def __init__(self, start_urls: str | None = None, sites: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.registry: list[Site] = self._build_registry(start_urls, sites)
        self.sites_by_name: dict[str, Site] = {site.name: site for site in self.registry}
        self.traps = TrapTracker()
        self.report_keys: dict[str, str] = {}
        self.rendered_urls: set[str] = set()
        self._classifier: Callable[[str], bool] | None = None

    # ----------------------------------------------------------------------------------------- setup
    @staticmethod
    def _build_registry(start_urls: str | None, sites: str | None) -> list[Site]:
        registry: list[Site] = []
        if sites:
            registry.extend(load_registry(sites))
        if start_urls:
            urls = [u.strip() for u in start_urls.split(",") if u.strip()]
            by_host: dict[str, Site] = {}
            for url in urls:
                site = site_from_url(url)
                if site.name in by_host:
                    by_host[site.name].start_urls.append(url)
                else:
                    by_host[site.name] = site
            registry.extend(by_host.values())
        if not registry:
            registry = load_registry(None)
        names = [s.name for s in registry]
        if len(set(names)) != len(names):
            raise RegistryError(f"duplicate site names across -a sites and -a start_urls: {names}")
        return registry

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        if settings.getbool("GOVCRAWL_FAST_LOCAL"):
            overrides = settings.getdict("FAST_LOCAL_OVERRIDES") or {
                "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "DOWNLOAD_DELAY_JITTER": 0,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_TIMEOUT": 20, "RETRY_TIMES": 1,
            }
            for name, value in overrides.items():
                settings.set(name, value, priority="spider")
        contact = settings.get("GOVCRAWL_CONTACT")
        if contact and settings.getpriority("USER_AGENT") < 40:  # not given on the command line
            from govcrawl import __version__

            settings.set("USER_AGENT", f"govcrawl/{__version__} (+{contact})", priority="spider")

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
            self._classifier = _load_callable(getattr(self, "classifier_path", DEFAULT_CLASSIFIER))
        return bool(self._classifier(title))

    # ----------------------------------------------------------------------------------------- start
    async def start(self) -> AsyncIterator[Request]:
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[Request]:
        for site in self.registry:
            for url in site.start_urls:
                yield self._list_request(
                    PageRequest(url=url, style=site.list_style), site, column=url,
                    render=site.render_js or site.list_style == "js",
                )

    # ----------------------------------------------------------------------------------------- requests
    def browser_meta(self, request: Request | None = None) -> dict[str, Any]:
        """Meta for a request rendered through scrapy-playwright; browser exchanges are collected for WARC.

        For a JS cookie challenge the page is given time to set its cookie and reload before it is read.
        """
        from scrapy_playwright.page import PageMethod

        waits = [PageMethod("wait_for_load_state", "networkidle")]
        if request is not None and request.meta.get("govcrawl_challenge"):
            waits = [PageMethod("wait_for_timeout", 1500), PageMethod("wait_for_load_state", "networkidle")]

        exchanges: list[dict[str, Any]] = []

        async def on_response(pw_response: Any) -> None:
            try:
                body = await pw_response.body()
            except Exception:  # noqa: BLE001 - redirects and aborted fetches have no body
                body = b""
            try:
                headers = [(h["name"], h["value"]) for h in await pw_response.headers_array()]
                request_headers = [(h["name"], h["value"]) for h in await pw_response.request.headers_array()]
            except Exception:  # noqa: BLE001
                headers, request_headers = list(pw_response.headers.items()), []
            exchanges.append({
                "url": pw_response.url, "status": pw_response.status, "headers": headers, "body": body,
                "method": pw_response.request.method, "request_headers": request_headers,
                "request_body": pw_response.request.post_data_buffer or b"",
                "resource_type": pw_response.request.resource_type,
                # the id its response record will get, so the rendered page's conversion record can refer to it
                "warc_record_id": new_record_id(),
            })

        return {
            "playwright": True,
            "govcrawl_rendered": True,  # the response body is the rendered DOM, not the server's payload
            "playwright_page_event_handlers": {"response": on_response},
            "playwright_page_methods": waits,
            "govcrawl_browser_exchanges": exchanges,
        }

    def _list_request(self, page: PageRequest, site: Site, column: str, render: bool = False) -> Request:
        meta: dict[str, Any] = {
            "govcrawl_role": "list",
            "govcrawl_site": site.name,
            "govcrawl_column": column,
            "govcrawl_page": page,
        }
        if render and self._browser_allowed():
            meta.update(self.browser_meta())
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
        self.traps.record("template_junk", site.name, stats.template_junk)
        self.traps.record("javascript_link", site.name, stats.javascript)
        for via, count in stats.targets.items():  # links by how their target was read (href, javascript …)
            self.crawler.stats.inc_value(f"govcrawl/links/{via}", count)
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
        has_reports = sum(1 for link in links if self._is_report_link(link, site, column))
        if (
            needs_browser(text, has_reports, more, doc)[0]
            and not response.meta.get("playwright")
            and self._browser_allowed()
            and response.url not in self.rendered_urls
        ):
            self.rendered_urls.add(response.url)
            self.crawler.stats.inc_value("govcrawl/browser/auto_render")
            logger.info("List page %s has no report links but scripts: rendering it in the browser", response.url)
            own_meta = {k: v for k, v in response.meta.items() if k.startswith("govcrawl_")}
            request = response.request.replace(meta={**own_meta, **self.browser_meta()}, dont_filter=True)
            return None, [request]
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
            return links, json_next_requests(page, data, site.max_pages)
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
        for exchange in exchanges:
            content_type = next((v for n, v in exchange["headers"] if n.lower() == "content-type"), "")
            if exchange["status"] != 200 or "json" not in content_type.lower() or exchange["method"] != "GET":
                continue
            try:
                data = json.loads(decode_html(exchange["body"], None)[0])
            except ValueError:
                continue
            entries = json_entries(data)
            if not entries:
                continue
            self.crawler.stats.inc_value("govcrawl/browser/json_lists")
            links.extend(Link(url=urljoin(exchange["url"], url), text=title, title=title, via="xhr")
                         for title, url in entries)
            first = PageRequest(url=exchange["url"], kind="json", page=1, style="js-xhr")
            pages.extend(json_next_requests(first, data, site.max_pages))
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
        key = dedupe_key(url)
        if key in self.report_keys:
            self.crawler.stats.inc_value("govcrawl/duplicate_report_links")
            return None
        self.report_keys[key] = url
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
        return Request(canonicalize(url), meta=meta, callback=callback, errback=self.report_failed)

    # ----------------------------------------------------------------------------------------- reports
    @staticmethod
    def _capture(response: Response, discovery: dict[str, Any]) -> dict[str, Any]:
        content_type = response.headers.get(b"Content-Type")
        return {
            "url": response.url,
            "body": response.body,
            "content_type": content_type.decode("latin-1") if content_type else None,
            "status": response.status,
            "discovery": discovery,
            "warc_ref": response.meta.get("warc_ref"),
        }

    def parse_attachment_report(self, response: Response) -> Iterator[CaptureItem]:
        """An attachment-only list entry: the PDF/DOC itself is the report."""
        if stub_kind(response.body) is not None:
            self.traps.record("tiny_body", response.meta["govcrawl_site"])
            return
        capture = self._capture(response, response.meta["govcrawl_discovery"])
        self.crawler.stats.inc_value("govcrawl/reports/attachment_only")
        yield CaptureItem(**capture, attachments=[])

    def parse_report(self, response: Response) -> Iterator[CaptureItem | Request]:
        """A report page: collect its attachments, then yield one CaptureItem."""
        discovery = response.meta["govcrawl_discovery"]
        stub = stub_kind(response.body)
        if stub is not None:
            self.traps.record(stub, discovery.get("site"))
            logger.warning("Report link %s answered a %s (archived, no report emitted)", response.url, stub)
            return
        capture = self._capture(response, discovery)
        content_type = response.headers.get(b"Content-Type", b"").lower()
        if content_type and not content_type.startswith(_HTML_TYPES):
            self.crawler.stats.inc_value("govcrawl/reports/attachment_only")
            yield CaptureItem(**capture, attachments=[])
            return
        pending: list[AttachmentLink] = []
        if may_have_attachments(response.body):
            text, _ = decode_html(response.body, None)
            pending = attachment_links(parse_html(text, response.url), response.url)
        site = self.sites_by_name[response.meta["govcrawl_site"]]
        pending = [a for a in pending if site.allows(a.url)]
        yield from self._next_attachment(capture, pending, site.name)

    def _next_attachment(
        self, capture: dict[str, Any], pending: list[AttachmentLink], site_name: str
    ) -> Iterator[CaptureItem | Request]:
        if not pending:
            self.crawler.stats.inc_value("govcrawl/reports")
            attachments = capture.pop("attachments", [])
            yield CaptureItem(**capture, attachments=attachments)
            return
        attachment, rest = pending[0], pending[1:]
        discovery = {**capture["discovery"], "parent_url": capture["url"], "link_text": attachment.text}
        yield Request(
            canonicalize(attachment.url),
            callback=self.parse_attachment,
            errback=self.attachment_failed,
            dont_filter=True,
            meta={
                "govcrawl_role": "attachment",
                "govcrawl_site": site_name,
                "govcrawl_discovery": discovery,
                "govcrawl_parent_url": capture["url"],
                "govcrawl_capture": capture,
                "govcrawl_pending": rest,
                "govcrawl_attachment": attachment,
            },
        )

    def parse_attachment(self, response: Response) -> Iterator[CaptureItem | Request]:
        meta = response.meta
        capture = meta["govcrawl_capture"]
        capture.setdefault("attachments", []).append(self._capture(response, meta["govcrawl_discovery"]))
        self.crawler.stats.inc_value("govcrawl/attachments")
        yield from self._next_attachment(capture, meta["govcrawl_pending"], meta["govcrawl_site"])

    def attachment_failed(self, failure: Failure) -> Iterator[CaptureItem | Request]:
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

    # ----------------------------------------------------------------------------------------- distributed
    def resume_request(self, request: Request) -> Request | None:
        """A serialisable stand-in for a worker-local request a stopping distributed worker cannot hand back.

        Attachment requests carry the report page's capture (bytes, WARC reference) in ``meta``: they are
        replaced by a fresh request for their report page, which fetches the attachments again. Browser list
        requests (page-event callables in ``meta``) are replaced by the same list page without the browser
        meta (a page that needs the browser is rendered again by the worker that takes it). Used by
        ``govcrawl.distributed.SharedFrontierScheduler``; None when there is nothing to resume.
        """
        meta = request.meta
        own = {k: v for k, v in meta.items() if k.startswith("govcrawl_") and k not in _LOCAL_META}
        role = meta.get("govcrawl_role")
        if role == "attachment":
            parent = meta.get("govcrawl_parent_url")
            if not parent:
                return None
            capture = meta.get("govcrawl_capture")
            discovery = capture.get("discovery") if isinstance(capture, dict) else None
            if not isinstance(discovery, dict):
                discovery = {k: v for k, v in (meta.get("govcrawl_discovery") or {}).items() if k != "parent_url"}
            report_meta = {"govcrawl_role": "report", "govcrawl_site": meta.get("govcrawl_site"),
                           "govcrawl_discovery": dict(discovery)}
            callback = self.parse_attachment_report if is_attachment_url(parent) else self.parse_report
            return Request(parent, meta=report_meta, callback=callback, errback=self.report_failed,
                           dont_filter=True)
        if role == "list" and meta.get("playwright"):
            return request.replace(meta=own, dont_filter=True)
        return None

    def closed(self, reason: str) -> None:
        """Write the crawl stats as JSON to ``GOVCRAWL_STATS_FILE`` when set (tests, nightly run reports)."""
        path = self.crawler.settings.get("GOVCRAWL_STATS_FILE")
        if not path:
            return
        stats = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in self.crawler.stats.get_stats().items()}
        stats["govcrawl/close_reason"] = reason
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(stats, handle, ensure_ascii=False, indent=1, sort_keys=True, default=str)


#: request meta of one worker's crawl state, never handed to another worker (see resume_request)
_LOCAL_META = frozenset({"govcrawl_capture", "govcrawl_pending", "govcrawl_attachment", "govcrawl_browser_exchanges",
                         "govcrawl_rendered", "govcrawl_challenge"})


def _page_key(page: PageRequest) -> str:
    """Identity of a list page request (method, dedupe key, form)."""
    return f"{page.method} {dedupe_key(page.url)} {sorted((page.formdata or {}).items())}"


class CaptureSummaryPipeline:
    """Discovery-only output: replaces bodies by their size and SHA-1 so captures can be written with ``-O``.

    Enable instead of ReportPipeline (``govcrawl crawl --discovery-only``) to see what the spider found.
    """

    @staticmethod
    def _summary(capture: dict[str, Any]) -> dict[str, Any]:
        body: bytes = capture.get("body") or b""
        ref = capture.get("warc_ref")
        return {
            "url": capture.get("url"),
            "status": capture.get("status"),
            "content_type": capture.get("content_type"),
            "size": len(body),
            "sha1": hashlib.sha1(body).hexdigest(),
            "discovery": capture.get("discovery"),
            "warc_record_id": getattr(ref, "warc_record_id", None),
        }

    def process_item(self, item: Any) -> dict[str, Any]:
        summary = self._summary(dict(item))
        summary["attachments"] = [self._summary(a) for a in item.get("attachments") or []]
        return summary
