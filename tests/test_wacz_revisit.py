"""WACZ replay through a revisit record (issue 13): the same portal crawled twice into one archive with
``GOVCRAWL_INCREMENTAL``, the report's second capture is an identical-payload revisit, the WACZ's page for it
has the revisit's time, and ReplayWeb.page (npm, on 127.0.0.1) replays the report from it in headless Chromium."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from govcrawl.catalog import Catalog
from govcrawl.citation import timestamp14
from govcrawl.demo.portal import Portal
from govcrawl.demo.server import Page
from govcrawl.wacz import create_wacz
from tests.test_wacz import RWP_DIR, cjk_sentence, replayed_text
from tests.test_withdrawals import VanishingColumn

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(600)

#: ReplayWeb.page embedded on one capture: url and ts from the page's query
EMBED_AT = """<!doctype html><meta charset="utf-8"><script src="ui.js"></script>
<replay-web-page id="rwp" source="corpus.wacz" replayBase="./replay/" embed="replayonly"></replay-web-page>
<script>const q = new URLSearchParams(location.search), rwp = document.getElementById("rwp");
rwp.setAttribute("ts", q.get("ts")); rwp.setAttribute("url", q.get("url"));</script>
"""


def crawl(start_url: str, archive: Path, output: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "govcrawl.cli", "crawl", "--start-urls", start_url, "--archive-dir",
                           str(archive), "-o", str(output), "--fast-local", "-s", "GOVCRAWL_INCREMENTAL=True"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]


@pytest.fixture(scope="module")
def revisited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """(WACZ, first item, second item) of one report captured twice, the second time as a revisit."""
    work = tmp_path_factory.mktemp("wacz-revisit")
    site = VanishingColumn()
    with Portal(sites=["twice"], extra={"twice": site.build}).start() as portal:
        assert site.ctx is not None
        routes = site.ctx.site.routes
        for path, page in list(routes.items()):  # no validators: the second fetch is a full 200, same payload
            if isinstance(page, Page):
                routes[path] = dataclasses.replace(page, etag=None, last_modified=None)
        (start,) = portal.start_urls["twice"]
        crawl(start, work / "archive", work / "first.jsonl")
        time.sleep(1.5)  # the second capture gets another 14-digit timestamp
        crawl(start, work / "archive", work / "second.jsonl")
    first = {i["url"]: i for i in map(json.loads, (work / "first.jsonl").read_text("utf-8").splitlines())}
    second = [json.loads(line) for line in (work / "second.jsonl").read_text("utf-8").splitlines()]
    assert len(first) == len(second) == 4
    item = next(i for i in second if i.get("tables"))
    output = work / "corpus.wacz"
    warcs = sorted((work / "archive").rglob("*.warc.gz"))
    create_wacz(warcs, second, output)
    return output, first[item["url"]], item


def test_the_second_capture_is_a_revisit_and_the_wacz_page_has_its_time(revisited: tuple[Path, dict, dict],
                                                                         tmp_path: Path) -> None:
    wacz, first, second = revisited
    with Catalog(wacz.parents[0] / "archive" / "catalog.sqlite") as catalog:
        original = catalog.capture_by_record(first["source"]["warc_record_id"])
        revisit = catalog.capture_by_record(second["source"]["warc_record_id"])
    assert original["record_type"] == "response" and revisit["record_type"] == "revisit"
    assert revisit["revisit_of"] == original["warc_record_id"]
    assert timestamp14(second["source"]["fetched_at"]) != timestamp14(first["source"]["fetched_at"])
    with zipfile.ZipFile(wacz) as archive:
        pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").decode().splitlines()[1:]]
    (page,) = [p for p in pages if p["url"] == second["source"]["url"]]
    assert page["ts"] == second["source"]["fetched_at"] and page["id"] == second["source"]["warc_record_id"]


@pytest.mark.browser
def test_replaywebpage_replays_a_report_reached_through_a_revisit(revisited: tuple[Path, dict, dict],
                                                                  tmp_path: Path) -> None:
    wacz, _, second = revisited
    assert (RWP_DIR / "ui.js").exists() and (RWP_DIR / "sw.js").exists(), "scripts/test installs replaywebpage"
    site = tmp_path / "site"
    (site / "replay").mkdir(parents=True)
    shutil.copy(RWP_DIR / "ui.js", site / "ui.js")
    shutil.copy(RWP_DIR / "ui.js", site / "replay" / "ui.js")
    shutil.copy(RWP_DIR / "sw.js", site / "replay" / "sw.js")
    shutil.copy(wacz, site / "corpus.wacz")
    (site / "index.html").write_text(EMBED_AT, encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        text = replayed_text(base, "index.html", second["source"]["url"], timestamp14(second["source"]["fetched_at"]))
    finally:
        server.shutdown()
    sentence = cjk_sentence(second["text"])
    assert len(sentence) >= 12 and sentence in text.replace("\n", "")
