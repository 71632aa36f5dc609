"""The worker pool (issue 11): real spawned processes, real kills, real rlimits."""

from __future__ import annotations

import time

from govcrawl.workers import JobPool, default_workers
from tests import pool_jobs


def test_results_come_back_in_order_of_submission() -> None:
    with JobPool(2, job_timeout=30) as pool:
        futures = [pool.submit(pool_jobs.square, n) for n in range(20)]
        outcomes = [future.result(timeout=60) for future in futures]
    assert [o.result for o in outcomes] == [n * n for n in range(20)]
    assert all(o.ok and o.attempts == 1 for o in outcomes)


def test_a_job_that_never_ends_is_killed_and_the_pool_goes_on() -> None:
    with JobPool(2, job_timeout=1.5) as pool:
        stuck = pool.submit(pool_jobs.spin_forever, 0)
        asleep = pool.submit(pool_jobs.sleep_forever, 0)
        started = time.monotonic()
        timed_out = stuck.result(timeout=30)
        assert timed_out.error == "resource_limit: time" and timed_out.attempts == 1
        assert asleep.result(timeout=30).error == "resource_limit: time"
        assert time.monotonic() - started < 15
        assert pool.submit(pool_jobs.square, 7).result(timeout=60).result == 49
        assert pool.stats["timeouts"] == 2 and pool.stats["pool_replaced"] >= 1


def test_a_dying_worker_gives_worker_died_and_innocent_jobs_still_finish() -> None:
    with JobPool(2, job_timeout=30, retries=1) as pool:
        innocent = [pool.submit(pool_jobs.square, n) for n in range(6)]
        dying = pool.submit(pool_jobs.die, 0)
        more = [pool.submit(pool_jobs.square, n) for n in range(6, 12)]
        outcome = dying.result(timeout=60)
        assert outcome.error == "worker_died" and outcome.attempts == 2
        assert [f.result(timeout=60).result for f in innocent + more] == [n * n for n in range(12)]
        assert pool.stats["pool_replaced"] >= 2


def test_memory_over_the_limit_is_a_flagged_outcome_not_a_crash() -> None:
    with JobPool(1, job_timeout=30, memory_limit=512 * 1024**2) as pool:
        assert pool.submit(pool_jobs.allocate, 2048).result(timeout=60).error == "resource_limit: memory"
        assert pool.submit(pool_jobs.allocate, 16).result(timeout=60).result == 16 * 1024 * 1024


def test_a_job_that_raises_keeps_its_error_and_is_not_retried() -> None:
    with JobPool(1, job_timeout=30) as pool:
        outcome = pool.submit(pool_jobs.fail, 0).result(timeout=60)
    assert outcome.error == "job_error: ValueError: bad document" and outcome.attempts == 1


def test_a_job_that_cannot_be_sent_never_started_and_the_pool_goes_on() -> None:
    with JobPool(1, job_timeout=30) as pool:
        outcome = pool.submit(pool_jobs.square, lambda: 0).result(timeout=60)  # a lambda does not pickle
        assert outcome.error is not None and outcome.error.startswith("job_error:") and outcome.attempts == 0
        assert pool.submit(pool_jobs.square, 5).result(timeout=60).result == 25


def test_in_flight_jobs_are_bounded() -> None:
    with JobPool(1, job_timeout=30, max_in_flight=2) as pool:
        assert pool.has_capacity()
        first = pool.submit(pool_jobs.pause, 1.0)
        pool.submit(pool_jobs.pause, 0.1)
        assert not pool.has_capacity(), "two jobs of a second and more are in flight"
        started = time.monotonic()
        third = pool.submit(pool_jobs.square, 3)  # blocks until a slot frees, then runs
        assert first.done() and time.monotonic() - started > 0.3
        assert third.result(timeout=60).result == 9


def test_jobs_run_in_other_processes() -> None:
    import os

    with JobPool(2, job_timeout=30) as pool:
        pids = {pool.submit(pool_jobs.pid_of_worker, n).result(timeout=60).result for n in range(8)}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    assert default_workers() >= 1


def test_workers_run_below_the_crawl_priority_when_asked() -> None:
    import os

    own = os.nice(0)
    with JobPool(1, job_timeout=30, niceness=5) as pool:
        lowered = pool.submit(pool_jobs.niceness_of_worker, 0).result(timeout=60).result
    with JobPool(1, job_timeout=30) as pool:
        same = pool.submit(pool_jobs.niceness_of_worker, 0).result(timeout=60).result
    assert lowered == min(19, own + 5) and same == own
