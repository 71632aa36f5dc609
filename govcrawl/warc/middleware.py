"""``WarcArchiveMiddleware``: a Scrapy downloader middleware that archives every HTTP exchange as WARC.

Enable it at priority 950 (closest to the downloader, before HttpCompressionMiddleware at 590 and
RedirectMiddleware at 600) so it sees the request as sent and the response as received::

    DOWNLOADER_MIDDLEWARES = {"govcrawl.warc.middleware.WarcArchiveMiddleware": 950}

Settings: ``GOVCRAWL_WARC_ENABLED`` (default True), ``GOVCRAWL_ARCHIVE_DIR`` (``archive``),
``GOVCRAWL_WARC_MAX_SIZE`` (1 GB), ``GOVCRAWL_WARC_PREFIX`` (``govcrawl``), ``GOVCRAWL_OPERATOR`` /
``GOVCRAWL_CONTACT`` (warcinfo), ``GOVCRAWL_WARC_REPAIR_ON_START`` (default True: repair ``.open`` files
left by a crashed crawl of this host before writing), ``GOVCRAWL_PAYLOAD_INDEX`` (below).

**Revisits across URLs.** ``GOVCRAWL_PAYLOAD_INDEX`` names a :class:`PayloadIndex` class (built with
``from_crawler``): before a complete 2xx response is written, ``claim(digest, url, date)`` says whether the
same payload was archived before at any URL; if so an identical-payload-digest ``revisit`` referring to that
first capture (``WARC-Refers-To-Target-URI``/``-Date``) is written instead of a second copy (stat
``warc/revisits/payload_index``). The catalog's index is the default, Redis's when distributed; this module
imports neither. ``request.meta["govcrawl_prior"]`` (same URL, from the catalog) is checked first.

Per response it writes ``response`` (or ``revisit``) + ``request`` (+ ``metadata`` for report/attachment
captures, except 304 server-not-modified revisits, for which the crawl emits no item), adjacent and linked by
``WARC-Concurrent-To``. Metadata records are named ``metadata://<page url>`` so replay indexers do not take
them for captures of the page; download errors write nothing (nothing was
received) and are counted as ``warc/download_errors``. Stats: ``warc/records``, ``warc/bytes``,
``warc/files``, ``warc/revisits``, ``warc/conversions``.

**Disk full.** When the writer cannot write for lack of room (``ENOSPC``, ``EDQUOT``, ``EFBIG`` from a file-size
limit) it cuts the file back to its last whole record and closes it, and fails that exchange's ``warc_ref`` and
every later one (:class:`govcrawl.warc.rotation.WarcDiskFull`; a failed ref has no file, offset or record id, so no
item claims an archived record). The middleware then stops the crawl with the close reason ``warc_disk_full``
(``CLOSE_REASON_DISK_FULL``; stat ``warc/disk_full``); responses still in flight are passed on unarchived.

**Browser-rendered pages** (scrapy-playwright, ``meta["playwright"]``): the DOM Chromium serialised is not
what the server sent, so it is stored as one ``conversion`` record (WARC 1.1 §6.7; ``Govcrawl-Rendered-By:
chromium``; ``WARC-Refers-To`` the raw document's response record when its exchange carries a
``warc_record_id``) + ``metadata`` for report/attachment roles, never as a response/request pair. The raw
HTTP exchanges the browser made (``meta["govcrawl_browser_exchanges"]``) are archived as response+request
pairs here too, just before the conversion record (:func:`govcrawl.warc.records.build_exchange_records`).

**warc_ref.** ``request.meta["warc_ref"]`` (hence ``response.meta["warc_ref"]``) is a
:class:`govcrawl.warc.ref.WarcRef`. ``warc_record_id``, ``payload_digest`` and ``fetched_at`` are set at
once; ``warc_filename`` and ``warc_offset`` are known once the writer process has written the group. A pipeline
must wait before reading them: ``ref = await item["warc_ref"].wait()`` in an ``async def process_item``, or
return ``ref.deferred()`` from Twisted-style code, or ``ref.result(timeout)`` outside the reactor.

**Writer.** The middleware only computes the payload digest and picks the response record id and WARC-Date,
then hands the raw exchange data (plain picklable specs, see :func:`govcrawl.warc.records.build_records`) to
:class:`govcrawl.warc.process.ProcessWarcWriter`, which builds, serialises, gzips and writes the records in a
writer process. Files left ``.open`` by a crash are repaired and the writer is started on ``spider_opened``
(nothing happens when the middleware is built); everything is written and the file closed on ``spider_closed``.
While the reactor runs, the groups of :data:`FLUSH_DELAY` seconds are handed over together (one pipe write,
scheduled with ``callLater`` when the first is submitted).

**Accept-Encoding.** Only encodings warcio can decode on replay are advertised: ``gzip, deflate`` and
``br`` when the ``brotli`` module is importable, never ``zstd``. This middleware filters the header of
every request; the equivalent settings-level fix is
``DEFAULT_REQUEST_HEADERS["Accept-Encoding"] = govcrawl.charset.ACCEPT_ENCODING`` (what settings.py does).
"""

from __future__ import annotations

import functools
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Protocol

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import build_from_crawler, load_object

from govcrawl.charset import DECODABLE_ENCODINGS
from govcrawl.warc.process import ProcessWarcWriter
from govcrawl.warc.records import (
    PROFILE_IDENTICAL_PAYLOAD,
    PROFILE_SERVER_NOT_MODIFIED,
    metadata_body,
    new_record_id,
    payload_digest,
    warc_date,
)
from govcrawl.warc.ref import WarcRef
from govcrawl.warc.repair import repair_directory
from govcrawl.warc.rotation import RecordLocation, WarcDiskFull

logger = logging.getLogger(__name__)


METADATA_ROLES = frozenset({"report", "attachment"})
#: the crawl's close reason once the archive is full
CLOSE_REASON_DISK_FULL = "warc_disk_full"
#: response flags of a payload cut short (never the first capture of a payload)
_INCOMPLETE = frozenset({"download_stopped", "partial", "dataloss"})
#: seconds the record groups submitted from the reactor are kept to be written to the writer process together
FLUSH_DELAY = 0.01


def filter_accept_encoding(value: bytes | str) -> str:
    """Keep only the codings warcio can decode (and ``identity``), preserving order and q-values."""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    kept = []
    for token in text.split(","):
        coding = token.split(";", 1)[0].strip().lower()
        if coding in DECODABLE_ENCODINGS or coding == "identity":
            kept.append(token.strip())
    return ", ".join(kept) or "identity"


@functools.lru_cache(maxsize=256)
def _filtered_accept_encoding(value: bytes) -> bytes:
    return filter_accept_encoding(value).encode("latin-1")


def _running_reactor() -> Any:
    """The reactor the crawl installed, when it is running (None otherwise; importing it would install one)."""
    reactor = sys.modules.get("twisted.internet.reactor")
    return reactor if reactor is not None and getattr(reactor, "running", False) else None


def _header_items(headers: Any) -> list[tuple[Any, Any]]:
    """``(name, [values])`` of Scrapy ``Headers``: a ``dict`` of already normalised keys, read directly
    (``Headers.items()`` re-normalises every key through ``getlist``); a list, so it pickles."""
    return list(dict.items(headers) if isinstance(headers, dict) else headers.items())


class PayloadIndex(Protocol):
    """What ``GOVCRAWL_PAYLOAD_INDEX`` names (built with ``from_crawler``; ``NotConfigured`` disables it)."""

    def claim(self, digest: str, uri: str, date: str) -> tuple[str, str] | None:
        """None when ``uri`` is the first capture of ``digest`` (now recorded), else the first's (URI, date)."""


def build_payload_index(crawler: Crawler) -> PayloadIndex | None:
    """The payload-digest index ``GOVCRAWL_PAYLOAD_INDEX`` names, or None (unset, "", or NotConfigured)."""
    path = crawler.settings.get("GOVCRAWL_PAYLOAD_INDEX")
    if not path:
        return None
    try:
        return build_from_crawler(load_object(path), crawler)
    except NotConfigured as exc:
        logger.debug("payload index %s disabled: %s", path, exc)
        return None


class WarcArchiveMiddleware:
    """Archive every response the downloader returns (see the module docstring)."""

    #: the writer started on spider_opened (benchmarks/bench_warc_writer.py swaps in another)
    writer_class: type[ProcessWarcWriter] = ProcessWarcWriter

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("GOVCRAWL_WARC_ENABLED", True):
            raise NotConfigured("GOVCRAWL_WARC_ENABLED is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.archive_dir = settings.get("GOVCRAWL_ARCHIVE_DIR", "archive")
        self.repair_on_start = settings.getbool("GOVCRAWL_WARC_REPAIR_ON_START", True)
        operator = settings.get("GOVCRAWL_OPERATOR", "")
        contact = settings.get("GOVCRAWL_CONTACT", "")
        self.writer_options: dict[str, Any] = {
            "prefix": settings.get("GOVCRAWL_WARC_PREFIX", "govcrawl"),
            "max_size": settings.getint("GOVCRAWL_WARC_MAX_SIZE", 1_000_000_000),
            "info": {
                "operator": f"{operator} <{contact}>" if operator and contact else (operator or contact),
                "http-header-user-agent": settings.get("USER_AGENT", ""),
                "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            },
        }
        self.writer: ProcessWarcWriter | None = None
        self._closed = False
        self._flush_call: Any = None  # the reactor's DelayedCall of the next flush
        self.payload_index: PayloadIndex | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcArchiveMiddleware:
        middleware = cls(crawler)
        middleware.payload_index = build_payload_index(crawler)
        crawler.signals.connect(middleware.open, signal=signals.spider_opened)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def open(self, *args: Any, **kwargs: Any) -> None:
        """Repair ``.open`` files left by a crashed crawl of this host, then start the writer (spider_opened)."""
        if self.writer is not None or self._closed:
            return
        if self.repair_on_start:
            for report in repair_directory(self.archive_dir):
                logger.warning("repaired WARC file left by a crash: %s", report)
        self.writer = self.writer_class(self.archive_dir, **self.writer_options, on_written=self._records_written,
                                        on_file_opened=self._file_opened)
        self.writer.on_disk_full = self._archive_full

    def _archive_full(self, error: WarcDiskFull) -> None:
        """The writer ran out of room (executor thread; it logged the error): stop the crawl on the reactor."""
        from twisted.internet import reactor

        reactor.callFromThread(self._stop_crawl)  # type: ignore[attr-defined]

    def _stop_crawl(self) -> None:
        if self.stats is not None:
            self.stats.set_value("warc/disk_full", 1)
        engine = self.crawler.engine
        if engine is None or engine.spider is None:
            return
        closing = deferred_from_coro(engine.close_spider_async(reason=CLOSE_REASON_DISK_FULL))
        closing.addErrback(lambda failure: logger.warning("could not stop the crawl: %s", failure.value))

    # stats callbacks run on the executor's thread; only that thread touches these keys
    def _file_opened(self, warcinfo: RecordLocation) -> None:
        if self.stats is not None:
            self.stats.inc_value("warc/files")
            self._records_written([warcinfo])

    def _records_written(self, locations: list[RecordLocation]) -> None:
        if self.stats is not None:
            self.stats.inc_value("warc/records", len(locations))
            self.stats.inc_value("warc/bytes", sum(location.length for location in locations))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        accept = request.headers.get(b"Accept-Encoding")
        if accept is not None:
            request.headers[b"Accept-Encoding"] = _filtered_accept_encoding(accept)
        return None

    def process_exception(self, request: Request, exception: BaseException, spider: Spider | None = None) -> None:
        if self.stats is not None:
            self.stats.inc_value("warc/download_errors")
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if self.writer is None:
            logger.error("WARC writer %s; not archiving %s", "closed" if self._closed else "not started",
                         response.url)
            return response
        try:
            request.meta["warc_ref"] = self._archive(request, response)
        except Exception:  # a bad response must never kill the crawl
            logger.exception("could not archive %s", response.url)
            if self.stats is not None:
                self.stats.inc_value("warc/archive_errors")
        return response

    def _archive(self, request: Request, response: Response) -> WarcRef:
        now = warc_date(datetime.now(UTC))
        body = response.body
        digest = payload_digest(body)
        protocol = response.protocol or "HTTP/1.1"
        ip_address = str(response.ip_address) if response.ip_address else None
        method = request.method.upper()
        # scrapy-playwright responses carry the rendered DOM, not the bytes the server sent; a file the
        # browser downloaded (playwright_suggested_filename) is the server's payload, archived as a response
        rendered = "playwright" in (response.flags or []) or bool(request.meta.get("playwright"))
        if rendered and "playwright_suggested_filename" not in request.meta:
            return self._archive_rendered(request, response, now, digest)
        http_headers = {"status": response.status, "protocol": protocol, "headers": _header_items(response.headers),
                        "body": body, "method": method, "rendered": rendered}
        record_id = new_record_id()
        first: tuple[str, str] | None = None
        prior = request.meta.get("govcrawl_prior") or {}
        ref = WarcRef(warc_record_id=record_id, payload_digest=digest, fetched_at=now, url=response.url)
        if response.status == 304 and (b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers):
            ref.record_type = "revisit"
            ref.payload_digest = prior.get("payload_digest") or digest
            ref.refers_to_uri, ref.refers_to_date = prior.get("uri"), prior.get("date")
            main = ("revisit", {
                "url": response.url, "http_headers": http_headers, "date": now, "record_id": record_id,
                "digest": prior.get("payload_digest"), "refers_to_uri": ref.refers_to_uri,
                "refers_to_date": ref.refers_to_date, "profile": PROFILE_SERVER_NOT_MODIFIED, "ip_address": ip_address,
            })
        elif (prior.get("payload_digest") == digest and 200 <= response.status < 300 and body) or (
                first := self._first_capture(response, digest, now, rendered)) is not None:
            ref.record_type = "revisit"
            if first is not None:
                ref.refers_to_uri, ref.refers_to_date = first
                if self.stats is not None:
                    self.stats.inc_value("warc/revisits/payload_index")
            else:
                ref.refers_to_uri, ref.refers_to_date = prior.get("uri") or response.url, prior.get("date")
            main = ("revisit", {
                "url": response.url, "http_headers": http_headers, "date": now, "record_id": record_id,
                "digest": digest, "refers_to_uri": ref.refers_to_uri, "refers_to_date": ref.refers_to_date,
                "profile": PROFILE_IDENTICAL_PAYLOAD, "ip_address": ip_address,
            })
        else:
            flags = response.flags or []
            truncated = "length" if "download_stopped" in flags or "partial" in flags else None
            if "dataloss" in flags:
                truncated = "disconnect"
            main = ("response", {
                "url": response.url, "http_headers": http_headers, "body": body, "date": now, "digest": digest,
                "record_id": record_id, "ip_address": ip_address, "truncated": truncated,
                "rendered_by": "chromium (scrapy-playwright download)" if rendered else None,
            })
        if ref.record_type == "revisit" and self.stats is not None:
            self.stats.inc_value("warc/revisits")
        records: list[tuple[str, dict[str, Any]]] = [
            main,
            ("request", {
                "url": request.url, "method": method, "headers": _header_items(request.headers),
                "body": request.body or b"", "protocol": protocol, "date": now, "concurrent_to": record_id,
            }),
        ]
        fields = self._metadata_fields(request)
        # a 304 (server-not-modified) revisit gets no metadata: the crawl emits no item for it (the report is
        # unchanged since the capture it refers to), so rebuild must not either
        not_modified = ref.record_type == "revisit" and response.status == 304
        if fields is not None and not not_modified and (200 <= response.status < 300 or ref.record_type == "revisit"):
            records.append(self._metadata_spec(response.url, now, record_id, fields))
        ref.future = self._submit(records)
        return ref

    def _submit(self, records: list[tuple[str, dict[str, Any]]]) -> Any:
        """Hand a group to the writer: from the running reactor, kept with the others of :data:`FLUSH_DELAY`."""
        writer = self.writer
        assert writer is not None
        reactor = _running_reactor()
        if reactor is None:
            return writer.submit(records)
        future = writer.submit(records, flush=False)
        if self._flush_call is None:
            self._flush_call = reactor.callLater(FLUSH_DELAY, self._flush)
        return future

    def _flush(self) -> None:
        self._flush_call = None
        if self.writer is not None:
            try:
                self.writer.flush()
            except Exception as exc:  # a dead writer: the refs of the groups fail with it
                logger.error("could not hand WARC records to the writer process: %r", exc)

    def _first_capture(self, response: Response, digest: str, now: str, rendered: bool) -> tuple[str, str] | None:
        """Ask the payload index (``GOVCRAWL_PAYLOAD_INDEX``) whether a complete 2xx payload was archived
        before, at any URL: (URI, WARC-Date) of that first capture, or None (this one is now the first)."""
        if self.payload_index is None or not 200 <= response.status < 300 or not response.body or rendered:
            return None
        if response.flags and not _INCOMPLETE.isdisjoint(response.flags):
            return None
        try:
            first = self.payload_index.claim(digest, response.url, now)
        except Exception:  # an unreachable index writes a full response: never a wrong revisit
            logger.warning("payload index unavailable; archiving %s in full", response.url, exc_info=True)
            return None
        if not first or first[0] == response.url:  # the same URL again is the incremental crawl's business
            return None
        return first[0], first[1]

    @staticmethod
    def _metadata_fields(request: Request) -> dict[str, Any] | None:
        """The JSON of the ``metadata`` record for a report/attachment capture (None for other roles)."""
        role = request.meta.get("govcrawl_role")
        if role not in METADATA_ROLES:
            return None
        fields: dict[str, Any] = dict(request.meta.get("govcrawl_discovery") or {})
        fields["role"] = role
        parent_url = request.meta.get("govcrawl_parent_url") or fields.get("parent_url")
        if parent_url:
            fields["parent_url"] = parent_url
        return fields

    @staticmethod
    def _document_record_id(request: Request, response: Response) -> str | None:
        """``WARC-Record-ID`` of the raw response the browser rendered ``response`` from, when known: the last
        ``document`` exchange for the page's URL in ``meta["govcrawl_browser_exchanges"]`` carrying a
        ``warc_record_id`` (given when the exchange was collected; see :func:`build_exchange_records`)."""
        exchanges = request.meta.get("govcrawl_browser_exchanges") or []
        documents = [e for e in exchanges if isinstance(e, dict) and e.get("url") == response.url
                     and e.get("resource_type", "document") == "document"]
        return documents[-1].get("warc_record_id") if documents else None

    def _archive_rendered(self, request: Request, response: Response, now: str, digest: str) -> WarcRef:
        """A browser-rendered page: the browser's own HTTP exchanges (document, XHR/JSON, from
        ``meta["govcrawl_browser_exchanges"]``) as response/request pairs, then one ``conversion`` record for the
        rendered DOM (+ ``metadata`` for report/attachment roles).

        The DOM is not an HTTP exchange, so it gets no response/request pair of its own. The payload is ``response.body``
        byte for byte (what the spider parsed), labelled with the charset scrapy-playwright encoded it in.
        Metadata is written for 2xx navigations and for a browser retry of a JS challenge (whose navigation
        status is the challenge's; ChallengeMiddleware, which runs after this one, makes a passed one 200).
        """
        for exchange in request.meta.get("govcrawl_browser_exchanges") or []:
            if isinstance(exchange, dict) and not str(exchange.get("url", "")).startswith(("data:", "blob:")):
                self._submit([("exchange", {"exchange": exchange, "date": now})])
                if self.stats is not None:
                    self.stats.inc_value("warc/browser_exchanges")
        record_id = new_record_id()
        encoding = getattr(response, "encoding", None) or "utf-8"
        ref = WarcRef(warc_record_id=record_id, payload_digest=digest, fetched_at=now, url=response.url,
                      record_type="conversion")
        records: list[tuple[str, dict[str, Any]]] = [("conversion", {
            "url": response.url, "body": response.body, "date": now, "record_id": record_id,
            "content_type": f"text/html; charset={encoding}", "refers_to": self._document_record_id(request, response),
        })]
        fields = self._metadata_fields(request)
        if fields is not None and (200 <= response.status < 300 or request.meta.get("govcrawl_challenge")):
            records.append(self._metadata_spec(response.url, now, record_id, fields))
        if self.stats is not None:
            self.stats.inc_value("warc/conversions")
        ref.future = self._submit(records)
        return ref

    @staticmethod
    def _metadata_spec(url: str, date: str, concurrent_to: str, fields: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        # the JSON is made here: discovery dicts may hold values only ``default=str`` turns into JSON
        return ("metadata", {"url": url, "date": date, "concurrent_to": concurrent_to, "body": metadata_body(fields)})

    def close(self, *args: Any, **kwargs: Any) -> None:
        """Write what is queued, close the current file and stop the writer process (spider_closed)."""
        self._closed = True
        writer, self.writer = self.writer, None
        if self._flush_call is not None and self._flush_call.active():
            self._flush_call.cancel()
        self._flush_call = None
        if writer is not None:  # close() writes what is buffered first
            writer.close()
