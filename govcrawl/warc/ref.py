"""``WarcRef``: where a capture went in the archive, on a ``concurrent.futures.Future`` of its record group.

Known at once: ``warc_record_id``, ``payload_digest``, ``fetched_at`` (and ``url``, ``record_type``, the revisit
fields). ``warc_filename``, ``warc_offset`` and ``warc_length`` come from the future the writer resolves with the
group's :class:`~govcrawl.warc.rotation.GroupLocations`; they are None until then. Before reading them:

- in an ``async def`` Scrapy pipeline/callback: ``await ref.wait()``;
- in Twisted code returning Deferreds: ``ref.deferred()`` (fires on the reactor thread);
- in plain threads / tests: ``ref.result(timeout)`` (blocks).

All three raise the write error if writing failed. A ref whose write failed (a full disk:
:class:`~govcrawl.warc.rotation.WarcDiskFull`) claims no record: ``warc_record_id`` becomes None with the
location, so no item or catalog row names a record that is in no file (``payload_digest`` and ``fetched_at``
still describe the fetch).
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from govcrawl.capture import warc_location
from govcrawl.warc.rotation import GroupLocations, RecordLocation


@dataclass(eq=False, init=False)
class WarcRef:
    """One record of a group being written (``index`` in the group; the main record is 0)."""

    warc_record_id: str | None
    payload_digest: str
    fetched_at: str
    url: str = ""
    record_type: str = "response"
    refers_to_uri: str | None = None
    refers_to_date: str | None = None
    future: Future[GroupLocations] | None = field(default=None, repr=False)
    index: int = 0
    #: the location once known without a future (a ref unpickled after its write)
    written: RecordLocation | None = field(default=None, repr=False)

    def __init__(self, warc_record_id: str | None, payload_digest: str, fetched_at: str, url: str = "",
                 record_type: str = "response", refers_to_uri: str | None = None, refers_to_date: str | None = None,
                 future: Future[GroupLocations] | None = None, index: int = 0,
                 written: RecordLocation | None = None) -> None:
        # the fields in one step (one ref per response: the dataclass __init__ would call __setattr__ per field)
        self.__dict__.update(warc_record_id=warc_record_id, payload_digest=payload_digest, fetched_at=fetched_at,
                             url=url, record_type=record_type, refers_to_uri=refers_to_uri,
                             refers_to_date=refers_to_date, future=None, index=index, written=written)
        if future is not None:
            self.future = future

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "future" and value is not None:
            value.add_done_callback(self._forget_if_unwritten)  # runs before any waiter's callback

    def _forget_if_unwritten(self, future: Future[GroupLocations]) -> None:
        if future.cancelled() or future.exception() is not None:
            super().__setattr__("warc_record_id", None)

    def done(self) -> bool:
        return self.future is None or self.future.done()

    @property
    def error(self) -> BaseException | None:
        """The write error, once the write failed (None while pending or when written)."""
        future = self.future
        if future is None or not future.done():
            return None
        return future.exception()

    @property
    def location(self) -> RecordLocation | None:
        """Where the record went, once written."""
        future = self.future
        if future is None or not future.done() or future.exception() is not None:
            return self.written
        return future.result().records[self.index]

    @property
    def warc_filename(self) -> str | None:
        location = self.location
        return location.filename if location else None

    @property
    def warc_offset(self) -> int | None:
        location = self.location
        return location.offset if location else None

    @property
    def warc_length(self) -> int | None:
        location = self.location
        return location.length if location else None

    def result(self, timeout: float | None = None) -> WarcRef:
        """Block until written; return self. Raises TimeoutError or the write error."""
        if self.future is not None:
            try:
                self.future.result(timeout)
            except TimeoutError:
                raise TimeoutError(f"WARC record {self.warc_record_id} not written after {timeout}s") from None
        return self

    def deferred(self) -> Any:
        """A Twisted Deferred firing with self (on the reactor thread) once written."""
        from twisted.internet import defer, reactor

        if self.done():
            error = self.error
            return defer.fail(error) if error is not None else defer.succeed(self)
        deferred: defer.Deferred[WarcRef] = defer.Deferred()

        def fire(future: Future[GroupLocations]) -> None:
            error = future.exception()
            if error is not None:
                reactor.callFromThread(deferred.errback, error)  # type: ignore[attr-defined]
            else:
                reactor.callFromThread(deferred.callback, self)  # type: ignore[attr-defined]

        assert self.future is not None
        self.future.add_done_callback(fire)
        return deferred

    async def wait(self) -> WarcRef:
        """Await the write from Scrapy coroutine code (asyncio or plain Twisted reactor)."""
        if self.done():
            return self.result()
        from scrapy.utils.defer import maybe_deferred_to_future

        return await maybe_deferred_to_future(self.deferred())

    def as_dict(self) -> dict[str, Any]:
        """The ``Capture.warc`` / item ``source`` fields."""
        return warc_location(self)

    def __getitem__(self, key: str) -> Any:
        """``ref["warc_offset"]`` works like ``ref.warc_offset`` (for code treating it as a dict)."""
        return getattr(self, key)

    def __deepcopy__(self, memo: dict[int, Any]) -> WarcRef:  # Scrapy may deep-copy items/meta
        return self

    def __getstate__(self) -> dict[str, Any]:  # pickling (JOBDIR, multiprocessing) keeps data only, no waiting
        state = dict(self.__dict__, future=None, written=self.location)
        return state
