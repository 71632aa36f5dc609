"""Acknowledging in-flight requests: a request popped from Redis is done once its work is done."""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider, signals

from govcrawl.distributed.keys import INFLIGHT_META, inflight_done
from govcrawl.distributed.resume import stays_local


class _Work:
    """One tokened response being processed: items still in the item pipelines, callback output finished?"""

    __slots__ = ("request", "items", "output_done", "handed")

    def __init__(self, request: Request) -> None:
        self.request = request
        self.items = 0
        self.output_done = False
        self.handed = False


class InflightAckMiddleware:
    """Spider middleware (outermost) acknowledging in-flight requests (module docstring).

    A request is done once its callback output has been consumed (its new shared requests are in Redis) AND every
    item it yielded has left the item pipelines (``item_scraped``/``item_dropped``/``item_error``), or once the
    callback raised: then signal :data:`inflight_done` so the scheduler drops it from the in-flight hash. When the
    output holds a worker-local follow-up (the next attachment of a report, which carries the report's capture),
    the token is handed on to it instead: the report page counts as done only when its last attachment's callback
    has emitted the item and the item is through the pipelines. Requests that never came from Redis carry no
    token."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self._work: dict[int, _Work] = {}  # id(response) -> its work, while items are in the pipelines

    @classmethod
    def from_crawler(cls, crawler: Any) -> InflightAckMiddleware:
        middleware = cls(crawler)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(middleware.item_finished, signal=signal)
        return middleware

    def _start(self, response: Any) -> _Work | None:
        request = getattr(response, "request", None)
        if request is None or not request.meta.get(INFLIGHT_META):
            return None
        return _Work(request)

    def _see(self, response: Any, work: _Work | None, entry: Any) -> None:
        if work is None:
            return
        if isinstance(entry, Request):
            if stays_local(entry) and not entry.meta.get(INFLIGHT_META):
                entry.meta[INFLIGHT_META] = work.request.meta[INFLIGHT_META]
                work.handed = True
        elif entry is not None:
            work.items += 1
            self._work[id(response)] = work

    def _finish(self, response: Any, work: _Work | None) -> None:
        if work is not None:
            work.output_done = True
            self._maybe_done(response, work)

    def _maybe_done(self, response: Any, work: _Work) -> None:
        if work.output_done and work.items <= 0:
            self._work.pop(id(response), None)
            if not work.handed:
                self.crawler.signals.send_catch_log(signal=inflight_done, request=work.request)

    def item_finished(self, item: Any = None, response: Any = None, **_: Any) -> None:
        work = self._work.get(id(response))
        if work is not None:
            work.items -= 1
            self._maybe_done(response, work)

    def process_spider_output(self, response: Any, result: Any, spider: Spider | None = None) -> Any:
        work = self._start(response)
        for entry in result:
            self._see(response, work, entry)
            yield entry
        self._finish(response, work)

    async def process_spider_output_async(self, response: Any, result: Any, spider: Spider | None = None) -> Any:
        work = self._start(response)
        async for entry in result:
            self._see(response, work, entry)
            yield entry
        self._finish(response, work)

    def process_spider_exception(self, response: Any, exception: BaseException, spider: Spider | None = None) -> None:
        work = self._start(response)  # a callback that raised is done too: a broken page is not retried forever
        self._finish(response, work)


