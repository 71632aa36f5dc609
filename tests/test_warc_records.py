"""Record builders: header fixing rules, latin-1 byte round trip, revisit/metadata shapes, Accept-Encoding."""

from __future__ import annotations

import json
from io import BytesIO

from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from govcrawl.warc.middleware import filter_accept_encoding
from govcrawl.warc.records import (
    PROFILE_IDENTICAL_PAYLOAD,
    build_conversion_record,
    build_exchange_records,
    build_metadata_record,
    build_response_record,
    build_revisit_record,
    capture_uri_of_metadata,
    new_record_id,
    payload_digest,
    request_target,
    response_http_headers,
)


def headers_dict(http) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in http.headers:
        out.setdefault(name, []).append(value)
    return out


def test_missing_length_on_http11_means_dechunked():
    http = response_http_headers(status=200, protocol="HTTP/1.1", headers=[(b"Content-Type", [b"text/html"])],
                                 body=b"12345")
    assert http.statusline == "200 OK" and http.protocol == "HTTP/1.1"
    assert headers_dict(http)["X-Orig-Transfer-Encoding"] == ["chunked"]
    assert headers_dict(http)["Content-Length"] == ["5"]
    http10 = response_http_headers(status=200, protocol="HTTP/1.0", headers=[], body=b"12345")
    assert "X-Orig-Transfer-Encoding" not in headers_dict(http10) and headers_dict(http10)["Content-Length"] == ["5"]


def test_wrong_length_kept_as_orig_and_no_body_statuses_untouched():
    http = response_http_headers(status=200, protocol="HTTP/1.1", headers=[(b"Content-Length", [b"999"])],
                                 body=b"abc")
    assert headers_dict(http)["X-Orig-Content-Length"] == ["999"] and headers_dict(http)["Content-Length"] == ["3"]
    for status, method in ((304, "GET"), (204, "GET"), (200, "HEAD")):
        http = response_http_headers(status=status, protocol="HTTP/1.1", headers=[(b"Content-Length", [b"42"])],
                                     body=b"", method=method)
        assert headers_dict(http) == {"Content-Length": ["42"]}
    assert response_http_headers(status=599, protocol="HTTP/1.1", headers=[], body=b"").statusline == "599 Unknown"


def test_rendered_dom_drops_encoding_claims():
    http = response_http_headers(status=200, protocol="HTTP/1.1", body=b"<html>dom</html>", rendered=True,
                                 headers=[(b"Content-Encoding", [b"gzip"]), (b"Content-Length", [b"10"])])
    fields = headers_dict(http)
    assert "Content-Encoding" not in fields and fields["X-Orig-Content-Encoding"] == ["gzip"]
    assert fields["Content-Length"] == ["16"] and "X-Orig-Transfer-Encoding" not in fields


def test_non_utf8_header_bytes_round_trip_through_warcio():
    raw_value = 'attachment; filename="年报.pdf"'.encode("gbk")
    body = b"%PDF"
    http = response_http_headers(status=200, protocol="HTTP/1.1", body=body,
                                 headers=[(b"Content-Disposition", [raw_value]), (b"Set-Cookie", [b"a=1", b"b=2"])])
    out = BytesIO()
    writer = WARCWriter(out, gzip=True)
    writer.write_record(build_response_record(url="http://127.0.0.1/a?b=1", http_headers=http, body=body,
                                              date="2026-11-22T00:00:00.000000Z", digest=payload_digest(body),
                                              record_id=new_record_id()))
    out.seek(0)
    record = next(iter(ArchiveIterator(out, check_digests="raise")))
    assert record.http_headers.get_header("Content-Disposition").encode("latin-1") == raw_value
    assert [v for n, v in record.http_headers.headers if n == "Set-Cookie"] == ["a=1", "b=2"]
    assert record.content_stream().read() == body


def test_revisit_and_metadata_shapes():
    http = response_http_headers(status=200, protocol="HTTP/1.1", headers=[], body=b"x")
    revisit = build_revisit_record(url="http://h/p", http_headers=http, date="2026-11-22T00:00:01.000000Z",
                                   record_id=new_record_id(), digest="sha1:ABC", refers_to_uri="http://h/p",
                                   refers_to_date="2026-11-21T00:00:01.000000Z")
    assert revisit.rec_headers.get_header("WARC-Profile") == PROFILE_IDENTICAL_PAYLOAD
    assert revisit.rec_headers.get_header("WARC-Payload-Digest") == "sha1:ABC"
    meta = build_metadata_record(url="http://h/p", date="2026-11-22T00:00:01.000000Z", concurrent_to="<urn:uuid:1>",
                                 fields={"role": "report", "link_text": "2023年年报"})
    assert meta.content_type == "application/json"
    assert meta.rec_headers.get_header("WARC-Target-URI") == "metadata://http://h/p"
    assert capture_uri_of_metadata("metadata://http://h/p") == "http://h/p" == capture_uri_of_metadata("http://h/p")
    assert json.loads(meta.raw_stream.read())["link_text"] == "2023年年报"


def test_request_target_and_accept_encoding_filter():
    assert request_target("http://h/a/b?x=1&y=%E5") == "/a/b?x=1&y=%E5"
    assert request_target("http://h") == "/"
    assert filter_accept_encoding(b"gzip, deflate, br, zstd") in ("gzip, deflate, br", "gzip, deflate")
    assert filter_accept_encoding("zstd;q=1.0, gzip;q=0.5") == "gzip;q=0.5"
    assert filter_accept_encoding("zstd") == "identity"


def test_conversion_and_browser_exchange_records():
    dom = "<html><body><a href='/r'>报告</a></body></html>".encode()
    raw_id = new_record_id()
    conversion = build_conversion_record(url="http://h/list", body=dom, date="2026-11-22T00:00:01.000000Z",
                                         record_id=new_record_id(), refers_to=raw_id)
    headers = conversion.rec_headers
    assert conversion.rec_type == "conversion" and conversion.content_type == "text/html; charset=utf-8"
    assert headers.get_header("WARC-Refers-To") == raw_id and headers.get_header("Govcrawl-Rendered-By") == "chromium"
    assert headers.get_header("WARC-Payload-Digest") == payload_digest(dom)
    exchange = {"url": "http://h/api?page=1", "status": 200, "method": "get", "body": b'{"a": 1}',
                "headers": [("Content-Type", "application/json"), ("content-encoding", "br")],
                "request_headers": [(":authority", "h"), ("accept", "*/*")], "warc_record_id": raw_id}
    response, request = build_exchange_records(exchange, date="2026-11-22T00:00:01.000000Z")
    assert response.rec_headers.get_header("WARC-Record-ID") == raw_id
    assert response.http_headers.get_header("X-Orig-content-encoding") == "br"
    assert response.http_headers.get_header("Content-Length") == "8"
    assert request.rec_headers.get_header("WARC-Concurrent-To") == raw_id
    assert request.http_headers.protocol == "GET" and request.http_headers.get_header(":authority") is None
    buffer = BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    for record in (conversion, response, request):
        writer.write_record(record)
    buffer.seek(0)
    read = list(ArchiveIterator(buffer, check_digests="raise"))
    assert [r.rec_type for r in read] == ["conversion", "response", "request"]
