"""Reading one table cell into a value.

Policy (what each kind of cell becomes in ``values``):

* blank (empty, spaces, ``&nbsp;``)        -> ``0``; the cell is also listed in ``blank_cells``
  (official practice: a blank count is zero, but we keep that it was blank);
* ``—``, ``-``, ``--``, ``/``, ``\\``, ``不适用``  -> ``None`` (not applicable / not reported), raw text kept;
* ``无`` / ``没有``                          -> ``0`` (the word means "none"), raw text kept in ``raw_cells``;
* numbers: ``12``, ``1,234``, ``0.00`` (-> ``0``), ``5949.088667``, signed ``+3`` / ``-3`` / ``增加3`` /
  ``减少3``, full-width digits, Chinese numerals (``十二``, ``一百零五``, ``两``; a lone ``一`` is read as 1);
  integral values become ``int``, others ``float``;
* counts may carry 件/项/个/条/次 (dropped); amounts may carry 元/万元/亿元, normalised to 万元 by the caller
  (see ``to_10k_yuan``);
* anything else is not a value (``kind == "text"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from govcrawl.parser.tables.labels import fold

_NA = frozenset({"-", "--", "—", "——", "–", "―", "─", "/", "\\", "－", "N/A", "n/a", "NA", "不适用", "×", "x", "X"})
_NONE_WORDS = frozenset({"无", "没有", "暂无"})
_NUMBER = re.compile(
    r"^(?P<sign>[+-]|增加|减少|增|减)?(?P<num>\d+(?:\.\d+)?)(?P<unit>万元|亿元|元|件|项|个|条|次|家)?$"
)
_CN_NUMBER = re.compile(r"^(?P<num>[零〇一二两三四五六七八九十百千万]+)(?P<unit>件|项|个|条|次|家)?$")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
MONEY_UNITS = ("元", "万元", "亿元")


@dataclass(frozen=True, slots=True)
class Cell:
    """One parsed cell: kind is number | blank | na | none_word | text."""

    kind: str
    value: int | float | None
    unit: str | None
    raw: str

    @property
    def is_value(self) -> bool:
        """True when the cell can stand in a number position (anything but free text)."""
        return self.kind != "text"


def chinese_to_int(text: str) -> int | None:
    """Read a Chinese-numeral integer (十二, 一百零五, 两千, 三万五千, 二〇二三); None when malformed."""
    if not text:
        return None
    if all(ch in _CN_DIGITS for ch in text) and len(text) > 1:  # digit-by-digit: 二〇二三
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in ("零", "〇"):
            continue  # placeholder zero: 一百零五
        if ch in _CN_DIGITS:
            if digit is not None:
                return None
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        elif ch == "万":
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def _number(text: str) -> int | float:
    dec = Decimal(text)
    return int(dec) if dec == dec.to_integral_value() else float(dec)


@lru_cache(maxsize=4096)
def parse_cell(raw: str) -> Cell:
    """Parse a cell string (see the module docstring for the policy)."""
    text = fold(raw).replace(",", "")
    if not text:
        return Cell("blank", 0, None, raw)
    if text in _NA or set(text) <= {"-", "—", "/", "－", "–"}:
        return Cell("na", None, None, raw)
    if text in _NONE_WORDS:
        return Cell("none_word", 0, None, raw)
    match = _NUMBER.match(text)
    if match:
        try:
            value = _number(match["num"])
        except InvalidOperation:  # pragma: no cover - the regex only admits valid decimals
            return Cell("text", None, None, raw)
        if match["sign"] in ("-", "减少", "减"):
            value = -value
        unit = match["unit"] if match["unit"] in MONEY_UNITS else None
        return Cell("number", value, unit, raw)
    match = _CN_NUMBER.match(text)
    if match:
        value = chinese_to_int(match["num"])
        if value is not None:
            return Cell("number", value, None, raw)
    return Cell("text", None, None, raw)


def to_10k_yuan(value: int | float, unit: str) -> int | float:
    """Convert an amount in ``unit`` (元, 万元, 亿元) to 万元, exactly (decimal arithmetic)."""
    factor = {"元": Decimal("0.0001"), "万元": Decimal(1), "亿元": Decimal(10000)}[unit]
    dec = Decimal(str(value)) * factor
    return int(dec) if dec == dec.to_integral_value() else float(dec)
