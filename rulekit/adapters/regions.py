"""Provincial-level divisions of China (GB/T 2260): full names, short names and adcodes, for the `province` converter."""

from __future__ import annotations

#: adcode -> (full name as 抖店 writes it in `post_addr.province.name`, the short name rulekit's `order.region` uses)
PROVINCES: dict[str, tuple[str, str]] = {
    "110000": ("北京市", "北京"), "120000": ("天津市", "天津"), "130000": ("河北省", "河北"),
    "140000": ("山西省", "山西"), "150000": ("内蒙古自治区", "内蒙古"), "210000": ("辽宁省", "辽宁"),
    "220000": ("吉林省", "吉林"), "230000": ("黑龙江省", "黑龙江"), "310000": ("上海市", "上海"),
    "320000": ("江苏省", "江苏"), "330000": ("浙江省", "浙江"), "340000": ("安徽省", "安徽"),
    "350000": ("福建省", "福建"), "360000": ("江西省", "江西"), "370000": ("山东省", "山东"),
    "410000": ("河南省", "河南"), "420000": ("湖北省", "湖北"), "430000": ("湖南省", "湖南"),
    "440000": ("广东省", "广东"), "450000": ("广西壮族自治区", "广西"), "460000": ("海南省", "海南"),
    "500000": ("重庆市", "重庆"), "510000": ("四川省", "四川"), "520000": ("贵州省", "贵州"),
    "530000": ("云南省", "云南"), "540000": ("西藏自治区", "西藏"), "610000": ("陕西省", "陕西"),
    "620000": ("甘肃省", "甘肃"), "630000": ("青海省", "青海"), "640000": ("宁夏回族自治区", "宁夏"),
    "650000": ("新疆维吾尔自治区", "新疆"), "710000": ("台湾省", "台湾"),
    "810000": ("香港特别行政区", "香港"), "820000": ("澳门特别行政区", "澳门"),
}

_BY_NAME: dict[str, str] = {}
for _full, _short in PROVINCES.values():
    _BY_NAME[_full] = _short
    _BY_NAME[_short] = _short
_BY_NAME.update({"新疆自治区": "新疆", "广西自治区": "广西", "宁夏自治区": "宁夏", "西藏省": "西藏", "内蒙古省": "内蒙古"})


def short_region(value: str) -> str | None:
    """The short name (`新疆`) of a province given by adcode (`650000`, or a city or county code inside it such as
    `650100`), full name (`新疆维吾尔自治区`) or short name; None when it is none of these."""
    text = value.strip()
    if text.isdigit() and len(text) in (2, 6, 9, 12):
        return PROVINCES.get(text[:2] + "0000", (None, None))[1]
    return _BY_NAME.get(text)
