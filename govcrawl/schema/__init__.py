"""The report item schema (``report.schema.json``) and a validator for it."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def report_schema() -> dict[str, Any]:
    with resources.files("govcrawl.schema").joinpath("report.schema.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def schema_errors(item: dict[str, Any]) -> list[str]:
    """Every way ``item`` departs from the report schema, as readable strings (empty when valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(report_schema())
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<item>'}: {err.message}"
        for err in sorted(validator.iter_errors(item), key=lambda e: list(e.absolute_path))
    ]


def validate_item(item: dict[str, Any]) -> None:
    """Raise ``ValueError`` listing every schema violation of ``item``."""
    errors = schema_errors(item)
    if errors:
        raise ValueError("report item violates the schema:\n  " + "\n  ".join(errors))
