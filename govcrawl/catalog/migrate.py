"""Schema versions of the catalog: create the schema on first use, bring an older catalog up to date.

Every change is additive (new tables, new columns), so an older catalog keeps all its rows:

- version 1 -> 2: ``reports.adcode`` / ``reports.division_level`` (backfilled from the agency names with the
  bundled division table), ``captures.stub_kind`` and the ``withdrawals`` table.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from govcrawl.catalog.schema import ADDED_COLUMNS, SCHEMA_SQL, SCHEMA_VERSION, CatalogError
from govcrawl.gazetteer import region_of


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Create or upgrade the schema of the catalog behind ``conn`` (autocommit mode); refuse a newer one."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise CatalogError(f"{path}: catalog schema version {version} is newer than this govcrawl ({SCHEMA_VERSION})")
    if version == SCHEMA_VERSION:
        return
    # CREATE ... IF NOT EXISTS for what is missing, then the columns an older table lacks
    alters = "".join(f"ALTER TABLE {table} ADD COLUMN {name} {kind};"
                     for table, columns in ADDED_COLUMNS.items()
                     if (have := _columns(conn, table)) for name, kind in columns if name not in have)
    conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA_SQL};{alters}PRAGMA user_version={SCHEMA_VERSION};COMMIT;")
    if alters:
        backfill_divisions(conn)


def backfill_divisions(conn: sqlite3.Connection) -> None:
    """Division codes of reports catalogued before the catalog had them, from their agency names."""
    agencies = [row[0] for row in conn.execute("SELECT DISTINCT agency FROM reports WHERE agency IS NOT NULL")]
    conn.execute("BEGIN IMMEDIATE")
    for agency in agencies:
        region = region_of(agency)
        conn.execute("UPDATE reports SET adcode=?, division_level=? WHERE agency=? AND adcode IS NULL",
                     (region.adcode, region.division_level, agency))
    conn.execute("COMMIT")
