"""Writes examples/doudian/aftersales.xlsx, a made-up 抖店 after-sale export in the real shape (needs openpyxl).

The workbook is committed; run this only to change it: `pip install openpyxl && python tools/doudian_examples.py`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

HEADER = ["售后单号", "订单编号", "商品单号", "售后类型", "售后状态", "退款金额", "售后原因", "买家是否收到货",
          "申请时间", "当前节点逾期时间", "更新时间"]
ROWS = [
    ["\t7391234567890123401", "\t6921345678901234570", "\t6921345678901234575", "未发货仅退款", "待商家同意", "59.00",
     "不想要了", "否", datetime(2025, 6, 4, 9, 0), datetime(2025, 6, 4, 21, 0), datetime(2025, 6, 4, 9, 0)],
    ["\t7391234567890123402", "\t6921345678901234567", "\t6921345678901234571", "退货退款", "待买家退货", "64.00",
     "尺码不合适", "是", datetime(2025, 6, 5, 10, 0), datetime(2025, 6, 12, 10, 0), datetime(2025, 6, 5, 11, 0)],
    ["\t7391234567890123403", "\t6921345678901234568", "\t6921345678901234573", "已发货仅退款", "售后成功", "89.00",
     "物流太慢", "否", datetime(2025, 6, 3, 8, 0), "-", datetime(2025, 6, 3, 20, 0)],
    ["\t7391234567890123404", "\t6921345678901234569", "\t6921345678901234574", "退货退款", "待商家处理", "1,249.00",
     "质量问题", "是", datetime(2025, 6, 4, 10, 0), datetime(2025, 6, 5, 10, 0), datetime(2025, 6, 4, 10, 0)],
    ["\t7391234567890123405", "\t6921345678901234576", "-", "维修", "待商家同意", "-",
     "-", "否", datetime(2025, 6, 4, 11, 0), "-", "-"],
]


def main() -> None:
    """Write the workbook beside the other examples."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "售后单"
    ws.append(HEADER)
    for row in ROWS:
        ws.append(row)
    out = Path(__file__).resolve().parent.parent / "examples" / "doudian" / "aftersales.xlsx"
    wb.save(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
