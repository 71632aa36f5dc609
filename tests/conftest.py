"""What every test file shares: the mock portal fixture, one way to read WARC files back, the unit/e2e markers.

- ``portal``: the bundled mock portal (``govcrawl/demo/``) on 127.0.0.1, one ephemeral port per mock site, for
  a whole test module. A module chooses its sites with ``PORTAL_SITES = [...]`` (default: every site) and adds
  its own site builders with ``PORTAL_EXTRA = {"name": builder}``.
- ``read_warc``: every record of a WARC file, or of every ``*.warc.gz`` under a directory, read with warcio's
  ``ArchiveIterator`` (digests checked, a mismatch raises), as :class:`StoredRecord` values.
- Markers: a test is ``e2e`` when it runs a crawl, the console script or a child process end to end, or needs
  Chromium / redis-server / pywb (``E2E`` below, plus every ``browser`` and ``redis`` test); every other test is
  ``unit`` (in-process, milliseconds) or, when listed in ``SLOW``, ``slow`` (in-process, seconds).
  ``./scripts/test -m unit`` is the fast loop; ``-m "unit or slow"`` every in-process test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from govcrawl.demo.portal import DEFAULT_SITES, Portal, PortalHandle

#: test module -> the tests in it that are end to end (None: the whole module)
E2E: dict[str, set[str] | None] = {
    "test_e2e_crawl.py": None,
    "test_spider_e2e.py": None,
    "test_portal_demo.py": None,
    "test_warc_crawl.py": None,
    "test_warc_replay.py": None,
    "test_distributed_redis.py": None,
    "test_nightly.py": None,
    "test_rebuild_cli.py": None,
    "test_warc_repair.py": {"test_repair_cli", "test_repair_treats_zombie_writer_as_dead",
                            "test_sigkilled_writer_is_repaired"},
    "test_warc_process.py": {"test_writer_process_finishes_and_exits_when_its_parent_dies"},
    "test_export.py": {"test_cli_export_and_missing_catalog"},
    "test_parser_cli.py": {"test_console_script_never_shows_a_traceback"},
    "test_portal.py": {"test_portal_command_serves_until_terminated"},
    "test_pipeline_pool.py": None,
    "test_workers.py": None,
    "test_wacz.py": None,
    "test_browse.py": None,
    "test_overview.py": None,
    "test_find_columns.py": None,
    "test_sites_check.py": None,
    "test_extract_limits.py": None,
    "test_warc_disk_full.py": None,
    "test_browser_pager.py": None,
    "test_cli_conventions.py": None,
    "test_crash_trials.py": None,
    "test_distributed_politeness.py": None,
    "test_distributed_restart.py": None,
    "test_distributed_revisits.py": None,
    "test_mock_real_patterns.py": None,
    "test_research_cli.py": None,
    "test_researchers_doc.py": None,
    "test_throttle.py": None,
    "test_wacz_revisit.py": None,
    "test_withdrawals.py": None,
    "test_fault_portal.py": None,
    "test_catalog_withdrawals.py": None,
}
#: in-process tests that take seconds (property tests with many examples, real PDFs, a subprocess): marked
#: ``slow`` instead of ``unit``, so ``-m unit`` stays a loop of seconds
SLOW: dict[str, set[str] | None] = {
    "test_tables_properties.py": None,
    "test_tables_grid.py": {"test_xslt_cell_reader_equals_the_python_walk",
                            "test_arbitrary_table_markup_gives_rectangular_grids"},
    "test_extract_word97.py": {"test_damaged_documents_raise_word97_error_or_yield_text_never_crash"},
    "test_parser_portal.py": None,
    "test_spider_settings.py": {"test_the_public_suffix_list_is_never_fetched"},
    "test_portal_traps.py": {"test_slow_report_is_slow_but_complete"},
    "test_parser_synthetic.py": {"test_chrome_digit_shortcut_agrees_with_the_token_test",
                                 "test_any_text_gives_a_valid_item_or_parse_error",
                                 "test_heading_numerals_found_as_the_anchored_regex_defines_them"},
    "test_catalog.py": {"test_consecutive_years_of_one_agency_get_the_carryover_check"},
    "test_real_reports.py": {"test_flattened_reading_of_a_pdf_text_layer_never_takes_another_rows_cells",
                             "test_metadata"},
    "test_cookies.py": {"test_a_flood_of_set_cookie_leaves_a_header_servers_accept"},
    "test_classifier.py": {"test_spacing_and_width_do_not_change_the_verdict",
                           "test_any_text_gets_a_verdict_and_a_reason"},
    "test_extract_decode.py": {"test_decode_never_raises_and_reports_a_real_codec"},
}
#: markers that make a test end to end wherever it is
E2E_MARKERS = ("browser", "redis")


def is_e2e(item: pytest.Item) -> bool:
    """Whether a collected test is end to end (see the module docstring)."""
    if any(item.get_closest_marker(name) for name in E2E_MARKERS):
        return True
    module = Path(str(item.path)).name
    if module not in E2E:
        return False
    tests = E2E[module]
    return tests is None or getattr(item, "originalname", item.name) in tests


def _listed(item: pytest.Item, table: dict[str, set[str] | None]) -> bool:
    module = Path(str(item.path)).name
    if module not in table:
        return False
    tests = table[module]
    return tests is None or getattr(item, "originalname", item.name) in tests


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if is_e2e(item):
            item.add_marker(pytest.mark.e2e)
        else:
            item.add_marker(pytest.mark.slow if _listed(item, SLOW) else pytest.mark.unit)


@pytest.fixture(scope="module")
def portal(request: pytest.FixtureRequest) -> Iterator[PortalHandle]:
    """The mock portal for one test module: ``PORTAL_SITES`` (default all) plus ``PORTAL_EXTRA`` builders."""
    sites = getattr(request.module, "PORTAL_SITES", DEFAULT_SITES)
    extra = getattr(request.module, "PORTAL_EXTRA", {})
    with Portal(sites=[*sites, *extra], extra=extra).start() as handle:
        yield handle


@dataclass
class StoredRecord:
    """One WARC record as stored: its headers, its payload as written (Content-Encoding kept), where it is."""

    file: Path
    offset: int
    type: str
    headers: StatusAndHeaders
    http: StatusAndHeaders | None
    raw: bytes
    digest_ok: bool | None

    @property
    def uri(self) -> str | None:
        return self.headers.get_header("WARC-Target-URI")

    @property
    def id(self) -> str | None:
        return self.headers.get_header("WARC-Record-ID")

    def decoded(self) -> bytes:
        """The payload with its Content-Encoding removed (warcio's content stream)."""
        with open(self.file, "rb") as handle:
            handle.seek(self.offset)
            return next(iter(ArchiveIterator(handle))).content_stream().read()


def read_warc(target: str | Path, offset: int | None = None) -> list[StoredRecord]:
    """Records of the WARC file ``target`` (only the one at ``offset`` if given), or of every closed
    ``*.warc.gz`` below the directory ``target`` in name order. Digests are checked; a mismatch raises."""
    target = Path(target)
    paths = sorted(target.rglob("*.warc.gz")) if target.is_dir() else [target]
    out = []
    for path in paths:
        with open(path, "rb") as handle:
            if offset is not None:
                handle.seek(offset)
            iterator = ArchiveIterator(handle, check_digests="raise")
            for record in iterator:
                raw = record.raw_stream.read()
                out.append(StoredRecord(file=path, offset=iterator.get_record_offset(),
                                        type=record.rec_type, headers=record.rec_headers,
                                        http=record.http_headers, raw=raw,
                                        digest_ok=record.digest_checker.passed))
                if offset is not None:
                    break
    return out


@pytest.fixture(scope="session", name="read_warc")
def read_warc_fixture() -> object:
    """:func:`read_warc`, for tests and fixtures."""
    return read_warc


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ``govcrawl demo`` crawl (the county site): its archive folder with WARC files and catalog.sqlite.

    Session-scoped and read-only: tests that change an archive copy it first."""
    import subprocess
    import sys

    work = tmp_path_factory.mktemp("demo-archive")
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "govcrawl.cli", "demo", "--archive", str(work / "archive"),
                    "-o", str(work / "reports.jsonl")], cwd=root, check=True, capture_output=True, timeout=300)
    return work / "archive"

