"""``govcrawl export``: researcher exports from the catalog, offline (JSONL, CSV, Parquet).

- ``jsonl``: one full report item per line, as the crawl emitted it, plus ``citation`` and ``withdrawn``;
- ``csv``: one row per report with metadata, check counts and the figures (UTF-8 with BOM so spreadsheet
  programs show the Chinese text; read it back with ``encoding="utf-8-sig"``);
- ``parquet``: the CSV columns plus the full item: ``text``, ``sections``/``checks`` as list<struct>,
  ``figures`` as a struct, ``tables`` and ``item_json`` as JSON strings.

The latest version of each report is exported unless ``--all-versions``; ``--year``, ``--agency`` (substring)
and ``--region`` (substring of province, city or county) filter.

Every report carries a citation (:mod:`govcrawl.citation`: capture URL, time and WARC record id, and replay
URLs for pywb and for ReplayWeb.page over the WACZ: ``--pywb-collection``, ``--wacz-url``, ``--replay-page``)
and, when a nightly run found it gone (:mod:`govcrawl.catalog.withdrawals`), ``withdrawn_at`` with the reason
and the evidence capture's record id. Withdrawn reports are exported unless ``--exclude-withdrawn``. In JSONL
the item gets two more keys, ``citation`` and ``withdrawn`` (null or the withdrawal), which are not part of the
item schema.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govcrawl import citation as cite
from govcrawl.catalog import FIGURE_KEYS, Catalog, CatalogError

FORMATS = ("jsonl", "csv", "parquet")

#: CSV / Parquet metadata columns, in order (figures follow)
META_COLUMNS: tuple[str, ...] = (
    "url", "version", "title", "agency", "admin_level", "adcode", "division_level", "province", "city", "county", "report_year",
    "published", "format", "site", "checks_ok", "checks_failed", "flags", "payload_digest", "warc_filename",
    "warc_offset", "warc_record_id", "fetched_at", "first_seen_run", "last_seen_run", "first_seen_at",
    "last_seen_at",
)
INT_COLUMNS = frozenset({"version", "report_year", "checks_ok", "checks_failed", "warc_offset", "first_seen_run",
                         "last_seen_run", *FIGURE_KEYS})
CITATION_COLUMNS: tuple[str, ...] = ("citation", "pywb_url", "wacz_replay_url")
WITHDRAWAL_COLUMNS: tuple[str, ...] = ("withdrawn_at", "withdrawn_reason", "withdrawn_evidence_record_id")
CSV_COLUMNS: tuple[str, ...] = (*META_COLUMNS, "index_no", "script", *FIGURE_KEYS, *CITATION_COLUMNS,
                                *WITHDRAWAL_COLUMNS)


@dataclass(frozen=True)
class ExportContext:
    """What every exported row gets besides its catalog columns: its withdrawal, and where to replay it."""

    withdrawals: dict[str, dict[str, Any]] = field(default_factory=dict)  # canonical URL -> withdrawal
    collection: str = cite.DEFAULT_COLLECTION
    wacz: str = cite.DEFAULT_WACZ
    replay_page: str = cite.DEFAULT_REPLAY_PAGE

    def citation(self, item: dict[str, Any]) -> dict[str, str | None]:
        return cite.citation(item, collection=self.collection, wacz=self.wacz, replay_page=self.replay_page)

    def withdrawal(self, row: Any) -> dict[str, Any] | None:
        found = self.withdrawals.get(row["canonical_url"])
        if found is None:
            return None
        return {key: found[key] for key in ("withdrawn_at", "reason", "evidence_url", "evidence_record_id",
                                            "evidence_status")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``govcrawl export``."""
    parser.add_argument("--format", choices=FORMATS, required=True, help="output format")
    parser.add_argument("-o", "--output", required=True, help="output file ('-' for stdout, jsonl/csv only)")
    parser.add_argument("--catalog", default="archive/catalog.sqlite", help="catalog file (default: %(default)s)")
    parser.add_argument("--year", type=int, help="only reports for this report year")
    parser.add_argument("--agency", help="only agencies whose name contains this")
    parser.add_argument("--region", help="only reports whose province, city or county contains this")
    parser.add_argument("--all-versions", action="store_true", help="every version, not just the latest")
    parser.add_argument("--exclude-withdrawn", action="store_true",
                        help="leave out reports a nightly run found withdrawn (default: exported, with withdrawn_at)")
    parser.add_argument("--pywb-collection", default=cite.DEFAULT_COLLECTION,
                        help="pywb collection in the pywb_url column (default: %(default)s)")
    parser.add_argument("--wacz-url", default=cite.DEFAULT_WACZ,
                        help="where the WACZ is published, for wacz_replay_url (default: %(default)s)")
    parser.add_argument("--replay-page", default=cite.DEFAULT_REPLAY_PAGE,
                        help="ReplayWeb.page instance for wacz_replay_url (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Entry point of ``govcrawl export``."""
    path = Path(args.catalog)
    if not path.is_file():
        print(f"govcrawl export: no catalog at {path}", file=sys.stderr)
        return 2
    if args.format == "parquet" and args.output == "-":
        print("govcrawl export: parquet needs a file name, not -", file=sys.stderr)
        return 2
    try:
        count = export(path, args.output, args.format, year=args.year, agency=args.agency, region=args.region,
                       latest_only=not args.all_versions, progress=not args.no_progress,
                       exclude_withdrawn=args.exclude_withdrawn, collection=args.pywb_collection,
                       wacz=args.wacz_url, replay_page=args.replay_page)
    except CatalogError as exc:
        print(f"govcrawl export: {exc}", file=sys.stderr)
        return 2
    print(f"exported {count} report(s) to {args.output}", file=sys.stderr)
    return 0


def export(catalog_path: str | Path, output: str | Path, fmt: str, *, year: int | None = None,
           agency: str | None = None, region: str | None = None, latest_only: bool = True,
           progress: bool = False, exclude_withdrawn: bool = False, collection: str = cite.DEFAULT_COLLECTION,
           wacz: str = cite.DEFAULT_WACZ, replay_page: str = cite.DEFAULT_REPLAY_PAGE) -> int:
    """Write the selected reports of a catalog to ``output`` in ``fmt``; return how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    catalog = Catalog(catalog_path)
    try:
        context = ExportContext(catalog.withdrawals(), collection, wacz, replay_page)
        filters = {"year": year, "agency": agency, "region": region, "latest_only": latest_only}
        total = catalog.count_reports(**filters)
        rows: Iterator[Any] = catalog.reports(**filters)
        if exclude_withdrawn:
            rows = (row for row in rows if row["canonical_url"] not in context.withdrawals)
        rows = _progress(rows, total, progress, str(output))
        writer = {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}[fmt]
        return writer(rows, output, context)
    finally:
        catalog.close()


def _progress(rows: Iterator[Any], total: int, enabled: bool, label: str) -> Iterator[Any]:
    if not enabled:
        return rows
    from tqdm import tqdm

    return iter(tqdm(rows, total=total, unit="report", desc=f"export {label}", disable=None, file=sys.stderr))


def _open_text(output: str | Path, encoding: str) -> Any:
    if str(output) == "-":
        return sys.stdout
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    return open(output, "w", encoding=encoding, newline="")


def _write_jsonl(rows: Iterator[Any], output: str | Path, context: ExportContext) -> int:
    count = 0
    handle = _open_text(output, "utf-8")
    try:
        for row in rows:
            item = json.loads(row["item_json"])
            line = {**item, "citation": context.citation(item), "withdrawn": context.withdrawal(row)}
            handle.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    finally:
        if handle is not sys.stdout:
            handle.close()
    return count


def _flat_row(row: Any, item: dict[str, Any], context: ExportContext) -> dict[str, Any]:
    flat = {name: row[name] for name in META_COLUMNS}
    flat["index_no"] = item.get("index_no")
    flat["script"] = item.get("script")
    for key in FIGURE_KEYS:
        flat[key] = row[key]
    citation = context.citation(item)
    flat["citation"] = citation["text"]
    flat["pywb_url"] = citation["pywb_url"]
    flat["wacz_replay_url"] = citation["wacz_replay_url"]
    withdrawal = context.withdrawal(row) or {}
    flat["withdrawn_at"] = withdrawal.get("withdrawn_at")
    flat["withdrawn_reason"] = withdrawal.get("reason")
    flat["withdrawn_evidence_record_id"] = withdrawal.get("evidence_record_id")
    return flat


def _write_csv(rows: Iterator[Any], output: str | Path, context: ExportContext) -> int:
    count = 0
    handle = _open_text(output, "utf-8-sig")
    try:
        writer = csv.DictWriter(handle, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        for row in rows:
            writer.writerow(_flat_row(row, json.loads(row["item_json"]), context))
            count += 1
    finally:
        if handle is not sys.stdout:
            handle.close()
    return count


def parquet_schema() -> Any:
    """The Arrow schema of the Parquet export."""
    import pyarrow as pa

    fields = [pa.field(name, pa.int64() if name in INT_COLUMNS else pa.string()) for name in CSV_COLUMNS]
    fields += [
        pa.field("text", pa.string()),
        pa.field("sections", pa.list_(pa.struct([("heading", pa.string()), ("text", pa.string())]))),
        pa.field("checks", pa.list_(pa.struct([("rule", pa.string()), ("ok", pa.bool_()), ("detail", pa.string())]))),
        pa.field("figures", pa.struct([(key, pa.int64()) for key in FIGURE_KEYS])),
        pa.field("flag_list", pa.list_(pa.string())),
        pa.field("tables", pa.string()),  # JSON: table key -> {template, values: row -> column -> number}
        pa.field("attachments", pa.string()),  # JSON list
        pa.field("item_json", pa.string()),
    ]
    return pa.schema(fields)


def _parquet_record(row: Any, context: ExportContext) -> dict[str, Any]:
    item = json.loads(row["item_json"])
    record = _flat_row(row, item, context)
    record["text"] = item.get("text")
    record["sections"] = [{"heading": str(s.get("heading", "")), "text": str(s.get("text", ""))}
                          for s in item.get("sections") or [] if isinstance(s, dict)]
    record["checks"] = [{"rule": str(c.get("rule", "")), "ok": bool(c.get("ok")), "detail": str(c.get("detail", ""))}
                        for c in item.get("checks") or [] if isinstance(c, dict)]
    record["figures"] = {key: row[key] for key in FIGURE_KEYS}
    record["flag_list"] = [str(f) for f in item.get("flags") or []]
    record["tables"] = json.dumps(item.get("tables") or {}, ensure_ascii=False, sort_keys=True)
    record["attachments"] = json.dumps(item.get("attachments") or [], ensure_ascii=False)
    record["item_json"] = row["item_json"]
    return record


def _write_parquet(rows: Iterator[Any], output: str | Path, context: ExportContext, batch_size: int = 500) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with pq.ParquetWriter(str(output), schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(_parquet_record(row, context))
            if len(batch) >= batch_size:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count
