"""WACZ (issue 13): py-wacz packs the archive; ReplayWeb.page (npm, served on 127.0.0.1) replays it in Chromium."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from govcrawl.catalog import Catalog
from govcrawl.wacz import WaczError, create_wacz, validation_problem, wacz_members

ROOT = Path(__file__).resolve().parents[1]
RWP_DIR = Path(os.environ.get("GOVCRAWL_REPLAYWEBPAGE", Path.home() / ".cache/govcrawl/replaywebpage"))
CHROMIUM = os.environ.get("GOVCRAWL_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def corpus(demo_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    with Catalog(demo_archive / "catalog.sqlite") as catalog:
        items = list(catalog.items())
    output = tmp_path_factory.mktemp("wacz") / "corpus.wacz"
    result = create_wacz(sorted(demo_archive.glob("*.warc.gz")), items, output)
    assert result.pages == len(items) > 0
    return output, items


def test_the_wacz_holds_warcs_index_pages_and_datapackage_and_validates(corpus: tuple[Path, list[dict]]) -> None:
    path, items = corpus
    members = wacz_members(path)
    assert "datapackage.json" in members and "datapackage-digest.json" in members
    assert "pages/pages.jsonl" in members and any(m.startswith("indexes/") for m in members)
    assert sum(m.startswith("archive/") and m.endswith(".warc.gz") for m in members) >= 1
    assert validation_problem(path) is None
    with zipfile.ZipFile(path) as archive:
        lines = archive.read("pages/pages.jsonl").decode("utf-8").splitlines()
        datapackage = json.loads(archive.read("datapackage.json"))
    header, pages = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    assert header["format"] == "json-pages-1.0" and header["hasText"] is True
    assert {page["url"] for page in pages} == {item["source"]["url"] for item in items}
    by_url = {item["source"]["url"]: item for item in items}
    assert all(page["text"] == by_url[page["url"]]["text"] and page["title"] for page in pages)
    assert {resource["path"] for resource in datapackage["resources"]} >= {"pages/pages.jsonl"}


def test_no_warc_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WaczError, match="no closed WARC files"):
        create_wacz([], [], tmp_path / "x.wacz")
    assert not (tmp_path / "x.wacz").exists()


@pytest.fixture()
def replay_site(corpus: tuple[Path, list[dict]], tmp_path: Path) -> Iterator[str]:
    """ReplayWeb.page's ui.js and sw.js (from the npm package) and the WACZ, served on 127.0.0.1."""
    assert (RWP_DIR / "ui.js").exists() and (RWP_DIR / "sw.js").exists(), "scripts/test installs replaywebpage"
    site = tmp_path / "site"
    (site / "replay").mkdir(parents=True)
    shutil.copy(RWP_DIR / "ui.js", site / "ui.js")
    shutil.copy(RWP_DIR / "ui.js", site / "replay" / "ui.js")  # the replay frame's own page loads it there
    shutil.copy(RWP_DIR / "sw.js", site / "replay" / "sw.js")
    shutil.copy(corpus[0], site / "corpus.wacz")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def replayed_text(base: str, page_name: str, url: str, ts: str | None = None) -> str:
    """Open ReplayWeb.page on ``url`` of the WACZ in headless Chromium; the text of the replayed page."""
    from playwright.sync_api import sync_playwright

    query = f"url={url}" + (f"&ts={ts}" if ts else "")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{base}/{page_name}?{query}", wait_until="load")
            # the first visit registers ReplayWeb.page's service worker; once it runs, reload to replay through it
            page.wait_for_function("navigator.serviceWorker.getRegistrations().then(r => r.length > 0)",
                                   timeout=30_000)
            page.wait_for_timeout(1000)
            page.reload(wait_until="load")
            for _ in range(120):
                for frame in page.frames:
                    if "mp_/" not in frame.url:
                        continue
                    try:
                        text = frame.evaluate("document.body ? document.body.innerText : ''")
                    except Exception:
                        continue
                    if text and len(text) > 200:
                        return text
                page.wait_for_timeout(500)
            return ""
        finally:
            browser.close()


def cjk_sentence(text: str) -> str:
    """A long run of Chinese characters from ``text`` (punctuation-free, so width folding cannot change it)."""
    import re

    return max(re.findall(r"[\u4e00-\u9fff]{12,}", text), key=len)


EMBED = """<!doctype html><meta charset="utf-8"><script src="ui.js"></script>
<replay-web-page id="rwp" source="corpus.wacz" replayBase="./replay/" embed="replayonly"></replay-web-page>
<script>document.getElementById("rwp").setAttribute("url", new URLSearchParams(location.search).get("url"));</script>
"""


@pytest.mark.browser
def test_replaywebpage_replays_a_report_from_the_wacz(replay_site: str, corpus: tuple[Path, list[dict]],
                                                       tmp_path: Path) -> None:
    (tmp_path / "site" / "index.html").write_text(EMBED, encoding="utf-8")
    item = next(item for item in corpus[1] if item.get("tables"))
    text = replayed_text(replay_site, "index.html", item["source"]["url"])
    sentence = cjk_sentence(item["text"])
    assert len(sentence) >= 12 and sentence in text.replace("\n", "")
