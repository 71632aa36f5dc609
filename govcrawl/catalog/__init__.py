"""The SQLite catalog of sites, captures, report versions and runs.

- :mod:`~govcrawl.catalog.schema`: tables, figure columns, URL/site keys, the content hash;
- :mod:`~govcrawl.catalog.store`: :class:`Catalog`, the store (no Scrapy, no warcio);
- :mod:`~govcrawl.catalog.crosscheck`: checks between two reports of one agency (the year-to-year carry-over);
- :mod:`~govcrawl.catalog.crawl` and :mod:`~govcrawl.catalog.incremental`: the Scrapy components;
- :mod:`~govcrawl.catalog.rebuild`: a catalog rebuilt offline from WARC files.

This package re-exports the store's public names only, so importing it pulls in neither Scrapy nor warcio.
"""

from govcrawl.catalog.schema import (
           FIGURE_KEYS,
           SCHEMA_VERSION,
           CatalogError,
           canonical_url,
           content_hash,
           host_of,
           utc_now,
)
from govcrawl.catalog.store import Catalog, Prior, UpsertResult

__all__ = ["FIGURE_KEYS", "SCHEMA_VERSION", "Catalog", "CatalogError", "Prior", "UpsertResult", "canonical_url",
           "content_hash", "host_of", "utc_now"]
