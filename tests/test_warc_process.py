"""The writer process: records built from plain specs in another process are the bytes warcio's WARCWriter writes
for the same records built here; refs resolve at their record's offset; errors reach the refs; the process writes
what it received and closes its file when its parent dies, and never outlives it.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import zlib
from concurrent.futures.process import BrokenProcessPool
from io import BytesIO
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from govcrawl.warc import ProcessWarcWriter, WarcRef, WarcWriter
from govcrawl.warc.records import WARC_VERSION, build_records, new_record_id, payload_digest

BODY = "<html><p>政府信息公开工作年度报告</p></html>".encode() * 40
DATE = "2026-11-22T20:00:00.123456Z"


def specs(index: int, record_id: str | None = None) -> list[tuple[str, dict]]:
    """A response + request + metadata group, as the middleware describes it."""
    rid = record_id or new_record_id()
    url = f"http://127.0.0.1/nb/{index}.html?a=1"
    gbk = 'attachment; filename="年报.pdf"'.encode("gbk")
    http = {"status": 200, "protocol": "HTTP/1.1", "body": BODY, "method": "GET", "rendered": False,
            "headers": [(b"Content-Type", [b"text/html"]), (b"Content-Disposition", [gbk]),
                        (b"Set-Cookie", [b"a=1", b"b=2"])]}
    return [
        ("response", {"url": url, "http_headers": http, "body": BODY, "date": DATE, "digest": payload_digest(BODY),
                      "record_id": rid, "ip_address": "127.0.0.1", "truncated": None, "rendered_by": None}),
        ("request", {"url": url, "method": "GET", "headers": [(b"X", [b"1", b"2"])], "body": b"",
                     "protocol": "HTTP/1.1", "date": DATE, "concurrent_to": rid, "record_id": f"<urn:uuid:req-{index}>"}),
        ("metadata", {"url": url, "date": DATE, "concurrent_to": rid,
                      "body": '{"link_text": "2023年年报", "role": "report"}'.encode()}),
    ]


def members(path: str) -> list[bytes]:
    """The decompressed gzip members of a WARC file, one per record."""
    data = Path(path).read_bytes()
    out = []
    while data:
        decompressor = zlib.decompressobj(31)
        out.append(decompressor.decompress(data))
        data = decompressor.unused_data
    return out


def without_record_id(member: bytes) -> bytes:
    return b"\r\n".join(line for line in member.split(b"\r\n") if not line.startswith(b"WARC-Record-ID:"))


def submit(writer: ProcessWarcWriter, group: list[tuple[str, dict]]) -> WarcRef:
    """Submit a group; the ref of its first record (what the middleware does)."""
    ref = WarcRef(warc_record_id=group[0][1].get("record_id", ""), payload_digest=payload_digest(BODY),
                  fetched_at=DATE)
    ref.future = writer.submit(group)
    return ref


def test_process_writer_writes_warcios_bytes_and_resolves_refs(tmp_path):
    written: list = []
    opened: list = []
    process = ProcessWarcWriter(tmp_path / "p", prefix="p", on_written=written.extend, on_file_opened=opened.append)
    here = WarcWriter(tmp_path / "t", prefix="t")
    refs = []
    for index in range(30):
        rid = new_record_id()
        refs.append(submit(process, specs(index, rid)))
        here.write_group(build_records(specs(index, rid)))
    for ref in refs:
        assert ref.result(30).warc_offset > 0
    process.close()
    here.close()
    (path,) = process.closed_files
    (here_path,) = here.closed_files
    assert not list((tmp_path / "p").glob("*.open"))
    ours, theirs = members(path), members(here_path)
    assert len(ours) == len(theirs) == 1 + 30 * 3
    # warcinfo differs by file name only; metadata record ids are random: everything else is byte-identical
    for mine, other in zip(ours[1:], theirs[1:], strict=True):
        assert without_record_id(mine) == without_record_id(other)
    # and the member is what warcio's own WARCWriter writes for the record
    buffer = BytesIO()
    WARCWriter(buffer, gzip=False, warc_version=WARC_VERSION).write_record(
        build_records(specs(0, refs[0].warc_record_id))[0])
    assert ours[1] == buffer.getvalue()
    assert len(written) == 30 * 3 and len(opened) == 1 and opened[0].offset == 0
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle, check_digests="raise")
        by_offset = {}
        for record in iterator:
            record.content_stream().read()
            by_offset[iterator.get_record_offset()] = record.rec_headers.get_header("WARC-Record-ID")
    for ref in refs:
        assert ref.warc_filename == os.path.basename(path)
        assert by_offset[ref.warc_offset] == ref.warc_record_id
        assert ref.as_dict()["warc_offset"] == ref.warc_offset == ref["warc_offset"]
        assert pickle.loads(pickle.dumps(ref)).as_dict() == ref.as_dict()


def test_waiting_on_a_buffered_group_hands_it_to_the_writer(tmp_path):
    """A ``flush=False`` group waits for the flush the reactor schedules; a thread blocking on its ref (the
    catalog's final flush on spider_closed runs on the reactor thread) must not wait for that flush forever."""
    process = ProcessWarcWriter(tmp_path / "p", prefix="p")
    refs = []
    for index in range(3):
        group = specs(index)
        ref = WarcRef(warc_record_id=group[0][1]["record_id"], payload_digest=payload_digest(BODY), fetched_at=DATE)
        ref.future = process.submit(group, flush=False)
        refs.append(ref)
    started = time.monotonic()
    assert refs[-1].result(20).warc_offset > 0  # no flush() called: the wait itself hands the groups over
    assert time.monotonic() - started < 10
    assert all(ref.done() and ref.error is None for ref in refs)
    process.close()


def test_process_writer_errors_reach_refs_and_writing_goes_on(tmp_path):
    process = ProcessWarcWriter(tmp_path)
    bad = submit(process, [("no-such-record", {})])  # fails in the writer process
    with pytest.raises(AttributeError, match="pickle"):  # fails here, at once
        process.submit([("metadata", {"body": lambda: None})])
    good = submit(process, specs(1))
    with pytest.raises(KeyError):
        bad.result(30)
    assert bad.done() and isinstance(bad.error, KeyError) and bad.warc_offset is None
    assert good.result(30).warc_offset > 0
    process.close()
    assert process.errors == 1 and len(process.closed_files) == 1


def test_specs_are_taken_as_submitted(tmp_path):
    """Scrapy may change a request's header lists after the middleware handed them over: the record keeps them
    as they were at submit time."""
    process = ProcessWarcWriter(tmp_path)
    group = specs(0)
    cookies = [b"session=1"]
    group[1][1]["headers"] = [(b"Cookie", cookies)]
    ref = submit(process, group)
    cookies.clear()  # what happens to the live list of a Scrapy Headers object
    ref.result(30)
    process.close()
    with open(process.closed_files[0], "rb") as handle:
        (request,) = [r for r in ArchiveIterator(handle) if r.rec_type == "request"]
        assert request.http_headers.get_header("Cookie") == "session=1"


def test_process_writer_death_fails_pending_and_later_refs(tmp_path):
    process = ProcessWarcWriter(tmp_path)
    submit(process, specs(0)).result(30)
    os.kill(process.worker_pid(), signal.SIGKILL)
    with pytest.raises(BrokenProcessPool):
        for index in range(1, 200):  # the executor notices the death a moment later
            submit(process, specs(index)).result(10)
    with pytest.raises(BrokenProcessPool):
        process.submit(specs(1000))
    process.close(timeout=10)
    assert list(tmp_path.glob("*.open")), "the dead writer's file is left for repair"


PARENT = textwrap.dedent("""
    import os, sys
    from govcrawl.warc import ProcessWarcWriter
    sys.path.insert(0, {tests!r})
    from test_warc_process import specs
    writer = ProcessWarcWriter({archive!r})
    print(writer.worker_pid(), flush=True)
    futures = [writer.submit(specs(index)) for index in range(200)]
    futures[150].result(30)
    os._exit(0)  # dies without closing: no atexit, no close message
""")


def test_writer_process_finishes_and_exits_when_its_parent_dies(tmp_path):
    archive = tmp_path / "archive"
    code = PARENT.format(tests=str(Path(__file__).parent), archive=str(archive))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    pid = int(proc.stdout.split()[0])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the writer process outlived its parent")
    assert not list(archive.glob("*.open"))
    (path,) = archive.glob("*.warc.gz")
    with open(path, "rb") as handle:
        types = [record.rec_type for record in ArchiveIterator(handle)]
    # every group it received, in a closed file (groups still queued in the parent died with it)
    assert len(types) >= 1 + 151 * 3 and types == ["warcinfo"] + ["response", "request", "metadata"] * (len(types) // 3)
