"""``govcrawl demo``: start the bundled mock portal on 127.0.0.1, crawl it, write ``archive/`` (WARC files and
``catalog.sqlite``) and ``reports.jsonl``.

The portal runs in this process (server threads); the crawl runs as ``govcrawl crawl`` in a child process so
Scrapy's reactor and the portal do not share one interpreter lock. The summary compares what the crawl
emitted with the portal's ground truth.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from govcrawl.demo.portal import SITE_BUILDERS, Portal, PortalHandle

DEFAULT_DEMO_SITES = "county"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--archive", default="archive", metavar="DIR", help="WARC archive folder (default: archive)")
    parser.add_argument("-o", "--output", default="reports.jsonl", metavar="FILE", help="items (default: reports.jsonl)")
    parser.add_argument("--sites", default=DEFAULT_DEMO_SITES,
                        help=f"comma-separated mock sites, or 'all' (default: {DEFAULT_DEMO_SITES}); "
                             f"known: {','.join(SITE_BUILDERS)}")
    parser.add_argument("--seed", type=int, default=20250301, help="portal content seed")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="extra setting passed to the crawl (repeatable)")


#: registry hints the demo gives its mock sites, as a site owner's registry entry would (docs/sites.md)
DEMO_HINTS: dict[str, dict[str, Any]] = {"challenge": {"browser_on_challenge": True}}


def write_registry(handle: PortalHandle, path: Path) -> Path:
    """A site registry (TOML) for the running portal: one ``[[site]]`` per mock site, with its demo hints."""
    lines = []
    for name, urls in handle.start_urls.items():
        lines += ["[[site]]", f'name = "demo-{name}"', "start_urls = [" + ", ".join(json.dumps(u) for u in urls) + "]"]
        lines += [f"{key} = {json.dumps(value)}" for key, value in DEMO_HINTS.get(name, {}).items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def crawl_command(registry: Path, archive: str, output: str, settings: list[str]) -> list[str]:
    """The ``govcrawl crawl`` command line crawling every site of the portal's registry."""
    command = [sys.executable, "-m", "govcrawl.cli", "crawl", "--fast-local", "--archive-dir", archive, "-o", output,
               "--sites", str(registry)]
    for assignment in settings:
        command += ["-s", assignment]
    return command


def read_items(path: Path) -> list[dict[str, Any]]:
    """Items of a JSONL file (missing file: none)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def summarise(handle: PortalHandle, items: list[dict[str, Any]], archive: Path) -> str:
    """Short human summary: reports found vs expected, decoys emitted, WARC files, items with failing checks."""
    expected = handle.expected_reports()
    decoys = set(handle.decoys())
    emitted = {item.get("url") or (item.get("source") or {}).get("url") for item in items}
    found = expected & emitted
    failing = [item for item in items if any(not check.get("ok", True) for check in item.get("checks") or [])]
    flagged = [item for item in items if item.get("flags")]
    compared = matched = 0
    truths = handle.reports()
    for item in items:
        truth = truths.get(item.get("url"))
        if truth is None:
            continue
        for key, value in truth.figures.items():
            compared += 1
            matched += (item.get("figures") or {}).get(key) == value
    warcs = sorted(p.name for p in archive.glob("*.warc.gz"))
    open_warcs = sorted(p.name for p in archive.glob("*.warc.gz.open"))
    lines = [
        f"reports found: {len(found)} of {len(expected)} expected ({len(items)} items written)",
        f"decoys emitted as reports: {len(decoys & emitted)}",
        f"items with failing checks: {len(failing)}; items with flags: {len(flagged)}",
        f"figures equal to the portal's ground truth: {matched} of {compared}",
        f"WARC files: {len(warcs)} closed" + (f", {len(open_warcs)} still open" if open_warcs else "") + f" in {archive}/",
    ]
    catalog = archive / "catalog.sqlite"
    if catalog.exists():
        lines.append(f"catalog: {catalog_report_count(catalog)} reports in {catalog}")
    missing = sorted(expected - emitted)
    if missing:
        lines.append("missing: " + ", ".join(missing[:5]) + (" …" if len(missing) > 5 else ""))
    return "\n".join(lines)


def catalog_report_count(path: Path) -> int:
    """Reports (latest version of each URL) in the catalog the crawl wrote (``GOVCRAWL_CATALOG`` default)."""
    from govcrawl.catalog import Catalog

    with Catalog(path) as catalog:
        return catalog.count_reports()


def run(args: argparse.Namespace) -> int:
    if find_spec("reportlab") is None:  # the portal's PDF attachments: the demo extra
        print("govcrawl demo: the mock portal needs reportlab: pip install -e '.[demo]'", file=sys.stderr)
        return 2
    names = list(SITE_BUILDERS) if args.sites == "all" else [n.strip() for n in args.sites.split(",") if n.strip()]
    try:
        portal = Portal(sites=names, seed=args.seed)
    except ValueError as exc:
        print(f"govcrawl demo: {exc}", file=sys.stderr)
        return 2
    archive, output = Path(args.archive), Path(args.output)
    archive.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with portal.start() as handle:
        for name, base in handle.sites.items():
            print(f"portal: {name} at {base} ({len(handle.expected_reports(name))} reports)")
        with tempfile.TemporaryDirectory(prefix="govcrawl-demo-") as work:
            registry = write_registry(handle, Path(work) / "sites.toml")
            result = subprocess.run(crawl_command(registry, str(archive), str(output), args.set), check=False)
        items = read_items(output)
        print(f"crawl finished in {time.monotonic() - started:.1f} s (exit code {result.returncode})")
        print(summarise(handle, items, archive))
    return result.returncode
