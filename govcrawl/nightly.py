"""``govcrawl nightly``: the incremental archival job for cron / systemd, with a run report.

One invocation:

1. takes ``<archive>/.nightly.lock`` (a second job on the same archive exits with status 3);
2. repairs ``.warc.gz.open`` files a crashed crawl left behind (cut back to the last complete record);
3. resumes the last unfinished run of the catalog if it had the same arguments (its Scrapy ``JOBDIR`` is kept
   after a graceful stop, discarded after a hard kill: a SIGKILLed JOBDIR may hold requests marked seen but
   never fetched), otherwise starts a new run;
4. runs ``python -m scrapy crawl gov_reports`` in a subprocess with ``GOVCRAWL_INCREMENTAL`` on, the catalog
   and the run id (cwd-independent: ``SCRAPY_SETTINGS_MODULE=govcrawl.settings``, whose add-on
   :class:`govcrawl.addon.GovcrawlAddon` installs the incremental middleware and the catalog components).
   Pages the catalog holds are re-validated (304 -> server-not-modified revisit) or stored as revisits when
   unchanged; idempotent catalog upserts keyed by URL + content hash make a re-run after a crash add no duplicate;
5. writes ``-o`` (the report items this run added: new reports and new versions, JSONL), the run report
   ``<archive>/runs/run-<id>.json`` + ``.txt`` and prints the summary. Exit status: 0 when every site
   answered, 1 when a site failed entirely or the crawl process failed, 2 on bad arguments, 3 when locked,
   4 when the crawl was stopped gracefully before the end (``--timeout``, SIGTERM; the next run resumes it),
   5 when the catalog is damaged (truncated, corrupted: checked with SQLite's ``quick_check`` first; the
   message says how to restore it from the WARC files with ``govcrawl rebuild ARCHIVE --catalog PATH``).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from govcrawl.catalog import Catalog, CatalogError, host_of, utc_now
from govcrawl.warc.files import warc_files

EXIT_OK, EXIT_SITE_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_INTERRUPTED, EXIT_BAD_CATALOG = 0, 1, 2, 3, 4, 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``govcrawl nightly``."""
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--sites", metavar="FILE", help="site registry (TOML); default: the bundled registry")
    what.add_argument("--start-urls", metavar="URL,…", help="comma-separated 信息公开年报 column URLs")
    parser.add_argument("--archive", default="archive", metavar="DIR", help="archive directory (default: %(default)s)")
    parser.add_argument("--catalog", metavar="PATH", help="catalog file (default: ARCHIVE/catalog.sqlite)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the items this run produced as JSONL")
    parser.add_argument("--report", metavar="FILE", help="run report JSON (default: ARCHIVE/runs/run-ID.json)")
    parser.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="extra Scrapy setting for the crawl (repeatable)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="stop the crawl gracefully after this long (a second signal after 60 s more)")


def run(args: argparse.Namespace) -> int:
    """Entry point of ``govcrawl nightly``."""
    for setting in args.settings:
        if "=" not in setting:
            print(f"govcrawl nightly: -s expects NAME=VALUE, got {setting!r}", file=sys.stderr)
            return EXIT_USAGE
    archive = Path(args.archive).resolve()
    archive.mkdir(parents=True, exist_ok=True)
    try:
        expected = expected_hosts(args)
    except (OSError, ValueError) as exc:
        print(f"govcrawl nightly: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with _locked(archive / ".nightly.lock") as locked:
        if not locked:
            print(f"govcrawl nightly: another nightly job holds {archive / '.nightly.lock'}", file=sys.stderr)
            return EXIT_LOCKED
        catalog_path = Path(args.catalog).resolve() if args.catalog else archive / "catalog.sqlite"
        damage = catalog_damage(catalog_path)
        if damage:
            print(f"govcrawl nightly: {damage}; restore it from the WARC files: move it away, then "
                  f"govcrawl rebuild {archive} -o items.jsonl --catalog {catalog_path}", file=sys.stderr)
            return EXIT_BAD_CATALOG
        try:
            return _run_locked(args, archive, expected)
        except CatalogError as exc:
            print(f"govcrawl nightly: {exc}", file=sys.stderr)
            return EXIT_BAD_CATALOG


def catalog_damage(path: Path) -> str | None:
    """Why the catalog file at ``path`` is unusable (truncated, corrupted, not SQLite), or None (also when absent)."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
        try:
            verdict = [row[0] for row in conn.execute("PRAGMA quick_check")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return f"{path}: damaged catalog ({exc})"
    return None if verdict == ["ok"] else f"{path}: damaged catalog ({'; '.join(verdict)[:200]})"


def _run_locked(args: argparse.Namespace, archive: Path, expected: list[str]) -> int:
    began = time.monotonic()
    began_at = utc_now()
    repaired = repair_archive(archive)
    catalog_path = Path(args.catalog).resolve() if args.catalog else archive / "catalog.sqlite"
    run_args = {"sites": str(Path(args.sites).resolve()) if args.sites else None,
                "start_urls": _split_urls(args.start_urls), "archive": str(archive)}
    with Catalog(catalog_path) as catalog:
        run_id, resumed = _start_or_resume(catalog, run_args, archive)
    bytes_before = warc_bytes(archive)
    job_dir = archive / "jobs" / f"run-{run_id}"
    log_path = archive / "logs" / f"run-{run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = crawl_command(args, archive, catalog_path, run_id, job_dir, log_path)
    returncode = _run_crawl(command, archive, args.timeout)
    with Catalog(catalog_path) as catalog:
        withdrawn = detect_withdrawals(catalog, run_id, returncode)
        report = build_report(catalog, run_id, expected=expected, returncode=returncode, resumed=resumed,
                              repaired=repaired, bytes_archived=warc_bytes(archive) - bytes_before,
                              duration=time.monotonic() - began, began_at=began_at, log_path=log_path,
                              withdrawn=withdrawn)
        status = report["status"]
        crawl_counts = (catalog.run(run_id) or {}).get("counts") or {}
        catalog.finish_run(run_id, status, {**crawl_counts, "nightly": _brief(report)})
        if args.output:
            report["items_written"] = write_items(catalog, run_id, Path(args.output))
    if status == "finished":
        shutil.rmtree(job_dir, ignore_errors=True)
    report_path = Path(args.report) if args.report else archive / "runs" / f"run-{run_id}.json"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")
    summary = human_summary(report)
    report_path.with_suffix(".txt").write_text(summary + "\n", "utf-8")
    print(summary)
    if returncode != 0 or report["failed_sites"]:
        return EXIT_SITE_FAILED
    if status == "interrupted":
        return EXIT_INTERRUPTED
    return EXIT_OK


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[bool]:
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _split_urls(value: str | None) -> list[str]:
    return [u.strip() for u in (value or "").split(",") if u.strip()]


def expected_hosts(args: argparse.Namespace) -> list[str]:
    """Hosts of the start URLs this job must reach (empty: not known in advance, i.e. the default registry)."""
    urls = _split_urls(getattr(args, "start_urls", None))
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
    if getattr(args, "sites", None):
        from govcrawl.sites import load_registry

        urls = [u for site in load_registry(args.sites) for u in site.start_urls]
    return sorted({host_of(u) for u in urls})


def repair_archive(archive: Path) -> list[str]:
    """Repair ``.warc.gz.open`` files left by a dead crawl (we hold the lock, so no nightly is writing).

    :func:`govcrawl.warc.repair.repair_directory` skips files whose writer is still alive (a zombie pid
    counts as dead)."""
    from govcrawl.warc.repair import repair_directory

    return [str(report) for report in repair_directory(archive)]


def _start_or_resume(catalog: Catalog, run_args: dict[str, Any], archive: Path) -> tuple[int, bool]:
    resumable = None
    for previous in catalog.unfinished_runs():
        same = {k: previous["args"].get(k) for k in run_args} == run_args
        hard_killed = previous["status"] in ("running", "crashed")
        if hard_killed:
            shutil.rmtree(archive / "jobs" / f"run-{previous['id']}", ignore_errors=True)
        if same:
            if resumable is not None:
                catalog.finish_run(resumable, "abandoned")
            resumable = previous["id"]
        else:
            catalog.finish_run(previous["id"], "abandoned", previous["counts"])
    if resumable is not None:
        catalog.resume_run(resumable)
        return resumable, True
    return catalog.start_run(run_args), False


def warc_bytes(archive: Path) -> int:
    """Total size of the WARC files (closed and open) under the archive."""
    return sum(os.path.getsize(path) for path in warc_files([archive]))


def crawl_command(args: argparse.Namespace, archive: Path, catalog_path: Path, run_id: int, job_dir: Path,
                  log_path: Path) -> list[str]:
    """The ``python -m scrapy crawl gov_reports …`` command line of the incremental crawl."""
    command = [sys.executable, "-m", "scrapy", "crawl", "gov_reports"]
    if args.sites:
        command += ["-a", f"sites={Path(args.sites).resolve()}"]
    elif args.start_urls:
        command += ["-a", f"start_urls={','.join(_split_urls(args.start_urls))}"]
    settings = {
        "GOVCRAWL_ARCHIVE_DIR": str(archive),
        "GOVCRAWL_CATALOG": str(catalog_path),
        "GOVCRAWL_INCREMENTAL": "True",
        "GOVCRAWL_RUN_ID": str(run_id),
        "JOBDIR": str(job_dir),
        "LOG_FILE": str(log_path),
    }
    for setting in args.settings:
        name, value = setting.split("=", 1)
        settings[name.strip()] = value
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def _run_crawl(command: list[str], archive: Path, timeout: float | None) -> int:
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="govcrawl.settings")
    process = subprocess.Popen(command, cwd=archive, env=env)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.terminate()  # Scrapy closes gracefully on the first SIGTERM (JOBDIR state is kept)
        try:
            return process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()
        raise


def detect_withdrawals(catalog: Catalog, run_id: int, returncode: int) -> list[dict[str, Any]]:
    """The reports this run shows withdrawn (:mod:`govcrawl.catalog.withdrawals`), recorded in the catalog.

    Only a crawl that ran to its end can show a report is no longer listed: after a crash or a stop, none."""
    if returncode != 0 or (catalog.run(run_id) or {}).get("status") != "finished":
        return []
    return catalog.record_withdrawals(run_id)


def build_report(catalog: Catalog, run_id: int, *, expected: list[str], returncode: int, resumed: bool,
                 repaired: list[str], bytes_archived: int, duration: float, began_at: str,
                 log_path: Path, withdrawn: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The run report: totals and per-site new / changed / unchanged / errors, failed sites, status, and the
    reports this run found withdrawn (URL, reason, date, evidence capture's WARC record id)."""
    run = catalog.run(run_id) or {}
    crawl_counts = run.get("counts") or {}
    per_site_crawl = crawl_counts.get("sites") or {}
    summary = catalog.run_summary(run_id)
    sites: dict[str, dict[str, Any]] = {}
    for host in sorted(set(expected) | set(summary) | set(per_site_crawl)):
        entry = {"new": 0, "changed": 0, "unchanged": 0, "captures": 0, "not_modified": 0, "revisits": 0,
                 "errors": 0, **summary.get(host, {})}
        crawl = per_site_crawl.get(host) or {}
        entry["ok_responses"] = int(crawl.get("ok_responses", 0))
        entry["error_kinds"] = crawl.get("errors") or {}
        entry["errors"] = max(entry["errors"], sum(entry["error_kinds"].values()))
        sites[host] = entry
    ok_hosts = {h for h, e in sites.items() if e["ok_responses"] > 0 or e["captures"] - e["errors"] > 0}
    failed = sorted(h for h in (expected or sites) if h not in ok_hosts)
    crawl_status = run.get("status")
    if returncode != 0 or crawl_status in (None, "running"):
        status = "crashed" if returncode < 0 or crawl_status == "running" else "failed"
    elif crawl_status == "interrupted":
        status = "interrupted"
    else:
        status = "failed" if failed else "finished"
    stats = crawl_counts.get("stats") or {}
    return {
        "run_id": run_id,
        "status": status,
        "resumed": resumed,
        "attempts": run.get("attempts", 1),
        "run_started": run.get("started"),
        "started": began_at,
        "finished": utc_now(),
        "duration_seconds": round(duration, 3),
        "crawl_returncode": returncode,
        "crawl_finish_reason": crawl_counts.get("reason"),
        "log": str(log_path),
        "repaired_warc_files": repaired,
        "bytes_archived": bytes_archived,
        "totals": {key: sum(int(s.get(key, 0)) for s in sites.values())
                   for key in ("new", "changed", "unchanged", "not_modified", "revisits", "captures", "errors")},
        "responses": int(stats.get("response_received_count", 0)),
        "sites": sites,
        "failed_sites": failed,
        "withdrawn": list(withdrawn or []),
    }


def _brief(report: dict[str, Any]) -> dict[str, Any]:
    return {k: report[k] for k in ("status", "totals", "failed_sites", "bytes_archived", "duration_seconds")}


def write_items(catalog: Catalog, run_id: int, output: Path) -> int:
    """Write the report items first seen in this run (new reports and new versions) as JSONL."""
    output.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(output, "w", encoding="utf-8") as handle:
        for row in catalog.reports(latest_only=False, first_seen_run=run_id):
            handle.write(row["item_json"] + "\n")
            count += 1
    return count


def human_summary(report: dict[str, Any]) -> str:
    """A few lines for the cron mail / journal."""
    totals = report["totals"]
    lines = [
        f"govcrawl nightly run {report['run_id']}: {report['status']}"
        + (f" (resumed, attempt {report['attempts']})" if report["resumed"] else ""),
        f"  new {totals['new']}, changed {totals['changed']}, unchanged {totals['unchanged']}"
        f" (304: {totals['not_modified']}, revisit records: {totals['revisits']}), errors {totals['errors']},"
        f" withdrawn {len(report.get('withdrawn') or [])}",
        f"  {report['bytes_archived']:,} bytes archived in {report['duration_seconds']:.1f} s,"
        f" {report['responses']} responses",
    ]
    for host, site in report["sites"].items():
        mark = "FAILED " if host in report["failed_sites"] else ""
        lines.append(f"  {mark}{host}: new {site['new']}, changed {site['changed']}, unchanged {site['unchanged']},"
                     f" errors {site['errors']}")
    for gone in report.get("withdrawn") or []:
        lines.append(f"  WITHDRAWN ({gone['reason']}, {gone['withdrawn_at']}): {gone['url']}"
                     + (f" — evidence {gone['evidence_record_id']}" if gone.get("evidence_record_id") else ""))
    if report["repaired_warc_files"]:
        lines.append(f"  repaired {len(report['repaired_warc_files'])} WARC file(s) left by a crash")
    if report.get("items_written") is not None:
        lines.append(f"  {report['items_written']} item(s) written")
    return "\n".join(lines)
