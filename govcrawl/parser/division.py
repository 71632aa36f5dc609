"""The administrative division of a report's agency: its 6-digit code and level (``adcode``, ``division_level``).

From the division table bundled with :mod:`govcrawl.gazetteer` (the most specific division the agency's name
places by code); both None when no code places it (national bodies, places the table does not know).
"""

from __future__ import annotations

from govcrawl.gazetteer import region_of


def division_fields(agency: str | None) -> dict[str, str | None]:
    """``{"adcode": "130303", "division_level": "county"}`` for 山海关区人民政府; None values when not placed."""
    region = region_of(agency)
    return {"adcode": region.adcode, "division_level": region.division_level}
