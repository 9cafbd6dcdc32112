"""Adapters: the shipped 抖店 mappings turn the examples into whole records; bad cells are located; custom mappings."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rulekit
from rulekit.adapters import AdapterError, adapt, bundled_adapters, load_adapter
from rulekit.io.readers import read_records
from tests.helpers import REPO, run_cli, write

DOUDIAN = REPO / "examples" / "doudian"
NOW = "2025-06-04T22:00:00+08:00"


def records(name: str, path: Path, params: dict[str, str] | None = None, **read: Any) -> list[Any]:
    """The InputRecords an adapter makes of a file (through the public API)."""
    adapter = load_adapter(name)
    engine = rulekit.load(absent={adapter.kind: list(adapter.absent)})
    assert adapter.check(engine.program.registry) == []
    raw = read_records(str(path), encoding=read.pop("encoding", adapter.encoding), **read)
    return list(adapt(adapter, raw, engine.program.registry, params))


def data(name: str, path: Path, params: dict[str, str] | None = None, **read: Any) -> list[dict[str, Any]]:
    out = records(name, path, params, **read)
    assert all(r.error is None for r in out), [r.error for r in out]
    return [r.data for r in out]


# ---- the shipped adapters on the examples ---------------------------------------------------------------------


def test_api_orders_become_whole_records() -> None:
    got = data("doudian-api", DOUDIAN / "orders_api.json")
    assert [r["id"] for r in got] == [f"692134567890123456{i}" for i in (7, 8, 9)] + ["6921345678901234570"]
    assert got[0] == {
        "id": "6921345678901234567", "shop_id": "4463798", "buyer_id": "1@#mJ3ozKwM0sTq7yQ2p9vA==", "region": "浙江",
        "items": [
            {"sku": "TS-WHT-L", "quantity": 2, "price": Decimal("64.00"), "product_id": "3718294056123456789",
             "name": "纯棉圆领短袖T恤男夏季宽松", "sku_order_id": "6921345678901234571"},
            {"sku": "SK-BLK-M", "quantity": 1, "price": Decimal("39.00"), "product_id": "3718294056123456790",
             "name": "纯棉运动短袜5双装", "sku_order_id": "6921345678901234572"},
        ],
        "total": Decimal("167.00"), "shipping_fee": Decimal("0.00"), "claims_free_shipping": True,
        "created_at": "2025-06-01T10:00:00+08:00", "paid_at": "2025-06-01T10:02:11+08:00",
        "shipped_at": "2025-06-02T16:30:00+08:00", "tracking_uploaded_at": "2025-06-02T16:30:00+08:00",
        "delivered_at": "2025-06-05T09:12:00+08:00", "status": "delivered",
        "promised_ship_by": "2025-06-03T10:02:11+08:00", "tracking_no": "SF1400123456789", "after_sale_status": "none",
    }
    # 新疆维吾尔自治区 / 650000 → 新疆; 0 means "has not happened"; 备货中 (2) → paid; pay_amount less post_amount
    assert got[1]["region"] == "新疆" and got[1]["delivered_at"] is None and got[1]["status"] == "shipped"
    assert got[2]["status"] == "paid" and got[2]["shipped_at"] is None and got[2]["total"] == Decimal("249.00")
    assert got[2]["shipping_fee"] == Decimal("10.00") and got[2]["claims_free_shipping"] is False
    assert got[3]["after_sale_status"] == "in_progress"


def test_big_ids_stay_exact_from_json_numbers(tmp_path: Path) -> None:
    doc = json.loads((DOUDIAN / "orders_api.json").read_text(encoding="utf-8"))
    sku = doc["data"]["shop_order_list"][0]["sku_order_list"][0]
    del sku["product_id_str"]  # only the JSON number is left: 3718294056123456789 > 2^53
    p = tmp_path / "o.json"
    p.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert data("doudian-api", p)[0]["items"][0]["product_id"] == "3718294056123456789"
    assert 3718294056123456789 > 2**53


def test_export_rows_group_into_orders() -> None:
    got = records("doudian-export", DOUDIAN / "orders.csv", {"shop_id": "4463798"})
    assert [r.record_id for r in got] == ["6921345678901234567", "6921345678901234568", "6921345678901234569",
                                          "6921345678901234570", "6921345678901234576"]
    first = got[0].data
    assert first is not None and first["shop_id"] == "4463798"
    assert [i["sku_order_id"] for i in first["items"]] == ["6921345678901234571", "6921345678901234572"]
    assert first["total"] == Decimal("167.00") and first["status"] == "delivered" and first["region"] == "浙江"
    assert first["created_at"] == "2025-06-01T10:00:00+08:00" and first["tracking_no"] == "SF1400123456789"
    third = got[2].data
    assert third is not None and third["items"][0]["price"] == Decimal("1299.00")  # "1,299.00"
    assert third["paid_at"] == "2025-06-01T21:15:40+08:00" and third["shipped_at"] is None  # "-"
    assert got[3].data is not None and got[3].data["after_sale_status"] == "in_progress"
    # the bad cell of the last order is named with its row, column and field; the others are unaffected
    assert got[4].data is None and got[4].line == 7
    assert got[4].error == "row 7, column `商品单价` → `items.price`: expected an amount in yuan such as 12.50 or " \
                           "1,299.00, got `三百九十九`"


def test_export_in_gb18030_reads_like_utf8(tmp_path: Path) -> None:
    text = (DOUDIAN / "orders.csv").read_text(encoding="utf-8-sig")
    gb = tmp_path / "orders.csv"
    gb.write_bytes(text.encode("gb18030"))
    utf8 = [r.data for r in records("doudian-export", DOUDIAN / "orders.csv", {"shop_id": "S"}, encoding="auto")]
    assert utf8[0] is not None and utf8[0]["items"][0]["name"] == "纯棉圆领短袖T恤男夏季宽松"
    assert [r.data for r in records("doudian-export", gb, {"shop_id": "S"}, encoding="auto")] == utf8
    assert [r.data for r in records("doudian-export", gb, {"shop_id": "S"}, encoding="gb18030")] == utf8
    wrong = records("doudian-export", gb, {"shop_id": "S"}, encoding="utf-8")
    assert wrong and all(r.data is None for r in wrong) and "not valid UTF-8" in (wrong[0].error or "")


def test_xlsx_after_sales() -> None:
    got = records("doudian-export-aftersales", DOUDIAN / "aftersales.xlsx", {"shop_id": "S1"})
    assert got[0].data == {
        "id": "7391234567890123401", "shop_id": "S1", "order_id": "6921345678901234570",
        "sku_order_id": "6921345678901234575", "kind": "refund_unshipped", "status": "awaiting_merchant",
        "refund_amount": Decimal("59.00"), "reason": "不想要了", "got_goods": False,
        "deadline": "2025-06-04T21:00:00+08:00", "applied_at": "2025-06-04T09:00:00+08:00",
        "updated_at": "2025-06-04T09:00:00+08:00"}
    assert got[2].data is not None and got[2].data["deadline"] is None and got[2].data["status"] == "completed"
    assert got[3].data is not None and got[3].data["refund_amount"] == Decimal("1249.00")
    assert got[4].data is None and got[4].error is not None and got[4].error.startswith(
        "row 6, column `售后类型` → `kind`: `维修` is not one of 退货退款")


def test_api_after_sales_and_products() -> None:
    sales = data("doudian-api-aftersales", DOUDIAN / "aftersales_api.json", {"shop_id": "S1"})
    assert [(s["kind"], s["status"], s["deadline"]) for s in sales] == [
        ("refund_unshipped", "awaiting_merchant", "2025-06-04T21:00:00+08:00"),
        ("return_refund", "awaiting_buyer", "2025-06-12T10:00:00+08:00")]
    products = data("doudian-api-products", DOUDIAN / "products_api.json")
    assert products[0] == {"id": "3718294056123456789", "shop_id": "4463798", "title": "纯棉圆领短袖T恤男夏季宽松",
                           "category": "服饰内衣>男装>T恤", "price": Decimal("64.00"), "no_reason_return": True,
                           "return_exemption": None, "updated_at": "2025-06-01T09:30:00+08:00"}
    assert products[2]["return_exemption"] == "unsealed"  # supply_7day_return 2: 支持（拆封后不支持）


def test_every_shipped_adapter_fits_the_bundled_record_types() -> None:
    assert set(bundled_adapters()) >= {"doudian-api", "doudian-export", "doudian-api-aftersales",
                                       "doudian-export-aftersales", "doudian-api-products"}
    for name in bundled_adapters():
        a = load_adapter(name)
        engine = rulekit.load(absent={a.kind: list(a.absent)})
        assert a.check(engine.program.registry) == [], name
        assert a.sources, f"{name} names no source for its mappings"


# ---- the command line -------------------------------------------------------------------------------------------


def test_readme_command_lints_the_export() -> None:
    r = run_cli("lint", "--adapter", "doudian-export", "--now", NOW, "--format", "jsonl", DOUDIAN / "orders.csv")
    assert r.returncode == 1, r.stderr
    reports = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["id"] for x in reports] == ["6921345678901234567", "6921345678901234568", "6921345678901234569",
                                          "6921345678901234570", "6921345678901234576"]
    late = {x["id"] for x in reports for v in x["violations"] if v["rule"] == "sla.ship_48h"}
    assert late == {"6921345678901234569", "6921345678901234570"}
    assert reports[4]["errors"][0]["message"].endswith("orders.csv:7: row 7, column `商品单价` → `items.price`: "
                                                       "expected an amount in yuan such as 12.50 or 1,299.00, got `三百九十九`")
    assert "the adapter doudian-export has no order.shop_id, order.buyer_id, order.weight, order.category" in r.stderr
    assert "sla.tracking_reused" in r.stderr and "freight.fee_mismatch" in r.stderr


def test_api_orders_share_a_tracking_number_across_buyers() -> None:
    r = run_cli("lint", "--adapter", "doudian-api", "--now", NOW, "--format", "jsonl", DOUDIAN / "orders_api.json")
    reports = {x["id"]: x for x in map(json.loads, r.stdout.splitlines())}
    reused = [v for v in reports["6921345678901234570"]["violations"] if v["rule"] == "sla.tracking_reused"]
    assert reused and reused[0]["actions"][0]["args"]["order_ids"] == ["6921345678901234567", "6921345678901234570"]


def test_adapt_writes_exact_json_lines(tmp_path: Path) -> None:
    out = tmp_path / "orders.jsonl"
    r = run_cli("adapt", "--adapter", "doudian-api", "-o", out, DOUDIAN / "orders_api.json")
    assert r.returncode == 0, r.stderr
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0], parse_float=Decimal)
    assert first["total"] == Decimal("167.00") and first["items"][0]["product_id"] == "3718294056123456789"
    again = run_cli("lint", "--subject", "order", "--now", NOW, "--format", "jsonl", out)
    direct = run_cli("lint", "--adapter", "doudian-api", "--now", NOW, "--format", "jsonl", DOUDIAN / "orders_api.json")
    assert again.stdout.count("\n") == 4
    # the converted file has the absent fields missing, so it is invalid without the adapter's relaxation
    assert json.loads(again.stdout.splitlines()[0])["errors"][0]["rule"] is None
    assert json.loads(direct.stdout.splitlines()[0])["errors"] == []


def test_adapt_list_and_failures(tmp_path: Path) -> None:
    r = run_cli("adapt", "--list")
    assert r.returncode == 0 and "doudian-export " in r.stdout and "order" in r.stdout
    bad = run_cli("adapt", "--adapter", "doudian-export", DOUDIAN / "orders.csv")
    assert bad.returncode == 1
    assert "orders.csv:7: row 7, column `商品单价`" in bad.stderr and "4 records converted, 1 could not be" in bad.stderr
    assert run_cli("adapt", "--adapter", "doudian-exprt", DOUDIAN / "orders.csv").stderr.strip().endswith(
        "(shipped: doudian-api, doudian-api-aftersales, doudian-api-products, doudian-export, "
        "doudian-export-aftersales; or give the path of a .toml mapping)")
    r = run_cli("adapt", "--adapter", "doudian-export", "--adapter-param", "shopid=1", DOUDIAN / "orders.csv")
    assert r.returncode == 2 and "has no such parameter; did you mean `shop_id`?" in r.stderr


def test_csv_from_standard_input() -> None:
    text = (DOUDIAN / "orders.csv").read_text(encoding="utf-8-sig")
    r = run_cli("lint", "--adapter", "doudian-export", "--input-format", "csv", "--now", NOW, "--format", "jsonl", "-",
                input=text)
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()][:2] == ["6921345678901234567",
                                                                            "6921345678901234568"]


def test_without_an_adapter_the_error_names_it() -> None:
    r = run_cli("lint", "--now", NOW, "--format", "jsonl", DOUDIAN / "orders.csv")
    first = json.loads(r.stdout.splitlines()[0])
    assert first["errors"][0]["message"].endswith("it looks like a row of a 抖店 order export: read it with "
                                                  "--adapter doudian-export")


# ---- writing a mapping ------------------------------------------------------------------------------------------

OTHER = '''
[adapter]
name = "other-shop"
kind = "ticket"
input = "table"
sources = ["made up for the test"]

[maps.kind]
"售前" = "pre_sale"
"售后" = "after_sale"

[fields.id]
from = "会话ID"
[fields.shop_id]
value = "S9"
[fields.kind]
from = "类型"
convert = [{ map = "kind" }]
[fields.opened_at]
from = "开始时间"
convert = ["local_datetime"]
[fields.first_response_at]
from = "首次回复时间"
convert = ["dash_is_null", "local_datetime"]
'''


def test_a_custom_mapping_for_another_platform(tmp_path: Path) -> None:
    mapping = write(tmp_path, "other.toml", OTHER)
    rows = write(tmp_path, "tickets.csv", "会话ID,类型,开始时间,首次回复时间\n"
                 "T1,售后,2025-06-10 22:59,2025-06-11 08:01\nT2,售后,2025/6/11 10:00,2025/6/11 10:05\n"
                 "T3,投诉,2025-06-11 10:00,-\nT4,售前,2025-06-31 10:00,-\n")
    r = run_cli("lint", "--adapter", mapping, "--now", "2025-06-11T12:00:00+08:00", "--format", "jsonl", rows)
    reports = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["id"] for x in reports] == ["T1", "T2", "T3", "T4"]
    fired = [[v["rule"] for v in x["violations"]] for x in reports]
    assert "service.first_response_3min" not in fired[0]  # 22:59 → 08:01 is 2 minutes inside service hours
    assert "service.first_response_3min" in fired[1]  # 5 minutes
    assert reports[2]["errors"][0]["message"].endswith("tickets.csv:4: row 4, column `类型` → `kind`: `投诉` is not one "
                                                       "of 售前, 售后 (map `kind`)")
    assert "no day on the calendar" in reports[3]["errors"][0]["message"]


@pytest.mark.parametrize(("change", "message"), [
    ('[fields.id]\nfrom = "会话ID"', None),
    ('[fields.kind]\nfrom = "类型"\nconvert = ["mapp"]', "unknown converter `mapp`; did you mean `map`?"),
    ('[fields.opend_at]\nfrom = "开始时间"', "`ticket` has no field `opend_at`; did you mean `opened_at`?"),
    ('[fields.kind]\nfrom = "类型"\nconvert = [{ map = "kinds" }]', "no map `kinds` under [maps]; did you mean `kind`?"),
    ('[fields.kind]\nfrom = "类型"\nagregate = "sum"', "unknown key `agregate`; did you mean `aggregate`?"),
])
def test_mapping_mistakes_name_the_file_and_key(tmp_path: Path, change: str, message: str | None) -> None:
    text = OTHER
    if message is not None:
        head = change.split("\n")[0]
        start = text.index("[fields.kind]") if head == "[fields.kind]" else text.index("[fields.opened_at]")
        end = text.index("[fields.", start + 1)
        text = text[:start] + change + "\n" + text[end:]
    mapping = write(tmp_path, "other.toml", text)
    rows = write(tmp_path, "t.csv", "会话ID,类型,开始时间,首次回复时间\nT1,售后,2025-06-10 22:59,-\n")
    r = run_cli("lint", "--adapter", mapping, "--now", "2025-06-11T12:00:00+08:00", rows)
    if message is None:
        assert r.returncode == 0, r.stderr
        return
    assert r.returncode == 2 and message in r.stderr and str(mapping) in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_a_required_field_nobody_gives_is_a_mapping_error(tmp_path: Path) -> None:
    mapping = write(tmp_path, "m.toml", OTHER.replace('[fields.opened_at]\nfrom = "开始时间"\nconvert = ["local_datetime"]\n',
                                                      ""))
    a = load_adapter(str(mapping))
    problems = a.check(rulekit.load().program.registry)
    assert problems == [f"{mapping}: [fields]: `ticket.opened_at` is required and nothing gives it: map it, or list it "
                        "under [absent] with the reason the source does not have it"]


def test_a_broken_mapping_file_is_an_adapter_error(tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match=r"m.toml: not valid TOML"):
        load_adapter(str(write(tmp_path, "m.toml", "[adapter\nkind = 1\n")))
    with pytest.raises(AdapterError, match=r"\[adapter\]: `kind` is required"):
        load_adapter(str(write(tmp_path, "m.toml", "[adapter]\nname = 'x'\n")))


def test_rows_of_one_order_that_disagree_are_an_error(tmp_path: Path) -> None:
    import csv

    with open(DOUDIAN / "orders.csv", encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    rows[1][header.index("运费")] = "5.00"  # 运费 of the second row of order …567 differs
    p = tmp_path / "o.csv"
    with open(p, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, rows[2], rows[0], rows[1]])  # the rows of one order need not be adjacent
    got = records("doudian-export", p, {"shop_id": "S"})
    assert [r.record_id for r in got] == ["6921345678901234568", "6921345678901234567"]
    assert got[1].data is None and got[1].error is not None
    assert "rows 3 and 4, column `运费`, disagree on `shipping_fee` (`0.00` and `5.00`)" in got[1].error


def test_xlsx_numbers_that_lost_digits_are_refused(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "shop_id", "name", "main_category", "enterprise_verified", "showcase_enabled", "return_days",
               "as_of"])
    ws.append([6921345678901234567, "S1", "小林纯棉服饰旗舰店", "服饰", True, True, 7, "2025-06-01 10:00:00"])
    ws.append(["S2", "S1", "小林纯棉服饰旗舰店", "服饰", True, True, 7.0, "2025-06-01T10:00:00"])
    p = tmp_path / "shops.xlsx"
    wb.save(p)
    got = list(read_records(str(p)))
    assert got[0].data is None and got[0].error is not None and got[0].error.startswith(
        "cell A2 holds the number 6.92134567890123e+18, which a spreadsheet keeps to 15 digits only")
    assert got[1].data is not None and got[1].data["return_days"] == "7" and got[1].data["enterprise_verified"] == "true"
    r = run_cli("lint", "--subject", "shop", "--now", NOW, "--format", "jsonl", p)
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == [None, "S2"]


def test_lint_options_that_do_not_go_with_an_adapter(tmp_path: Path) -> None:
    r = run_cli("lint", "--adapter", "doudian-export", "--fix", tmp_path / "out.jsonl", DOUDIAN / "orders.csv")
    assert r.returncode == 2 and "--fix rewrites JSON lines" in r.stderr
    r = run_cli("lint", "--adapter", "doudian-export", "--subject", "listing", DOUDIAN / "orders.csv")
    assert r.returncode == 2 and "makes `order` records" in r.stderr
    r = run_cli("lint", "--adapter-param", "shop_id=1", DOUDIAN / "orders.csv")
    assert r.returncode == 2 and "--adapter-param needs --adapter" in r.stderr
    r = run_cli("lint", "--adapter", "doudian-api", "--now", NOW, DOUDIAN / "orders.csv")
    assert "the adapter `doudian-api` reads JSON documents" in r.stdout


def test_the_note_names_the_rules_that_read_absent_fields() -> None:
    from rulekit.checker.reads import fields_read

    engine = rulekit.load(absent={"order": ["weight", "buyer_id"]})
    reads = {r.id: fields_read(p, r) for p in engine.program.policies for r in p.rules}
    assert "weight" in reads["freight.fee_mismatch"] and "buyer_id" in reads["sla.tracking_reused"]
    assert "tracking_no" in reads["sla.tracking_reused"]  # a window key
    assert not reads["sla.ship_48h"] & {"weight", "buyer_id"}
    r = run_cli("lint", "--adapter", "doudian-export", "--adapter-param", "shop_id=S1", "--now", NOW,
                DOUDIAN / "orders.csv")
    assert "has no order.buyer_id, order.weight, order.category" in r.stderr and "order.shop_id" not in r.stderr


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["商品数量", "商品单价", "订单提交时间", "省", "订单状态",
                                                                "运费"]),
                          st.sampled_from(["", "-", "x", "1,2", "9" * 30, "\ufffd", "2025-02-30 10:00"])),
                max_size=6))
def test_every_group_yields_one_record_whatever_the_cells(tmp_path_factory: Any, damage: list[Any]) -> None:
    import csv

    with open(DOUDIAN / "orders.csv", encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    for row, column, value in damage:
        rows[row][header.index(column)] = value
    p = tmp_path_factory.mktemp("d") / "o.csv"
    with open(p, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])
    got = records("doudian-export", p, {"shop_id": "S"})
    keys = list(dict.fromkeys(r[0].strip().lstrip("\t'") for r in rows))  # the reference: distinct keys, in order
    assert [r.record_id for r in got] == keys
    for r in got:
        assert (r.data is None) == (r.error is not None)
        assert r.error is None or re.search(r"\brows? \d", r.error), r.error  # every problem names its rows


def test_explain_reads_through_the_adapter() -> None:
    r = run_cli("explain", "--adapter", "doudian-export", "--index", "3", "--now", NOW, "--select", "sla.ship_48h",
                DOUDIAN / "orders.csv")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("order 6921345678901234569: decision block  (")
    assert "sla.ship_48h (按承诺时间发货（无承诺时付款后48小时）): FIRED" in r.stdout
