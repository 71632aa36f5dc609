"""WarcWriter (.open -> rename, rotation, thread safety) and repair of crashed files:
truncated copies, a writer process killed with SIGKILL, ``govcrawl repair`` on the command line.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from govcrawl.warc import WarcRef, WarcWriter, repair_directory, repair_open_file
from govcrawl.warc.records import (
    build_request_record,
    build_response_record,
    new_record_id,
    payload_digest,
    response_http_headers,
    warc_date,
)


def exchange(index: int, size: int = 4000) -> tuple[list, WarcRef]:
    """A response + request record pair for a made-up page, and the ref for the response."""
    body = (f"<html>page {index} ".encode() + os.urandom(size // 2).hex().encode())[:size]
    now = warc_date(datetime.now(UTC))
    record_id = new_record_id()
    url = f"http://127.0.0.1/page/{index}?x=1"
    http = response_http_headers(status=200, protocol="HTTP/1.1", headers=[(b"Content-Type", [b"text/html"])],
                                 body=body)
    response = build_response_record(url=url, http_headers=http, body=body, date=now, digest=payload_digest(body),
                                     record_id=record_id)
    request = build_request_record(url=url, method="GET", headers=[], body=b"", protocol="HTTP/1.1", date=now,
                                   concurrent_to=record_id)
    ref = WarcRef(warc_record_id=record_id, payload_digest=payload_digest(body), fetched_at=now, url=url)
    return [response, request], ref


def record_types(path: str | Path) -> list[str]:
    with open(path, "rb") as handle:
        return [record.rec_type for record in ArchiveIterator(handle, check_digests="raise")]


def warcio_check(*paths: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(["warcio", "check", "-v", *map(str, paths)], capture_output=True, text=True)


def test_open_file_renamed_on_close(tmp_path):
    writer = WarcWriter(tmp_path, prefix="t")
    writer.write_group(exchange(1)[0])
    open_path = writer.current_path
    assert open_path.endswith(".warc.gz.open") and os.path.exists(open_path)
    writer.close()
    assert not os.path.exists(open_path) and os.path.exists(open_path[:-5])
    assert record_types(open_path[:-5]) == ["warcinfo", "response", "request"]
    writer.close()  # idempotent


def test_rotation_and_thread_safety(tmp_path):
    writer = WarcWriter(tmp_path, max_size=20_000)
    threads = [threading.Thread(target=lambda i=i: [writer.write_group(exchange(i * 100 + k)[0]) for k in range(10)])
               for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) > 3 and not list(tmp_path.glob("*.open"))
    responses = 0
    for path in files:
        types = record_types(path)
        assert types[0] == "warcinfo" and types.count("warcinfo") == 1
        assert types[1:] == ["response", "request"] * ((len(types) - 1) // 2), "groups never interleave or split"
        responses += types.count("response")
    assert responses == 40
    for path in files[:-1]:
        assert path.stat().st_size >= 20_000
    assert warcio_check(*files).returncode == 0


def make_closed_file(directory: Path, count: int = 5) -> Path:
    writer = WarcWriter(directory)
    for index in range(count):
        writer.write_group(exchange(index)[0])
    writer.close()
    return Path(writer.closed_files[0])


@pytest.mark.parametrize("cut", [1, 37, 200])
def test_repair_truncated_file(tmp_path, cut):
    closed = make_closed_file(tmp_path / "src")
    full = closed.read_bytes()
    broken = tmp_path / (closed.name + ".open")
    broken.write_bytes(full[:-cut])  # the last record (a request) is incomplete
    report = repair_open_file(broken)
    assert report.path == str(tmp_path / closed.name) and not broken.exists()
    assert report.records_kept == 10 and report.bytes_cut > 0
    assert record_types(report.path) == ["warcinfo"] + ["response", "request"] * 4 + ["response"]
    assert warcio_check(report.path).returncode == 0


def test_repair_complete_file_keeps_everything_and_garbage_file_is_removed(tmp_path):
    closed = make_closed_file(tmp_path / "src", count=2)
    intact = tmp_path / (closed.name + ".open")
    shutil.copy(closed, intact)
    report = repair_open_file(intact)
    assert report.bytes_cut == 0 and report.records_kept == 5
    garbage = tmp_path / "govcrawl-x.warc.gz.open"
    garbage.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    assert repair_open_file(garbage).removed and not garbage.exists()
    with pytest.raises(ValueError, match="not an .open WARC file"):
        repair_open_file(closed)


WRITER_SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from test_warc_repair import exchange
    from govcrawl.warc import WarcWriter
    writer = WarcWriter({directory!r}, fsync_interval=-1)
    index = 0
    while True:
        writer.write_group(exchange(index, size=60000)[0])
        index += 1
        if index == 20:
            print("ready", flush=True)
""")


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.3])
def test_sigkilled_writer_is_repaired(tmp_path, delay):
    directory = tmp_path / "archive"
    script = WRITER_SCRIPT.format(tests=str(Path(__file__).parent), directory=str(directory))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    open_files = list(directory.glob("*.open"))
    assert len(open_files) == 1
    reports = repair_directory(directory)  # the writer is dead, so the file is repaired
    assert len(reports) == 1 and reports[0].records_kept >= 41
    assert not list(directory.glob("*.open"))
    result = warcio_check(reports[0].path)
    assert result.returncode == 0 and "digest pass" in result.stdout
    types = record_types(reports[0].path)
    assert types[0] == "warcinfo" and len(types) == reports[0].records_kept


def test_repair_skips_files_of_live_writers(tmp_path):
    writer = WarcWriter(tmp_path)
    writer.write_group(exchange(1)[0])
    assert repair_directory(tmp_path) == [], "this process still writes it"
    writer.close()


def test_repair_cli(tmp_path):
    closed = make_closed_file(tmp_path / "src", count=3)
    (tmp_path / "archive").mkdir()
    broken = tmp_path / "archive" / (closed.name + ".open")
    broken.write_bytes(closed.read_bytes()[:-10])
    proc = subprocess.run([sys.executable, "-m", "govcrawl.cli", "repair", str(tmp_path / "archive")],
                          capture_output=True, text=True)
    assert "skipped, its writer" in proc.stdout, "the pid in the name (this test process) is alive"
    proc = subprocess.run([sys.executable, "-m", "govcrawl.cli", "repair", "--force", str(tmp_path / "archive")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "kept 6 records" in proc.stdout
    assert (tmp_path / "archive" / closed.name).exists()
    proc = subprocess.run([sys.executable, "-m", "govcrawl.cli", "repair", str(tmp_path / "archive")],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "no .warc.gz.open files found" in proc.stdout


ZOMBIE_SCRIPT = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {tests!r})
    from test_warc_repair import exchange
    from govcrawl.warc import WarcWriter
    writer = WarcWriter({directory!r}, fsync_interval=-1)
    writer.write_group(exchange(0)[0])
    print(writer.current_path, flush=True)
    sys.stdin.readline()
    os._exit(0)  # dies without closing: the .open file stays behind
""")


def _proc_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_bytes().rpartition(b")")[2].split()[0].decode()


def test_repair_treats_zombie_writer_as_dead(tmp_path):
    """A writer that exited but was not reaped (a zombie) still answers kill(pid, 0): its file is repaired."""
    from govcrawl.warc.repair import _writer_alive

    directory = tmp_path / "archive"
    script = ZOMBIE_SCRIPT.format(tests=str(Path(__file__).parent), directory=str(directory))
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        open_path = proc.stdout.readline().strip()
        assert open_path.endswith(f"-{proc.pid}.warc.gz.open")
        assert _writer_alive(open_path), "the writer is running"
        assert repair_directory(directory) == [], "a running writer's file is left alone"
        proc.stdin.write("exit\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 20
        while _proc_state(proc.pid) != "Z":  # exited, not reaped: we have not called wait()/poll()
            assert time.monotonic() < deadline, "child did not exit"
            time.sleep(0.02)
        os.kill(proc.pid, 0)  # a zombie still "exists" for kill(pid, 0) ...
        assert not _writer_alive(open_path)  # ... but writes nothing any more
        reports = repair_directory(directory)
        assert len(reports) == 1 and reports[0].records_kept == 3 and not reports[0].removed
        assert _proc_state(proc.pid) == "Z", "still a zombie while repairing"
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.wait()
    assert not list(directory.glob("*.open"))
    assert warcio_check(reports[0].path).returncode == 0
