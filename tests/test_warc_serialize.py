"""The writer's own record serialiser: byte-identical to warcio's ``WARCWriter`` for every record the builders
make, one gzip member per record at the reported offset, files valid under ``warcio check`` and ArchiveIterator.
"""

from __future__ import annotations

import copy
import gzip
import subprocess
import zlib
from io import BytesIO

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import BufferWARCWriter

from govcrawl.warc.records import (
    PROFILE_SERVER_NOT_MODIFIED,
    WARC_VERSION,
    build_conversion_record,
    build_exchange_records,
    build_metadata_record,
    build_request_record,
    build_response_record,
    build_revisit_record,
    build_warcinfo_record,
    new_record_id,
    payload_digest,
    response_http_headers,
)
from govcrawl.warc.writer import WarcWriter, gzip_member, serialize_record

BODY = "<html><p>政府信息公开工作年度报告</p></html>".encode() * 40
DATE = "2026-11-22T20:00:00.123456Z"


def sample_records() -> list[ArcWarcRecord]:
    """One record of every kind the crawl writes, with raw GBK header bytes and non-ASCII URLs/JSON."""
    gbk = 'attachment; filename="年报.pdf"'.encode("gbk")
    http = response_http_headers(status=200, protocol="HTTP/1.1", body=BODY,
                                 headers=[(b"Content-Type", [b"text/html"]), (b"Content-Disposition", [gbk]),
                                          (b"Set-Cookie", [b"a=1", b"b=2"])])
    rid = new_record_id()
    not_modified = response_http_headers(status=304, protocol="HTTP/1.1", headers=[(b"ETag", [b'"x"'])], body=b"")
    return [
        build_warcinfo_record("t.warc.gz", {"operator": "测试", "empty": ""}),
        build_response_record(url="http://127.0.0.1/nb/1.html?a=1", http_headers=http, body=BODY, date=DATE,
                              digest=payload_digest(BODY), record_id=rid, ip_address="127.0.0.1", truncated="length"),
        build_request_record(url="http://127.0.0.1/nb/1.html?a=1", method="POST", headers=[(b"X", [b"1", b"2"])],
                             body=b"q=1", protocol="HTTP/1.1", date=DATE, concurrent_to=rid),
        build_request_record(url="http://127.0.0.1/", method="GET", headers=[], body=b"", protocol="HTTP/1.0",
                             date=DATE, concurrent_to=rid),
        build_metadata_record(url="http://127.0.0.1/文件.html", date=DATE, concurrent_to=rid,
                              fields={"link_text": "2023年年报", "role": "report"}),
        build_revisit_record(url="http://127.0.0.1/nb/1.html", http_headers=http, date=DATE, record_id=new_record_id(),
                             digest=payload_digest(BODY), refers_to_uri="http://127.0.0.1/nb/1.html", refers_to_date=DATE),
        build_revisit_record(url="http://127.0.0.1/nb/1.html", http_headers=not_modified, date=DATE,
                             record_id=new_record_id(), digest=None, refers_to_uri=None, refers_to_date=None,
                             profile=PROFILE_SERVER_NOT_MODIFIED),
        build_conversion_record(url="http://127.0.0.1/js.html", body=BODY, date=DATE, record_id=new_record_id(),
                                refers_to=rid),
        *build_exchange_records({"url": "http://127.0.0.1/api.json", "status": 200, "body": b'{"a": 1}',
                                 "headers": [("Content-Encoding", "gzip")], "request_headers": [(":path", "/")]},
                                date=DATE),
    ]


def warcio_bytes(record: ArcWarcRecord) -> bytes:
    writer = BufferWARCWriter(gzip=False, warc_version=WARC_VERSION)
    writer.write_record(record)
    return writer.get_contents()


@pytest.mark.parametrize("index", range(len(sample_records())))
def test_serialised_bytes_identical_to_warcio(index):
    record = sample_records()[index]
    theirs, ours = copy.deepcopy(record), copy.deepcopy(record)
    expected = warcio_bytes(theirs)
    assert serialize_record(ours) == expected
    # the record is left as warcio leaves it (digest headers added, lengths set)
    assert ours.rec_headers.headers == theirs.rec_headers.headers and ours.length == theirs.length


def test_unknown_length_falls_back_to_warcio():
    headers = StatusAndHeaders("", [("WARC-Type", "resource"), ("WARC-Record-ID", new_record_id()),
                                    ("WARC-Target-URI", "http://127.0.0.1/x.txt"), ("WARC-Date", DATE)],
                               protocol=WARC_VERSION)
    make = lambda: ArcWarcRecord("warc", "resource", headers, BytesIO(b"hello"), None, "text/plain", None)  # noqa: E731
    headers_copy = copy.deepcopy(headers)
    expected = warcio_bytes(ArcWarcRecord("warc", "resource", headers_copy, BytesIO(b"hello"), None, "text/plain", None))
    data = serialize_record(make())
    assert data == expected and b"Content-Length: 5\r\n" in data


def test_gzip_member_is_one_member():
    member = gzip_member(b"abc" * 1000, 6)
    decompressor = zlib.decompressobj(zlib.MAX_WBITS + 16)
    assert decompressor.decompress(member) == b"abc" * 1000 and decompressor.eof and not decompressor.unused_data


def test_writer_offsets_members_and_warcio_check(tmp_path):
    writer = WarcWriter(tmp_path, prefix="ser", info={"operator": "t"})
    groups = [sample_records()[1:] for _ in range(3)]
    locations = [loc for group in groups for loc in writer.write_group(group)]
    writer.close()
    (path,) = writer.closed_files
    data = open(path, "rb").read()
    # locations tile the file after the warcinfo record; each is exactly one gzip member
    assert locations[-1].offset + locations[-1].length == len(data) == writer.bytes_written
    for loc in locations:
        decompressor = zlib.decompressobj(zlib.MAX_WBITS + 16)
        decompressor.decompress(data[loc.offset:loc.offset + loc.length])
        assert decompressor.eof and not decompressor.unused_data
    with open(path, "rb") as handle:
        types, offsets = [], []
        iterator = ArchiveIterator(handle, check_digests="raise")
        for record in iterator:
            record.content_stream().read()
            types.append(record.rec_type)
            offsets.append(iterator.get_record_offset())
    assert types == ["warcinfo"] + [r.rec_type for r in sample_records()[1:]] * 3
    assert offsets[1:] == [loc.offset for loc in locations]
    # the stored payload of the response record is the body, and the whole file is valid gzip
    assert BODY in gzip.decompress(data)
    check = subprocess.run(["warcio", "check", "-v", path], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "digest fail" not in check.stdout


def test_rotation_uses_written_size(tmp_path):
    writer = WarcWriter(tmp_path, prefix="rot", max_size=3000)
    for _ in range(4):
        writer.write_group(sample_records()[1:3])
    writer.close()
    assert len(writer.closed_files) >= 2
    for path in writer.closed_files:
        with open(path, "rb") as handle:
            types = [r.rec_type for r in ArchiveIterator(handle, check_digests="raise")]
        assert types[0] == "warcinfo" and len(types) >= 3


@pytest.mark.parametrize("kind", ["response", "request", "revisit", "conversion", "metadata"])
def test_builders_match_warcio_create_warc_record(kind):
    """The builders' direct construction gives what warcio's create_warc_record gives for the same input."""
    builder = BufferWARCWriter(gzip=False, warc_version=WARC_VERSION)
    url = "http://127.0.0.1/nb/1.html"
    http = response_http_headers(status=200, protocol="HTTP/1.1", headers=[(b"Content-Type", [b"text/html"])],
                                 body=BODY)
    rid = new_record_id()
    base = {"WARC-Record-ID": rid, "WARC-Date": DATE}
    if kind == "response":
        ours = build_response_record(url=url, http_headers=http, body=BODY, date=DATE, digest=payload_digest(BODY),
                                     record_id=rid, ip_address="127.0.0.1")
        theirs = builder.create_warc_record(url, "response", payload=BytesIO(BODY), length=len(BODY), http_headers=http,
                                            warc_headers_dict={**base, "WARC-Payload-Digest": payload_digest(BODY),
                                                               "WARC-IP-Address": "127.0.0.1"})
    elif kind == "request":
        ours = build_request_record(url=url, method="GET", headers=[(b"Host", [b"127.0.0.1"])], body=b"",
                                    protocol="HTTP/1.1", date=DATE, concurrent_to=rid, record_id=rid)
        theirs = builder.create_warc_record(url, "request", payload=BytesIO(b""), length=0,
                                            http_headers=ours.http_headers,
                                            warc_headers_dict={**base, "WARC-Concurrent-To": rid})
    elif kind == "revisit":
        ours = build_revisit_record(url=url, http_headers=http, date=DATE, record_id=rid, digest="sha1:AB",
                                    refers_to_uri=url, refers_to_date=DATE)
        theirs = builder.create_warc_record(url, "revisit", payload=BytesIO(b""), length=0, http_headers=http,
                                            warc_headers_dict={**base, "WARC-Profile": ours.rec_headers.get_header(
                                                "WARC-Profile"), "WARC-Refers-To-Target-URI": url,
                                                "WARC-Refers-To-Date": DATE, "WARC-Payload-Digest": "sha1:AB"})
    elif kind == "conversion":
        ours = build_conversion_record(url=url, body=BODY, date=DATE, record_id=rid)
        theirs = builder.create_warc_record(url, "conversion", payload=BytesIO(BODY), length=len(BODY),
                                            warc_content_type="text/html; charset=utf-8",
                                            warc_headers_dict={**base, "WARC-Payload-Digest": payload_digest(BODY),
                                                               "Govcrawl-Rendered-By": "chromium"})
    else:
        ours = build_metadata_record(url=url, date=DATE, concurrent_to=rid, fields={"role": "report"})
        body = b'{"role": "report"}'
        theirs = builder.create_warc_record("metadata://" + url, "metadata", payload=BytesIO(body), length=len(body),
                                            warc_content_type="application/json",
                                            warc_headers_dict={"WARC-Record-ID": ours.rec_headers.get_header(
                                                "WARC-Record-ID"), "WARC-Date": DATE, "WARC-Concurrent-To": rid})
    assert ours.rec_headers.headers == theirs.rec_headers.headers
    assert (ours.rec_type, ours.content_type, ours.length, ours.payload_length) == (
        theirs.rec_type, theirs.content_type, theirs.length, theirs.payload_length)
    assert ours.raw_stream.read() == theirs.raw_stream.read()
    ours.raw_stream.seek(0)
    theirs.raw_stream.seek(0)
    assert warcio_bytes(ours) == warcio_bytes(theirs)


@pytest.mark.parametrize("prepare_in_caller", [False, True])
def test_background_writer_resolves_refs_at_record_offsets(tmp_path, prepare_in_caller):
    from govcrawl.warc.writer import BackgroundWarcWriter, WarcRef

    written: list = []
    background = BackgroundWarcWriter(WarcWriter(tmp_path, prefix="bg"), prepare_in_caller=prepare_in_caller,
                                      max_pending=3, poll_interval=0.001, on_written=written.extend)
    refs = []
    for _ in range(20):
        group = sample_records()[1:4]
        record_id = group[0].rec_headers.get_header("WARC-Record-ID")
        ref = WarcRef(warc_record_id=record_id, payload_digest=payload_digest(BODY), fetched_at=DATE)
        background.submit(group, {0: ref})
        refs.append(ref)
    bad = WarcRef(warc_record_id="<urn:uuid:bad>", payload_digest="", fetched_at=DATE)
    background.submit([object()], {0: bad})  # not a record: the error reaches the ref, the writer goes on
    background.close()
    assert background.errors == 1 and bad.done() and isinstance(bad.error, AttributeError)
    with pytest.raises(AttributeError):
        bad.result(1)
    assert len(written) == 20 * 3
    (path,) = background.writer.closed_files
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle, check_digests="raise")
        by_offset = {}
        for record in iterator:
            record.content_stream().read()
            by_offset[iterator.get_record_offset()] = record.rec_headers.get_header("WARC-Record-ID")
    for ref in refs:
        assert ref.result(0).warc_filename == path.rsplit("/", 1)[1]
        assert by_offset[ref.warc_offset] == ref.warc_record_id
