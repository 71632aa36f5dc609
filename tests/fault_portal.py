"""A fault portal: one 信息公开年报 column whose report links each misbehave in one way a hostile or broken
government site does. Raw sockets (not http.server) so a case can drip, stall, lie about lengths or close early.

``FaultPortal().start()`` serves on 127.0.0.1 (ephemeral ports): the column at ``/faults/index.html``, one
report URL per case, plus a stalling TLS port and a second, off-site host. Every request is logged
(``portal.requests``) so tests can tell what the crawler fetched. Bodies are built at start (bombs included),
so serving costs nothing.
"""

from __future__ import annotations

import gzip
import io
import socket
import socketserver
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

REPORT_TEXT = (
    "一、总体情况\n2023年，本机关认真贯彻落实《中华人民共和国政府信息公开条例》，主动公开政府信息1234条。\n"
    "二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n本年新收政府信息公开申请12件。\n"
    "四、政府信息公开行政复议、行政诉讼情况\n五、存在的主要问题及改进情况\n六、其他需要报告的事项\n"
)


def report_html(title: str, extra: str = "") -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in REPORT_TEXT.splitlines())
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><div class='content'>"
            f"<h1>{title}</h1>{paragraphs}{extra}<p>某某县人民政府</p><p>2024年1月20日</p></div></body></html>"
            ).encode()


def _raw_zeros(megabytes: int) -> bytes:
    """Raw DEFLATE of ``megabytes`` MiB of zeros, built in milliseconds: after a full flush every 1 MiB block
    of zeros compresses to the same bytes, so one segment is repeated."""
    block = b"\0" * (1024 * 1024)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    segment = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    return head + segment * (megabytes - 1) + packer.flush()


def _zeros_deflated(megabytes: int, *, wbits: int = zlib.MAX_WBITS) -> bytes:
    """``megabytes`` MiB of zeros as a zlib (``wbits`` 15) or gzip (``wbits`` 31) stream with valid trailers."""
    size = megabytes * 1024 * 1024
    body = _raw_zeros(megabytes)
    if wbits > 16:
        crc, block = 0, b"\0" * (1024 * 1024)
        for _ in range(megabytes):
            crc = zlib.crc32(block, crc)
        return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + body + crc.to_bytes(4, "little")
                + (size % 2**32).to_bytes(4, "little"))
    adler = ((size % 65521) << 16) | 1
    return b"\x78\xda" + body + adler.to_bytes(4, "big")


def pdf_bomb(megabytes: int = 1024) -> bytes:
    stream = _zeros_deflated(megabytes)
    return (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids "
            b"[3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>\nendobj\n"
            b"4 0 obj\n<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n" + stream
            + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def docx(document_xml: bytes, *, bomb_megabytes: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                         '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                         'officedocument.wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                         'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
                         '</Relationships>')
        if bomb_megabytes:
            with archive.open("word/document.xml", "w", force_zip64=True) as member:
                member.write(document_xml)
                for _ in range(bomb_megabytes):
                    member.write(b" " * (1024 * 1024))
        else:
            archive.writestr("word/document.xml", document_xml)
    return buffer.getvalue()


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
XXE_DOCUMENT = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
                f'<w:document {W_NS}><w:body><w:p><w:r><w:t>2023年政府信息公开工作年度报告 &xxe;</w:t></w:r></w:p>'
                f'</w:body></w:document>').encode()
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + ']><datastore><nextgroup><![CDATA[]]></nextgroup><recordset><record><![CDATA[<a href="/r/ok.html">'
          '&lol9;</a>]]></record></recordset></datastore>').encode()


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


Handler = Callable[[Request, socket.socket], None]


def send(sock: socket.socket, status: str, headers: list[tuple[str, str]], body: bytes = b"", *,
         length: int | None = None) -> None:
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    head += f"Content-Length: {len(body) if length is None else length}\r\nConnection: close\r\n\r\n"
    sock.sendall(head.encode("latin-1") + body)


def html(body: bytes, status: str = "200 OK", extra: list[tuple[str, str]] | None = None) -> Handler:
    return lambda request, sock: send(sock, status, [("Content-Type", "text/html; charset=utf-8"), *(extra or [])],
                                      body)


def raw(data: bytes) -> Handler:
    return lambda request, sock: sock.sendall(data)


@dataclass
class FaultPortal:
    """The fault column and its cases; ``start()`` serves them, ``stop()`` ends it."""

    host: str = "127.0.0.1"
    offsite_host: str = "127.0.0.2"
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    cases: dict[str, str] = field(default_factory=dict)  # case name -> path of its report link
    columns: list[str] = field(default_factory=lambda: ["/faults/index.html"])  # paths of the columns to crawl
    port: int = 0
    tls_port: int = 0
    offsite_port: int = 0
    _servers: list[socketserver.BaseServer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def column(self) -> str:
        return f"{self.base}/faults/index.html"

    @property
    def start_urls(self) -> list[str]:
        """Every column of the portal: the fault column, the endless pager, the Hanweb jpage columns."""
        return [path if "://" in path else self.base + path for path in self.columns]

    def url(self, case: str) -> str:
        path = self.cases[case]
        return path if "://" in path else self.base + path

    def fetched(self, path: str) -> int:
        return sum(1 for request in self.requests if request.path == path)

    def _serve(self, host: str, handler_for: Callable[[socket.socket], None]) -> int:
        portal = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                try:
                    handler_for(self.request)
                except OSError:
                    pass  # the client gave up: that is the point of several cases

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        server = Server((host, 0), Handler)
        self._servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        del portal
        return int(server.server_address[1])

    def _http(self, sock: socket.socket) -> None:
        sock.settimeout(30)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
            if len(data) > 1_000_000:
                send(sock, "431 Request Header Fields Too Large", [], b"")
                return
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, target, _ = (head[0].split(" ") + ["", ""])[:3]
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        path = target.split("?", 1)[0] if not target.startswith("http") else target
        request = Request(method, path, headers)
        self.requests.append(request)
        if len(headers.get("cookie", "")) > 8192:
            send(sock, "400 Bad Request", [("Content-Type", "text/plain")], b"cookie header too large")
            return
        route = self.routes.get(path) or self.routes.get(target)
        if route is None:
            send(sock, "404 Not Found", [("Content-Type", "text/html")], b"<html><body>404</body></html>")
            return
        route(request, sock)

    def _stall(self, sock: socket.socket) -> None:
        self._stop.wait(60)  # accept, read nothing back, never answer (TLS handshake or HTTP alike)

    def start(self) -> FaultPortal:
        from tests.fault_cases import build_cases

        self.port = self._serve(self.host, self._http)
        self.tls_port = self._serve(self.host, self._stall)
        self.offsite_port = self._serve(self.offsite_host, self._http)
        build_cases(self)
        self.columns.append(f"https://{self.host}:{self.tls_port}/faults/index.html")  # a column behind a stalled TLS
        self.cases["tls_stall_column"] = self.columns[-1]
        return self

    def stop(self) -> None:
        self._stop.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FaultPortal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def drip(body: bytes, delay: float) -> Handler:
    def handler(request: Request, sock: socket.socket) -> None:
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n")
        for byte in body:
            sock.sendall(bytes([byte]))
            time.sleep(delay)
    return handler


def gzipped(body: bytes, *, truncate: int | None = None) -> Handler:
    packed = gzip.compress(body)
    if truncate:
        packed = packed[:truncate]
    return lambda request, sock: send(sock, "200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                                       ("Content-Encoding", "gzip")], packed)


def gzip_bomb(megabytes: int) -> Handler:
    packed = _zeros_deflated(megabytes, wbits=16 + zlib.MAX_WBITS)
    return lambda request, sock: send(sock, "200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                                      packed)
