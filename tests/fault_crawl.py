"""Run a crawl in a subprocess and watch it from /proc: peak memory of its process tree, listening sockets."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp


def process_tree(root: int) -> list[int]:
    """``root`` and every descendant process alive now (from /proc/<pid>/stat parent pids)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(parents.get(pid, []))
    return tree


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def listening_sockets(pid: int) -> list[str]:
    """``host:port`` (hex, as the kernel writes it) of each TCP socket ``pid`` holds open in LISTEN state."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return []
    found = []
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == _LISTEN and fields[9] in inodes:
                found.append(f"{table} {fields[1]}")
    return found


@dataclass
class MeasuredCrawl:
    """A finished crawl: exit status, log, seconds, peak RSS of its tree, the sockets it listened on."""

    returncode: int
    log: str
    seconds: float
    peak_rss: int
    listening: set[str] = field(default_factory=set)


def run_measured(args: list[str], *, timeout: float, cwd: Path = REPO, interval: float = 0.1) -> MeasuredCrawl:
    """Run ``args`` and sample its process tree every ``interval`` seconds until it exits (killed at ``timeout``)."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    started = time.monotonic()
    with open(os.devnull, "rb") as stdin, subprocess.Popen(args, cwd=cwd, env=env, stdin=stdin,
                                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
        peak, listening = 0, set()
        chunks: list[bytes] = []
        reader = threading.Thread(target=lambda: chunks.append(process.stdout.read()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        while process.poll() is None:
            if time.monotonic() - started > timeout:
                process.kill()
                break
            tree = process_tree(process.pid)
            peak = max(peak, sum(rss_bytes(pid) for pid in tree))
            for pid in tree:
                listening.update(listening_sockets(pid))
            time.sleep(interval)
        process.wait()
        reader.join(30)
    log = b"".join(chunks).decode("utf-8", "replace")
    return MeasuredCrawl(process.returncode, log, time.monotonic() - started, peak, listening)


def crawl_command(start_urls: list[str], out: Path, *extra: str) -> list[str]:
    """``scrapy crawl gov_reports`` over ``start_urls`` into ``out`` (archive/, stats.json, items.jsonl)."""
    return [sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-a", "start_urls=" + ",".join(start_urls),
            "-s", "GOVCRAWL_FAST_LOCAL=True", "-s", "DOWNLOAD_TIMEOUT=4", "-s", "RETRY_TIMES=1",
            "-s", f"GOVCRAWL_ARCHIVE_DIR={out / 'archive'}", "-s", f"GOVCRAWL_STATS_FILE={out / 'stats.json'}",
            "-O", str(out / "items.jsonl"), *extra]
