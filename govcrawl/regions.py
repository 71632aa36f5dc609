"""``govcrawl regions``: the agencies of the catalog and the administrative division each is placed in.

Each agency of the latest report versions is placed with :func:`govcrawl.gazetteer.region_of` (the bundled
division table); ``--unmatched`` lists only those no 6-digit division code places (national bodies, invented or
misspelt places, development zones), the ones to look at before joining on ``adcode``. Tab-separated output:
``adcode  division_level  reports  agency`` (``-`` where there is no code).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections import Counter
from pathlib import Path

from govcrawl.catalog.schema import LATEST_REPORTS
from govcrawl.gazetteer import region_of


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``govcrawl regions``."""
    parser.add_argument("--catalog", default="archive/catalog.sqlite", help="catalog file (default: %(default)s)")
    parser.add_argument("--unmatched", action="store_true", help="only agencies no division code places")


def agency_counts(catalog: Path) -> Counter[str]:
    """Reports (latest version of each URL) per agency name; agencies left empty by the parser are skipped."""
    conn = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            f"SELECT agency FROM {LATEST_REPORTS} WHERE _rank = 1 AND agency IS NOT NULL")
        return Counter(str(agency) for (agency,) in rows)
    finally:
        conn.close()


def placements(catalog: Path, *, unmatched: bool = False) -> list[tuple[str | None, str | None, int, str]]:
    """(adcode, division level, reports, agency) per agency, most reports first."""
    out = []
    for agency, count in agency_counts(catalog).most_common():
        region = region_of(agency)
        if unmatched and region.adcode:
            continue
        out.append((region.adcode, region.division_level, count, agency))
    return out


def run(args: argparse.Namespace) -> int:
    """Entry point of ``govcrawl regions``."""
    catalog = Path(args.catalog)
    if not catalog.is_file():
        print(f"govcrawl regions: no catalog at {catalog}", file=sys.stderr)
        return 2
    rows = placements(catalog, unmatched=args.unmatched)
    for adcode, level, count, agency in rows:
        print(f"{adcode or '-'}\t{level or '-'}\t{count}\t{agency}")
    what = "agencies not placed by a division code" if args.unmatched else "agencies"
    print(f"govcrawl regions: {len(rows)} {what}", file=sys.stderr)
    return 0
