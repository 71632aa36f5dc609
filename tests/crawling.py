"""One way for tests to crawl a mock column: ``scrapy crawl gov_reports`` in a child process (the Twisted reactor
cannot restart in the test process), with the fast local profile, no catalog, and the stats written to a file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def crawl_column(start: str, work: Path, *, timeout: float = 300) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Crawl ``start`` into ``work`` (``items.jsonl``, ``stats.json``, ``archive/``); return (items, stats)."""
    work.mkdir(parents=True, exist_ok=True)
    out, stats = work / "items.jsonl", work / "stats.json"
    command = [sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-O", str(out), "-a", f"start_urls={start}"]
    for name, value in {"GOVCRAWL_FAST_LOCAL": "True", "GOVCRAWL_ARCHIVE_DIR": str(work / "archive"),
                        "GOVCRAWL_CATALOG": "", "GOVCRAWL_STATS_FILE": str(stats), "LOG_LEVEL": "INFO"}.items():
        command += ["-s", f"{name}={value}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-4000:]
    items = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line.strip()]
    return items, json.loads(stats.read_text("utf-8"))
