"""Revisit records (identical payload, 304 server-not-modified), ``govcrawl index`` (CDXJ), and replay with
pywb on 127.0.0.1 over two real crawls' WARC files: a full capture, then a revisit of the same payload.

pywb's pins clash with playwright/redis, so it runs from its own venv: $GOVCRAWL_PYWB_VENV (scripts/test makes
it), else /tmp/pywbvenv if present, else a
venv created here with ``python -m venv`` + ``pip install pywb`` (needs PyPI).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_warc_crawl import REPORT_HTML, run_crawl, trap_server  # noqa: F401

PYWB_VENV = Path(os.environ.get("GOVCRAWL_PYWB_VENV", "/tmp/pywbvenv"))


@pytest.fixture(scope="module")
def two_crawls(trap_server, tmp_path_factory):  # noqa: F811 - pytest fixture from test_warc_crawl
    """First crawl: full captures. Second crawl, with govcrawl_prior from the first: revisits."""
    tmp = tmp_path_factory.mktemp("warc_replay")
    archive = tmp / "archive"
    paths = ["/report", "/etag", "/chunked"]
    first_seen, _ = run_crawl(trap_server, tmp, paths, archive=archive)
    prior = {}
    for seen in first_seen:
        path = seen["url"][len(trap_server):]
        prior[path] = {"payload_digest": seen["ref"]["payload_digest"], "uri": seen["url"],
                       "date": seen["ref"]["fetched_at"]}
    prior["/etag"]["etag"] = '"v1"'
    prior["/chunked"]["payload_digest"] = "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"  # "changed": full capture again
    time.sleep(1.1)  # distinct 14-digit timestamps for the replay lookup
    second_seen, log = run_crawl(trap_server, tmp, paths, archive=archive, prior=prior)
    return {"base": trap_server, "archive": archive, "first": first_seen, "second": second_seen, "log": log,
            "prior": prior, "tmp": tmp}


def test_identical_payload_written_as_revisit(two_crawls, read_warc):
    base = two_crawls["base"]
    records = read_warc(two_crawls["archive"])
    report = [r for r in records if r.uri == base + "/report" and r.type in ("response", "revisit")]
    assert [r.type for r in report] == ["response", "revisit"]
    revisit = report[1]
    headers = revisit.headers
    prior = two_crawls["prior"]["/report"]
    assert headers.get_header("WARC-Profile") == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    assert headers.protocol == "WARC/1.1"
    assert headers.get_header("WARC-Payload-Digest") == prior["payload_digest"]
    assert headers.get_header("WARC-Refers-To-Target-URI") == base + "/report"
    assert headers.get_header("WARC-Refers-To-Date") == prior["date"]
    assert revisit.http.get_statuscode() == "200" and revisit.http.get_header("Content-Type")
    assert revisit.raw == b"", "a revisit stores headers only"
    assert revisit.digest_ok is not False
    second = next(s for s in two_crawls["second"] if s["url"].endswith("/report"))
    assert second["record_type"] == "revisit"
    # the changed page got a full response again
    chunked = [r.type for r in records if r.uri == base + "/chunked" and r.type in ("response", "revisit")]
    assert chunked == ["response", "response"]
    assert "'warc/revisits': 2" in two_crawls["log"]


def test_304_written_as_server_not_modified_revisit(two_crawls, read_warc):
    base = two_crawls["base"]
    records = read_warc(two_crawls["archive"])
    etag = [r for r in records if r.uri == base + "/etag" and r.type in ("response", "revisit")]
    assert [r.type for r in etag] == ["response", "revisit"]
    headers = etag[1].headers
    assert headers.get_header("WARC-Profile") == "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
    assert etag[1].http.get_statuscode() == "304"
    assert headers.get_header("WARC-Refers-To-Target-URI") == base + "/etag"
    assert headers.get_header("WARC-Refers-To-Date") == two_crawls["prior"]["/etag"]["date"]


def test_warcio_check_and_index(two_crawls, tmp_path):
    files = sorted(glob.glob(str(two_crawls["archive"] / "*.warc.gz")))
    check = subprocess.run(["warcio", "check", "-v", *files], capture_output=True, text=True)
    assert check.returncode == 0 and "digest pass" in check.stdout, check.stdout + check.stderr
    out = tmp_path / "index.cdxj"
    proc = subprocess.run([sys.executable, "-m", "govcrawl.cli", "index", str(two_crawls["archive"]), "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text().splitlines()
    assert lines == sorted(lines)
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines]
    report = [e for e in entries if e["url"] == two_crawls["base"] + "/report"]
    assert {e.get("mime") for e in report} >= {"warc/revisit"}
    assert all(e.get("method") == "GET" for e in entries if e.get("mime") != "warc/revisit"
               and e["url"].startswith(two_crawls["base"])), "responses paired with their requests"
    assert len(report) == 2 and len({e["digest"] for e in report}) == 1, "metadata records not indexed by default"
    bad = subprocess.run([sys.executable, "-m", "govcrawl.cli", "index", str(tmp_path / "nope")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "no such WARC file" in bad.stderr


@pytest.fixture(scope="module")
def pywb_bin(tmp_path_factory) -> Path:
    if (PYWB_VENV / "bin" / "wayback").exists():
        return PYWB_VENV / "bin"
    venv = tmp_path_factory.mktemp("pywbvenv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "pywb"], check=True, timeout=900)
    return venv / "bin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_pywb_replays_capture_and_revisit(two_crawls, pywb_bin, tmp_path):
    root = tmp_path / "pywb"
    root.mkdir()
    env = {**os.environ, "PATH": f"{pywb_bin}:{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    subprocess.run([str(pywb_bin / "wb-manager"), "init", "govcrawl"], cwd=root, env=env, check=True,
                   capture_output=True)
    # the collection's index comes from `govcrawl index` (responses/revisits only, requests paired by
    # WARC-Concurrent-To); `wb-manager add`'s own indexing is checked in the next test
    collection = root / "collections" / "govcrawl"
    for path in sorted(glob.glob(str(two_crawls["archive"] / "*.warc.gz"))):
        shutil.copy(path, collection / "archive")
    subprocess.run([sys.executable, "-m", "govcrawl.cli", "index", str(collection / "archive"), "-o",
                    str(collection / "indexes" / "index.cdxj")], check=True, capture_output=True)
    port = _free_port()
    log = open(tmp_path / "wayback.log", "wb")
    server = subprocess.Popen([str(pywb_bin / "wayback"), "-p", str(port), "-b", "127.0.0.1"], cwd=root, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        target = two_crawls["base"] + "/report"
        first = next(s for s in two_crawls["first"] if s["url"] == target)
        second = next(s for s in two_crawls["second"] if s["url"] == target)
        stamps = [ref["fetched_at"][:19].replace("-", "").replace(":", "").replace("T", "")
                  for ref in (first["ref"], second["ref"])]
        assert stamps[0] != stamps[1]
        replayed = {}
        for stamp in stamps:
            status, headers, body = _get(f"{base}/govcrawl/{stamp}id_/{target}")
            assert status == 200, body[:500]
            replayed[stamp] = (headers, body)
        assert replayed[stamps[0]][1] == REPORT_HTML
        # the second capture is a revisit record: pywb resolves it to the original payload
        headers, body = replayed[stamps[1]]
        assert body == REPORT_HTML
        memento = headers.get("Memento-Datetime", "")
        assert memento, headers
        assert time.strftime("%Y%m%d%H%M%S", time.strptime(memento, "%a, %d %b %Y %H:%M:%S GMT")) == stamps[1]
        # a gzip-free chunked capture replays to its de-chunked body too
        status, _, body = _get(f"{base}/govcrawl/{stamps[0]}id_/{two_crawls['base']}/chunked")
        assert status == 200 and body.startswith(b"<html><body>") and body.endswith(b"</body></html>")
    finally:
        server.terminate()
        server.wait(10)
        log.close()
    shutil.rmtree(root, ignore_errors=True)


def test_wb_manager_add_keeps_metadata_records_off_the_page_urls(two_crawls, pywb_bin, tmp_path):
    """pywb's own indexer lists every record with a target URI; govcrawl's metadata records are named
    ``metadata://<page url>``, so they get keys of their own and never replay as a capture of the page."""
    env = {**os.environ, "PATH": f"{pywb_bin}:{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    subprocess.run([str(pywb_bin / "wb-manager"), "init", "added"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    files = sorted(glob.glob(str(two_crawls["archive"] / "*.warc.gz")))
    subprocess.run([str(pywb_bin / "wb-manager"), "add", "added", *files], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    lines = (tmp_path / "collections" / "added" / "indexes" / "index.cdxj").read_text().splitlines()
    entries = [json.loads(line.split(" ", 2)[2]) for line in lines]
    base = two_crawls["base"]
    page = [e for e in entries if e["url"] == base + "/report"]
    assert len(page) == 2 and {e.get("mime") for e in page} == {"text/html", "warc/revisit"}, page
    assert not [e for e in entries if e["url"].startswith(base) and e.get("mime") == "application/json"]
    metadata = [e for e in entries if e.get("mime") == "application/json"]
    assert metadata and all(e["url"].startswith("metadata://" + base) for e in metadata), metadata
    assert {e["url"] for e in metadata} >= {"metadata://" + base + "/report"}
