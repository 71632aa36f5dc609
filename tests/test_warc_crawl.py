"""A real Scrapy crawl (subprocess, ``scrapy runspider``) against a real http.server on 127.0.0.1, archived
by WarcArchiveMiddleware; the WARC files are then read back with warcio and checked with ``warcio check``.
"""

from __future__ import annotations

import base64
import glob
import gzip
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

GBK_FILENAME = "2023年政府信息公开工作年度报告.pdf"
REPORT_HTML = ("<html><head><meta charset='utf-8'><title>2023年度报告</title></head><body><div class='content'>"
               + "一、总体情况。本年度主动公开政府信息1234条。" * 200 + "</div></body></html>").encode("utf-8")
GZIP_HTML = ("<html><body>" + "压缩的页面内容，政府信息公开。" * 300 + "</body></html>").encode("utf-8")
CHUNKS = [b"<html><body>", "分块传输的页面。".encode() * 100, b"<p>tail</p></body></html>"]


class ArchiveTestHandler(BaseHTTPRequestHandler):
    """Serves the trap pages: gzip, chunked, two Set-Cookie, GBK header bytes, query string, redirect, 404, 500."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None) -> None:
        self.send_response(status)
        for name, value in headers or []:
            self.send_header(name, value)
        if not any(name.lower() == "content-length" for name, _ in headers or []):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        html = [("Content-Type", "text/html; charset=utf-8")]
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private/\n", [("Content-Type", "text/plain")])
        elif path == "/gzip":
            self._send(200, gzip.compress(GZIP_HTML), html + [("Content-Encoding", "gzip")])
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for chunk in CHUNKS:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/cookies":
            self._send(200, b"<html>cookies</html>", html + [("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2; Path=/")])
        elif path == "/attachment":
            disposition = 'attachment; filename="' + GBK_FILENAME.encode("gbk").decode("latin-1") + '"'
            self._send(200, b"%PDF-1.4 fake but bytes", [("Content-Type", "application/pdf"),
                                                           ("Content-Disposition", disposition)])
        elif path.startswith("/search?"):
            self._send(200, ("<html>query " + path + "</html>").encode(), html)
        elif path == "/report":
            self._send(200, REPORT_HTML, html)
        elif path == "/redirect":
            self._send(302, b"", [("Location", "/report-final")])
        elif path == "/report-final":
            self._send(200, b"<html>final after redirect</html>", html)
        elif path == "/echo-accept-encoding":
            self._send(200, (self.headers.get("Accept-Encoding") or "").encode(), [("Content-Type", "text/plain")])
        elif path == "/etag":
            if self.headers.get("If-None-Match") == '"v1"':
                self._send(304, b"", [("ETag", '"v1"')])
            else:
                self._send(200, REPORT_HTML, html + [("ETag", '"v1"')])
        elif path == "/error":
            self._send(500, b"<html>server error</html>", html)
        else:
            self._send(404, b"<html>not found</html>", html)


@pytest.fixture(scope="module")
def trap_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ArchiveTestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


SPIDER_SOURCE = textwrap.dedent('''
    import base64, json, scrapy

    class WarcTestSpider(scrapy.Spider):
        name = "warc_test"
        custom_settings = {
            "DOWNLOADER_MIDDLEWARES": {"govcrawl.warc.middleware.WarcArchiveMiddleware": 950},
            "ROBOTSTXT_OBEY": True,
            "HTTPERROR_ALLOW_ALL": True,
            "RETRY_TIMES": 1,
            "LOG_LEVEL": "INFO",
            "TELNETCONSOLE_ENABLED": False,
            "DEFAULT_REQUEST_HEADERS": {"Accept-Encoding": "gzip, deflate, br, zstd"},
        }

        def __init__(self, base, out, paths, prior=None, refused=None, **kwargs):
            super().__init__(**kwargs)
            self.refused = refused
            self.base, self.out, self.paths = base, out, paths.split(",")
            self.prior = json.loads(prior) if prior else {}

        async def start(self):
            for path in self.paths:
                meta = {"govcrawl_role": "list"}
                if path in ("/report", "/attachment"):
                    meta = {"govcrawl_role": "report" if path == "/report" else "attachment",
                            "govcrawl_discovery": {"list_url": self.base + "/", "link_text": "2023年年报"}}
                    if path == "/attachment":
                        meta["govcrawl_parent_url"] = self.base + "/report"
                headers = {}
                if path in self.prior:
                    meta["govcrawl_prior"] = self.prior[path]
                    if self.prior[path].get("etag"):
                        headers["If-None-Match"] = self.prior[path]["etag"]
                yield scrapy.Request(self.base + path, meta=meta, headers=headers, dont_filter=True)
            if self.refused:  # nothing listens there: a download error, archived as nothing
                yield scrapy.Request(self.refused, dont_filter=True)

        async def parse(self, response):
            ref = await response.meta["warc_ref"].wait()
            with open(self.out, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({
                    "url": response.url, "status": response.status,
                    "body": base64.b64encode(response.body).decode(),
                    "ref": ref.as_dict(), "record_type": ref.record_type,
                }) + "\\n")
''')


def run_crawl(base: str, tmp: Path, paths: list[str], *, archive: Path, extra: list[str] | None = None,
              prior: dict | None = None) -> tuple[list[dict], str]:
    """Run the test spider in a subprocess; return what the spider saw and the crawl log."""
    spider_file = tmp / "warc_test_spider.py"
    spider_file.write_text(SPIDER_SOURCE, encoding="utf-8")
    seen_file = tmp / f"seen-{len(list(tmp.glob('seen-*')))}.jsonl"
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(spider_file), "-a", f"base={base}",
           "-a", f"out={seen_file}", "-a", "paths=" + ",".join(paths),
           "-s", f"GOVCRAWL_ARCHIVE_DIR={archive}", "-s", "GOVCRAWL_OPERATOR=govcrawl tests",
           "-s", "GOVCRAWL_CONTACT=tests@example.org"]
    if prior:
        cmd += ["-a", "prior=" + json.dumps(prior)]
    cmd += extra or []
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = [json.loads(line) for line in seen_file.read_text(encoding="utf-8").splitlines()]
    return seen, proc.stderr


PATHS = ["/gzip", "/chunked", "/cookies", "/attachment", "/search?q=%E5%B9%B4%E6%8A%A5&page=2", "/report",
         "/redirect", "/missing", "/error", "/echo-accept-encoding"]


@pytest.fixture(scope="module")
def crawl(trap_server, tmp_path_factory, read_warc):
    """One crawl of the trap server; every test below reads its archive."""
    tmp = tmp_path_factory.mktemp("warc_crawl")
    archive = tmp / "archive"
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{sock.getsockname()[1]}/refused"
    seen, log = run_crawl(trap_server, tmp, PATHS, archive=archive, extra=["-a", f"refused={refused}"])
    files = sorted(glob.glob(str(archive / "*.warc.gz")))
    records = {path: read_warc(path) for path in files}
    return {"base": trap_server, "archive": archive, "seen": seen, "log": log, "files": files,
            "records": records, "tmp": tmp}


def responses_by_path(crawl: dict) -> dict[str, list[tuple[str, Any]]]:
    """Path on the test server -> [(WARC file, StoredRecord)] of its response and revisit records."""
    found: dict[str, list[tuple[str, Any]]] = {}
    for path, records in crawl["records"].items():
        for record in records:
            if record.type in ("response", "revisit"):
                found.setdefault(record.uri[len(crawl["base"]):], []).append((path, record))
    return found


def test_files_closed_named_and_open_with_warcinfo(crawl):
    archive = crawl["archive"]
    assert not list(archive.glob("*.open")), "a clean run must leave no .open file"
    assert crawl["files"]
    pattern = re.compile(r"^govcrawl-\d{17}-\d{5}-[^-]+-\d+\.warc\.gz$")
    for path in crawl["files"]:
        assert pattern.match(os.path.basename(path)), path
        first = crawl["records"][path][0]
        assert first.type == "warcinfo"
        info = first.raw.decode()
        assert "format: WARC File Format 1.1" in info and "robots: obey" in info
        assert "operator: govcrawl tests <tests@example.org>" in info and "software: govcrawl/" in info
        assert first.headers.protocol == "WARC/1.1"


def test_every_fetch_archived_with_adjacent_request(crawl):
    by_path = responses_by_path(crawl)
    for path in PATHS + ["/robots.txt", "/report-final"]:
        assert path in by_path, f"{path} not archived"
    assert len(by_path["/error"]) == 2, "the 500 and its retry are both archived"
    assert by_path["/missing"][0][1].http.get_statuscode() == "404"
    redirect = by_path["/redirect"][0][1].http
    assert redirect.get_statuscode() == "302" and redirect.get_header("Location") == "/report-final"
    for records in crawl["records"].values():
        for index, record in enumerate(records):
            if record.type != "response":
                continue
            request = records[index + 1]
            assert request.type == "request"
            assert request.headers.get_header("WARC-Concurrent-To") == record.headers.get_header("WARC-Record-ID")
            assert request.headers.get_header("WARC-Target-URI") == record.headers.get_header("WARC-Target-URI")
            assert request.headers.get_header("WARC-Date") == record.headers.get_header("WARC-Date")
            assert record.headers.get_header("WARC-IP-Address") == "127.0.0.1"
            assert record.digest_ok is True, record.headers
    stats_records = int(re.search(r"'warc/records': (\d+)", crawl["log"]).group(1))
    assert stats_records == sum(len(records) for records in crawl["records"].values())
    assert int(re.search(r"'warc/files': (\d+)", crawl["log"]).group(1)) == len(crawl["files"])
    assert int(re.search(r"'warc/download_errors': (\d+)", crawl["log"]).group(1)) == 4, \
        "the refused page and that host's robots.txt, each retried once"
    assert not any("/refused" in uri for uri in responses_by_path(crawl))
    assert int(re.search(r"'warc/bytes': (\d+)", crawl["log"]).group(1)) == sum(map(os.path.getsize, crawl["files"]))


def test_warcio_check_passes_digests(crawl):
    proc = subprocess.run(["warcio", "check", "-v", *crawl["files"]], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    records = sum(len(records) for records in crawl["records"].values())
    assert out.count("digest pass") == records, out[:3000]
    assert "fail" not in out and "no digest" not in out, out[:3000]


def test_gzip_stored_raw_and_decodes_to_what_spider_saw(crawl):
    _, record = responses_by_path(crawl)["/gzip"][0]
    assert record.http.get_header("Content-Encoding") == "gzip"
    assert record.raw[:2] == b"\x1f\x8b", "the payload is stored as sent (compressed)"
    assert int(record.http.get_header("Content-Length")) == len(record.raw)
    seen = next(s for s in crawl["seen"] if s["url"].endswith("/gzip"))
    spider_body = base64.b64decode(seen["body"])
    assert spider_body == GZIP_HTML
    assert record.decoded() == spider_body == gzip.decompress(record.raw)


def test_chunked_round_trip(crawl):
    _, record = responses_by_path(crawl)["/chunked"][0]
    http = record.http
    assert http.get_header("X-Orig-Transfer-Encoding") == "chunked"
    assert http.get_header("Transfer-Encoding") is None
    assert int(http.get_header("Content-Length")) == len(b"".join(CHUNKS))
    assert record.raw == b"".join(CHUNKS) == record.decoded()
    seen = next(s for s in crawl["seen"] if s["url"].endswith("/chunked"))
    assert base64.b64decode(seen["body"]) == record.raw, "the archive holds the body the spider saw"


def test_repeated_headers_and_gbk_bytes_kept(crawl):
    http = responses_by_path(crawl)["/cookies"][0][1].http
    cookies = [value for name, value in http.headers if name.lower() == "set-cookie"]
    assert cookies == ["a=1; Path=/", "b=2; Path=/"]
    path, record = responses_by_path(crawl)["/attachment"][0]
    disposition = record.http.get_header("Content-Disposition")
    assert disposition.encode("latin-1").decode("gbk") == f'attachment; filename="{GBK_FILENAME}"'
    raw_file = gzip.decompress(Path(path).read_bytes())
    assert GBK_FILENAME.encode("gbk") in raw_file, "the GBK bytes are stored as received"


def test_request_line_has_query_and_protocol(crawl):
    for path, records in crawl["records"].items():
        for record in records:
            if record.type == "request" and "/search" in record.uri:
                assert record.http.get_header("Host") == crawl["base"].split("//")[1]
                assert (record.http.protocol, record.http.statusline) == (
                    "GET", "/search?q=%E5%B9%B4%E6%8A%A5&page=2 HTTP/1.1")
                raw_file = gzip.decompress(Path(path).read_bytes())
                line = b"\r\nGET /search?q=%E5%B9%B4%E6%8A%A5&page=2 HTTP/1.1\r\n"
                assert raw_file.count(line) == 1, "request line keeps path, query string and protocol"
                return
    pytest.fail("no request record for /search")


def test_accept_encoding_only_decodable(crawl):
    advertised = base64.b64decode(next(s for s in crawl["seen"] if s["url"].endswith("/echo-accept-encoding"))["body"])
    codings = [token.strip() for token in advertised.decode().split(",")]
    assert "zstd" not in codings and "gzip" in codings and "deflate" in codings
    try:
        import brotli  # noqa: F401
        assert "br" in codings
    except ImportError:
        assert "br" not in codings


def test_metadata_records_for_report_and_attachment(crawl):
    metadata = []
    for records in crawl["records"].values():
        for index, record in enumerate(records):
            if record.type == "metadata":
                metadata.append((records, index, record))
    roles = {}
    for records, index, record in metadata:
        assert record.headers.get_header("Content-Type") == "application/json"
        body = json.loads(record.raw)
        roles[body["role"]] = body
        response = records[index - 2]
        assert response.type == "response"
        assert record.headers.get_header("WARC-Concurrent-To") == response.headers.get_header("WARC-Record-ID")
        page = response.headers.get_header("WARC-Target-URI")
        assert record.headers.get_header("WARC-Target-URI") == "metadata://" + page
    assert set(roles) == {"report", "attachment"}
    assert roles["report"]["link_text"] == "2023年年报" and roles["report"]["list_url"] == crawl["base"] + "/"
    assert roles["attachment"]["parent_url"] == crawl["base"] + "/report"


def test_warc_ref_points_at_the_response(crawl, read_warc):
    for seen in crawl["seen"]:
        ref = seen["ref"]
        (record,) = read_warc(crawl["archive"] / ref["warc_filename"], ref["warc_offset"])
        assert record.id == ref["warc_record_id"]
        assert record.headers.get_header("WARC-Payload-Digest") == ref["payload_digest"]
        expected = "sha1:" + base64.b32encode(hashlib.sha1(record.raw).digest()).decode()
        assert ref["payload_digest"] == expected
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", ref["fetched_at"])


def test_rotation_small_max_size(trap_server, tmp_path, read_warc):
    archive = tmp_path / "archive"
    seen, _ = run_crawl(trap_server, tmp_path, PATHS, archive=archive,
                        extra=["-s", "GOVCRAWL_WARC_MAX_SIZE=3000", "-s", "CONCURRENT_REQUESTS=4"])
    files = sorted(glob.glob(str(archive / "*.warc.gz")))
    assert len(files) >= 4 and not list(archive.glob("*.open"))
    serials = [int(os.path.basename(f).split("-")[2]) for f in files]
    assert len(set(serials)) == len(files)
    total_responses = 0
    for path in files:
        records = read_warc(path)
        assert records[0].type == "warcinfo"
        assert sum(r.type == "warcinfo" for r in records) == 1
        for index, record in enumerate(records):
            if record.type == "response":
                total_responses += 1
                assert records[index + 1].type == "request", "a response and its request never split by rotation"
    assert total_responses == len(PATHS) + 3  # + robots.txt, redirect target, retried 500
    for path in files[:-1]:
        # a file is closed as soon as it passes the limit: everything but its last group fits under it
        assert os.path.getsize(path) >= 3000


def test_crawl_repairs_open_files_left_by_a_crash(trap_server, tmp_path, read_warc):
    from test_warc_repair import make_closed_file

    from govcrawl.warc.rotation import safe_hostname

    closed = make_closed_file(tmp_path / "src", count=3)
    archive = tmp_path / "archive"
    archive.mkdir()
    dead_name = f"govcrawl-20260101000000000-00001-{safe_hostname()}-4999999.warc.gz"  # pid above pid_max
    (archive / (dead_name + ".open")).write_bytes(closed.read_bytes()[:-25])
    _, log = run_crawl(trap_server, tmp_path, ["/report"], archive=archive)
    assert "repaired WARC file left by a crash" in log
    assert not list(archive.glob("*.open"))
    assert [r.type for r in read_warc(archive / dead_name)] == ["warcinfo"] + ["response", "request"] * 2 + [
        "response"]
