"""``govcrawl sites check``: every registry entry probed against the bundled demo portal, broken ones flagged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from govcrawl.demo.portal import Portal
from govcrawl.demo.run import write_registry
from govcrawl.sitecheck import probe, status_table
from govcrawl.sites import Site

REPO = Path(__file__).resolve().parents[1]


def test_sites_check_on_the_demo_portal(tmp_path: Path) -> None:
    with Portal(sites=["county", "hanweb", "gkmlpt", "challenge"]).start() as portal:
        registry = write_registry(portal, tmp_path / "sites.toml")
        county = portal.sites["county"]
        registry.write_text(registry.read_text(encoding="utf-8")
                            + f'[[site]]\nname = "broken-404"\nstart_urls = ["{county}/zwgk/zfxxgk/nb-gone/"]\n\n'
                            + f'[[site]]\nname = "broken-style"\nlist_style = "jpage"\n'
                              f'start_urls = ["{portal.start_urls["county"][0]}"]\n', encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        result = subprocess.run([sys.executable, "-m", "govcrawl.cli", "sites", "check", str(registry), "--fast-local",
                                 "--json", str(tmp_path / "status.json"), "-s", "LOG_LEVEL=WARNING"],
                                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    print("\n" + result.stdout)
    assert result.returncode == 1, result.stderr[-2000:]
    status = json.loads((tmp_path / "status.json").read_text(encoding="utf-8"))
    by_site = {entry["site"]: entry for entry in status["entries"]}
    assert set(by_site) == {"demo-county", "demo-hanweb", "demo-gkmlpt", "demo-challenge", "broken-404",
                            "broken-style"}
    assert by_site["demo-county"]["verdict"] == "ok" and by_site["demo-county"]["detected_style"] == "trs"
    assert by_site["demo-county"]["reports"] >= 3
    assert by_site["demo-hanweb"]["detected_style"] == "jpage" and by_site["demo-hanweb"]["reports"] > 0
    assert by_site["demo-gkmlpt"]["verdict"] == "ok" and by_site["demo-gkmlpt"]["detected_style"] == "gkmlpt"
    assert by_site["demo-challenge"]["verdict"] == "blocked" and by_site["demo-challenge"]["challenge"] == "rs_412"
    assert by_site["broken-404"]["verdict"] == "down" and by_site["broken-404"]["status"] == 404
    assert "find-columns" in by_site["broken-404"]["action"]
    assert by_site["broken-style"]["verdict"] == "style_changed"
    assert status["counts"] == {"ok": 3, "blocked": 1, "down": 1, "style_changed": 1}
    lines = result.stdout.splitlines()
    assert any(line.startswith("broken-404") and " down " in line and "404" in line for line in lines)
    assert "to do:" in result.stdout and "broken-style: set list_style" in result.stdout


def test_probe_verdicts() -> None:
    site = Site(name="x", start_urls=["http://a.test/nb/"], list_style="trs")
    page = ('<html><head><title>信息公开年报</title></head><body><a href="/a/t1.html">某县2023年政府信息公开工作年度报告'
            '</a><script>createPageHTML(2, 0, "index", "html");</script></body></html>').encode()
    assert probe(site, "http://a.test/nb/", 200, page).verdict == "ok"
    assert probe(site, "http://a.test/nb/", 200, page, final_url="http://b.test/nb/").verdict == "moved"
    assert probe(site, "http://a.test/nb/", 200, b"<html><body><a href='/x/'>first</a></body></html>").verdict in (
        "style_changed", "no_reports")
    auto = Site(name="y", start_urls=["http://a.test/nb/"])
    assert probe(auto, "http://a.test/nb/", 200, b"<html><body><a href='/x/'>news</a></body></html>").verdict \
        == "no_reports"
    down = probe(site, "http://a.test/nb/", "TCPTimedOutError: timed out")
    assert down.verdict == "down" and "timed out" in status_table([down])


def test_find_columns_then_check_round_trip_on_the_demo_portal(tmp_path: Path) -> None:
    """The registry find-columns writes from the demo sites' front pages names their columns and checks ok."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with Portal(sites=["county"]).start() as portal:
        fronts = [portal.sites["county"] + "/"]
        found = subprocess.run([sys.executable, "-m", "govcrawl.cli", "find-columns", *fronts, "-o", "found.toml",
                                "--fast-local", "-s", "LOG_LEVEL=WARNING"],
                               cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert found.returncode == 0, found.stderr[-2000:]
        checked = subprocess.run([sys.executable, "-m", "govcrawl.cli", "sites", "check", "found.toml", "--fast-local",
                                  "-s", "LOG_LEVEL=WARNING"],
                                 cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        expected = set(portal.start_urls["county"])
    print("\n" + (tmp_path / "found.toml").read_text(encoding="utf-8") + checked.stdout)
    status = json.loads((tmp_path / "found.toml.status.json").read_text(encoding="utf-8"))
    assert {entry["url"] for entry in status["entries"]} == expected
    assert checked.returncode == 0 and status["counts"] == {"ok": len(expected)}
