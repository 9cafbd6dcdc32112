"""Recognises raw 抖店 data given without `--adapter`, so the error can name the adapter that reads it."""

from __future__ import annotations

from typing import Any

from rulekit.adapters.apply import resolve

#: (adapter, what the data is, a test on a JSON document) for JSON; (adapter, what, a header column) for tables
_JSON = (
    ("doudian-api", "a 抖店 order API response", ("data.shop_order_list", "data.shop_order_detail", "shop_order_list")),
    ("doudian-api-aftersales", "a 抖店 after-sale API response", ("data.items[].aftersale_info",)),
    ("doudian-api-products", "a 抖店 product API response", ("data.data[].product_id", "data.product_id")),
)
_TABLE = (
    ("doudian-export", "a row of a 抖店 order export", "主订单编号"),
    ("doudian-export-aftersales", "a row of a 抖店 after-sale export", "售后单号"),
)


def suggest(data: dict[str, Any] | None, fmt: str) -> str | None:
    """`it looks like …: read it with --adapter NAME` for raw platform data, else None."""
    if not isinstance(data, dict):
        return None
    if fmt == "csv":
        for name, what, column in _TABLE:
            if column in data:
                return f"it looks like {what}: read it with --adapter {name}"
        return None
    for name, what, paths in _JSON:
        for path in paths:
            values, _ = resolve(data, path)
            if any(v is not None for v in values):
                return f"it looks like {what}: read it with --adapter {name}"
    return None
