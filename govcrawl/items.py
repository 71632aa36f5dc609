"""Scrapy items. The spider yields CaptureItem; pipelines turn it into a report item (a plain dict)."""

from __future__ import annotations

import scrapy


class CaptureItem(scrapy.Item):
    """A fetched report page (or attachment-only report) with its discovery provenance.

    Fields mirror :class:`govcrawl.report.Capture`; ``warc_ref`` is whatever the WARC middleware put in
    ``response.meta["warc_ref"]`` and ``attachments`` is a list of CaptureItem-shaped dicts.
    """

    url = scrapy.Field()
    body = scrapy.Field()
    content_type = scrapy.Field()
    status = scrapy.Field()
    discovery = scrapy.Field()
    warc_ref = scrapy.Field()
    attachments = scrapy.Field()
