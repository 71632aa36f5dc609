"""What every test file shares: the mock portal fixture, one way to read WARC files back, the unit/e2e markers.

- ``portal``: the bundled mock portal (``govcrawl/demo/``) on 127.0.0.1, one ephemeral port per mock site, for
  a whole test module. A module chooses its sites with ``PORTAL_SITES = [...]`` (default: every site) and adds
  its own site builders with ``PORTAL_EXTRA = {"name": builder}``.
- ``read_warc``: every record of a WARC file, or of every ``*.warc.gz`` under a directory, read with warcio's
  ``ArchiveIterator`` (digests checked, a mismatch raises), as :class:`StoredRecord` values.
- Markers: a test is ``e2e`` when it runs a crawl, the console script or a child process end to end, or needs
  Chromium / redis-server / pywb (``E2E`` below, plus every ``browser`` and ``redis`` test); every other test is
  ``unit`` (in-process, seconds). ``./scripts/test -m unit`` is the fast loop.
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.e2e if is_e2e(item) else pytest.mark.unit)


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
