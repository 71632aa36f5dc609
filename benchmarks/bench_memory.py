"""Peak RSS of a crawl, its build_item workers and its WARC writer at two crawl sizes (issue 11: within 10%, < 400 MB).

``scrapy crawl gov_reports`` over one loopback portal of N report pages (12–25 KB, a third with tables; list
pages of 500 links) with everything on (WARC writer process, worker pool, catalog, items written to a file),
``GOVCRAWL_FAST_LOCAL``. Every 0.25 s the RSS of the crawl process and all its descendants is read from /proc
and summed; the figure is the peak of that sum. Each process's own peak is printed beside it (crawl, build_item
workers, WARC writer, multiprocessing's resource tracker), to show which one grows.

    python benchmarks/bench_memory.py [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import Portals, machine, write_result

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")
SPREAD, CEILING_MB = 0.10, 400
PER_LIST = 500  # links per list page: 100,000 reports on 200 list pages (a site's default max_pages)


def tree_rss(root: int) -> dict[int, int]:
    """RSS in bytes of ``root`` and each of its descendants, by pid."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    rss, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as handle:
                rss[pid] = int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(children.get(pid, ()))
    return rss


def role(pid: int, root: int, archive: Path) -> str | None:
    """``crawl``, ``warc writer`` (it has a file of the archive open), ``resource tracker`` or ``worker``;
    None while a spawned process has not shown which it is yet."""
    if pid == root:
        return "crawl"
    try:
        if "resource_tracker" in Path(f"/proc/{pid}/cmdline").read_text():
            return "resource tracker"
        for fd in os.listdir(f"/proc/{pid}/fd"):
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(str(archive)):
                return "warc writer"
    except OSError:
        return None
    return None


def crawl(reports: int) -> dict:
    with Portals(["127.0.0.1"], reports, per_list=PER_LIST) as portals, tempfile.TemporaryDirectory() as tmp:
        stats_file = Path(tmp) / "stats.json"
        command = [sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-a", f"start_urls={portals.urls[0]}",
                   "-O", str(Path(tmp) / "items.jsonl"), "-s", "GOVCRAWL_FAST_LOCAL=True",
                   "-s", f"GOVCRAWL_ARCHIVE_DIR={Path(tmp) / 'archive'}", "-s", f"GOVCRAWL_STATS_FILE={stats_file}",
                   "-s", "LOG_LEVEL=WARNING"]
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        peak, peak_processes, samples = 0, 0, 0
        roles: dict[int, str | None] = {}
        by_role: dict[str, int] = {}  # each role's peak (its processes summed)
        while process.poll() is None:
            rss = tree_rss(process.pid)
            if sum(rss.values()) > peak:
                peak, peak_processes = sum(rss.values()), len(rss)
            now: dict[str, int] = {}
            for pid, size in rss.items():
                if roles.get(pid) is None:
                    roles[pid] = role(pid, process.pid, Path(tmp) / "archive")
                name = roles[pid] or "worker"  # a writer shows its open file within a sample or two
                now[name] = now.get(name, 0) + size
            for name, size in now.items():
                by_role[name] = max(by_role.get(name, 0), size)
            samples += 1
            time.sleep(0.25)
        stderr = process.stderr.read() if process.stderr else ""
        if process.returncode != 0:
            raise SystemExit(stderr[-3000:])
        stats = json.loads(stats_file.read_text())
        items = sum(1 for _ in (Path(tmp) / "items.jsonl").open())
    wall = time.monotonic() - started
    roles_mb = {name: round(size / 2**20, 1) for name, size in sorted(by_role.items())}
    print(f"{reports} reports: {items} items, {stats.get('response_received_count', 0)} responses in {wall:.0f} s; "
          f"peak RSS {peak / 2**20:.0f} MB over {peak_processes} processes ({samples} samples); peak by process: "
          + ", ".join(f"{name} {size:.0f} MB" for name, size in roles_mb.items()), flush=True)
    return {"reports": reports, "items": items, "seconds": wall, "peak_rss_mb": peak / 2**20,
            "processes": peak_processes, "samples": samples, "peak_rss_mb_by_process": roles_mb}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated report counts")
    parser.add_argument("--name", default="memory", help="results/<name>.json")
    args = parser.parse_args()
    runs = [crawl(int(size)) for size in args.sizes.split(",")]
    peaks = [run["peak_rss_mb"] for run in runs]
    spread = max(peaks) / min(peaks) - 1
    print(f"peak RSS {' / '.join(f'{p:.0f}' for p in peaks)} MB: spread {spread:.1%} (target <= 10%), "
          f"largest {max(peaks):.0f} MB (target < {CEILING_MB} MB)")
    write_result(args.name, {"runs": runs, "spread": spread, "max_mb": max(peaks),
                            "met": spread <= SPREAD and max(peaks) < CEILING_MB, **machine()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
