"""A pool of worker processes for CPU-bound jobs (``build_item``), with per-job limits enforced by the OS.

Why processes: ``build_item`` (extract -> normalise -> parse) is pure Python for the most part, so a thread
holds the GIL and takes the crawl's own core. :class:`JobPool` runs jobs in a
:class:`concurrent.futures.ProcessPoolExecutor` (``spawn`` start method: no inherited reactor, sockets or
threads) and turns every way a job can fail into a :class:`JobOutcome` instead of an exception:

* a job running past ``job_timeout`` seconds of wall time: the watchdog thread SIGKILLs the worker that runs
  it (each worker writes (job id, pid, start time) to its slot in shared memory when it takes a job, so a job
  start costs the crawl process nothing); the job ends as ``resource_limit: time``;
* behind the watchdog, the kernel: ``RLIMIT_CPU`` is set per job in the worker (1.5 x ``job_timeout`` CPU
  seconds), so a job is killed even if the parent's watchdog could not run;
* a job asking for more memory than ``memory_limit`` bytes (``RLIMIT_AS`` in the worker): Python's
  ``MemoryError`` becomes ``resource_limit: memory``; a worker the kernel kills for it dies like any other;
* ``niceness``: workers run that much below the crawl's CPU priority (``os.nice``), so when the cores are
  busy the reactor thread, whose turn lengths are every site's send timing, gets the CPU first;
* a worker that dies (segfault, ``os._exit``, the OOM killer): the executor is broken, so the pool replaces it
  with a fresh one and runs the jobs that were in flight again, each at most ``retries`` more times; a job that
  was running every time a pool broke ends as ``worker_died``.

The pool never holds more than ``max_in_flight`` jobs: :meth:`JobPool.submit` blocks until a slot frees, and
async callers use :meth:`JobPool.has_capacity` / their own semaphore so the crawl's downloader is what waits.
Imports nothing of govcrawl: the job function is given by the caller and must be importable by name.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import count
from typing import Any

logger = logging.getLogger(__name__)

#: how often the watchdog looks for jobs past their time
WATCHDOG_INTERVAL = 0.1
#: RLIMIT_CPU per job, as a multiple of the wall-clock limit: the kernel's backstop behind the watchdog
CPU_LIMIT_FACTOR = 1.5


@dataclass(frozen=True)
class JobOutcome:
    """What became of one job: its ``result``, or ``error`` naming the limit or failure (then result is None)."""

    result: Any = None
    error: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None


def default_workers() -> int:
    """Cores minus one, at least one: the crawl process keeps a core for the reactor."""
    return max(1, (os.cpu_count() or 2) - 1)


# --- the worker side -------------------------------------------------------------------------------------------

#: per worker, three doubles in the executor's shared array: job id (0: none yet), pid, start (time.monotonic)
SLOT = 3
_slots: Any = None  # the executor's shared array, set by the initializer
_base = 0  # where this worker's slot starts in it


#: the process name workers take (``ps -o comm``), so operators and tests can tell them from other processes
WORKER_NAME = "gc-extract"


def _init_worker(slots: Any, claimed: Any, memory_limit: int | None, niceness: int = 0) -> None:
    global _slots, _base
    with claimed.get_lock():  # each worker of an executor takes the next free slot
        _base = SLOT * (claimed.value % (len(slots) // SLOT))
        claimed.value += 1
    _slots = slots
    slots[_base + 1] = os.getpid()
    try:
        with open("/proc/self/comm", "w") as comm:  # Linux: name the process for ps/top
            comm.write(WORKER_NAME)
    except OSError:
        pass
    if niceness > 0:
        try:
            os.nice(niceness)
        except OSError:  # not allowed here: the worker runs at the crawl's priority
            pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the crawl's to handle, not each worker's
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))


def _run_job(job_id: int, fn: Callable[..., Any], args: tuple[Any, ...], cpu_seconds: float | None) -> Any:
    _slots[_base + 2] = time.monotonic()  # CLOCK_MONOTONIC is system-wide: the parent compares it with its own
    _slots[_base] = job_id  # written last: a reader that sees the id sees its start time
    if cpu_seconds:
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = used.ru_utime + used.ru_stime
        _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        limit = int(spent + cpu_seconds) + 1
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
    try:
        return ("ok", fn(*args))
    except MemoryError:
        return ("error", "resource_limit: memory")


# --- the parent side -------------------------------------------------------------------------------------------


@dataclass
class _Job:
    job_id: int
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    outcome: Future[JobOutcome] = field(default_factory=Future)
    attempts: int = 0  # times a worker started it
    breaks: int = 0  # times its executor broke under it
    pid: int | None = None
    timed_out: bool = False


def _started_by(slots: Any, job_id: int) -> int | None:
    """The pid of the worker whose slot in ``slots`` holds ``job_id`` (it started the job), else None."""
    for base in range(0, len(slots), SLOT):
        if slots[base] == job_id:
            return int(slots[base + 1])
    return None


class _Lane:
    """One executor, its workers' slots and the generation it is in; a broken executor is swapped once."""

    def __init__(self, factory: Callable[[], tuple[ProcessPoolExecutor, Any]]) -> None:
        self.factory = factory
        self.executor, self.slots = factory()
        self.generation = 0

    def replace(self, generation: int) -> bool:
        if generation != self.generation:
            return False
        broken = self.executor
        self.executor, self.slots = self.factory()
        self.generation += 1
        broken.shutdown(wait=False, cancel_futures=True)
        return True


class JobPool:
    """Run ``fn(*args)`` jobs in worker processes; every job ends in a :class:`JobOutcome` (see module doc).

    Jobs that were running when a worker died are suspects: they run again one at a time in a one-worker
    *quarantine* executor, so a job that breaks it is known to be the one that kills workers, and innocent
    jobs that shared the broken executor still finish."""

    def __init__(self, workers: int | None = None, *, job_timeout: float | None = 120.0,
                 memory_limit: int | None = 2 * 1024**3, max_in_flight: int | None = None,
                 retries: int = 1, start_method: str = "spawn", niceness: int = 0) -> None:
        self.workers = workers if workers and workers > 0 else default_workers()
        self.job_timeout = job_timeout
        self.memory_limit = memory_limit
        self.retries = retries
        self.niceness = niceness
        self.max_in_flight = max_in_flight or 2 * self.workers
        self._context = multiprocessing.get_context(start_method)
        self._slots = threading.BoundedSemaphore(self.max_in_flight)
        self._lock = threading.RLock()
        self._jobs: dict[int, _Job] = {}
        self._ids = count(1)
        self._main = _Lane(lambda: self._new_executor(self.workers))
        self._quarantine: _Lane | None = None
        self._closed = threading.Event()
        self.stats = {"jobs": 0, "pool_replaced": 0, "timeouts": 0, "worker_died": 0, "retried": 0}
        self._watchdog = threading.Thread(target=self._watch, name="govcrawl-pool-watchdog", daemon=True)
        self._watchdog.start()

    def _new_executor(self, workers: int) -> tuple[ProcessPoolExecutor, Any]:
        # a slot per worker, written only by it (plain stores: no lock, so a worker may die mid-job safely)
        slots = self._context.RawArray("d", SLOT * workers)
        claimed = self._context.Value("i", 0)
        executor = ProcessPoolExecutor(max_workers=workers, mp_context=self._context, initializer=_init_worker,
                                       initargs=(slots, claimed, self.memory_limit, self.niceness))
        return executor, slots

    def _quarantine_lane(self) -> _Lane:
        with self._lock:
            if self._quarantine is None:
                self._quarantine = _Lane(lambda: self._new_executor(1))
            return self._quarantine

    # -- submitting

    def has_capacity(self) -> bool:
        """True when a job can be submitted without waiting."""
        with self._lock:
            return len(self._jobs) < self.max_in_flight

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[JobOutcome]:
        """Queue ``fn(*args)``; blocks while ``max_in_flight`` jobs are pending. The future never fails."""
        if self._closed.is_set():
            raise RuntimeError("JobPool is closed")
        self._slots.acquire()
        job = _Job(next(self._ids), fn, args)
        with self._lock:
            self._jobs[job.job_id] = job
            self.stats["jobs"] += 1
        self._dispatch(job, self._main)
        return job.outcome

    def _dispatch(self, job: _Job, lane: _Lane) -> None:
        job.pid = None
        cpu = self.job_timeout * CPU_LIMIT_FACTOR + 1 if self.job_timeout else None  # the watchdog fires first
        with self._lock:
            if self._closed.is_set():
                return
            executor, slots, generation = lane.executor, lane.slots, lane.generation
        try:
            future = executor.submit(_run_job, job.job_id, job.fn, job.args, cpu)
        except (BrokenProcessPool, RuntimeError):
            self._replace(lane, generation)
            self._dispatch(job, lane)
            return
        future.add_done_callback(lambda done: self._finished(job, done, lane, slots, generation))

    def _finished(self, job: _Job, done: Future[Any], lane: _Lane, slots: Any, generation: int) -> None:
        try:
            status, value = done.result()
        except BrokenProcessPool:
            self._count_start(job, slots)  # a job whose worker slot names it was running: a suspect
            self._broken(job, lane, generation)
            return
        except Exception as exc:  # the job raised (or could not be pickled): its own error, no retry
            self._count_start(job, slots)
            self._resolve(job, JobOutcome(error=f"job_error: {type(exc).__name__}: {exc}"[:300],
                                          attempts=job.attempts))
            return
        job.attempts += 1  # a result: a worker ran it
        if status == "ok":
            self._resolve(job, JobOutcome(result=value, attempts=job.attempts))
        else:
            self._resolve(job, JobOutcome(error=value, attempts=job.attempts))

    @staticmethod
    def _count_start(job: _Job, slots: Any) -> None:
        pid = _started_by(slots, job.job_id)  # each executor runs a job at most once: a slot naming it is this run
        if pid is not None:
            job.pid = pid
            job.attempts += 1

    def _broken(self, job: _Job, lane: _Lane, generation: int) -> None:
        self._replace(lane, generation)
        job.breaks += 1
        if job.timed_out:
            self._resolve(job, JobOutcome(error="resource_limit: time", attempts=job.attempts))
        elif self._closed.is_set():
            self._resolve(job, JobOutcome(error="pool_closed", attempts=job.attempts))
        elif job.pid is None and job.breaks <= 2 * (self.retries + 2):
            self._dispatch(job, lane)  # it never started: the executor broke under someone else
        elif job.attempts > self.retries:
            self.stats["worker_died"] += 1
            self._resolve(job, JobOutcome(error="worker_died", attempts=job.attempts))
        else:
            self.stats["retried"] += 1
            self._dispatch(job, self._quarantine_lane())

    def _resolve(self, job: _Job, outcome: JobOutcome) -> None:
        with self._lock:
            if self._jobs.pop(job.job_id, None) is None:
                return
        job.outcome.set_result(outcome)  # before the slot frees, so a waiting submit sees it done
        self._slots.release()

    def _replace(self, lane: _Lane, generation: int) -> None:
        with self._lock:
            if self._closed.is_set() or not lane.replace(generation):
                return
            self.stats["pool_replaced"] += 1
        logger.warning("worker pool broken (a worker died); replaced it")

    # -- watching

    def _watch(self) -> None:
        while not self._closed.is_set():
            if self.job_timeout:
                self._kill_overdue()
            time.sleep(WATCHDOG_INTERVAL)

    def _kill_overdue(self) -> None:
        now = time.monotonic()
        overdue = []
        with self._lock:
            for lane in (self._main, self._quarantine):
                slots = [] if lane is None else lane.slots[:]  # one copy: a consistent enough snapshot
                for base in range(0, len(slots), SLOT):
                    if not slots[base] or now - slots[base + 2] <= self.job_timeout:  # type: ignore[operator]
                        continue
                    job = self._jobs.get(int(slots[base]))
                    if job is not None and not job.timed_out:
                        job.timed_out, job.pid = True, int(slots[base + 1])
                        overdue.append(job)
        for job in overdue:
            self.stats["timeouts"] += 1
            logger.warning("job %s ran past %.0fs: killing worker %s", job.job_id, self.job_timeout, job.pid)
            try:
                os.kill(job.pid, signal.SIGKILL)  # type: ignore[arg-type]
            except (ProcessLookupError, TypeError):
                pass

    # -- closing

    def close(self, *, wait: bool = True) -> None:
        """Stop the watchdog and the workers; pending jobs end as ``pool_closed``."""
        if self._closed.is_set():
            return
        with self._lock:
            self._closed.set()
            lanes = [lane for lane in (self._main, self._quarantine) if lane is not None]
            pending = list(self._jobs.values())
        for lane in lanes:
            lane.executor.shutdown(wait=wait and not pending, cancel_futures=True)
        for job in pending:
            self._resolve(job, JobOutcome(error="pool_closed", attempts=job.attempts))
        self._watchdog.join(timeout=1)

    def __enter__(self) -> JobPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
