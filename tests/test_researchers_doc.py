"""docs/researchers.md runs as written: its code blocks, in order, in an empty folder (issue 13).

``sh`` blocks run in bash (``govcrawl`` is this tree's CLI), ``python`` blocks in Python, ``sh background``
blocks are servers started and stopped here, ``sh skip-test`` blocks (installation, your own sites) are not run.
The fixed ports of the doc (8001, 8090) are swapped for free ones. Then the outputs are checked: the DataFrame,
the Datasette answer, the WACZ replayed in ReplayWeb.page (headless Chromium), the overview page."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from govcrawl.browse import free_port
from govcrawl.citation import timestamp14
from tests.test_wacz import RWP_DIR, cjk_sentence, replayed_text

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "researchers.md"
PRELUDE = 'set -euo pipefail\ngovcrawl() { python3 -m govcrawl.cli "$@"; }\n'
pytestmark = pytest.mark.timeout(900)


@dataclass(frozen=True)
class Block:
    language: str
    marks: frozenset[str]
    code: str


def doc_blocks(text: str) -> list[Block]:
    """The fenced code blocks of the doc, with their info-string marks."""
    return [Block(info.split()[0], frozenset(info.split()[1:]), code)
            for info, code in re.findall(r"^```(\S[^\n]*)\n(.*?)^```$", text, flags=re.M | re.S)]


def test_the_doc_has_each_step_as_a_block() -> None:
    blocks = doc_blocks(DOC.read_text("utf-8"))
    run = "\n".join(b.code for b in blocks if "skip-test" not in b.marks)
    for step in ("govcrawl demo", "govcrawl export --format parquet", "pd.read_parquet", "govcrawl serve",
                 "curl", "govcrawl wacz", "http.server", "govcrawl overview", "govcrawl regions --unmatched"):
        assert step in run, step
    skipped = [b for b in blocks if "skip-test" in b.marks]
    assert len(skipped) == 2 and all(b.language == "sh" for b in skipped)
    rwp_version = re.search(r"RWP_VERSION=(\S+)", (ROOT / "scripts" / "test").read_text()).group(1)
    assert f"replaywebpage@{rwp_version}" in skipped[0].code  # the version the tests replay with


@pytest.mark.browser
def test_researchers_doc_runs_from_an_empty_folder(tmp_path: Path) -> None:
    assert (RWP_DIR / "sw.js").exists(), "scripts/test installs replaywebpage"
    ports = {"8001": str(free_port()), "8090": str(free_port())}
    env = dict(os.environ, PYTHONPATH=str(ROOT), GOVCRAWL_REPLAYWEBPAGE=str(RWP_DIR))
    servers: list[subprocess.Popen] = []
    outputs: list[str] = []
    try:
        for block in doc_blocks(DOC.read_text("utf-8")):
            if "skip-test" in block.marks:
                continue
            code = block.code
            for fixed, free in ports.items():
                code = code.replace(fixed, free)
            if block.language == "python":
                command = [sys.executable, "-c", code]
            else:
                assert block.language == "sh", block.language
                command = ["bash", "-c", PRELUDE + code]
            if "background" in block.marks:
                servers.append(subprocess.Popen(command, cwd=tmp_path, env=env, start_new_session=True,
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                continue
            done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400)
            assert done.returncode == 0, f"{code}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            outputs.append(done.stdout)
        by_step = "\n".join(outputs)
        assert "19 reports" in by_step and "0 withdrawn" in by_step  # the DataFrame
        assert "WARC-Record-ID <urn:uuid:" in by_step and "/govcrawl/20" in by_step
        answer = json.loads(next(out for out in outputs if out.lstrip().startswith("[")))  # Datasette
        assert sum(row["reports"] for row in answer) == 19 and all(row["report_year"] for row in answer)
        assert (tmp_path / "overview.html").read_text("utf-8").count("<svg") == 4
        item = next(i for i in map(json.loads, (tmp_path / "reports.jsonl").read_text("utf-8").splitlines())
                    if i.get("tables"))
        base = f"http://127.0.0.1:{ports['8090']}"
        text = replayed_text(base, "index.html", item["source"]["url"], timestamp14(item["source"]["fetched_at"]))
        assert cjk_sentence(item["text"]) in text.replace("\n", "")
    finally:
        for server in servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
