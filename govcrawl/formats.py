"""The official report table templates (国办公开办函〔2019〕60号 and 〔2021〕30号), loaded from package data."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

TEMPLATE_IDS = ("gbf_2019", "gbf_2021")


@cache
def report_formats() -> dict[str, Any]:
    """The parsed ``report-formats.json`` bundled with the package."""
    with resources.files("govcrawl.data").joinpath("report-formats.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def template(template_id: str) -> dict[str, Any]:
    """One template (``gbf_2019`` or ``gbf_2021``)."""
    return report_formats()["formats"][template_id]


def template_table(template_id: str, table_key: str) -> dict[str, Any]:
    """One table of a template, e.g. ``template_table("gbf_2021", "t3_applications")``."""
    for table in template(template_id)["tables"]:
        if table["key"] == table_key:
            return table
    raise KeyError(f"{template_id} has no table {table_key!r}")
