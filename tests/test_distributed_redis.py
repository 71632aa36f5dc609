"""Distributed crawl (govcrawl.distributed): a real redis-server on 127.0.0.1 and real ``scrapy crawl gov_reports``
worker processes against the mock portal. The frontier (request queue + dupefilter) must live in Redis: a worker
that stops early leaves it there for another to resume, and two concurrent workers split one crawl between them
with every report emitted exactly once."""

from __future__ import annotations

import json
import pickle
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from scrapy import Request, Spider
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import Settings

from govcrawl.capture import Capture
from govcrawl.discovery.urls import dedupe_key
from govcrawl.distributed import (
    DISTRIBUTED_SETTINGS,
    DistributedAddon,
    SharedDupeFilter,
    SharedFrontierScheduler,
    flush_frontier,
)

pytestmark = pytest.mark.redis

REPO = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
QUEUE = "govcrawl:gov_reports:requests"
SEEN = "govcrawl:gov_reports:dupefilter"
WORKERS = "govcrawl:gov_reports:workers"
PORTAL_SITES = ["county", "attachments"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    if not Path(REDIS_SERVER).exists():
        pytest.fail(f"redis-server not found at {REDIS_SERVER} (scripts/test installs it)")
    port = _free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def frontier(redis_url):
    flush_frontier(redis_url)
    client = redis.Redis.from_url(redis_url)
    yield client
    flush_frontier(redis_url)


def _worker(tmp_path: Path, name: str, redis_url: str, start_url: str, *extra: str) -> tuple[subprocess.Popen, Path, Path]:
    """Start one ``scrapy crawl gov_reports`` worker; returns (process, items file, log file)."""
    items, log = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.log"
    settings = {
        "GOVCRAWL_DISTRIBUTED": "True",
        "REDIS_URL": redis_url,
        "GOVCRAWL_FAST_LOCAL": "True",
        "GOVCRAWL_WARC_ENABLED": "False",
        "GOVCRAWL_CATALOG": "",
        "GOVCRAWL_BROWSER": "off",
        "ITEM_PIPELINES": json.dumps({"govcrawl.pipelines.CaptureSummaryPipeline": 300}),
        "LOG_FILE": str(log),
        "LOG_LEVEL": "INFO",
        "GOVCRAWL_DISTRIBUTED_WORKER_TIMEOUT": "30",
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "gov_reports", "-a", f"start_urls={start_url}",
               "-o", f"{items}:jsonlines"]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    for value in extra:
        command += ["-s", value]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return process, items, log


def _finish(process: subprocess.Popen, log: Path) -> dict[str, int | str]:
    output, _ = process.communicate(timeout=240)
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    assert process.returncode == 0, output.decode(errors="replace")[-3000:] + text[-3000:]
    assert "Traceback" not in text, text[-4000:]
    stats: dict[str, int | str] = {}
    for key, value in re.findall(r"'([\w/]+)': (\d+|'[^']*')", text.split("Dumping Scrapy stats:")[-1]):
        stats[key] = value.strip("'") if value.startswith("'") else int(value)
    return stats


def _report_keys(items: Path) -> list[str]:
    if not items.exists():
        return []
    return [dedupe_key(json.loads(line)["url"]) for line in items.read_text(encoding="utf-8").splitlines() if line]


def test_addon_switches_scheduler_and_dupefilter_only_when_enabled() -> None:
    off = Settings({"REDIS_URL": "redis://127.0.0.1:1/0"})
    DistributedAddon().update_settings(off)
    assert off.get("SCHEDULER") != DISTRIBUTED_SETTINGS["SCHEDULER"]

    on = Settings({"GOVCRAWL_DISTRIBUTED": True, "REDIS_URL": "redis://127.0.0.1:1/0"})
    DistributedAddon().update_settings(on)
    for name, value in DISTRIBUTED_SETTINGS.items():
        assert on.get(name) == value
    assert on.getbool("SCHEDULER_PERSIST")
    assert on.getdict("SPIDER_MIDDLEWARES").get("govcrawl.distributed.ack.InflightAckMiddleware") == 1
    assert "govcrawl.distributed.ack.InflightAckMiddleware" not in off.getdict("SPIDER_MIDDLEWARES")

    with pytest.raises(ValueError, match="REDIS_URL"):
        DistributedAddon().update_settings(Settings({"GOVCRAWL_DISTRIBUTED": True}))


class ResumableSpider(Spider):
    """Names the report callbacks a request the scheduler cannot serialise is resumed with (by name)."""

    name = "unit"

    def parse_report(self, response: Any) -> None:
        """An HTML report page."""

    def parse_attachment_report(self, response: Any) -> None:
        """A report that is an attachment itself."""

    def report_failed(self, failure: Any) -> None:
        """A failed report page."""


def _scheduler(client: redis.Redis, name: str = "unit", spider: Spider | None = None) -> SharedFrontierScheduler:
    """A scheduler on the real Redis, opened for a bare spider (no crawl, so no timers)."""
    scheduler = SharedFrontierScheduler(
        client, persist=True, queue_key="govcrawl:%(spider)s:requests",
        dupefilter=SharedDupeFilter(client, key=f"govcrawl:{name}:dupefilter"),
        dupefilter_key="govcrawl:%(spider)s:dupefilter",
    )
    scheduler.open(spider or Spider(name=name))
    return scheduler


def test_requests_carrying_worker_state_stay_local(redis_url, frontier) -> None:
    client = redis.Redis.from_url(redis_url)
    scheduler = _scheduler(client)
    try:
        shared = Request("http://127.0.0.1:1/zfxxgknb/index_1.html", meta={"govcrawl_role": "list"})
        attachment = Request("http://127.0.0.1:1/P020230101.pdf", dont_filter=True,
                             meta={"govcrawl_role": "attachment", "govcrawl_capture": Capture(url="http://127.0.0.1:1/t.html", body=b"x" * 10)})
        unpicklable = Request("http://127.0.0.1:1/report.html", meta={"callback_holder": lambda: None})
        assert scheduler.enqueue_request(shared)
        assert scheduler.enqueue_request(attachment)
        assert scheduler.enqueue_request(unpicklable)
        assert not scheduler.enqueue_request(shared.replace()), "the shared dupefilter must drop a repeat"
        assert client.zcard("govcrawl:unit:requests") == 1
        assert client.scard("govcrawl:unit:dupefilter") == 2  # dont_filter attachment is not fingerprinted
        assert len(scheduler) == 3 and scheduler.has_pending_requests()
        # worker-local requests first (they finish a report in progress), then the shared queue
        first, second, third = (scheduler.next_request() for _ in range(3))
        assert {first.url, second.url} == {attachment.url, unpicklable.url}
        assert third.url == shared.url and third.meta["govcrawl_role"] == "list"
        assert scheduler.next_request() is None
    finally:
        scheduler.close("shutdown")
        flush_frontier(redis_url, "unit")


def test_worker_stopping_early_returns_its_local_requests_to_redis(redis_url, frontier) -> None:
    client = redis.Redis.from_url(redis_url)
    scheduler = _scheduler(client, spider=ResumableSpider())
    picklable = Request("http://127.0.0.1:1/P1.pdf", dont_filter=True, meta={"govcrawl_role": "attachment"})
    holding_state = Request("http://127.0.0.1:1/P2.pdf", dont_filter=True, meta={
        "govcrawl_role": "attachment", "govcrawl_parent_url": "http://127.0.0.1:1/t2023_2.html",
        "govcrawl_capture": Capture(url="http://127.0.0.1:1/t2023_2.html", body=b"", warc=threading.Lock())})
    orphan = Request("http://127.0.0.1:1/P3.pdf", dont_filter=True, meta={"govcrawl_role": "attachment",
                                                                          "lock": threading.Lock()})
    for request in (picklable, holding_state, orphan):
        scheduler.enqueue_request(request)
    assert client.zcard("govcrawl:unit:requests") == 0  # all three are worker-local while it runs
    scheduler.close("shutdown")
    returned = {pickle.loads(raw)["url"] for raw in client.zrange("govcrawl:unit:requests", 0, -1)}
    # the picklable one goes back as is, the one holding a lock is replaced by its report page, the orphan is lost
    assert returned == {"http://127.0.0.1:1/P1.pdf", "http://127.0.0.1:1/t2023_2.html"}
    flush_frontier(redis_url, "unit")


def test_idle_worker_waits_for_busy_workers_and_queued_requests(redis_url, frontier) -> None:
    client = redis.Redis.from_url(redis_url)
    scheduler = _scheduler(client)
    spider = scheduler.spider
    try:
        scheduler.spider_idle(spider)  # alone, nothing queued: may close

        client.hset("govcrawl:unit:workers", "other:1", json.dumps({"state": "busy", "at": time.time()}))
        with pytest.raises(DontCloseSpider):
            scheduler.spider_idle(spider)
        client.hset("govcrawl:unit:workers", "other:1", json.dumps({"state": "busy", "at": time.time() - 3600}))
        scheduler.spider_idle(spider)  # a stale heartbeat is a dead worker
        client.hset("govcrawl:unit:workers", "other:1", json.dumps({"state": "idle", "at": time.time()}))
        scheduler.spider_idle(spider)  # an idle live worker is no reason to wait

        scheduler.enqueue_request(Request("http://127.0.0.1:1/a.html"))
        with pytest.raises(DontCloseSpider):
            scheduler.spider_idle(spider)
        assert scheduler.next_request() is not None
        assert json.loads(client.hget("govcrawl:unit:workers", scheduler.worker_id))["state"] == "busy"
    finally:
        scheduler.close("shutdown")
        flush_frontier(redis_url, "unit")


def test_only_the_last_finishing_worker_clears_the_frontier(redis_url, frontier) -> None:
    client = redis.Redis.from_url(redis_url)
    stopped = _scheduler(client)
    stopped.enqueue_request(Request("http://127.0.0.1:1/b.html"))
    stopped.close("shutdown")  # an interrupted worker keeps queue and fingerprints
    assert client.zcard("govcrawl:unit:requests") == 1 and client.scard("govcrawl:unit:dupefilter") == 1
    assert not client.hexists("govcrawl:unit:workers", stopped.worker_id)

    finishing, other = _scheduler(client), _scheduler(client)
    assert finishing.next_request() is not None
    finishing.close("finished")  # another live worker is registered: keep the fingerprints
    assert client.scard("govcrawl:unit:dupefilter") == 1
    other.close("finished")  # last one out clears
    assert not client.exists("govcrawl:unit:dupefilter") and not client.exists("govcrawl:unit:requests")


def test_stopped_worker_leaves_frontier_in_redis_and_another_resumes_it(tmp_path, redis_url, portal, frontier) -> None:
    start_url = portal.start_urls["county"][0]
    expected = {dedupe_key(url) for url in portal.expected_for(start_url)}

    first, first_items, first_log = _worker(tmp_path, "first", redis_url, start_url,
                                            "CLOSESPIDER_PAGECOUNT=10", "CONCURRENT_REQUESTS=1")
    first_stats = _finish(first, first_log)
    assert first_stats.get("finish_reason") == "closespider_pagecount"

    # the frontier outlived the worker: queued requests for the portal, and the fingerprints already seen
    queued = frontier.zrange(QUEUE, 0, -1)
    assert queued, "no requests left in Redis after the first worker stopped"
    queued_urls = {pickle.loads(raw)["url"] for raw in queued}
    assert all(url.startswith(start_url.split("/zwgk/")[0]) for url in queued_urls), queued_urls
    assert frontier.scard(SEEN) >= len(queued) + first_stats.get("scheduler/dequeued/redis", 0) - 1
    assert not frontier.hlen(WORKERS), "a stopped worker must deregister"

    second, second_items, second_log = _worker(tmp_path, "second", redis_url, start_url)
    second_stats = _finish(second, second_log)
    assert second_stats.get("finish_reason") == "finished"
    assert "Resuming crawl" in second_log.read_text(encoding="utf-8")
    assert second_stats.get("scheduler/dequeued/redis", 0) >= len(queued)

    first_keys, second_keys = _report_keys(first_items), _report_keys(second_items)
    assert first_keys and second_keys, "both workers should have emitted some of the reports"
    assert set(first_keys) | set(second_keys) == expected
    assert len(first_keys) + len(second_keys) == len(expected), "a report was emitted twice"

    # the last worker to finish cleared the frontier for the next crawl
    assert not frontier.exists(QUEUE) and not frontier.exists(SEEN)
    assert second_stats.get("govcrawl/distributed/flushed") == 1


def test_two_concurrent_workers_share_one_frontier(tmp_path, redis_url, portal, frontier) -> None:
    # the attachments site makes report pages with PDF/DOCX attachments: those requests stay worker-local
    start_urls = [portal.start_urls["county"][0], portal.start_urls["attachments"][0]]
    start_url = ",".join(start_urls)
    expected = {dedupe_key(url) for one in start_urls for url in portal.expected_for(one)}
    # A worker's engine moves up to CONCURRENT_REQUESTS requests from Redis into its downloader at once, so a
    # small value leaves work in Redis for the other; the delay makes the crawl outlast the start-up skew.
    slow = ("DOWNLOAD_DELAY=0.25", "CONCURRENT_REQUESTS=2", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
    workers = [_worker(tmp_path, name, redis_url, start_url, *slow) for name in ("alpha", "beta")]
    stats = [_finish(process, log) for process, _, log in workers]

    keys = [_report_keys(items) for _, items, _ in workers]
    assert all(s.get("finish_reason") == "finished" for s in stats), stats
    assert all(s.get("scheduler/dequeued/redis", 0) > 0 for s in stats), "a worker took nothing from Redis"
    assert set(keys[0]) | set(keys[1]) == expected
    assert len(keys[0]) + len(keys[1]) == len(expected), "a report was emitted by both workers"
    assert sum(s.get("govcrawl/distributed/local", 0) for s in stats) > 0, "no attachment stayed local"
    assert sum(s.get("govcrawl/attachments", 0) for s in stats) > 0
    assert not frontier.exists(QUEUE) and not frontier.exists(SEEN)


INFLIGHT = "govcrawl:unit:inflight:"


def _dead_worker_id() -> str:
    """A worker id of this host whose process has exited (and been reaped)."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return f"{socket.gethostname()}:{gone.pid}:deadbeef"


def test_popped_requests_stay_in_flight_until_acknowledged(redis_url, frontier) -> None:
    client = redis.Redis.from_url(redis_url)
    scheduler = _scheduler(client)
    try:
        for name in ("a", "b"):
            scheduler.enqueue_request(Request(f"http://127.0.0.1:1/{name}.html"))
        first = scheduler.next_request()
        token = first.meta["govcrawl_inflight"]
        # moved, not copied: out of the queue and into this worker's in-flight hash in one step
        assert client.zcard("govcrawl:unit:requests") == 1
        assert client.hkeys(INFLIGHT + scheduler.worker_id) == [token.encode()]
        scheduler.acknowledge(first)
        assert not client.exists(INFLIGHT + scheduler.worker_id)
        second = scheduler.next_request()
        assert client.hlen(INFLIGHT + scheduler.worker_id) == 1 and second.url.endswith("/b.html")
    finally:
        scheduler.close("shutdown")  # a graceful close: whatever is left in flight had failed
    assert not client.exists(INFLIGHT + scheduler.worker_id)
    flush_frontier(redis_url, "unit")


def test_in_flight_requests_of_a_dead_worker_go_back_to_the_queue(redis_url, frontier) -> None:
    client = redis.Redis.from_url(redis_url)
    live = _scheduler(client)  # a live worker with something in flight must be left alone
    client.hset(INFLIGHT + live.worker_id, "token", pickle.dumps({"url": "http://127.0.0.1:1/live.html"}))
    victim = _scheduler(client)
    for name in ("a", "b", "c"):
        victim.enqueue_request(Request(f"http://127.0.0.1:1/{name}.html", priority=len(name)))
    taken = [victim.next_request(), victim.next_request()]
    victim.acknowledge(taken[0])
    # the victim "dies": same host, its process gone (a stale heartbeat would do too, after the timeout)
    dead_id = _dead_worker_id()
    client.rename(INFLIGHT + victim.worker_id, INFLIGHT + dead_id)
    client.hdel("govcrawl:unit:workers", victim.worker_id)
    client.hset("govcrawl:unit:workers", dead_id, json.dumps({"state": "busy", "at": time.time()}))
    try:
        rescuer = _scheduler(client)  # reclaims on open
        assert not client.exists(INFLIGHT + dead_id) and not client.hexists("govcrawl:unit:workers", dead_id)
        assert client.hlen(INFLIGHT + live.worker_id) == 1, "a live worker's in-flight requests were taken"
        queued = {pickle.loads(raw)["url"] for raw in client.zrange("govcrawl:unit:requests", 0, -1)}
        assert taken[1].url in queued and taken[0].url not in queued  # the unacknowledged one is back
        assert rescuer.reclaim_orphans() == 0  # nothing left to take
        again = [rescuer.next_request() for _ in range(len(queued))]
        assert "govcrawl_inflight" in again[0].meta and taken[1].url in {r.url for r in again}
    finally:
        for scheduler in (live, victim, rescuer):
            scheduler.close("shutdown")
        flush_frontier(redis_url, "unit")
    assert not client.keys(INFLIGHT + "*")


class FlushedItemLog:
    """Item pipeline (test only, last): appends each item's URL and flushes at once, so a SIGKILL loses no line
    of an item that made it through the pipelines (Scrapy's feed exports buffer theirs)."""

    def __init__(self, path: str) -> None:
        self.handle = open(path, "a", encoding="utf-8")

    @classmethod
    def from_crawler(cls, crawler) -> FlushedItemLog:
        return cls(crawler.settings.get("GOVCRAWL_TEST_ITEM_LOG"))

    def process_item(self, item):
        self.handle.write(json.dumps({"url": item["url"]}) + "\n")
        self.handle.flush()
        return item

    def close_spider(self, spider=None) -> None:
        self.handle.close()


def test_killed_worker_loses_no_report(tmp_path, redis_url, portal, frontier) -> None:
    """SIGKILL a worker mid-crawl; a second worker reclaims its in-flight requests and the two together emit
    every report (at least once: a report emitted just before the kill may be emitted again)."""
    start_urls = [portal.start_urls["county"][0], portal.start_urls["attachments"][0]]
    expected = {dedupe_key(url) for one in start_urls for url in portal.expected_for(one)}
    slow = ("DOWNLOAD_DELAY=0.2", "CONCURRENT_REQUESTS=4", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
    victim_items = tmp_path / "victim-flushed.jsonl"
    pipelines = {"govcrawl.pipelines.CaptureSummaryPipeline": 300, "tests.test_distributed_redis.FlushedItemLog": 900}
    victim, _, _ = _worker(tmp_path, "victim", redis_url, ",".join(start_urls), *slow,
                           f"ITEM_PIPELINES={json.dumps(pipelines)}", f"GOVCRAWL_TEST_ITEM_LOG={victim_items}")
    deadline = time.monotonic() + 120
    try:
        # kill once the victim holds several shared requests and has emitted some reports
        while not (sum(frontier.hlen(k) for k in frontier.scan_iter("govcrawl:gov_reports:inflight:*")) >= 2
                   and len(_report_keys(victim_items)) >= 3):
            assert victim.poll() is None, "the victim finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        victim.kill()
        victim.wait()
    in_flight = sum(frontier.hlen(k) for k in frontier.scan_iter("govcrawl:gov_reports:inflight:*"))
    assert in_flight >= 2
    before = set(_report_keys(victim_items))
    assert before < expected

    rescuer, rescuer_items, rescuer_log = _worker(tmp_path, "rescuer", redis_url, ",".join(start_urls))
    stats = _finish(rescuer, rescuer_log)
    assert stats.get("finish_reason") == "finished"
    assert stats.get("govcrawl/distributed/reclaimed", 0) >= in_flight
    after = _report_keys(rescuer_items)
    assert before | set(after) == expected, f"lost: {sorted(expected - before - set(after))}"
    assert len(after) == len(set(after)), "the rescuer emitted a report twice"
    assert not frontier.exists(QUEUE) and not frontier.exists(SEEN)
    assert not list(frontier.scan_iter("govcrawl:gov_reports:inflight:*"))
