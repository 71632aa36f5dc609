"""HTTP machinery of the mock portal: one ThreadingHTTPServer per mock site, bound to 127.0.0.1 only.

A :class:`MockSite` maps paths to :class:`Page` objects (static bytes) or handler callables
(``handler(request) -> Page``). The server adds what real servers do: conditional GET (ETag /
Last-Modified -> 304), gzip Content-Encoding, chunked Transfer-Encoding, slow responses, and a request log.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

LOOPBACK = "127.0.0.1"


class LoggedRequest(NamedTuple):
    """One request as the portal received it (``site`` is the mock site's name)."""

    method: str
    path: str
    headers: dict[str, str]
    site: str = ""
    body: bytes = b""


@dataclass
class Request:
    """What a handler sees: method, path (without query), parsed query/form, headers, raw body."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    raw_query: str = ""

    @property
    def form(self) -> dict[str, list[str]]:
        """POST form fields (application/x-www-form-urlencoded) merged over the query string."""
        merged = dict(self.query)
        if self.body:
            merged.update(parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return merged

    def arg(self, name: str, default: str = "") -> str:
        """First value of a query/form field."""
        values = self.form.get(name)
        return values[0] if values else default


@dataclass
class Page:
    """A response the mock server sends.

    ``body`` is the payload before any Content-Encoding; ``gzip`` and ``chunked`` choose how it is sent.
    ``etag`` / ``last_modified`` (epoch seconds) enable 304 answers to conditional requests.
    """

    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    gzip: bool = False
    chunked: bool = False
    delay: float = 0.0
    etag: str | None = None
    last_modified: float | None = None

    @staticmethod
    def html(text: str, encoding: str = "utf-8", charset_header: str | None = None, **kwargs) -> Page:
        """An HTML page encoded with ``encoding``; the header names ``charset_header`` (default: the encoding)."""
        declared = charset_header if charset_header is not None else encoding
        content_type = f"text/html; charset={declared}" if declared else "text/html"
        return Page(body=text.encode(encoding), content_type=content_type, **kwargs)

    def with_validators(self, last_modified: float) -> Page:
        """Set a strong ETag from the body digest and the given Last-Modified time."""
        self.etag = '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'
        self.last_modified = float(int(last_modified))
        return self


Handler = Callable[[Request], Page]


class MockSite:
    """A named site: exact-path routes, prefix routes and a 404 page."""

    def __init__(self, name: str, title: str = "") -> None:
        self.name = name
        self.title = title or name
        self.base_url = ""
        self.routes: dict[str, Page | Handler] = {}
        self.prefix_routes: list[tuple[str, Handler]] = []

    def add(self, path: str, page: Page | Handler) -> None:
        """Serve ``page`` (or call the handler) for ``path``; a path with ``?query`` matches only that query."""
        self.routes[path] = page

    def add_prefix(self, prefix: str, handler: Handler) -> None:
        """Call ``handler`` for every path starting with ``prefix`` (checked after exact routes)."""
        self.prefix_routes.append((prefix, handler))

    def url(self, path: str) -> str:
        """Absolute URL of a path on this site."""
        return self.base_url + path

    def resolve(self, request: Request) -> Page:
        """The page for a request (404 page when nothing matches)."""
        if ";" in request.path:  # servlet path parameters (;jsessionid=...) do not change the resource
            request.path = request.path.split(";", 1)[0]
        target = self.routes.get(f"{request.path}?{request.raw_query}") if request.raw_query else None
        if target is None:
            target = self.routes.get(request.path)
        if target is None:
            for prefix, handler in self.prefix_routes:
                if request.path.startswith(prefix):
                    target = handler
                    break
        if target is None:
            return not_found_page()
        if callable(target):
            return target(request)
        return target


def not_found_page() -> Page:
    """A plain 404 page like those of TRS sites."""
    body = "<html><head><title>404 页面不存在</title></head><body><h1>404</h1><p>您访问的页面不存在或已删除。</p></body></html>"
    return Page.html(body, status=404)


def _http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


def _not_modified(page: Page, headers: dict[str, str]) -> bool:
    """True when the request's validators match the page (If-None-Match wins over If-Modified-Since)."""
    if page.status != 200 or (page.etag is None and page.last_modified is None):
        return False
    inm = headers.get("if-none-match")
    if inm is not None and page.etag is not None:
        tags = {tag.strip().removeprefix("W/") for tag in inm.split(",")}
        return page.etag in tags or "*" in tags
    ims = headers.get("if-modified-since")
    if ims and page.last_modified is not None:
        try:
            since = parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
        return page.last_modified <= since
    return False


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, site: MockSite, log: Callable[[LoggedRequest], None]) -> None:
        super().__init__((LOOPBACK, 0), _Handler)
        self.site = site
        self.log = log


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms Nagle/delayed-ACK stalls
    server_version = "Apache"
    sys_version = ""
    server: _SiteServer

    def log_message(self, format: str, *args) -> None:
        return

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.log(LoggedRequest(method, self.path, headers, self.server.site.name, body))
        parts = urlsplit(self.path)
        request = Request(
            method, parts.path, parse_qs(parts.query, keep_blank_values=True), headers, body, parts.query
        )
        try:
            page = self.server.site.resolve(request)
        except Exception as exc:  # a handler bug must show as a 500, not a dead connection
            page = Page.html(f"<html><body>internal error: {type(exc).__name__}: {exc}</body></html>", status=500)
        if page.delay:
            time.sleep(page.delay)
        self._send(method, page, headers)

    def _send(self, method: str, page: Page, request_headers: dict[str, str]) -> None:
        status = page.status
        payload = page.body
        extra: list[tuple[str, str]] = []
        if page.etag:
            extra.append(("ETag", page.etag))
        if page.last_modified is not None:
            extra.append(("Last-Modified", _http_date(page.last_modified)))
        if _not_modified(page, request_headers):
            self.send_response(304)
            for name, value in extra:
                self.send_header(name, value)
            self.send_header("Date", self.date_time_string())
            self.end_headers()
            return
        if page.gzip:
            payload = gzip.compress(payload, mtime=0)
            extra.append(("Content-Encoding", "gzip"))
            extra.append(("Vary", "Accept-Encoding"))
        self.send_response(status)
        if page.content_type:
            self.send_header("Content-Type", page.content_type)
        for name, value in [*page.headers, *extra]:
            self.send_header(name, value)
        if page.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if method == "HEAD":
            return
        if page.chunked:
            step = 1024
            for start in range(0, len(payload), step):
                chunk = payload[start : start + step]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(payload)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_HEAD(self) -> None:
        self._serve("HEAD")


class SiteServers:
    """Binds one server per site on 127.0.0.1 (random free ports) and runs them in daemon threads."""

    def __init__(self, log: Callable[[LoggedRequest], None]) -> None:
        self._log = log
        self._servers: dict[str, _SiteServer] = {}
        self._threads: list[threading.Thread] = []

    def bind(self, site: MockSite) -> str:
        """Bind a port for ``site``, set and return its base URL (no trailing slash)."""
        server = _SiteServer(site, self._log)
        host, port = server.server_address[:2]
        site.base_url = f"http://{host}:{port}"
        self._servers[site.name] = server
        return site.base_url

    def start(self) -> None:
        for name, server in self._servers.items():
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"portal-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._servers.clear()
        self._threads.clear()
