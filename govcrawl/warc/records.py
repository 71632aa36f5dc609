"""Builders for the WARC records govcrawl writes: request, response, revisit, conversion, metadata, warcinfo.

Records are made with warcio's ``RecordBuilder.create_warc_record`` / ``create_warcinfo_record``; the writer
(:mod:`govcrawl.warc.rotation`) serialises them with warcio's ``WARCWriter`` and gzips each one itself.

HTTP header bytes are kept as received: names and values are decoded as latin-1 (a lossless byte <-> str
mapping) and :class:`RawStatusAndHeaders` encodes them back as latin-1, so a GBK ``Content-Disposition``
filename is stored byte for byte instead of being %-encoded (warcio's default for non-ASCII headers).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

import govcrawl

WARC_VERSION = "WARC/1.1"
WARC_FORMAT = "WARC File Format 1.1"
PROFILE_IDENTICAL_PAYLOAD = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
#: HTTP statuses (and HEAD) whose response never carries a body, so Content-Length is left as sent.
NO_BODY_STATUSES = frozenset({204, 304}) | frozenset(range(100, 200))
#: ``Govcrawl-Rendered-By`` of conversion records holding a DOM serialised by scrapy-playwright's Chromium
RENDERED_BY_CHROMIUM = "chromium"
#: scheme prefix of metadata records' WARC-Target-URI (``metadata://http://host/path``), as Heritrix/NetarchiveSuite do
METADATA_URI_PREFIX = "metadata://"

_BUILDER = RecordBuilder(warc_version=WARC_VERSION)
#: RFC 4648 base32, by pairs of symbols (10 bits): a SHA-1 digest (160 bits) is 16 pairs, no padding
_BASE32_PAIRS = [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"]
#: the JSON of metadata records (one encoder: ``json.dumps`` with options builds one per call)
_METADATA_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)


class RawStatusAndHeaders(StatusAndHeaders):
    """StatusAndHeaders whose header block is serialised as latin-1, i.e. the original bytes."""

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        self.headers_buff = self.to_str(header_filter).encode("latin-1") + b"\r\n"


def latin1(value: bytes | str) -> str:
    """Bytes -> str without loss (latin-1 maps every byte to one code point)."""
    return value.decode("latin-1") if isinstance(value, bytes) else value


def payload_digest(body: bytes) -> str:
    """``sha1:BASE32`` digest, the form warcio and pywb use for WARC-Payload-Digest (``base64.b32encode`` of the
    SHA-1, computed here in 16 table lookups: the standard library's encoder loops in Python)."""
    number = int.from_bytes(hashlib.sha1(body).digest(), "big")
    return "sha1:" + "".join([_BASE32_PAIRS[(number >> shift) & 1023] for shift in range(150, -1, -10)])


def warc_date(moment: datetime) -> str:
    """WARC 1.1 date with microseconds, e.g. ``2026-11-22T19:47:14.123456Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_record_id() -> str:
    """A fresh ``WARC-Record-ID`` (``<urn:uuid:...>``, as warcio makes them): a random (version 4, RFC 4122
    variant) UUID, the bits ``uuid.uuid4()`` sets, formatted without building a ``uuid.UUID``."""
    number = int.from_bytes(os.urandom(16), "big") & _UUID_CLEAR | _UUID_SET
    text = f"{number:032x}"
    return f"<urn:uuid:{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}>"


_UUID_CLEAR = ~(0xF000 << 64) & ~(0xC000 << 48)  # version and variant bits
_UUID_SET = 4 << 76 | 0x8000 << 48  # version 4, RFC 4122 variant


def _make_record(
    uri: str,
    record_type: str,
    warc_headers: dict[str, str],
    body: bytes,
    http_headers: StatusAndHeaders | None = None,
    content_type: str = "",
) -> ArcWarcRecord:
    """warcio's ``create_warc_record`` for a body held in memory (``warc_headers`` hold the record id and date)."""
    return _BUILDER.create_warc_record(uri, record_type, payload=BytesIO(body), length=len(body),
                                       warc_content_type=content_type, warc_headers_dict=warc_headers,
                                       http_headers=http_headers)


def _header_pairs(headers: Iterable[tuple[bytes | str, Iterable[bytes | str]]]) -> list[tuple[str, str]]:
    """Flatten ``name -> [values]`` (Scrapy Headers ``.items()``) keeping every repeated value."""
    return [(latin1(name), latin1(value)) for name, values in headers for value in values]


def request_target(url: str) -> str:
    """The request-target of the request line: path AND query string."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target


def build_request_record(
    *,
    url: str,
    method: str,
    headers: Iterable[tuple[bytes | str, Iterable[bytes | str]]],
    body: bytes,
    protocol: str,
    date: str,
    concurrent_to: str,
    record_id: str | None = None,
) -> ArcWarcRecord:
    """A ``request`` record: ``METHOD /path?query HTTP/1.1`` + the headers sent (Host added if missing)."""
    pairs = _header_pairs(headers)
    names = {name.lower() for name, _ in pairs}
    if "host" not in names:
        pairs.insert(0, ("Host", urlsplit(url).netloc))
    if body and "content-length" not in names:
        pairs.append(("Content-Length", str(len(body))))
    http_headers = RawStatusAndHeaders(f"{method} {request_target(url)} {protocol}", pairs, is_http_request=True)
    warc_headers = {
        "WARC-Record-ID": record_id or new_record_id(),
        "WARC-Date": date,
        "WARC-Concurrent-To": concurrent_to,
    }
    return _make_record(url, "request", warc_headers, body, http_headers)


def response_http_headers(
    *,
    status: int,
    protocol: str,
    headers: Iterable[tuple[bytes | str, Iterable[bytes | str]]],
    body: bytes,
    method: str = "GET",
    rendered: bool = False,
) -> RawStatusAndHeaders:
    """HTTP status line + headers for a stored response whose headers agree with the stored payload.

    Twisted removes the framing headers (Content-Length, Transfer-Encoding, Connection) and Scrapy puts a
    Content-Length back only when the server sent one. The stored body is the de-chunked one, so:
    no Content-Length on an HTTP/1.1 body -> the server framed it with ``Transfer-Encoding: chunked`` (or
    by closing the connection, which Twisted does not let us tell apart): we keep
    ``X-Orig-Transfer-Encoding: chunked`` and set Content-Length to the stored length. A Content-Length
    that disagrees with the stored body (e.g. a truncated download) is kept as ``X-Orig-Content-Length``.
    ``rendered``: the body is a browser's serialised DOM (scrapy-playwright), not the bytes sent, so a
    ``Content-Encoding`` no longer applies and is kept as ``X-Orig-Content-Encoding``.
    """
    pairs = _header_pairs(headers)
    if rendered:
        pairs = [(("X-Orig-" + name, value) if name.lower() in ("content-encoding", "transfer-encoding") else
                  (name, value)) for name, value in pairs]
    has_body = method != "HEAD" and status not in NO_BODY_STATUSES
    if has_body:
        lengths = [value for name, value in pairs if name.lower() == "content-length"]
        if not lengths:
            if protocol.upper() == "HTTP/1.1" and not rendered:
                pairs.append(("X-Orig-Transfer-Encoding", "chunked"))
            pairs.append(("Content-Length", str(len(body))))
        elif lengths[0].strip() != str(len(body)):
            pairs = [
                (("X-Orig-Content-Length", value) if name.lower() == "content-length" else (name, value))
                for name, value in pairs
            ]
            pairs.append(("Content-Length", str(len(body))))
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return RawStatusAndHeaders(f"{status} {reason}", pairs, protocol=protocol)


def build_response_record(
    *,
    url: str,
    http_headers: StatusAndHeaders,
    body: bytes,
    date: str,
    digest: str,
    record_id: str,
    ip_address: str | None = None,
    truncated: str | None = None,
    rendered_by: str | None = None,
) -> ArcWarcRecord:
    """A ``response`` record holding the HTTP response as the server sent it (de-chunked).

    ``rendered_by`` marks a payload that is a browser-rendered DOM (``Govcrawl-Rendered-By`` WARC field).
    """
    warc_headers = {"WARC-Record-ID": record_id, "WARC-Date": date, "WARC-Payload-Digest": digest}
    if rendered_by:
        warc_headers["Govcrawl-Rendered-By"] = rendered_by
    if ip_address:
        warc_headers["WARC-IP-Address"] = ip_address
    if truncated:
        warc_headers["WARC-Truncated"] = truncated
    return _make_record(url, "response", warc_headers, body, http_headers)


def build_revisit_record(
    *,
    url: str,
    http_headers: StatusAndHeaders,
    date: str,
    record_id: str,
    digest: str | None,
    refers_to_uri: str | None,
    refers_to_date: str | None,
    profile: str = PROFILE_IDENTICAL_PAYLOAD,
    ip_address: str | None = None,
) -> ArcWarcRecord:
    """A ``revisit`` record (HTTP headers only, no payload) pointing at an earlier capture.

    ``profile`` is :data:`PROFILE_IDENTICAL_PAYLOAD` (same payload digest as the earlier capture) or
    :data:`PROFILE_SERVER_NOT_MODIFIED` (a 304 answer to a conditional request).
    """
    warc_headers = {"WARC-Record-ID": record_id, "WARC-Date": date, "WARC-Profile": profile}
    if refers_to_uri:
        warc_headers["WARC-Refers-To-Target-URI"] = refers_to_uri
    if refers_to_date:
        warc_headers["WARC-Refers-To-Date"] = refers_to_date
    if digest:
        warc_headers["WARC-Payload-Digest"] = digest
    if ip_address:
        warc_headers["WARC-IP-Address"] = ip_address
    return _make_record(url, "revisit", warc_headers, b"", http_headers)


def build_conversion_record(
    *,
    url: str,
    body: bytes,
    date: str,
    record_id: str,
    content_type: str = "text/html; charset=utf-8",
    refers_to: str | None = None,
    rendered_by: str = RENDERED_BY_CHROMIUM,
) -> ArcWarcRecord:
    """A ``conversion`` record (WARC 1.1 §6.7): a browser's serialised DOM of ``url``, not an HTTP exchange.

    ``refers_to`` is the ``WARC-Record-ID`` of the raw ``response`` record the DOM was rendered from, when
    known. The block is the DOM itself (no HTTP headers), so block and payload digest are equal.
    """
    warc_headers = {"WARC-Record-ID": record_id, "WARC-Date": date, "WARC-Payload-Digest": payload_digest(body),
                    "Govcrawl-Rendered-By": rendered_by}
    if refers_to:
        warc_headers["WARC-Refers-To"] = refers_to
    return _make_record(url, "conversion", warc_headers, body, content_type=content_type)


#: header names a browser reports for a body it has already decoded and de-framed
_BROWSER_FRAMING = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def build_exchange_records(exchange: dict[str, Any], *, date: str) -> list[ArcWarcRecord]:
    """``response`` + ``request`` records for one HTTP exchange a browser made (document, XHR).

    ``exchange``: ``url, status, headers [(name, value)], body, method, request_headers, request_body``, and
    optionally ``warc_record_id``: the id the response record must get (set it when the exchange is
    collected, so a ``conversion`` record of the same page can refer to it). The browser hands over decoded
    bodies, so coding/framing headers are kept as ``X-Orig-*``.
    """
    body: bytes = exchange.get("body") or b""
    headers = [(f"X-Orig-{name}" if name.lower() in _BROWSER_FRAMING else name, [value])
               for name, value in exchange.get("headers") or []]
    method = str(exchange.get("method") or "GET").upper()
    record_id = exchange.get("warc_record_id") or new_record_id()
    http = response_http_headers(status=int(exchange["status"]), protocol="HTTP/1.1", headers=headers, body=body,
                                 method=method)
    request_headers = [(name, [value]) for name, value in exchange.get("request_headers") or []
                       if not name.startswith(":")]  # HTTP/2 pseudo-headers
    return [
        build_response_record(url=exchange["url"], http_headers=http, body=body, date=date,
                              digest=payload_digest(body), record_id=record_id),
        build_request_record(url=exchange["url"], method=method, headers=request_headers,
                             body=exchange.get("request_body") or b"", protocol="HTTP/1.1", date=date,
                             concurrent_to=record_id),
    ]


def metadata_target_uri(url: str) -> str:
    """``WARC-Target-URI`` of the metadata record about a capture of ``url``: ``metadata://`` + ``url``."""
    return url if url.startswith(METADATA_URI_PREFIX) else METADATA_URI_PREFIX + url


def capture_uri_of_metadata(uri: str | None) -> str | None:
    """The captured page's URL from a metadata record's ``WARC-Target-URI`` (older archives: the URL itself)."""
    if uri and uri.startswith(METADATA_URI_PREFIX):
        return uri[len(METADATA_URI_PREFIX):]
    return uri


def metadata_body(fields: dict[str, Any]) -> bytes:
    """The JSON body of a ``metadata`` record (what :func:`build_metadata_record` writes for ``fields``)."""
    return _METADATA_JSON.encode(fields).encode("utf-8")


def build_metadata_record(*, url: str, date: str, concurrent_to: str, fields: dict[str, Any] | None = None,
                          body: bytes | None = None) -> ArcWarcRecord:
    """A ``metadata`` record (JSON body) explaining why a capture of ``url`` was taken, linked to its response
    by ``WARC-Concurrent-To``. Its target is ``metadata://<url>`` (:func:`metadata_target_uri`), so replay
    indexers that index every record with an HTTP(S) target (pywb's ``wb-manager add``) do not list it as a
    capture of the page. ``body``: the JSON already made by :func:`metadata_body` (instead of ``fields``)."""
    if body is None:
        body = metadata_body(fields or {})
    warc_headers = {"WARC-Record-ID": new_record_id(), "WARC-Date": date, "WARC-Concurrent-To": concurrent_to}
    return _make_record(metadata_target_uri(url), "metadata", warc_headers, body, content_type="application/json")


_SPEC_BUILDERS: dict[str, Any] = {
    "response": build_response_record,
    "revisit": build_revisit_record,
    "request": build_request_record,
    "metadata": build_metadata_record,
    "conversion": build_conversion_record,
}


def build_records(specs: Iterable[tuple[str, dict[str, Any]]]) -> list[ArcWarcRecord]:
    """Records from plain, picklable specs ``(kind, keyword arguments of the builder)``.

    ``kind`` is ``response``/``revisit``/``request``/``metadata``/``conversion`` (one record) or ``exchange``
    (:func:`build_exchange_records`, two). An ``http_headers`` argument given as a dict is the keyword arguments
    of :func:`response_http_headers`. The middleware describes each capture this way so the records can be
    built by the writer process (:class:`govcrawl.warc.process.ProcessWarcWriter`).
    """
    records: list[ArcWarcRecord] = []
    for kind, kwargs in specs:
        if kind == "exchange":
            records.extend(build_exchange_records(**kwargs))
            continue
        http = kwargs.get("http_headers")
        if isinstance(http, dict):
            kwargs = dict(kwargs, http_headers=response_http_headers(**http))
        records.append(_SPEC_BUILDERS[kind](**kwargs))
    return records


def build_warcinfo_record(filename: str, info: dict[str, str]) -> ArcWarcRecord:
    """The ``warcinfo`` record that opens every file."""
    fields = {
        "software": f"govcrawl/{govcrawl.__version__} (warcio, Scrapy)",
        "format": WARC_FORMAT,
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "hostname": socket.gethostname(),
        "python": platform.python_version(),
        "robots": "obey",
        "isPartOf": "govcrawl",
        "description": "Chinese government information-disclosure annual reports (政府信息公开工作年度报告)",
    }
    fields.update({key: value for key, value in info.items() if value})
    return _BUILDER.create_warcinfo_record(filename, fields)
