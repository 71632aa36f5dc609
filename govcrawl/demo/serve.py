"""``govcrawl portal``: serve the mock portal on 127.0.0.1 until interrupted, printing the site URLs."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from govcrawl.demo.portal import DEFAULT_SITES, SITE_BUILDERS, Portal, PortalHandle


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sites", default=",".join(DEFAULT_SITES),
                        help=f"comma-separated mock sites (default: all): {','.join(SITE_BUILDERS)}")
    parser.add_argument("--seed", type=int, default=20250301, help="content seed (same seed, same portal)")
    parser.add_argument("--bench", type=int, metavar="N", default=0,
                        help="serve only the synthetic benchmark site with N report pages")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON line {sites, start_urls, expected} instead of the human listing")


def start_from_args(args: argparse.Namespace) -> PortalHandle:
    """Start the portal the arguments describe."""
    if args.bench:
        from govcrawl.demo.bench import bench_site

        return bench_site(args.bench, seed=args.seed)
    names = [name.strip() for name in args.sites.split(",") if name.strip()]
    return Portal(sites=names, seed=args.seed).start()


def describe(handle: PortalHandle) -> str:
    """Human listing: one line per site with its start URLs and report count."""
    lines = []
    for name, base in handle.sites.items():
        lines.append(f"{name:12s} {base}  ({len(handle.expected_reports(name))} reports)")
        for url in handle.start_urls.get(name, []):
            lines.append(f"{'':12s}   start: {url}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        handle = start_from_args(args)
    except ValueError as exc:
        print(f"govcrawl portal: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with handle:
        if args.json:
            print(json.dumps({"sites": handle.sites, "start_urls": handle.start_urls,
                              "expected": {s: len(handle.expected_reports(s)) for s in handle.sites}}), flush=True)
        else:
            print(describe(handle), flush=True)
            print("serving on 127.0.0.1; press Ctrl-C to stop", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0
