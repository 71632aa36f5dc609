"""The withdrawal rules of the catalog (govcrawl.catalog.withdrawals), one case at a time on a small catalog."""

from __future__ import annotations

import json
from pathlib import Path

from govcrawl.catalog import Catalog, canonical_url
from govcrawl.nightly import detect_withdrawals
from tests.test_catalog import make_item

COLUMN = "http://g.example/nb/index.html"


def listed_item(n: int) -> dict:
    item = make_item(f"http://g.example/nb/t{n}.html", year=2018 + n, record_id=f"<urn:uuid:r{n}>")
    item["source"]["list_url"] = COLUMN
    return item


def catalog_with_reports(path: Path, count: int = 3) -> tuple[Catalog, int]:
    """A catalog whose first run saw ``count`` reports listed in COLUMN; returns it and a second run."""
    cat = Catalog(path)
    first = cat.start_run()
    for n in range(count):
        cat.upsert_report(listed_item(n), run_id=first, site="g.example")
    cat.finish_run(first, "finished")
    return cat, cat.start_run()


def capture(cat: Catalog, run: int, url: str, status: int, *, stub: str | None = None, n: int = 0) -> None:
    cat.add_capture(url=url, status=status, run_id=run, site="g.example", record_type="response",
                    warc_record_id=f"<urn:uuid:c{run}-{n}-{status}>", fetched_at="2026-12-01T03:00:00Z",
                    stub_kind=stub)
    cat.commit()


def finish(cat: Catalog, run: int, errors: dict[str, int] | None = None) -> None:
    cat.finish_run(run, "finished", {"sites": {"g.example": {"ok_responses": 3, "errors": errors or {}}}})


def test_gone_answers_count_and_failed_fetches_do_not(tmp_path: Path) -> None:
    cat, run = catalog_with_reports(tmp_path / "c.sqlite", 5)
    capture(cat, run, COLUMN, 200)
    capture(cat, run, "http://g.example/nb/t0.html", 404, n=0)
    capture(cat, run, "http://g.example/nb/t1.html", 500, n=1)  # a server error proves nothing
    capture(cat, run, "http://g.example/nb/t2.html", 200, stub="tiny_body", n=2)  # a WAF glitch, not a deletion
    capture(cat, run, "http://g.example/nb/t3.html", 200, stub="removed_stub", n=3)
    cat.touch_report("http://g.example/nb/t4.html", run_id=run)  # a 304: still there
    finish(cat, run)
    found = {e["url"].rsplit("/", 1)[1]: e for e in detect_withdrawals(cat, run, returncode=0)}
    assert {k: e["reason"] for k, e in found.items()} == {"t0.html": "http_404", "t3.html": "removed_stub"}
    assert found["t0.html"]["evidence_record_id"] == f"<urn:uuid:c{run}-0-404>"
    assert found["t0.html"]["withdrawn_at"] == "2026-12-01T03:00:00Z"
    assert set(cat.withdrawals()) == {canonical_url("http://g.example/nb/t0.html"), canonical_url("http://g.example/nb/t3.html")}
    cat.close()


def test_unlisted_needs_the_column_read_and_no_network_errors(tmp_path: Path) -> None:
    cat, run = catalog_with_reports(tmp_path / "c.sqlite", 2)
    finish(cat, run)  # the column page was not fetched in this run: nothing shows the reports are gone
    assert detect_withdrawals(cat, run, returncode=0) == []
    run = cat.start_run()
    capture(cat, run, COLUMN, 200)
    finish(cat, run, {"TimeoutError": 1})  # a report request may have been lost
    assert detect_withdrawals(cat, run, returncode=0) == []
    run = cat.start_run()
    capture(cat, run, COLUMN, 200, n=1)
    cat.touch_report("http://g.example/nb/t1.html", run_id=run)
    finish(cat, run, {"http_404": 2})  # HTTP errors elsewhere on the site do not block
    (gone,) = detect_withdrawals(cat, run, returncode=0)
    assert gone["reason"] == "unlisted" and gone["url"].endswith("t0.html") and gone["evidence_url"] == COLUMN
    cat.close()


def test_a_crashed_or_stopped_run_records_nothing(tmp_path: Path) -> None:
    cat, run = catalog_with_reports(tmp_path / "c.sqlite", 1)
    capture(cat, run, "http://g.example/nb/t0.html", 410)
    cat.finish_run(run, "interrupted")
    assert detect_withdrawals(cat, run, returncode=0) == []
    finish(cat, run)
    assert detect_withdrawals(cat, run, returncode=-9) == []
    cat.close()


def test_a_withdrawn_report_seen_again_is_reinstated_and_not_recorded_twice(tmp_path: Path) -> None:
    cat, run = catalog_with_reports(tmp_path / "c.sqlite", 1)
    capture(cat, run, "http://g.example/nb/t0.html", 410)
    finish(cat, run)
    assert len(detect_withdrawals(cat, run, returncode=0)) == 1
    again = cat.start_run()
    capture(cat, again, "http://g.example/nb/t0.html", 410, n=1)
    finish(cat, again)
    assert detect_withdrawals(cat, again, returncode=0) == []  # still gone: one withdrawal, not two
    back = cat.start_run()
    cat.upsert_report(listed_item(0), run_id=back, site="g.example")
    finish(cat, back)
    assert detect_withdrawals(cat, back, returncode=0) == [] and cat.withdrawals() == {}
    (row,) = cat.conn.execute("SELECT reinstated_run, run_id FROM withdrawals").fetchall()
    assert tuple(row) == (back, run)
    assert json.loads(next(cat.reports())["item_json"])["url"].endswith("t0.html")
    cat.close()
