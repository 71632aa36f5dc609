"""Small CLI conventions (issue 12): a closed pipe ends quietly; Ctrl-C stops a crawl gracefully, twice hard;
decompression bombs refused by ``govcrawl parse`` with one clear line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govcrawl.catalog import Catalog
from tests.fault_portal import W_NS, FaultPortal, docx, pdf_bomb
from tests.test_catalog import make_item

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
SLOW = ["-s", "DOWNLOAD_DELAY=0.5", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_TIMEOUT=4"]


def govcrawl(*args: str) -> list[str]:
    return [sys.executable, "-m", "govcrawl.cli", *args]


def test_export_into_a_closed_pipe_ends_quietly_with_the_sigpipe_status(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    with Catalog(path) as catalog:
        run = catalog.start_run()
        for n in range(400):  # far more CSV than a pipe buffer holds
            catalog.upsert_report(make_item(f"http://a.example/{n}.html"), run_id=run)
    process = subprocess.Popen(govcrawl("export", "--catalog", str(path), "--format", "csv", "-o", "-",
                                        "--no-progress"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    assert process.stdout is not None and process.stdout.readline()  # `| head -1`: read a line, then close
    process.stdout.close()
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert process.wait(timeout=60) == 141, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


@pytest.mark.parametrize("kind", ["docx", "pdf"])
def test_parse_refuses_a_decompression_bomb_with_one_line(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"bomb.{kind}"
    path.write_bytes(docx(f"<w:document {W_NS}/>".encode(), bomb_megabytes=100) if kind == "docx"
                     else pdf_bomb(100))
    started = time.monotonic()
    done = subprocess.run(govcrawl("parse", str(path)), capture_output=True, text=True, env=ENV, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    limit = "zip_member" if kind == "docx" else "pdf_stream"
    assert done.stderr.count("\n") == 1 and f"GOVCRAWL_LIMIT_{limit.upper()}" in done.stderr, done.stderr
    assert time.monotonic() - started < 60


def _start_crawl(portal: FaultPortal, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(govcrawl("crawl", "--start-urls", portal.column, "--fast-local", *SLOW,
                                     "-s", f"GOVCRAWL_ARCHIVE_DIR={out}", "-s", f"GOVCRAWL_STATS_FILE={out}/stats.json",
                                     "-o", str(out / "items.jsonl")),
                            stdout=open(out / "crawl.log", "w"), stderr=subprocess.STDOUT, text=True, env=ENV)


def _wait_for_requests(portal: FaultPortal, process: subprocess.Popen[str], count: int) -> None:
    deadline = time.monotonic() + 120
    while len(portal.requests) < count:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.1)


def test_ctrl_c_stops_a_crawl_gracefully(tmp_path: Path) -> None:
    with FaultPortal() as portal:
        process = _start_crawl(portal, tmp_path)
        _wait_for_requests(portal, process, 5)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
        output = (tmp_path / "crawl.log").read_text()
        requests_at_end = len(portal.requests)
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["finish_reason"] == "shutdown", output[-2000:]
    assert "shutting down gracefully" in output and "Traceback" not in output
    assert requests_at_end < 40  # stopped long before the column's 45 reports were all fetched
    assert not list(tmp_path.glob("*.warc.gz.open"))  # the WARC file was closed
    assert list(tmp_path.glob("*.warc.gz"))


def test_a_second_ctrl_c_stops_it_hard(tmp_path: Path) -> None:
    with FaultPortal() as portal:
        process = _start_crawl(portal, tmp_path)
        _wait_for_requests(portal, process, 5)
        process.send_signal(signal.SIGINT)
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        process.wait(timeout=60)
        output = (tmp_path / "crawl.log").read_text()
    assert time.monotonic() - started < 30
    assert "forcing unclean shutdown" in output, output[-2000:]
