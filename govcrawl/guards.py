"""Downloader middlewares that keep hostile answers from reaching the archive or the parser unannounced.

* :class:`SchemeGuardMiddleware`: only ``http``/``https`` is ever fetched. A request of any other scheme
  (``file:``, ``ftp:``, ``data:``, ``s3:``…, from a link, an attachment or a hand-built request) is dropped
  before any handler sees it, and a redirect whose ``Location`` names another scheme is refused (Scrapy's
  RedirectMiddleware already does not follow it; this one says so). Counted as
  ``govcrawl/refused_scheme/request`` and ``govcrawl/refused_scheme/redirect``, logged with the URL. The
  add-on also sets the ``DOWNLOAD_HANDLERS`` of those schemes to None, so nothing could open them anyway.
* :class:`TruncatedGzipMiddleware`: a ``Content-Encoding: gzip`` body that is cut short (a failed final
  inflate, no end of stream, or the trailer's ISIZE disagreeing with the inflated length) is still passed on
  (Scrapy's decompression keeps what inflated), but marked: ``meta["govcrawl_discovery"]["content_flags"]``
  gets ``truncated_gzip``, which :func:`govcrawl.report.build_item` turns into the item's flag. Counted as
  ``govcrawl/truncated_gzip``. It sits at 595, between the WARC middleware (950, which archives the bytes as
  received) and HttpCompressionMiddleware (590), so it sees the body still compressed.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from govcrawl.charset import gzip_truncated

logger = logging.getLogger(__name__)

#: the only schemes govcrawl fetches
FETCHED_SCHEMES = frozenset({"http", "https"})


class SchemeGuardMiddleware:
    """Drop requests and refuse redirects of any scheme but http/https (module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SchemeGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        scheme = urlsplit(request.url).scheme.lower()
        if scheme not in FETCHED_SCHEMES:
            self.crawler.stats.inc_value("govcrawl/refused_scheme/request")
            logger.warning("Refused %s: only http and https are fetched", request.url[:200])
            raise IgnoreRequest(f"refused scheme {scheme}:")

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if 300 <= response.status < 400 and b"Location" in response.headers:
            location = response.headers[b"Location"].decode("latin-1").strip()
            scheme = urlsplit(location).scheme.lower()
            if scheme and scheme not in FETCHED_SCHEMES:
                self.crawler.stats.inc_value("govcrawl/refused_scheme/redirect")
                logger.warning("Refused the redirect of %s to %s: only http and https are fetched",
                               request.url, location[:200])
        return response


class TruncatedGzipMiddleware:
    """Mark gzip bodies cut short in transit so their items are flagged ``truncated_gzip`` (module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TruncatedGzipMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        encoding = response.headers.get(b"Content-Encoding", b"").strip().lower()
        if encoding not in (b"gzip", b"x-gzip") or not response.body or request.method == "HEAD":
            return response
        if gzip_truncated(response.body, self.max_size):
            self.crawler.stats.inc_value("govcrawl/truncated_gzip")
            logger.warning("Truncated gzip body from %s: flagged truncated_gzip", response.url)
            discovery = request.meta.get("govcrawl_discovery")
            if isinstance(discovery, dict):
                discovery["content_flags"] = [*discovery.get("content_flags", ()), "truncated_gzip"]
        return response


def _network_errors() -> tuple[type[BaseException], ...]:
    """Download failures that are the network's doing (Scrapy's own since 2.14, Twisted's before)."""
    import scrapy.exceptions as scrapy_errors
    from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError, TimeoutError
    from twisted.web.client import ResponseFailed

    names = ("DownloadTimeoutError", "DownloadConnectionRefusedError", "DownloadFailedError",
             "CannotResolveHostError", "ResponseDataLossError")
    own = tuple(getattr(scrapy_errors, name) for name in names if hasattr(scrapy_errors, name))
    return (*own, TimeoutError, ConnectError, ConnectionLost, DNSLookupError, ResponseFailed)


class _NoNetworkTraceback(logging.Filter):
    """Keep a robots.txt download failure (timeout, refused, reset) to its one-line message: a stalled host
    is an expected network error, not a bug, and its traceback would bury the run report."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            if isinstance(record.exc_info[1], _network_errors()):
                record.exc_info = None
                record.exc_text = None
        return True


class RobotsErrorLogExtension:
    """Installs :class:`_NoNetworkTraceback` on Scrapy's robots.txt middleware logger (a Python logging
    filter: the record keeps its level and message, "Error downloading <url>: <reason>")."""

    LOGGER = "scrapy.downloadermiddlewares.robotstxt"

    def __init__(self) -> None:
        target = logging.getLogger(self.LOGGER)
        if not any(isinstance(f, _NoNetworkTraceback) for f in target.filters):
            target.addFilter(_NoNetworkTraceback())

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsErrorLogExtension:
        return cls()
