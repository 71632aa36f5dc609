"""warc/reader.py: captures read back from WARC files written by govcrawl's own writer and record builders."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pytest

from govcrawl.warc.reader import index_captures, iter_captures, load_capture, read_payload, warc_files
from govcrawl.warc.records import (
    PROFILE_SERVER_NOT_MODIFIED,
    build_metadata_record,
    build_request_record,
    build_response_record,
    build_revisit_record,
    new_record_id,
    payload_digest,
    response_http_headers,
)
from govcrawl.warc.rotation import WarcWriter

PAGE = "<html><body><div class=TRS_Editor><p>某某县2023年政府信息公开工作年度报告</p></div></body></html>".encode("gbk")
PDF = b"%PDF-1.4 fake attachment bytes"
DATE = "2026-11-22T10:00:00.000000Z"


def exchange(url: str, body: bytes, headers: list[tuple[str, str]], *, role: str | None = None,
             discovery: dict[str, Any] | None = None, date: str = DATE) -> tuple[list, str, str]:
    """(records, record id, digest) for one fetch, as the WARC middleware writes them."""
    record_id = new_record_id()
    digest = payload_digest(body)
    http = response_http_headers(status=200, protocol="HTTP/1.1",
                                 headers=[(k, [v]) for k, v in headers], body=body)
    records = [build_response_record(url=url, http_headers=http, body=body, date=date, digest=digest,
                                     record_id=record_id),
               build_request_record(url=url, method="GET", headers=[], body=b"", protocol="HTTP/1.1", date=date,
                                    concurrent_to=record_id)]
    if role:
        fields = dict(discovery or {}, role=role)
        records.append(build_metadata_record(url=url, date=date, concurrent_to=record_id, fields=fields))
    return records, record_id, digest


@pytest.fixture()
def archive(tmp_path: Path) -> dict[str, Any]:
    report_url = "http://127.0.0.1:8000/zfxxgknb/202403/t20240308_1.html"
    pdf_url = "http://127.0.0.1:8000/zfxxgknb/202403/P020240308.pdf"
    gz_body = gzip.compress(PAGE)
    discovery = {"list_url": "http://127.0.0.1:8000/zfxxgknb/index.html", "link_text": "某某县2023年…",
                 "link_title": "某某县2023年政府信息公开工作年度报告", "site": "county"}
    page, page_id, page_digest = exchange(
        report_url, gz_body, [("Content-Type", "text/html; charset=gbk"), ("Content-Encoding", "gzip"),
                              ("Content-Length", str(len(gz_body)))], role="report", discovery=discovery)
    pdf, pdf_id, _ = exchange(pdf_url, PDF, [("Content-Type", "application/pdf")], role="attachment",
                              discovery={"parent_url": report_url, "link_text": "附件"})
    listing, _, _ = exchange("http://127.0.0.1:8000/zfxxgknb/index.html", b"<html>list</html>",
                             [("Content-Type", "text/html")], role=None)
    with WarcWriter(tmp_path / "a", prefix="test") as writer:
        locations = writer.write_group(listing) + writer.write_group(page) + writer.write_group(pdf)
    # a later crawl: the page came back identical -> a revisit record, plus metadata
    revisit_id = new_record_id()
    http = response_http_headers(status=200, protocol="HTTP/1.1", headers=[("Content-Type", ["text/html; charset=gbk"]),
                                 ("Content-Encoding", ["gzip"])], body=gz_body)
    later = "2026-12-22T10:00:00.000000Z"
    revisit = [build_revisit_record(url=report_url, http_headers=http, date=later, record_id=revisit_id,
                                    digest=page_digest, refers_to_uri=report_url, refers_to_date=DATE),
               build_metadata_record(url=report_url, date=later, concurrent_to=revisit_id,
                                     fields=dict(discovery, role="report"))]
    with WarcWriter(tmp_path / "b", prefix="test") as writer:
        writer.write_group(revisit)
    return {"dir": tmp_path, "report_url": report_url, "pdf_url": pdf_url, "page_id": page_id, "pdf_id": pdf_id,
            "revisit_id": revisit_id, "digest": page_digest, "discovery": discovery,
            "page_location": locations[2], "gz_body": gz_body}


def test_gzip_payload_is_decoded_and_metadata_joined(archive: dict[str, Any]) -> None:
    captures = [c for c in iter_captures([archive["dir"] / "a"])]
    assert len(captures) == 1
    capture = captures[0]
    assert capture.url == archive["report_url"] and capture.body == PAGE  # Content-Encoding removed
    assert capture.content_type == "text/html; charset=gbk" and capture.status == 200
    assert capture.discovery == archive["discovery"]
    location = archive["page_location"]
    assert capture.warc == {"warc_filename": location.filename, "warc_offset": location.offset,
                            "warc_record_id": archive["page_id"], "payload_digest": archive["digest"],
                            "fetched_at": DATE}
    assert not capture.warc["warc_filename"].endswith(".open")
    (attachment,) = capture.attachments
    assert attachment.url == archive["pdf_url"] and attachment.body == PDF
    assert attachment.warc["warc_record_id"] == archive["pdf_id"]


def test_revisit_resolves_to_the_original_payload(archive: dict[str, Any]) -> None:
    captures = list(iter_captures([archive["dir"]]))
    # same URL: the original capture first, then the later revisit (date order)
    assert [c.warc["warc_record_id"] for c in captures] == [archive["page_id"], archive["revisit_id"]]
    revisit = next(c for c in captures if c.warc["warc_record_id"] == archive["revisit_id"])
    assert revisit.body == PAGE and revisit.warc["fetched_at"] == "2026-12-22T10:00:00.000000Z"
    assert revisit.warc["payload_digest"] == archive["digest"]


def test_order_is_by_url_then_record_id(archive: dict[str, Any]) -> None:
    refs = index_captures([archive["dir"]])
    keys = [r.sort_key for r in refs]
    assert keys == sorted(keys) and len(keys) == 2


def test_unclosed_truncated_file_yields_what_is_complete(archive: dict[str, Any], tmp_path: Path) -> None:
    (closed,) = warc_files([archive["dir"] / "a"])
    data = Path(closed).read_bytes()
    broken = tmp_path / "c" / "crashed.warc.gz.open"
    broken.parent.mkdir()
    broken.write_bytes(data + data[:len(data) // 3])  # a second copy cut mid-record
    refs = index_captures([broken])
    assert len(refs) >= 1
    capture = load_capture(refs[0])
    assert capture.body == PAGE and capture.warc["warc_filename"] == "crashed.warc.gz"
    damaged = tmp_path / "c" / "damaged.warc.gz"
    damaged.write_bytes(data[: len(data) // 2] + b"\x00garbage" * 10)
    with pytest.raises(ValueError, match="damaged WARC file"):
        index_captures([damaged])


def test_read_payload_checks_the_record_id(archive: dict[str, Any]) -> None:
    ref = index_captures([archive["dir"] / "a"])[0].record
    assert read_payload(ref) == PAGE
    wrong = type(ref)(**{**ref.__dict__, "record_id": "<urn:uuid:nope>"})
    with pytest.raises(ValueError, match="expected record"):
        read_payload(wrong)


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such WARC"):
        warc_files([tmp_path / "nothing-here"])
    assert warc_files([tmp_path]) == []
    assert os.path.isdir(tmp_path)


def test_server_not_modified_revisit_yields_no_capture(archive: dict[str, Any], tmp_path: Path) -> None:
    """A 304 re-validation produced no item in the crawl; archives written before the middleware stopped
    writing metadata for it must not rebuild one either."""
    report_url = archive["report_url"]
    revisit_id = new_record_id()
    http = response_http_headers(status=304, protocol="HTTP/1.1", headers=[("ETag", ['"v1"'])], body=b"")
    later = "2027-01-22T10:00:00.000000Z"
    with WarcWriter(tmp_path / "c", prefix="test") as writer:
        writer.write_group([
            build_revisit_record(url=report_url, http_headers=http, date=later, record_id=revisit_id,
                                 digest=archive["digest"], refers_to_uri=report_url, refers_to_date=DATE,
                                 profile=PROFILE_SERVER_NOT_MODIFIED),
            build_metadata_record(url=report_url, date=later, concurrent_to=revisit_id,
                                  fields=dict(archive["discovery"], role="report")),
        ])
    ids = [c.record.record_id for c in index_captures([archive["dir"]])]
    assert revisit_id not in ids and ids == [archive["page_id"], archive["revisit_id"]]
