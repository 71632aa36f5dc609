"""Crash and fault trials (issue 12): SIGKILLed nightly runs recover (scripts/crash_trials.py, 2 trials here),
two nightly jobs started at once, a truncated catalog gives a clear error and is restored from the WARC files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(900)

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
FAST = ["-s", "GOVCRAWL_FAST_LOCAL=True"]


def nightly(start_url: str, archive: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "govcrawl.cli", "nightly", "--start-urls", start_url, "--archive", str(archive),
            "-o", str(output), *FAST]


PORTAL_SITES = ["county"]  # tests/conftest.py's portal fixture


def reports(catalog: Path) -> set[tuple]:
    conn = sqlite3.connect(catalog)
    try:
        return set(conn.execute("SELECT canonical_url, version, content_hash FROM reports"))
    finally:
        conn.close()



def test_two_sigkilled_trials_recover_to_the_uninterrupted_catalog(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "crash_trials.py"), "--trials", "2", "--seed", "7",
                           "--workdir", str(tmp_path)], capture_output=True, text=True, env=ENV, timeout=850)
    lines = done.stdout.strip().splitlines()
    assert lines and lines[-1] == "trials survived: 2 / 2", done.stdout + done.stderr[-3000:]
    assert sum(1 for line in lines if line.startswith("trial ") and line.endswith("recovered")) == 2
    assert done.returncode == 0


def test_two_nightly_jobs_started_at_once_one_runs_one_is_locked(tmp_path: Path, portal) -> None:
    (start,) = portal.start_urls["county"]
    jobs = [subprocess.Popen(nightly(start, tmp_path / "archive", tmp_path / f"out-{n}.jsonl"), cwd="/", env=ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(2)]
    results = [(job.wait(timeout=600), *job.communicate()) for job in jobs]
    assert sorted(status for status, _, _ in results) == [0, 3], results
    locked = next(stderr for status, _, stderr in results if status == 3)
    assert "another nightly job holds" in locked and "Traceback" not in locked


def test_a_truncated_catalog_is_a_clear_error_and_rebuild_restores_it(tmp_path: Path, portal) -> None:
    (start,) = portal.start_urls["county"]
    archive = tmp_path / "archive"
    first = subprocess.run(nightly(start, archive, tmp_path / "out.jsonl"), cwd="/", env=ENV, capture_output=True,
                           text=True, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    catalog = archive / "catalog.sqlite"
    checkpoint = sqlite3.connect(catalog)
    checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    checkpoint.close()
    expected = reports(catalog)
    assert expected
    data = catalog.read_bytes()
    catalog.write_bytes(data[: len(data) // 2])  # a disk that lost the catalog's second half

    again = subprocess.run(nightly(start, archive, tmp_path / "again.jsonl"), cwd="/", env=ENV, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 5, again.stdout + again.stderr
    assert "damaged catalog" in again.stderr and "govcrawl rebuild" in again.stderr
    assert again.stderr.count("\n") == 1 and "Traceback" not in again.stderr

    export = subprocess.run([sys.executable, "-m", "govcrawl.cli", "export", "--catalog", str(catalog), "--format",
                             "csv", "-o", str(tmp_path / "x.csv"), "--no-progress"], capture_output=True, text=True,
                            env=ENV, timeout=120)
    assert export.returncode == 2 and "Traceback" not in export.stderr, export.stderr
    assert "catalog" in export.stderr

    rebuilt = subprocess.run([sys.executable, "-m", "govcrawl.cli", "rebuild", str(archive), "-o",
                              str(tmp_path / "rebuilt.jsonl"), "--catalog", str(catalog)], capture_output=True,
                             text=True, env=ENV, timeout=600)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "moved to" in rebuilt.stderr and Path(f"{catalog}.damaged").exists()
    assert reports(catalog) == expected
    resumed = subprocess.run(nightly(start, archive, tmp_path / "after.jsonl"), cwd="/", env=ENV,
                             capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert reports(catalog) == expected  # nothing new on the site: no new version after the restore
