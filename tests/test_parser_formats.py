"""The shared small rules: year -> format/template (one function), the empty item, the one OpenCC wrapper."""

from __future__ import annotations

import dataclasses

import pytest

from govcrawl import opencc_wrap
from govcrawl.capture import Capture
from govcrawl.formats import format_of_year, template_of_year
from govcrawl.parser import PARSER_VERSION, empty_item, parse_report
from govcrawl.parser.normalise import normalise, to_simplified
from govcrawl.parser.tables.spec import table_specs
from govcrawl.report import flagged_item
from govcrawl.schema import validate_item


@pytest.mark.parametrize(("year", "fmt", "template"), [
    (2008, "pre2019", "gbf_2019"), (2018, "pre2019", "gbf_2019"), (2019, "2019", "gbf_2019"),
    (2020, "2019", "gbf_2019"), (2021, "2021", "gbf_2021"), (2024, "2021", "gbf_2021"),
])
def test_year_to_format_and_template(year: int, fmt: str, template: str) -> None:
    assert format_of_year(year) == fmt
    assert template_of_year(year) == template


def test_unknown_year_is_pre2019() -> None:
    assert format_of_year(None) == "pre2019"


@pytest.mark.parametrize(("title", "fmt"), [("某县2018年政府信息公开工作年度报告", "pre2019"),
                                            ("某县2020年政府信息公开工作年度报告", "2019"),
                                            ("某县2023年政府信息公开工作年度报告", "2021"), (None, "pre2019")])
def test_flagged_item_uses_the_same_rule_and_the_parsers_empty_item(title: str | None, fmt: str) -> None:
    item = flagged_item(Capture(url="http://127.0.0.1/a.html", body=b""), ["empty"], title=title)
    validate_item(item)
    assert item["format"] == fmt and item["flags"] == ["empty"]
    assert set(item) == {*empty_item(), "source"} and item["parser_version"] == PARSER_VERSION


def test_empty_item_is_schema_valid_and_fresh_each_time() -> None:
    item = empty_item()
    validate_item({**item, "source": None})
    item["flags"].append("x")
    assert empty_item()["flags"] == []


def test_parse_report_fills_every_field_of_the_empty_item() -> None:
    item = parse_report("某县2023年政府信息公开工作年度报告\n本年度共主动公开政府信息120条。")
    assert list(item) == list(empty_item())
    assert item["format"] == "pre2019" and item["report_year"] == 2023


def test_one_opencc_converter_for_every_caller() -> None:
    assert opencc_wrap.converter("t2s") is opencc_wrap.converter("t2s")
    assert to_simplified is opencc_wrap.to_simplified
    assert to_simplified("政府信息公開工作年度報告") == "政府信息公开工作年度报告"
    assert normalise("縣政府資訊公開報告，開放數據")[1] == "traditional"


def test_table_specs_are_frozen_and_hashable() -> None:
    spec = table_specs("gbf_2021")["t3_applications"]
    assert {spec: 1}[table_specs("gbf_2021")["t3_applications"]] == 1
    assert spec != table_specs("gbf_2019")["t3_applications"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.key = "other"  # type: ignore[misc]
