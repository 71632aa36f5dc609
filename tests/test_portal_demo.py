"""``govcrawl demo``: the bundled portal crawled end to end in a child process (real spider, real WARC)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from warcio.archiveiterator import ArchiveIterator


def test_demo_crawls_the_county_site(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "govcrawl.cli", "demo", "--sites", "county", "--archive", "arc", "-o", "out.jsonl"],
        cwd=tmp_path, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "reports found: 19 of 19 expected (19 items written)" in result.stdout
    assert "decoys emitted as reports: 0" in result.stdout
    match = re.search(r"figures equal to the portal's ground truth: (\d+) of (\d+)", result.stdout)
    assert match and int(match.group(2)) > 100 and match.group(1) == match.group(2)
    items = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(items) == 19 and all(item["source"]["warc_filename"] for item in items)
    warcs = list((tmp_path / "arc").glob("*.warc.gz"))
    assert warcs and not list((tmp_path / "arc").glob("*.open"))
    with warcs[0].open("rb") as stream:
        types = [record.rec_type for record in ArchiveIterator(stream)]
    assert types[0] == "warcinfo" and types.count("response") >= 19 + 3
