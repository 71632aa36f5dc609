"""Exceptions shared across the data path, in one small module that pulls in nothing of ours."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class NotModified(IgnoreRequest):
    """The server answered 304 to a conditional request: the catalogued report is unchanged."""
