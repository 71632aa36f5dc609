"""Catalog: schema, idempotent report upserts and versions, cross-year checks, priors for the incremental crawl,
rebuild from WARC."""

from __future__ import annotations

import copy
import csv
import io
import json
import sqlite3
import threading
from pathlib import Path

import jsonschema
import pyarrow.parquet as pq
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from govcrawl.catalog import SCHEMA_VERSION, Catalog, CatalogError, content_hash
from govcrawl.catalog.rebuild import capture_rows, rebuild_catalog
from govcrawl.export import export
from govcrawl.gazetteer import region_of

SCHEMA = json.loads((Path(__file__).parents[1] / "govcrawl/schema/report.schema.json").read_text("utf-8"))


def make_item(url: str, *, year: int = 2023, agency: str = "上海市黄浦区人民政府", granted: int = 12,
              fetched_at: str = "2026-11-01T00:00:00Z", record_id: str | None = None) -> dict:
    """A schema-valid report item as the report pipeline emits it."""
    item = {
        "url": url, "title": f"{agency}{year}年政府信息公开工作年度报告", "agency": agency,
        "admin_level": "district", "report_year": year, "published": f"{year + 1}-01-20",
        "index_no": "000014349/2024-00001", "script": "simplified", "format": "2021",
        "text": f"一、总体情况\n{agency}认真贯彻落实……共受理申请{granted}件。",
        "sections": [{"heading": "一、总体情况", "text": "认真贯彻落实……"}],
        "tables": {"t3_applications": {"template": "gbf_2021",
                                        "values": {"r1_new": {"natural": granted, "total": granted}}}},
        "figures": {"applications_new_total": granted, "granted_total": granted - 2},
        "figure_notes": {},
        "checks": [{"rule": "t3_total", "ok": True, "detail": ""}, {"rule": "carry", "ok": False, "detail": "x"}],
        "flags": [], "attachments": [],
        "source": {"url": url, "warc_filename": "a.warc.gz", "warc_offset": 0,
                   "warc_record_id": record_id or f"<urn:uuid:{abs(hash((url, fetched_at)))}>",
                   "payload_digest": f"sha1:{granted:032d}", "fetched_at": fetched_at},
        "parser_version": "1",
    }
    jsonschema.validate(item, SCHEMA)
    return item


def test_schema_is_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    Catalog(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sites", "captures", "reports", "runs"} <= tables
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(CatalogError, match="newer"):
        Catalog(path)


def test_not_a_catalog_gives_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(CatalogError, match="not a usable govcrawl catalog"):
        Catalog(bogus)


def test_upsert_is_idempotent_and_versions_changes(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite") as cat:
        run1 = cat.start_run({"n": 1})
        item = make_item("http://gov.example/xxgk/2024/t1.html")
        first = cat.upsert_report(item, run_id=run1)
        again = cat.upsert_report(copy.deepcopy(item), run_id=run1)
        assert (first.outcome, first.version) == ("new", 1)
        assert (again.outcome, again.report_id) == ("unchanged", first.report_id)
        # the same content fetched again later (other WARC record, other time) is still the same version
        later = make_item("https://gov.example/xxgk/2024/t1.html?utm_source=x", fetched_at="2026-11-02T00:00:00Z")
        run2 = cat.start_run({"n": 2})
        assert cat.upsert_report(later, run_id=run2).outcome == "unchanged"
        edited = make_item("http://gov.example/xxgk/2024/t1.html", granted=40, fetched_at="2026-11-03T00:00:00Z")
        changed = cat.upsert_report(edited, run_id=run2)
        assert (changed.outcome, changed.version) == ("version", 2)
        cat.commit()
        assert cat.count_reports(latest_only=False) == 2
        latest = list(cat.items())
        assert len(latest) == 1 and latest[0]["figures"]["applications_new_total"] == 40
        row = next(cat.reports())
        assert (row["first_seen_run"], row["last_seen_run"], row["version"]) == (run2, run2, 2)
        old = [r for r in cat.reports(latest_only=False) if r["version"] == 1][0]
        assert (old["first_seen_run"], old["last_seen_run"]) == (run1, run2)
        assert old["checks_ok"] == 1 and old["checks_failed"] == 1 and old["granted_total"] == 10
        assert old["province"] == "上海市" and old["county"] == "黄浦区"
        summary = cat.run_summary(run2)
        assert summary["gov.example"]["changed"] == 1 and summary["gov.example"]["new"] == 0


def test_content_hash_ignores_time_of_run_fields() -> None:
    a = make_item("http://g.example/a.html", fetched_at="2026-01-01T00:00:00Z")
    b = make_item("http://g.example/a.html", fetched_at="2027-01-01T00:00:00Z")
    b["parser_version"] = "2"
    assert content_hash(a) == content_hash(b)
    b["figures"]["granted_total"] = 11
    assert content_hash(a) != content_hash(b)


def test_prior_only_offers_validators_for_catalogued_reports(tmp_path: Path) -> None:
    url = "http://gov.example/t2.html"
    with Catalog(tmp_path / "c.sqlite") as cat:
        run = cat.start_run()
        assert cat.prior_for(url) is None
        cat.add_capture(url=url, status=200, run_id=run, record_type="response", payload_digest="sha1:AAA",
                        warc_record_id="<urn:uuid:1>", fetched_at="2026-11-01T00:00:00Z", etag='"v1"',
                        last_modified="Sun, 01 Nov 2026 00:00:00 GMT")
        prior = cat.prior_for(url)
        assert prior is not None and prior.as_meta() == {
            "payload_digest": "sha1:AAA", "uri": url, "date": "2026-11-01T00:00:00Z"}
        assert not prior.has_report  # a crash before the report row: never revalidate (the item would be lost)
        item = make_item(url, record_id="<urn:uuid:1>")
        item["source"]["payload_digest"] = "sha1:AAA"
        cat.upsert_report(item, run_id=run, etag='"v1"', last_modified="Sun, 01 Nov 2026 00:00:00 GMT")
        prior = cat.prior_for("https://gov.example/t2.html#top")
        assert prior is not None and prior.has_report and prior.etag == '"v1"'
        # a newer full capture with another payload whose report row is missing: no validators any more
        cat.add_capture(url=url, status=200, run_id=run, record_type="response", payload_digest="sha1:BBB",
                        warc_record_id="<urn:uuid:2>", fetched_at="2026-11-02T00:00:00Z", etag='"v2"')
        prior = cat.prior_for(url)
        assert prior is not None and prior.payload_digest == "sha1:BBB" and not prior.has_report


def test_filters_and_region() -> None:
    assert region_of("上海市黄浦区人民政府") == region_of("上海黄浦区人民政府")
    r = region_of("广东省深圳市南山区人民政府")
    assert (r.province, r.city, r.county) == ("广东省", "深圳市", "南山区")
    r = region_of("宿州市人民政府")
    assert (r.province, r.city) == ("安徽省", "宿州市")  # the division codes place the city
    assert region_of("国务院办公厅") == region_of(None)


def test_catalog_filters(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite") as cat:
        run = cat.start_run()
        cat.upsert_report(make_item("http://a.example/1.html", year=2022, agency="广东省深圳市南山区人民政府"), run_id=run)
        cat.upsert_report(make_item("http://a.example/2.html", year=2023, agency="广东省深圳市南山区人民政府"), run_id=run)
        cat.upsert_report(make_item("http://b.example/3.html", year=2023, agency="宿州市人民政府"), run_id=run)
        cat.commit()
        assert cat.count_reports(year=2023) == 2
        assert cat.count_reports(agency="宿州") == 1
        assert cat.count_reports(region="深圳") == 2
        assert cat.count_reports(region="南山区", year=2022) == 1
        assert cat.count_reports(region="北京") == 0


def test_runs_lifecycle(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite") as cat:
        run = cat.start_run({"start_urls": ["http://x"]})
        assert [r["id"] for r in cat.unfinished_runs()] == [run]
        cat.finish_run(run, "finished", {"sites": {"x": {"ok_responses": 3}}})
        assert cat.unfinished_runs() == []
        assert cat.run(run)["counts"]["sites"]["x"]["ok_responses"] == 3


def test_readers_are_not_blocked_by_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    writer = Catalog(path)
    run = writer.start_run()
    writer.upsert_report(make_item("http://a.example/1.html"), run_id=run)
    writer.commit()
    writer.upsert_report(make_item("http://a.example/2.html"), run_id=run)  # open write transaction
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(Catalog(path, timeout=2).count_reports()))
    thread.start()
    thread.join(10)
    assert seen == [1]
    writer.close()
    assert Catalog(path).count_reports() == 2


def _http_record(writer: WARCWriter, url: str, body: bytes, *, etag: str, date: str):
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("ETag", etag)],
                            protocol="HTTP/1.1")
    record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                       warc_headers_dict={"WARC-Date": date})
    writer.write_record(record)
    return record


def test_rebuild_catalog_rebuilds_captures_and_versions(tmp_path: Path) -> None:
    warc_path = tmp_path / "t.warc.gz"
    url = "http://gov.example/r.html"
    with open(warc_path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        first = _http_record(writer, url, b"<html>v1</html>", etag='"1"', date="2026-11-01T00:00:00Z")
        meta = writer.create_warc_record(url, "metadata", payload=io.BytesIO(json.dumps({"role": "report"}).encode()),
                                         warc_content_type="application/json",
                                         warc_headers_dict={"WARC-Concurrent-To": first.rec_headers.get_header("WARC-Record-ID")})
        writer.write_record(meta)
        second = _http_record(writer, url, b"<html>v2</html>", etag='"2"', date="2026-11-02T00:00:00Z")
        _http_record(writer, "http://gov.example/list.html", b"<html>list</html>", etag='"l"',
                     date="2026-11-02T00:00:00Z")
    rows = list(capture_rows([tmp_path]))
    assert [r["role"] for r in rows] == ["report", None, None]
    assert rows[0]["warc_offset"] == 0 and rows[1]["warc_offset"] > 0
    items = [
        make_item(url, granted=30, fetched_at="2026-11-02T00:00:00Z",
                  record_id=second.rec_headers.get_header("WARC-Record-ID")),
        make_item(url, granted=20, fetched_at="2026-11-01T00:00:00Z",
                  record_id=first.rec_headers.get_header("WARC-Record-ID")),
    ]
    counts = rebuild_catalog(items, tmp_path / "rebuilt.sqlite", [warc_path])
    assert counts == {"captures": 3, "new": 1, "version": 1, "unchanged": 0}
    with Catalog(tmp_path / "rebuilt.sqlite") as cat:
        versions = {r["version"]: r for r in cat.reports(latest_only=False)}
        assert versions[1]["applications_new_total"] == 20 and versions[1]["etag"] == '"1"'
        assert versions[2]["applications_new_total"] == 30 and versions[2]["etag"] == '"2"'
        assert cat.prior_for(url).payload_digest == second.rec_headers.get_header("WARC-Payload-Digest")


T3_COLUMNS = ("natural_person", "commercial_enterprise", "research_institution", "public_welfare_org",
              "legal_service_org", "other_org", "total")


def carry_item(url: str, *, year: int, agency: str, carried_in: int, carried_out: int, granted: int = 12) -> dict:
    """A report item whose t3 table carries ``carried_in`` from the year before and ``carried_out`` to the next."""
    item = make_item(url, year=year, agency=agency, granted=granted)
    item["tables"]["t3_applications"]["values"] = {
        "carried_over": {c: carried_in if c in ("natural_person", "total") else 0 for c in T3_COLUMNS},
        "carry_to_next": {c: carried_out if c in ("natural_person", "total") else 0 for c in T3_COLUMNS},
    }
    return item


def _carryover(cat: Catalog, url: str) -> dict | None:
    item = next(i for i in cat.items() if i["url"] == url)
    found = [c for c in item["checks"] if c["rule"] == "t3_carryover"]
    assert len(found) <= 1
    return found[0] if found else None


def test_consecutive_years_of_one_agency_get_the_carryover_check(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    good = {y: f"http://a.example/{y}.html" for y in (2022, 2023)}
    bad = {y: f"http://b.example/{y}.html" for y in (2022, 2023)}
    with Catalog(path) as cat:
        run = cat.start_run()
        # the later year first: the check appears once the earlier report turns up
        later = carry_item(good[2023], year=2023, agency="上海市黄浦区人民政府", carried_in=3, carried_out=1)
        cat.upsert_report(later, run_id=run)
        assert _carryover(cat, good[2023]) is None
        cat.upsert_report(carry_item(good[2022], year=2022, agency="上海市黄浦区人民政府", carried_in=0,
                                     carried_out=3), run_id=run)
        cat.upsert_report(carry_item(bad[2022], year=2022, agency="宿州市人民政府", carried_in=0, carried_out=3),
                          run_id=run)
        cat.upsert_report(carry_item(bad[2023], year=2023, agency="宿州市人民政府", carried_in=2, carried_out=0),
                          run_id=run)
        # another agency's 2024 report is not paired with either
        cat.upsert_report(carry_item("http://c.example/2024.html", year=2024, agency="广东省深圳市南山区人民政府",
                                     carried_in=9, carried_out=0), run_id=run)
        cat.commit()
        ok = _carryover(cat, good[2023])
        assert ok is not None and ok["ok"] is True and good[2022] in ok["detail"] and good[2023] in ok["detail"]
        failed = _carryover(cat, bad[2023])
        assert failed is not None and failed["ok"] is False
        assert "natural_person: 2022 结转下年度 3 ≠ 2023 上年结转 2" in failed["detail"]
        assert (failed["prev_url"], failed["next_url"]) == (bad[2022], bad[2023])
        assert _carryover(cat, good[2022]) is None and _carryover(cat, "http://c.example/2024.html") is None
        counts = {r["url"]: (r["checks_ok"], r["checks_failed"]) for r in cat.reports()}
        assert counts[good[2023]] == (2, 1) and counts[bad[2023]] == (1, 2) and counts[bad[2022]] == (1, 1)
        # stored like the report's own checks, yet no new version: the crawl item re-fetched is unchanged
        assert cat.upsert_report(later, run_id=run).outcome == "unchanged"
        assert cat.count_reports(latest_only=False) == 5
        for row in cat.reports():
            jsonschema.validate(json.loads(row["item_json"]), SCHEMA)
    # exported with the later report: JSONL checks, CSV failed-check count, Parquet checks
    export(path, tmp_path / "r.jsonl", "jsonl")
    exported = {i["url"]: i for i in map(json.loads, (tmp_path / "r.jsonl").read_text("utf-8").splitlines())}
    (check,) = [c for c in exported[bad[2023]]["checks"] if c["rule"] == "t3_carryover"]
    assert check["ok"] is False and bad[2022] in check["detail"] and bad[2023] in check["detail"]
    export(path, tmp_path / "r.csv", "csv")
    with open(tmp_path / "r.csv", encoding="utf-8-sig", newline="") as fh:
        failed_counts = {row["url"]: row["checks_failed"] for row in csv.DictReader(fh)}
    assert failed_counts[bad[2023]] == "2" and failed_counts[good[2023]] == "1"
    export(path, tmp_path / "r.parquet", "parquet")
    table = pq.read_table(tmp_path / "r.parquet").to_pylist()
    (parquet_check,) = [c for r in table if r["url"] == bad[2023] for c in r["checks"] if c["rule"] == "t3_carryover"]
    assert parquet_check["ok"] is False and bad[2022] in parquet_check["detail"]


def test_a_corrected_earlier_report_recomputes_the_carryover_check(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite") as cat:
        run = cat.start_run()
        cat.upsert_report(carry_item("http://b.example/2022.html", year=2022, agency="宿州市人民政府", carried_in=0,
                                     carried_out=3), run_id=run)
        cat.upsert_report(carry_item("http://b.example/2023.html", year=2023, agency="宿州市人民政府", carried_in=2,
                                     carried_out=0), run_id=run)
        assert _carryover(cat, "http://b.example/2023.html")["ok"] is False
        corrected = carry_item("http://b.example/2022.html", year=2022, agency="宿州市人民政府", carried_in=0,
                               carried_out=2, granted=13)
        corrected["source"]["fetched_at"] = "2026-11-05T00:00:00Z"
        assert cat.upsert_report(corrected, run_id=run).outcome == "version"
        assert _carryover(cat, "http://b.example/2023.html")["ok"] is True


def test_batched_writes_are_committed_once_older_than_the_interval(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with Catalog(path) as cat:
        run = cat.start_run()
        cat.upsert_report(make_item("http://gov.example/a.html"), run_id=run, batch=100, max_age=3600)

        def committed() -> int:
            with sqlite3.connect(path) as reader:
                return int(reader.execute("SELECT COUNT(*) FROM reports").fetchone()[0])

        assert committed() == 0  # still in the open batch: a kill now would lose it
        cat.commit_if_older(3600)
        assert committed() == 0
        cat.commit_if_older(0)  # the crawl's timer: nothing waits uncommitted longer than the interval
        assert committed() == 1


def test_crawl_session_holds_validators_only_until_the_report_takes_them(tmp_path: Path) -> None:
    """Memory flat in crawl size: one dict entry per fetched page would grow with the crawl. Only a report
    response with validators is held, and only until its item asks for them."""
    from scrapy.http import HtmlResponse, Request

    from govcrawl.catalog.crawl import CrawlSession

    session = CrawlSession.open(str(tmp_path / "catalog.sqlite"))

    def fetched(url: str, role: str, headers: dict[str, str]) -> None:
        request = Request(url, meta={"govcrawl_role": role})
        session.record_response(HtmlResponse(url, body=b"<html></html>", headers=headers, request=request), request)

    for n in range(50):  # no validators, or not a report: nothing held
        fetched(f"http://a.gov.cn/nb/{n}.html", "report", {})
        fetched(f"http://a.gov.cn/list/{n}.html", "list", {"ETag": '"x"'})
        fetched(f"http://a.gov.cn/f/{n}.pdf", "attachment", {"Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"})
    fetched("http://a.gov.cn/nb/r.html", "report", {"ETag": '"v1"'})
    assert len(session._validators) == 1
    assert session.validators_for("http://a.gov.cn/nb/r.html") == ('"v1"', None)
    assert session.validators_for("http://a.gov.cn/nb/r.html") == (None, None)  # taken: the capture row has them
    assert session._validators == {}


def test_payload_index_names_the_first_capture_of_a_payload(tmp_path: Path) -> None:
    """Earlier runs' full captures (oldest wins) and this crawl's claims, one transaction over a private file."""
    from govcrawl.catalog.payload_index import CatalogPayloadIndex

    path = tmp_path / "catalog.sqlite"
    catalog = Catalog(path)
    for url, fetched_at in (("http://a.gov.cn/old.pdf", "2024-01-01T00:00:00Z"),  # catalogued first: it wins
                            ("http://a.gov.cn/new.pdf", "2024-02-01T00:00:00Z")):
        catalog.add_capture(url=url, status=200, record_type="response", payload_digest="sha1:AAA",
                            warc_record_id=f"<urn:uuid:{url}>", fetched_at=fetched_at)
    catalog.commit()
    catalog.close()
    index = CatalogPayloadIndex(str(path))
    assert index.claim("sha1:AAA", "http://b.gov.cn/x.pdf", "2024-03-01T00:00:00Z") == (
        "http://a.gov.cn/old.pdf", "2024-01-01T00:00:00Z")
    assert index.claim("sha1:BBB", "http://b.gov.cn/1.pdf", "2024-03-01T00:00:01Z") is None  # first: recorded
    for n in range(3000):  # past the page cache of one transaction
        assert index.claim(f"sha1:{n:040d}", f"http://b.gov.cn/{n}.html", "2024-03-01T00:00:02Z") is None
    assert index.claim("sha1:BBB", "http://c.gov.cn/2.pdf", "2024-03-02T00:00:00Z") == (
        "http://b.gov.cn/1.pdf", "2024-03-01T00:00:01Z")
    assert index.claim("sha1:0000000000000000000000000000000000001234", "http://d/", "x") == (
        "http://b.gov.cn/1234.html", "2024-03-01T00:00:02Z")


def test_item_encoding_is_the_bytes_json_dumps_gives() -> None:
    """The content hash and item JSON built from shared per-key encodings equal one json.dumps each, on real
    items (the seeds through build_item) and on items with cross-report checks, volatile attachment fields,
    odd values and non-list checks."""
    import hashlib

    from govcrawl.capture import Capture
    from govcrawl.catalog.schema import (
        CROSS_REPORT_RULES,
        VOLATILE_ATTACHMENT_FIELDS,
        VOLATILE_ITEM_FIELDS,
        ItemEncoding,
    )
    from govcrawl.report import build_item

    def dumps(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)

    def reference_hash(item: dict) -> str:
        stable = {k: v for k, v in item.items() if k not in VOLATILE_ITEM_FIELDS}
        if isinstance(stable.get("checks"), list):
            stable["checks"] = [c for c in stable["checks"]
                                if not (isinstance(c, dict) and c.get("rule") in CROSS_REPORT_RULES)]
        if isinstance(stable.get("attachments"), list):
            stable["attachments"] = [{k: v for k, v in a.items() if k not in VOLATILE_ATTACHMENT_FIELDS}
                                     if isinstance(a, dict) else a for a in stable["attachments"]]
        return "sha1:" + hashlib.sha1(dumps(stable).encode("utf-8")).hexdigest()

    seeds = sorted(Path(__file__).resolve().parents[2].joinpath("shared", "seeds").glob("*.txt"))
    assert seeds
    rule = sorted(CROSS_REPORT_RULES)[0]
    for path in seeds:
        item = build_item(Capture(url=f"http://www.example.gov.cn/{path.name}", body=path.read_bytes(),
                                  content_type="text/plain; charset=utf-8", status=200))
        for variant in (item, {**item, "checks": [*item["checks"], {"rule": rule, "ok": False}]},
                        {**item, "attachments": [{"url": "http://x/a.pdf", "warc_record_id": "<urn:uuid:1>"}, "x"]},
                        {**item, "checks": "not a list", "odd": {"b": [float("nan"), None, "\u2028"], "a": 1}}):
            encoding = ItemEncoding(variant)
            assert encoding.digest == reference_hash(variant) == content_hash(variant)
            assert encoding.item_json() == dumps(variant)
    moved = {**item, "source": {**item["source"], "warc_offset": 12345}}
    assert content_hash(moved) == content_hash(item)  # volatile fields leave the hash alone
    assert content_hash({**item, "title": item["title"] + "x"}) != content_hash(item)
