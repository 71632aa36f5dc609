"""The rotating writer: every record the builders make written as one gzip member (warcio's ``WARCWriter`` bytes)
at the reported offset, raw GBK header bytes kept, files valid under ``warcio check`` and ArchiveIterator, rotation.
"""

from __future__ import annotations

import copy
import gzip
import subprocess
import zlib
from io import BytesIO

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import WARCWriter

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
from govcrawl.warc.rotation import WarcWriter, gzip_member

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
    buffer = BytesIO()
    WARCWriter(buffer, gzip=False, warc_version=WARC_VERSION).write_record(record)
    return buffer.getvalue()


def test_members_are_warcios_bytes_with_raw_header_bytes(tmp_path):
    writer = WarcWriter(tmp_path)
    records = sample_records()[1:]
    locations = writer.write_group(copy.deepcopy(records))
    writer.close()
    data = open(writer.closed_files[0], "rb").read()
    for record, location in zip(records, locations, strict=True):
        member = zlib.decompressobj(zlib.MAX_WBITS + 16).decompress(data[location.offset:][:location.length])
        assert member == warcio_bytes(record)
    assert 'filename="年报.pdf"'.encode("gbk") in zlib.decompressobj(31).decompress(
        data[locations[0].offset:][:locations[0].length]), "header bytes stored as received, not %-encoded"


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
