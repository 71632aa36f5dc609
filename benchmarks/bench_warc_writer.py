"""Writer process transport: govcrawl.warc.process (groups framed into a raw pipe, handed over together every few ms
from the reactor, answers batched) against a plain one-message-per-group pipe, side by side in one run, as crawl
throughput on the loopback portal of bench_crawl.py.

The baseline below is reduced to what the crawl exercises: each group's specs pickled into a ``multiprocessing``
pipe by the crawl thread at once, the writer process answering with batched locations (one message every 10 ms at
most), a receiver thread resolving the groups' futures. Both transports write with the same
:class:`govcrawl.warc.rotation.WarcWriter`. (The ``ProcessPoolExecutor(max_workers=1)`` transport govcrawl used
before cost more: its management and queue-feeder threads competed for the GIL with the reactor.) Modes (WARC off, govcrawl, pipe) rotate for ROUNDS rounds, each crawl in
a fresh Scrapy process; medians and the govcrawl/pipe ratios are reported: of pages/s, and of the CPU time the crawl
process itself spends per page (user + system of all its threads, spider_opened -> spider_closed; the writer
process is not counted), which a loaded machine disturbs much less than wall time.

    python benchmarks/bench_warc_writer.py [--reports 2000] [--rounds 3] [--out benchmarks/results/warc_writer.md]
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_crawl import LIST_PAGES, build_site, crawl_once, serve

from govcrawl.warc.middleware import WarcArchiveMiddleware
from govcrawl.warc.process import ProcessWarcWriter
from govcrawl.warc.records import build_records, new_record_id, payload_digest
from govcrawl.warc.rotation import GroupLocations, RecordLocation, WarcWriter


def _pipe_writer_main(conn: Any, options: dict[str, Any], reply_interval: float = 0.01) -> None:
    """The pipe protocol's writer process: ``(token, specs)`` in, ``("done", [(token, located, error)])`` out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    writer = WarcWriter(**options)
    results: list[tuple[int, GroupLocations | None, str | None]] = []
    last_sent = time.monotonic()
    closing = False
    try:
        while not closing:
            try:
                while conn.poll(None if not results else max(0.0, last_sent + reply_interval - time.monotonic())):
                    message = conn.recv()
                    if message[0] == "close":
                        closing = True
                        break
                    token, specs = message
                    try:
                        results.append((token, writer.write_group_located(build_records(specs)), None))
                    except Exception as exc:
                        results.append((token, None, repr(exc)))
            except (EOFError, OSError):
                break
            if results:
                conn.send(("done", results))
                results, last_sent = [], time.monotonic()
    finally:
        writer.close()
        conn.send(("closed", writer.closed_files))
        conn.close()


class PipeWarcWriter:
    """The pipe protocol's crawl side, with the interface of :class:`govcrawl.warc.process.ProcessWarcWriter`."""

    def __init__(self, directory: str, *, on_written: Callable[[list[RecordLocation]], None] | None = None,
                 on_file_opened: Callable[[RecordLocation], None] | None = None, **options: Any) -> None:
        self.on_written, self.on_file_opened = on_written, on_file_opened
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe(duplex=True)
        self._process = context.Process(target=_pipe_writer_main, args=(child, {"directory": directory, **options}),
                                        daemon=True)
        self._process.start()
        child.close()
        self._pending: dict[int, Future[GroupLocations]] = {}
        self._tokens = itertools.count()
        self._lock = threading.Lock()
        self._receiver = threading.Thread(target=self._receive, daemon=True)
        self._receiver.start()

    def submit(self, specs: Sequence[tuple[str, dict[str, Any]]], *, flush: bool = True) -> Future[GroupLocations]:
        future: Future[GroupLocations] = Future()
        token = next(self._tokens)
        with self._lock:
            self._pending[token] = future
            self._conn.send((token, list(specs)))
        return future

    def flush(self) -> None:
        """Every group is sent at once."""

    def _receive(self) -> None:
        while True:
            message = self._conn.recv()
            if message[0] == "closed":
                return
            for token, located, error in message[1]:
                with self._lock:
                    future = self._pending.pop(token)
                if located is None:
                    future.set_exception(RuntimeError(error))
                    continue
                if located.warcinfo is not None and self.on_file_opened:
                    self.on_file_opened(located.warcinfo)
                if self.on_written:
                    self.on_written(located.records)
                future.set_result(located)

    def close(self, timeout: float | None = None) -> None:
        with self._lock:
            self._conn.send(("close",))
        self._receiver.join(timeout)
        self._process.join(timeout)


class PipeWarcArchiveMiddleware(WarcArchiveMiddleware):
    """The WARC middleware writing through the pipe protocol."""

    writer_class = PipeWarcWriter  # type: ignore[assignment]


MODES = {"off": None, "govcrawl": None, "pipe": "bench_warc_writer.PipeWarcArchiveMiddleware"}
WRITERS = {"govcrawl": ProcessWarcWriter, "pipe": PipeWarcWriter}


def group_specs(index: int, body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """A response + request + metadata group shaped like the middleware's for one report page."""
    record_id = new_record_id()
    url = f"http://127.0.0.1:8000/nb/{index}.html"
    http = {"status": 200, "protocol": "HTTP/1.1", "body": body, "method": "GET", "rendered": False,
            "headers": [(b"Content-Type", [b"text/html; charset=utf-8"]), (b"Content-Length", [str(len(body)).encode()])]}
    request_headers = [(b"Accept", [b"text/html"]), (b"User-Agent", [b"govcrawl"]), (b"Referer", [b"http://127.0.0.1/"])]
    return [
        ("response", {"url": url, "http_headers": http, "body": body, "date": "2026-12-02T00:00:00.000000Z",
                      "digest": payload_digest(body), "record_id": record_id, "ip_address": "127.0.0.1",
                      "truncated": None, "rendered_by": None}),
        ("request", {"url": url, "method": "GET", "headers": request_headers, "body": b"", "protocol": "HTTP/1.1",
                     "date": "2026-12-02T00:00:00.000000Z", "concurrent_to": record_id}),
        ("metadata", {"url": url, "date": "2026-12-02T00:00:00.000000Z", "concurrent_to": record_id,
                      "body": b'{"list_url": "http://127.0.0.1:8000/list/0.html", "role": "report"}'}),
    ]


def crawl_work(iterations: int = 10000) -> int:
    """Pure-Python work holding the GIL, standing in for the reactor thread's work on one page."""
    total = 0
    for value in range(iterations):
        total += value * value % 7
    return total


def submit_once(kind: str, directory: str, groups: list[list[tuple[str, dict[str, Any]]]]) -> dict[str, float]:
    """A synthetic crawl thread: per group, ``crawl_work`` then a submit through the transport (``none``: no
    submit); then wait for every group. Returns the CPU time this process spent per group (every thread: the work,
    submit and pickling, the transport's own threads; not the writer process) and the wall time per group."""
    writer = WRITERS[kind](directory, prefix=kind) if kind != "none" else None
    if writer is not None:
        writer.submit(groups[0]).result(60)  # the writer process is up
    cpu, start = time.process_time(), time.perf_counter()
    futures = []
    for group in groups:
        crawl_work()
        if writer is not None:
            futures.append(writer.submit(group))
    for future in futures:
        future.result(60)
    result = {"cpu_ms_per_group": 1000 * (time.process_time() - cpu) / len(groups),
              "wall_ms_per_group": 1000 * (time.perf_counter() - start) / len(groups)}
    if writer is not None:
        writer.close()
    return result


def submit_benchmark(rounds: int, count: int = 2000) -> list[str]:
    """The transports alone, in this process: CPU (and wall) time per group above the synthetic crawl thread's."""
    pages = build_site(count)
    bodies = [body for path, body in pages.items() if path.startswith("/nb/")]
    groups = [group_specs(index, body) for index, body in enumerate(bodies)]
    kinds = ["none", "govcrawl", "pipe"]
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(rounds):
            shift = round_ % len(kinds)
            for kind in kinds[shift:] + kinds[:shift]:
                result = submit_once(kind, os.path.join(tmp, f"{kind}-{round_}"), groups)
                runs[kind].append(result)
                print(f"submit round {round_ + 1} {kind:8}: {result['cpu_ms_per_group']:.3f} CPU ms/group, "
                      f"{result['wall_ms_per_group']:.3f} wall ms/group", flush=True)
    cpu = {kind: statistics.median(r["cpu_ms_per_group"] for r in runs[kind]) for kind in kinds}
    wall = {kind: statistics.median(r["wall_ms_per_group"] for r in runs[kind]) for kind in kinds}
    lines = [f"## Transports alone: {count} groups (response + request + metadata of bench_crawl's pages) submitted "
             f"from a synthetic crawl thread ({rounds} rounds, medians)", "",
             "| transport | CPU ms/group (this process) | above no WARC | wall ms/group |", "|---|---|---|---|"]
    for kind in kinds:
        lines.append(f"| {kind} | {cpu[kind]:.3f} | {cpu[kind] - cpu['none']:+.3f} | {wall[kind]:.3f} |")
    lines += ["", f"**transport CPU in the crawl process per group: govcrawl {cpu['govcrawl'] - cpu['none']:.3f} ms, "
              f"pipe {cpu['pipe'] - cpu['none']:.3f} ms; govcrawl/pipe wall time "
              f"{wall['govcrawl'] / wall['pipe']:.3f}**", ""]
    print("\n".join(lines[-2:]))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "warc_writer.md"))
    parser.add_argument("--submit-rounds", type=int, default=5, help="rounds of the transports-alone part")
    args = parser.parse_args()
    submit_lines = submit_benchmark(args.submit_rounds)

    pages = build_site(args.reports)
    port_queue: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(pages, port_queue), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port_queue.get(timeout=30)}"
    modes = list(MODES)
    runs: dict[str, list[dict]] = {mode: [] for mode in modes}
    load_before = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for round_ in range(args.rounds):
                shift = round_ % len(modes)
                for mode in modes[shift:] + modes[:shift]:
                    workdir = Path(tmp) / f"r{round_}-{mode}"
                    workdir.mkdir()
                    middleware = MODES[mode]
                    result = (crawl_once(base, mode, workdir, middleware=middleware) if middleware
                              else crawl_once(base, mode, workdir))
                    runs[mode].append(result)
                    print(f"round {round_ + 1} {mode:8}: {result['pages']} pages in {result['seconds']:.2f}s = "
                          f"{result['pages_per_s']:.1f} pages/s, crawl process {result['cpu_ms_per_page']:.2f} "
                          "CPU ms/page", flush=True)
    finally:
        server.terminate()
    medians = {mode: statistics.median(r["pages_per_s"] for r in runs[mode]) for mode in modes}
    cpu = {mode: statistics.median(r["cpu_ms_per_page"] for r in runs[mode]) for mode in modes}
    ratio = medians["govcrawl"] / medians["pipe"]
    summary = (f"pages/s median: WARC off {medians['off']:.1f}, govcrawl {medians['govcrawl']:.1f}, pipe "
               f"{medians['pipe']:.1f}; govcrawl/pipe {ratio:.3f}")
    cpu_summary = (f"crawl-process CPU ms/page median: WARC off {cpu['off']:.2f}, govcrawl {cpu['govcrawl']:.2f}, "
                   f"pipe {cpu['pipe']:.2f}; govcrawl/pipe {cpu['govcrawl'] / cpu['pipe']:.3f}")
    print(summary)
    print(cpu_summary)
    lines = [
        "# Writer process transport: govcrawl.warc.process against a per-group pipe (benchmarks/bench_warc_writer.py)",
        "",
        f"- Portal: {LIST_PAGES} list pages + {args.reports} report pages (bench_crawl.py's), crawl as in bench_crawl.py",
        "- govcrawl: govcrawl.warc.process (framed groups written together every 10 ms from the reactor); pipe: "
        "one pickled message per group at once, batched answers every 10 ms (issue 3's protocol)",
        f"- Machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after "
        f"the run; rounds: {args.rounds}, modes rotating inside each round",
        f"- Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        "| run | mode | pages | seconds | pages/s | crawl-process CPU ms/page |",
        "|---|---|---|---|---|---|",
    ]
    for mode in modes:
        for index, result in enumerate(runs[mode]):
            lines.append(f"| {index + 1} | {mode} | {result['pages']} | {result['seconds']:.2f} | "
                         f"{result['pages_per_s']:.1f} | {result['cpu_ms_per_page']:.2f} |")
    lines += ["", f"**{summary}**  ", f"**{cpu_summary}**", ""] + submit_lines
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
