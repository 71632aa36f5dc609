"""The crawl side of the catalog: one session per crawl, held by an extension, shared by a pipeline.

- :class:`CatalogExtension` (``EXTENSIONS``) owns the :class:`CrawlSession`: it opens the catalog and the run
  when the spider opens, records one ``captures`` row per response the crawl received (the WARC middleware's
  ``response.meta["warc_ref"]`` says where it was archived) and per-site counters, and closes the run;
- :class:`CatalogPipeline` (``ITEM_PIPELINES``, after the report pipeline) upserts each report item;
- :class:`govcrawl.catalog.incremental.IncrementalMiddleware` re-validates what the catalog holds.

The pipeline and the middleware find the session through ``crawler.get_extension(CatalogExtension)``; with
``GOVCRAWL_CATALOG`` set to "" the extension, and so all three, are disabled.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from govcrawl.capture import warc_location
from govcrawl.catalog.feed import EncodingShelf, shelf_wanted
from govcrawl.catalog.schema import CatalogError, ItemEncoding, canonical_url, host_of
from govcrawl.catalog.store import Catalog
from govcrawl.stubs import stub_kind

#: report upserts per catalog commit (commits also happen every ``GOVCRAWL_CATALOG_COMMIT_INTERVAL`` seconds)
REPORT_BATCH = 100


def catalog_path_from_settings(settings: Any) -> str | None:
    """``GOVCRAWL_CATALOG`` or ``<GOVCRAWL_ARCHIVE_DIR>/catalog.sqlite``; None when set to ""."""
    configured = settings.get("GOVCRAWL_CATALOG")
    if configured is not None:
        return str(configured) or None
    return str(Path(settings.get("GOVCRAWL_ARCHIVE_DIR") or "archive") / "catalog.sqlite")


def warc_fields(ref: Any) -> dict[str, Any] | None:
    """The archive location of a ``warc_ref`` (object or dict) once written (file as a base name), else None."""
    if ref is None:
        return None
    fields = warc_location(ref)
    if not fields["warc_record_id"]:
        return None
    if fields["warc_filename"]:
        fields["warc_filename"] = os.path.basename(str(fields["warc_filename"]))
    return fields


def _ref_written(ref: Any) -> bool:
    if hasattr(ref, "done"):
        return bool(ref.done())
    return warc_fields(ref) is not None


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    if value is None:
        return None
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


class CrawlSession:
    """The catalog connection, run id and per-site counters of one crawl process."""

    def __init__(self, catalog: Catalog, run_id: int, *, owns_run: bool) -> None:
        self.catalog = catalog
        self.run_id = run_id
        self.owns_run = owns_run
        self.site_errors: dict[str, dict[str, int]] = {}
        self.site_ok: dict[str, int] = {}
        self._validators: dict[str, tuple[str | None, str | None]] = {}
        self._pending: list[tuple[Any, dict[str, Any]]] = []
        self._sites_touched: set[tuple[str, str, Any]] = set()  # (site, host, agency) rows written this run

    @classmethod
    def open(cls, path: str, *, run_id: int = 0, spider_name: str | None = None) -> CrawlSession:
        """Open the catalog at ``path``: a new run, or the existing ``run_id`` (> 0, set by ``govcrawl nightly``)."""
        catalog = Catalog(path)
        owns_run = run_id <= 0
        if owns_run:
            run_id = catalog.start_run({"spider": spider_name})
        return cls(catalog, run_id, owns_run=owns_run)

    def record_response(self, response: Any, request: Any) -> None:
        """Remember validators of the exchange and queue its capture row until its WARC record is written."""
        headers = response.headers
        etag = _header(headers, b"ETag")
        last_modified = _header(headers, b"Last-Modified")
        host = host_of(response.url)
        if response.status < 400:
            self.site_ok[host] = self.site_ok.get(host, 0) + 1
        else:
            self.record_error(host, f"http_{response.status}")
        if response.status == 200 and (etag or last_modified) and request.meta.get("govcrawl_role") == "report":
            # held only until the report's item takes them (validators_for): a dict entry per page would grow
            # with the crawl; without validators the item falls back to its capture row, which has none either
            self._validators[canonical_url(response.url)] = (etag, last_modified)
        discovery = request.meta.get("govcrawl_discovery") or {}
        if isinstance(discovery, dict) and discovery.get("site"):
            site = (str(discovery["site"]), host, discovery.get("agency_hint"))
            if site not in self._sites_touched:  # the same upsert again would change nothing
                self._sites_touched.add(site)
                self.catalog.touch_site(site[0], host=host, agency=site[2], run_id=self.run_id)
        row = {
            "url": response.url, "status": response.status, "run_id": self.run_id, "site": host,
            "role": request.meta.get("govcrawl_role"), "etag": etag, "last_modified": last_modified,
            "content_type": _header(headers, b"Content-Type"),
            "stub_kind": stub_kind(response.body) if response.status == 200 else None,  # a removal stub?
        }
        self._pending.append((request.meta.get("warc_ref"), row))
        self.flush_captures()

    def flush_captures(self, *, final: bool = False, timeout: float = 60.0) -> None:
        """Write queued capture rows whose WARC record is written (wait for all of them when ``final``)."""
        still: list[tuple[Any, dict[str, Any]]] = []
        for ref, row in self._pending:
            if ref is not None and not _ref_written(ref):
                if not final:
                    still.append((ref, row))
                    continue
                try:
                    ref.result(timeout)
                except Exception:
                    pass
            fields = warc_fields(ref)
            record_type = (getattr(ref, "record_type", None) or "response") if fields else None
            self.catalog.add_capture(**row, record_type=record_type, refers_to_uri=getattr(ref, "refers_to_uri", None),
                                     **(fields or warc_location({})))
        self._pending = still

    def record_error(self, host: str, kind: str) -> None:
        """Count a failed fetch (exception or HTTP error status) for a site."""
        per_site = self.site_errors.setdefault(host, {})
        per_site[kind] = per_site.get(kind, 0) + 1

    def validators_for(self, url: str) -> tuple[str | None, str | None]:
        """ETag / Last-Modified of the last 200 report response seen for ``url`` in this process, taken (asked
        once per report item; a second ask finds them in the capture row)."""
        return self._validators.pop(canonical_url(url), (None, None))

    def counts(self) -> dict[str, Any]:
        """Per-site counters of this process for the run row."""
        hosts = sorted(set(self.site_ok) | set(self.site_errors))
        return {"sites": {h: {"ok_responses": self.site_ok.get(h, 0), "errors": self.site_errors.get(h, {})}
                          for h in hosts}}


class CatalogExtension:
    """Scrapy extension: the crawl's :class:`CrawlSession`, run bookkeeping, one ``captures`` row per response.

    Enable with ``EXTENSIONS = {"govcrawl.catalog.crawl.CatalogExtension": 500}``. Disabled when
    ``GOVCRAWL_CATALOG`` is "". The catalog opens when the spider opens; an unusable catalog file closes the
    spider (reason ``catalog_unusable``) before any request is sent.
    """

    def __init__(self, crawler: Any, path: str, commit_interval: float = 0.5) -> None:
        self.crawler = crawler
        self.path = path
        self.commit_interval = commit_interval
        self._session: CrawlSession | None = None
        self._committer: Any = None  # twisted LoopingCall: commits what an idle crawl left pending
        self.shelf = EncodingShelf(wanted=shelf_wanted(crawler.settings))  # item encodings for the JSON lines feed

    @classmethod
    def from_crawler(cls, crawler: Any) -> CatalogExtension:
        path = catalog_path_from_settings(crawler.settings)
        if not path:
            raise NotConfigured("GOVCRAWL_CATALOG is empty")
        ext = cls(crawler, path, crawler.settings.getfloat("GOVCRAWL_CATALOG_COMMIT_INTERVAL"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def session(self) -> CrawlSession:
        """The open session (from ``spider_opened`` on)."""
        if self._session is None:
            raise RuntimeError("the catalog session opens with the spider (spider_opened has not run)")
        return self._session

    def spider_opened(self, spider: Any) -> None:
        try:
            self._session = CrawlSession.open(self.path, run_id=self.crawler.settings.getint("GOVCRAWL_RUN_ID", 0),
                                              spider_name=getattr(spider, "name", None))
        except CatalogError as exc:
            spider.logger.error("%s", exc)
            raise CloseSpider("catalog_unusable") from exc
        session = self._session
        if not session.owns_run:
            session.catalog.mark_running(session.run_id)
        spider.logger.info("catalog %s, run %d", session.catalog.path, session.run_id)
        if self.commit_interval > 0:
            from twisted.internet import task  # the reactor is running by now

            self._committer = task.LoopingCall(session.catalog.commit_if_older, self.commit_interval)
            self._committer.start(self.commit_interval, now=False)

    def response_received(self, response: Any, request: Any, spider: Any) -> None:
        self.session.record_response(response, request)

    def spider_closed(self, spider: Any, reason: str) -> None:
        session = self._session
        if session is None:  # the catalog never opened
            return
        if self._committer is not None and self._committer.running:
            self._committer.stop()
        session.flush_captures(final=True)
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        counts = session.counts()
        counts["stats"] = {k: v for k, v in stats.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        counts["reason"] = reason
        status = "finished" if reason == "finished" else "interrupted"
        session.catalog.finish_run(session.run_id, status, counts)
        session.catalog.close()


def catalog_extension(crawler: Any) -> CatalogExtension:
    """The crawler's :class:`CatalogExtension`; :class:`NotConfigured` when it is not enabled."""
    extension = crawler.get_extension(CatalogExtension)
    if extension is None:
        raise NotConfigured("CatalogExtension is not enabled (GOVCRAWL_CATALOG is empty, or it is not in EXTENSIONS)")
    return extension


class CatalogPipeline:
    """Item pipeline (after the report pipeline): upsert each report item into the catalog.

    ``ITEM_PIPELINES = {"govcrawl.pipelines.ReportPipeline": 300, "govcrawl.catalog.crawl.CatalogPipeline": 800}``.
    Counts ``govcrawl/catalog/{new,version,unchanged}`` in the stats; items are passed on unchanged.
    """

    def __init__(self, crawler: Any, extension: CatalogExtension) -> None:
        self.crawler = crawler
        self.extension = extension

    @classmethod
    def from_crawler(cls, crawler: Any) -> CatalogPipeline:
        return cls(crawler, catalog_extension(crawler))

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, dict) or "checks" not in item:
            return item  # not a report item (e.g. a capture when the report pipeline is off)
        session = self.extension.session
        session.flush_captures()  # the report pipeline waited for this item's WARC records
        url = item.get("url") or (item.get("source") or {}).get("url") or ""
        etag, last_modified = session.validators_for(url)
        if etag is None or last_modified is None:  # the capture row can only fill in what is missing
            capture = session.catalog.capture_by_record((item.get("source") or {}).get("warc_record_id"))
            if capture is not None:
                etag = etag or capture["etag"]
                last_modified = last_modified or capture["last_modified"]
        # committed in batches (with the capture rows queued before them), at least every commit interval: a
        # crash loses at most the uncommitted batch, which the next run fetches again (nightly drops the JOBDIR)
        encoding = ItemEncoding(item)
        result = session.catalog.upsert_report(item, run_id=session.run_id, site=host_of(url), etag=etag,
                                               last_modified=last_modified, batch=REPORT_BATCH,
                                               max_age=self.extension.commit_interval, encoding=encoding)
        self.extension.shelf.keep(encoding)
        if self.crawler.stats:
            self.crawler.stats.inc_value(f"govcrawl/catalog/{result.outcome}")
        return item
