"""The bundled mock government portal: realistic mock sites on 127.0.0.1 with ground truth for tests.

``Portal(sites=None, seed=...).start()`` returns a :class:`PortalHandle` (context manager) with ``sites``,
``start_urls``, ``expected_reports()``, ``expected_for(start_url)``, ``reports()``, ``decoys()``, ``twins()``,
``traps()``, ``phrases()``, ``add_report()``, ``edit_report()`` and the ``requests`` log.
``bench_site(n_reports)`` (in :mod:`govcrawl.demo.bench`) starts the synthetic benchmark site.
"""

from govcrawl.demo.portal import DEFAULT_SITES, SITE_BUILDERS, Portal, PortalHandle

__all__ = ["DEFAULT_SITES", "SITE_BUILDERS", "Portal", "PortalHandle"]
