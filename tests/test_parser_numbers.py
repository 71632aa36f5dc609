"""The number reader: Chinese numerals, 万/亿 units, qualifiers (unit tests + hypothesis property tests)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govcrawl.parser.numbers import ReadNumber, chinese_to_int, read_int, read_number

_DIGITS = "零一二三四五六七八九"


def _render_group(value: int) -> str:
    """0 < value < 10000 as a Chinese numeral (一千零五, 三百二十, 一十二)."""
    out, pending_zero = "", False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = value // unit_value % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out += "零"
            pending_zero = False
        out += _DIGITS[digit] + unit
    return out


def render_chinese(value: int) -> str:
    """The canonical Chinese numeral for 0 <= value < 10**16 (一亿零一, 一千零一万, 十二万三千)."""
    if value == 0:
        return "零"
    yi, wan, low = value // 10**8, value // 10**4 % 10**4, value % 10**4
    out = ""
    if yi:
        out += render_chinese(yi) + "亿"
    for group, unit, higher in ((wan, "万", bool(yi)), (low, "", bool(yi or wan))):
        if not group:
            continue
        previous_zero = (unit == "" and yi and not wan)
        if higher and (group < 1000 or previous_zero):
            out += "零"
        out += _render_group(group) + unit
    return out


@pytest.mark.parametrize(("token", "value", "approximate"), [
    ("5838", 5838, False),
    ("23,123", 23123, False),
    ("13.1万余", 131000, True),
    ("13.1万", 131000, True),  # rounded to 0.1万
    ("5万", 50000, False),
    ("1.2亿", 120_000_000, True),
    ("二十三", 23, False),
    ("十二", 12, False),
    ("一百零五", 105, False),
    ("两千", 2000, False),
    ("两万三千", 23000, False),
    ("二〇一七", 2017, False),
    ("一亿二千万", 120_000_000, False),
    ("壹佰贰拾", 120, False),
    ("约500", 500, True),
    ("近千", 1000, True),
    ("逾两万", 20000, True),
    ("100余", 100, True),
    ("3000多", 3000, True),
    ("200左右", 200, True),
    ("１２３", 123, False),
])
def test_read_number_examples(token: str, value: int, approximate: bool) -> None:
    assert read_number(token) == ReadNumber(value, approximate)


@pytest.mark.parametrize("token", ["", "万", "亿", "abc", "一二三四五六七八九十万亿x", "二三百"])
def test_read_number_rejects_non_numbers(token: str) -> None:
    assert read_number(token) is None


def test_decimal_amounts_stay_decimal() -> None:
    assert read_number("5949.088667") == ReadNumber(5949.088667, False)
    assert read_int("5949.088667") is None
    assert read_int("12") == 12


def test_chinese_to_int_raises_on_garbage() -> None:
    with pytest.raises(ValueError):
        chinese_to_int("一二百")  # two digits without a unit


@given(st.integers(min_value=0, max_value=10**13))
def test_chinese_numerals_round_trip(value: int) -> None:
    numeral = render_chinese(value)
    assert chinese_to_int(numeral) == value
    assert read_number(numeral) == ReadNumber(value, False)


@given(st.integers(min_value=1, max_value=10**8), st.booleans())
def test_liang_reads_like_er(value: int, use_liang: bool) -> None:
    numeral = render_chinese(value)
    if use_liang:
        numeral = numeral.replace("二千", "两千").replace("二百", "两百").replace("二万", "两万")
    assert chinese_to_int(numeral) == value


@given(st.integers(min_value=1, max_value=99_999), st.sampled_from(["万", "亿"]), st.booleans())
def test_decimal_with_unit_reads_back(tenths: int, unit: str, with_qualifier: bool) -> None:
    """`13.1万(余)` style: one decimal place times the unit; approximate when there is a fraction or 余."""
    token = f"{tenths // 10}.{tenths % 10}{unit}" + ("余" if with_qualifier else "")
    multiplier = 10**4 if unit == "万" else 10**8
    number = read_number(token)
    assert number is not None
    assert number.value == tenths * multiplier // 10
    assert number.approximate == (with_qualifier or tenths % 10 != 0)


@given(st.integers(min_value=0, max_value=10**12))
def test_arabic_with_thousands_separators(value: int) -> None:
    assert read_int(f"{value:,}") == value
    assert read_int(str(value)) == value
