#!/usr/bin/env python3
"""Crash trials: SIGKILL ``govcrawl nightly`` at random moments and check each archive recovers.

One uninterrupted nightly run over the demo portal's county site gives the reference items and catalog.
Then, per trial, a nightly run on a fresh archive is SIGKILLed (its whole process group: the job, the crawl,
the extraction workers and the WARC writer) after a random number of the portal's requests, and a second
nightly run is started on the same archive. The trial survives when that run finishes and its items and
catalog reports equal the reference, with no ``.warc.gz.open`` file left behind.

    python3 scripts/crash_trials.py [--trials 20] [--seed N] [--workdir DIR]

The last line is ``trials survived: X / N``; the exit status is 0 only when every trial survived.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from govcrawl.demo.portal import Portal  # noqa: E402

CRAWL_SETTINGS = ["-s", "GOVCRAWL_FAST_LOCAL=True", "-s", "CONCURRENT_REQUESTS=2",
                  "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "DOWNLOAD_DELAY=0.05"]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def nightly(start_url: str, archive: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "govcrawl.cli", "nightly", "--start-urls", start_url, "--archive", str(archive),
            "-o", str(output), *CRAWL_SETTINGS]


def run_nightly(start_url: str, archive: Path, output: Path) -> int:
    done = subprocess.run(nightly(start_url, archive, output), cwd="/", env=ENV, capture_output=True, timeout=600)
    return done.returncode


def items(path: Path) -> list[dict]:
    """The run's items minus where and when they were archived, by URL."""
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()] if path.exists() else []
    return sorted(({k: v for k, v in item.items() if k != "source"} for item in rows), key=lambda i: i["url"])


def catalog_reports(archive: Path) -> set[tuple]:
    conn = sqlite3.connect(archive / "catalog.sqlite")
    try:
        return set(conn.execute("SELECT canonical_url, version, content_hash FROM reports"))
    finally:
        conn.close()


def kill_after(portal: Portal, start_url: str, archive: Path, output: Path, requests: int) -> str:
    """Start a nightly run and SIGKILL its process group once the portal has served ``requests`` requests."""
    portal.clear_requests()
    process = subprocess.Popen(nightly(start_url, archive, output), cwd="/", env=ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    try:
        while len(portal.site_requests("county")) < requests:
            if process.poll() is not None:
                return "finished before the kill"
            if time.monotonic() > deadline:
                return "timed out waiting for the kill point"
            time.sleep(0.01)
        return f"killed after {requests} requests"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock)")
    parser.add_argument("--workdir", default=None, help="keep the archives here (default: a temporary folder)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    print(f"seed {seed}", flush=True)
    with tempfile.TemporaryDirectory(prefix="govcrawl-crash-") as scratch, \
            Portal(sites=["county"]).start() as portal:
        work = Path(args.workdir or scratch)
        work.mkdir(parents=True, exist_ok=True)
        (start_url,) = portal.start_urls["county"]
        portal.clear_requests()
        if run_nightly(start_url, work / "reference", work / "reference.jsonl") != 0:
            print("the uninterrupted reference run failed")
            print(f"trials survived: 0 / {args.trials}")
            return 1
        total = len(portal.site_requests("county"))
        reference_items, reference_rows = items(work / "reference.jsonl"), catalog_reports(work / "reference")
        survived = 0
        for trial in range(1, args.trials + 1):
            archive, output = work / f"trial-{trial}", work / f"trial-{trial}.jsonl"
            moment = kill_after(portal, start_url, archive, output, rng.randint(1, max(1, total - 1)))
            status = run_nightly(start_url, archive, output)
            problems = []
            if status != 0:
                problems.append(f"recovery run exited {status}")
            if items(output) != reference_items:
                problems.append("items differ from the reference")
            if (archive / "catalog.sqlite").exists() and catalog_reports(archive) != reference_rows:
                problems.append("catalog reports differ from the reference")
            if list(archive.rglob("*.warc.gz.open")):
                problems.append(".warc.gz.open left behind")
            survived += not problems
            print(f"trial {trial}: {moment}: {'recovered' if not problems else '; '.join(problems)}", flush=True)
        print(f"trials survived: {survived} / {args.trials}")
        return 0 if survived == args.trials else 1


if __name__ == "__main__":
    sys.exit(main())
