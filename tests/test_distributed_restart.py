"""A Redis restart mid-crawl (docs/distributed.md): redis-server (append-only file, fsync always) is killed with
SIGKILL while two workers crawl, and started again on the same port and directory a few seconds later. The
workers wait for it (REDIS_PARAMS retry), carry on from the frontier the file kept, and together emit every
page exactly once."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import redis

from tests.test_distributed_politeness import (
    LoggedSites,
    finish_worker,
    free_port,
    item_urls,
    start_redis,
    start_worker,
)

SITES, PAGES, OUTAGE = 3, 12, 3.0


def test_workers_ride_out_a_redis_restart_and_lose_no_page(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "redis"
    data.mkdir()
    url = f"redis://127.0.0.1:{port}/0"
    server = start_redis(port, data)
    sites = LoggedSites(count=SITES, pages=PAGES, latency=0.2)
    expected = {start.replace("/list.html", f"/p/{i}.html") for start in sites.start_urls for i in range(PAGES)}
    try:
        workers = [start_worker(tmp_path, name, url, sites.start_urls, "DOWNLOAD_DELAY=0.3",
                                "CONCURRENT_REQUESTS_PER_DOMAIN=1", "CONCURRENT_REQUESTS=4")
                   for name in ("alpha", "beta")]
        deadline = time.monotonic() + 120
        while len([e for e in sites.log if "/p/" in e[1]]) < 8:  # mid-crawl: some pages done, most not
            assert all(process.poll() is None for process, _, _ in workers), "a worker ended before the kill"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        killed_at, done_before = time.time(), len([e for e in sites.log if "/p/" in e[1]])
        time.sleep(OUTAGE)
        server = start_redis(port, data)
        restarted_at = time.time()
        stats = [finish_worker(process, log) for process, _, log in workers]
        urls = [item_urls(items) for _, items, _ in workers]
        client = redis.Redis.from_url(url)
        leftover = client.keys("govcrawl:politeness_probe:*")
    finally:
        sites.close()
        server.kill()
        server.wait()
    assert done_before < len(expected)
    after = [e for e in sites.log if e[2] >= restarted_at]
    assert after, "nothing was fetched after the restart"
    assert not [e for e in sites.log if killed_at + 1.0 < e[2] < restarted_at], "fetched while Redis was down"
    assert all(s.get("finish_reason") == "finished" for s in stats), stats
    emitted = urls[0] + urls[1]
    assert set(emitted) == expected, f"lost: {sorted(expected - set(emitted))}"
    assert len(emitted) == len(expected), "a page was emitted twice"
    assert not [key for key in leftover if not key.endswith(b":workers")], leftover  # the frontier was cleared
