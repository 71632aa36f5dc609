"""Reading numbers as Chinese reports write them.

Handles Arabic digits (``5838``, ``23,123``; full-width digits are folded by ``normalise`` first, but are
accepted here too), Chinese numerals (``二十三``, ``一百零五``, ``两千``, ``二〇一七``, ``壹佰``), Arabic digits with a
Chinese unit (``13.1万``, ``1.2亿``) and approximation qualifiers before (约/近/逾/超过/大约/将近) or after
(余/多/左右/以上) the number. ``13.1万余`` reads as 131000, approximate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
    "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9,
}
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_WAN, _YI = 10_000, 100_000_000
_ARABIC_UNITS = {"千": Decimal(1000), "万": Decimal(_WAN), "亿": Decimal(_YI)}
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．，", "0123456789.,")

CHINESE_NUMERAL_CHARS = "零〇○一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟"
PREFIX_QUALIFIERS = ("大约", "将近", "超过", "约", "近", "逾", "超")
SUFFIX_QUALIFIERS = ("左右", "以上", "有余", "余", "多")

#: A regex fragment matching one number token (named groups ``pre``, ``num``, ``post``); the unit word
#: (条/件/...) that usually follows is left to the caller.
NUMBER_PATTERN = (
    r"(?P<pre>大约|将近|超过|约|近|逾|超)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:[千万亿])?|\d+(?:\.\d+)?(?:[千万亿])?|[" + CHINESE_NUMERAL_CHARS + r"]+)"
    r"(?P<post>余|多)?"
)
#: :data:`NUMBER_PATTERN` for a regex that starts with the number: a run of digits (or of Chinese numerals) is
#: entered at its first character only, so a long run (a flattened number table) is not retried from each of its
#: characters. Same matches as NUMBER_PATTERN wherever the search starts outside such a run: a match inside the
#: run would be preceded by one starting a character earlier (the comma form ``1234,567`` may still start inside).
NUMBER_PATTERN_RUN_START = (
    r"(?P<pre>大约|将近|超过|约|近|逾|超)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:[千万亿])?|(?<!\d)\d+(?:\.\d+)?(?:[千万亿])?"
    r"|(?<![" + CHINESE_NUMERAL_CHARS + r"])[" + CHINESE_NUMERAL_CHARS + r"]+)"
    r"(?P<post>余|多)?"
)
_NUMBER_RE = re.compile(r"^" + NUMBER_PATTERN + r"(?:左右|以上|有余)?$")
_ARABIC_RE = re.compile(r"^(\d+(?:\.\d+)?)([千万亿])?$")


@dataclass(frozen=True)
class ReadNumber:
    """A number read from text: its value and whether the text says it is approximate (or it is rounded)."""

    value: int | float
    approximate: bool = False


def chinese_to_int(numeral: str) -> int:
    """Value of a pure Chinese numeral (``一百零五`` -> 105, ``十二万`` -> 120000, ``二〇一七`` -> 2017).

    Raises ``ValueError`` for strings that are not a Chinese numeral.
    """
    if not numeral or any(ch not in _DIGITS and ch not in _SMALL_UNITS and ch not in "万亿" for ch in numeral):
        raise ValueError(f"not a Chinese numeral: {numeral!r}")
    if all(ch in _DIGITS for ch in numeral):  # digit by digit, as in years: 二〇一七
        value = 0
        for ch in numeral:
            value = value * 10 + _DIGITS[ch]
        return value
    total = 0  # completed 亿 groups
    wan = 0  # completed 万 groups below the current 亿
    below_wan = 0  # completed 十/百/千 parts below the current 万
    digit: int | None = None
    for ch in numeral:
        if ch in _DIGITS:
            if digit not in (None, 0) and _DIGITS[ch] != 0:
                raise ValueError(f"two digits without a unit in {numeral!r}")
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            below_wan += (1 if digit is None else digit) * _SMALL_UNITS[ch]
            digit = None
        elif ch == "万":
            group = below_wan + (digit or 0)
            if group == 0:
                raise ValueError(f"万 without a number in {numeral!r}")
            wan += group * _WAN
            below_wan, digit = 0, None
        else:  # 亿
            group = wan + below_wan + (digit or 0)
            if group == 0 and total == 0:
                raise ValueError(f"亿 without a number in {numeral!r}")
            total = (total + group) * _YI
            wan, below_wan, digit = 0, 0, None
    return total + wan + below_wan + (digit or 0)


def read_number(token: str) -> ReadNumber | None:
    """Read one number token with optional qualifiers; ``None`` when the token is not a number."""
    token = token.strip().translate(_FULLWIDTH_DIGITS)
    match = _NUMBER_RE.match(token)
    if not match:
        return None
    approximate = bool(match.group("pre") or match.group("post")) or token.endswith(("左右", "以上", "有余"))
    num = match.group("num")
    arabic = _ARABIC_RE.match(num.replace(",", ""))
    if arabic:
        try:
            amount = Decimal(arabic.group(1))
        except InvalidOperation:
            return None
        unit = arabic.group(2)
        if unit:
            if amount != amount.to_integral_value():
                approximate = True  # 13.1万: rounded to the unit's precision
            amount *= _ARABIC_UNITS[unit]
        value: int | float = int(amount) if amount == amount.to_integral_value() else float(amount)
        return ReadNumber(value, approximate)
    try:
        return ReadNumber(chinese_to_int(num), approximate)
    except ValueError:
        return None


def read_int(token: str) -> int | None:
    """Integer value of a number token, or ``None`` when it is not a whole number."""
    number = read_number(token)
    if number is None or isinstance(number.value, float):
        return None
    return number.value
