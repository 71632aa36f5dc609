"""The official report table templates (国办公开办函〔2019〕60号 and 〔2021〕30号), loaded from package data, and the
rule saying which format a report year is due in."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Literal

TEMPLATE_IDS = ("gbf_2019", "gbf_2021")
ReportFormat = Literal["pre2019", "2019", "2021"]
#: the template of each format that has standard tables
TEMPLATE_OF_FORMAT = {"2019": "gbf_2019", "2021": "gbf_2021"}


def format_of_year(year: int | None) -> ReportFormat:
    """The format a report for ``year`` is due in: ``"2021"`` from 2021 (国办公开办函〔2021〕30号), ``"2019"`` for
    2019 and 2020 (〔2019〕60号), ``"pre2019"`` before (and when the year is unknown). The one place of this rule."""
    if year is None or year < 2019:
        return "pre2019"
    return "2021" if year >= 2021 else "2019"


def template_of_year(year: int) -> str:
    """The official template nearest to a report for ``year``: ``gbf_2021`` from 2021, else ``gbf_2019``."""
    return TEMPLATE_OF_FORMAT.get(format_of_year(year), "gbf_2019")


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
