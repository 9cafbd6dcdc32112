"""Tests for rulekit.io.readers: JSON, JSON lines, CSV and stdin input, including unreadable records."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from rulekit.io import InputRecord, read_records

LISTING_1 = '{"id": "L-1001", "shop_id": "S1", "title": "全网最便宜的连衣裙", "price": 99.90, "stock": 12}'
LISTING_2 = '{"id": "L-1002", "shop_id": "S1", "title": "纯棉T恤 夏季新款", "price": 49, "stock": 0}'
LISTING_3 = '{"id": "L-1003", "shop_id": "S2", "title": "国家级品质 保温杯", "price": 129.00, "stock": 5}'


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


def records(path: str, stdin: io.TextIOBase | None = None) -> list[InputRecord]:
    return list(read_records(path, stdin))  # type: ignore[arg-type]


# --- JSON lines ------------------------------------------------------------------------------


def test_jsonl_records_in_order_with_lines_and_exact_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "listings.jsonl", f"{LISTING_1}\n{LISTING_2}\n{LISTING_3}\n")
    got = records(path)
    assert [r.line for r in got] == [1, 2, 3]
    assert [r.data["id"] for r in got if r.data] == ["L-1001", "L-1002", "L-1003"]
    first = got[0].data
    assert first is not None
    assert first["title"] == "全网最便宜的连衣裙"
    assert first["price"] == Decimal("99.90") and isinstance(first["price"], Decimal)
    assert first["stock"] == 12 and type(first["stock"]) is int
    assert got[2].data is not None and str(got[2].data["price"]) == "129.00"
    assert all(r.source == path and r.error is None and r.format == "json" for r in got)


def test_ndjson_extension_and_uppercase_extension(tmp_path: Path) -> None:
    assert [r.line for r in records(write(tmp_path, "a.ndjson", f"{LISTING_1}\n{LISTING_2}"))] == [1, 2]
    assert [r.line for r in records(write(tmp_path, "b.JSONL", f"{LISTING_1}\n"))] == [1]


def test_jsonl_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    content = "\ufeff" + LISTING_1 + "\r\n\r\n   \r\n" + LISTING_2 + "\r\n\t\n" + LISTING_3
    got = records(write(tmp_path, "listings.jsonl", content))
    assert [r.line for r in got] == [1, 4, 6]
    assert all(r.error is None for r in got)
    assert got[0].data is not None and got[0].data["id"] == "L-1001"


def test_jsonl_bad_lines_keep_position_and_order(tmp_path: Path) -> None:
    content = "\n".join([
        LISTING_1,
        '{"id": "L-1002", "title": "夏季新款" "price": 49}',  # missing comma
        '["L-1003", "保温杯"]',  # JSON, but not an object
        "这不是JSON",
        '"只是一个字符串"',
        LISTING_3,
    ]) + "\n"
    got = records(write(tmp_path, "listings.jsonl", content))
    assert [r.line for r in got] == [1, 2, 3, 4, 5, 6]
    assert [r.data is not None for r in got] == [True, False, False, False, False, True]
    assert got[1].error == "not valid JSON: expected ',' between items (column 34)"
    assert got[2].error == "expected a JSON object, got an array"
    assert got[3].error is not None and got[3].error.startswith("not valid JSON: expected a value (column 1)")
    assert got[4].error == "expected a JSON object, got a string"
    assert got[5].data is not None and got[5].data["id"] == "L-1003"


def test_jsonl_nan_is_not_json(tmp_path: Path) -> None:
    got = records(write(tmp_path, "orders.jsonl", '{"id": "o1", "total": NaN}\n{"id": "o2", "total": 10}\n'))
    assert got[0].data is None and got[0].error == "not valid JSON: NaN is not a JSON number"
    assert got[1].data == {"id": "o2", "total": 10}


def test_jsonl_undecodable_byte_is_an_error_record_for_that_line(tmp_path: Path) -> None:
    content = (LISTING_1 + "\n").encode() + b'{"id": "L-1002", "title": "\xe5\xa4\x8f\xff"}\n' + (LISTING_3 + "\n").encode()
    got = records(write(tmp_path, "listings.jsonl", content))
    assert [r.line for r in got] == [1, 2, 3]
    assert got[1].data is None
    assert got[1].error == "not valid UTF-8: byte 0xff (column 29)"
    assert got[2].data is not None and got[2].data["title"] == "国家级品质 保温杯"


def test_jsonl_is_streamed(tmp_path: Path) -> None:
    path = write(tmp_path, "big.jsonl", (LISTING_1 + "\n") * 50_000)
    it = read_records(path)
    first = next(it)
    assert first.line == 1 and first.data is not None
    it.close()  # type: ignore[attr-defined]


# --- JSON ------------------------------------------------------------------------------------


def test_json_array_element_lines(tmp_path: Path) -> None:
    content = (
        "\ufeff\n"
        "[\n"
        '  {"id": "o1", "region": "新疆", "total": 50.00},\n'
        "\n"
        '  {\n'
        '    "id": "o2",\n'
        '    "region": "浙江", "total": 120\n'
        "  }, 42,\n"
        '  null, {"id": "o3"}\n'
        "]\n"
    )
    got = records(write(tmp_path, "orders.json", content))
    assert [r.line for r in got] == [3, 5, 8, 9, 9]
    assert got[0].data == {"id": "o1", "region": "新疆", "total": Decimal("50.00")}
    assert got[1].data == {"id": "o2", "region": "浙江", "total": 120}
    assert got[2].error == "array element 3 is a number, not an object"
    assert got[3].error == "array element 4 is null, not an object"
    assert got[4].data == {"id": "o3"}


def test_json_object_file_is_one_record_at_its_line(tmp_path: Path) -> None:
    got = records(write(tmp_path, "order.json", '\n\n  {"id": "o1",\n "buyer_id": "买家A", "total": 0.1}\n'))
    assert len(got) == 1
    assert got[0].line == 3 and got[0].data == {"id": "o1", "buyer_id": "买家A", "total": Decimal("0.1")}


def test_json_empty_array_has_no_records(tmp_path: Path) -> None:
    assert records(write(tmp_path, "none.json", " [ \n ] \n")) == []


def test_invalid_json_file_is_one_error_record(tmp_path: Path) -> None:
    content = '[\n  {"id": "o1"},\n  {"id": "o2" "total": 5},\n  {"id": "o3"}\n]\n'
    got = records(write(tmp_path, "orders.json", content))
    assert len(got) == 1
    assert got[0].line == 3 and got[0].data is None
    assert got[0].error == "not valid JSON: expected ',' between items (column 15)"


def test_json_trailing_garbage_and_unclosed_array(tmp_path: Path) -> None:
    extra = records(write(tmp_path, "a.json", '{"id": "o1"}\n{"id": "o2"}\n'))
    assert len(extra) == 1 and extra[0].error == "not valid JSON: unexpected text after the JSON value (column 1)"
    unclosed = records(write(tmp_path, "b.json", '[{"id": "o1"},\n {"id": "o2"}\n'))
    assert len(unclosed) == 1 and unclosed[0].data is None and unclosed[0].line == 3


def test_json_scalar_and_empty_file(tmp_path: Path) -> None:
    scalar = records(write(tmp_path, "a.json", '"订单"'))
    assert len(scalar) == 1 and scalar[0].error == "the file holds a string, not an object or an array of objects"
    empty = records(write(tmp_path, "b.json", "\n\n"))
    assert len(empty) == 1 and empty[0].data is None
    assert empty[0].error is not None and "empty file" in empty[0].error


def test_json_undecodable_byte(tmp_path: Path) -> None:
    got = records(write(tmp_path, "a.json", b'[\n{"id": "o1"},\n{"id": "\xc0"}\n]'))
    assert len(got) == 1 and got[0].line == 3
    assert got[0].error == "not valid UTF-8: byte 0xc0 (column 9)"


# --- CSV -------------------------------------------------------------------------------------


def test_csv_rows_headers_and_empty_cells(tmp_path: Path) -> None:
    content = (
        "\ufeffid, title ,price,coupon_code\r\n"
        "L-1001,全网最便宜的连衣裙,99.90,\r\n"
        '"L-1002","纯棉T恤, 夏季新款",49,SUMMER10\r\n'
    )
    got = records(write(tmp_path, "listings.csv", content))
    assert [r.line for r in got] == [2, 3]
    assert got[0].data == {"id": "L-1001", "title": "全网最便宜的连衣裙", "price": "99.90", "coupon_code": None}
    assert got[1].data == {"id": "L-1002", "title": "纯棉T恤, 夏季新款", "price": "49", "coupon_code": "SUMMER10"}
    assert all(r.format == "csv" and r.error is None for r in got)


def test_csv_physical_lines_wrong_cell_count_and_blank_rows(tmp_path: Path) -> None:
    content = (
        "id,title,price\n"
        'L-1,"第一行\n第二行",10\n'  # a quoted cell spanning two lines
        "\n"
        "L-2,保温杯\n"  # too few cells
        ",,\n"  # spreadsheet padding: skipped
        "L-3,女装,5,多余\n"  # too many cells
        "L-4,国家级,8\n"
    )
    got = records(write(tmp_path, "listings.csv", content))
    assert [r.line for r in got] == [2, 5, 7, 8]
    assert got[0].data == {"id": "L-1", "title": "第一行\n第二行", "price": "10"}
    assert got[1].data is None and got[1].error == "row has 2 cells, the header has 3"
    assert got[2].error == "row has 4 cells, the header has 3"
    assert got[3].data == {"id": "L-4", "title": "国家级", "price": "8"}
    assert all(r.format == "csv" for r in got)


def test_csv_undecodable_byte_is_an_error_record_for_that_row(tmp_path: Path) -> None:
    content = b"id,title\n" + b"L-1,\xe5\xa5\xb3\xff\n" + "L-2,男装\n".encode()
    got = records(write(tmp_path, "listings.csv", content))
    assert [r.line for r in got] == [2, 3]
    assert got[0].data is None and got[0].error == "not valid UTF-8: byte 0xff in cell 2"
    assert got[1].data == {"id": "L-2", "title": "男装"}


def test_csv_duplicate_header_makes_every_row_an_error(tmp_path: Path) -> None:
    got = records(write(tmp_path, "listings.csv", "id,title,title\nL-1,a,b\nL-2,c,d\n"))
    assert [r.line for r in got] == [2, 3]
    assert all(r.data is None for r in got)
    assert got[0].error == 'the header (line 1) names column "title" twice'


def test_csv_unnamed_column_is_ignored_unless_it_has_a_value(tmp_path: Path) -> None:
    got = records(write(tmp_path, "listings.csv", "id,title,\nL-1,女装,\nL-2,男装,备注\n"))
    assert got[0].data == {"id": "L-1", "title": "女装"}
    assert got[1].data is None and got[1].error == "cell 3 has a value but its column has no name in the header"


def test_csv_header_only_and_empty_file(tmp_path: Path) -> None:
    assert records(write(tmp_path, "a.csv", "id,title\r\n")) == []
    assert records(write(tmp_path, "b.csv", "")) == []


# --- stdin and sniffing ----------------------------------------------------------------------


def test_stdin_array_is_sniffed() -> None:
    stdin = io.StringIO('\n  \n[{"id": "o1", "total": 9.9},\n {"id": "o2"}]\n')
    got = records("-", stdin)
    assert [(r.source, r.line) for r in got] == [("<stdin>", 3), ("<stdin>", 4)]
    assert got[0].data == {"id": "o1", "total": Decimal("9.9")}


def test_stdin_json_lines_with_blank_lines_first() -> None:
    stdin = io.StringIO(f"\n\n{LISTING_1}\n坏行\n{LISTING_2}\n")
    got = records("-", stdin)
    assert [r.line for r in got] == [3, 4, 5]
    assert got[1].data is None and got[1].error is not None and got[1].error.startswith("not valid JSON")


def test_stdin_bytes_bom_crlf_and_bad_byte() -> None:
    raw = b"\xef\xbb\xbf" + LISTING_1.encode() + b'\r\n{"id": "L-9", "title": "\xff"}\r\n' + LISTING_2.encode()
    stdin = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8")
    got = records("-", stdin)
    assert [r.line for r in got] == [1, 2, 3]
    assert got[0].data is not None and got[0].data["title"] == "全网最便宜的连衣裙"
    assert got[1].error == "not valid UTF-8: byte 0xff (column 25)"
    assert got[2].data is not None and got[2].data["id"] == "L-1002"


def test_stdin_array_with_bom_from_bytes() -> None:
    stdin = io.TextIOWrapper(io.BytesIO('\ufeff[{"id": "评价1"}]'.encode()), encoding="utf-8")
    got = records("-", stdin)
    assert len(got) == 1 and got[0].data == {"id": "评价1"} and got[0].line == 1


def test_stdin_json_lines_are_streamed() -> None:
    class Endless(io.StringIO):
        def __iter__(self) -> Iterator[str]:  # type: ignore[override]
            while True:
                yield LISTING_1 + "\n"

    first = next(read_records("-", Endless()))
    assert first.line == 1 and first.data is not None


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    array = records(write(tmp_path, "export.txt", '[{"id": "o1"}, {"id": "o2"}]'))
    assert [r.data for r in array] == [{"id": "o1"}, {"id": "o2"}]
    lines = records(write(tmp_path, "export.log", f"{LISTING_1}\n{LISTING_2}\n"))
    assert [r.line for r in lines] == [1, 2]


def test_missing_file_raises_when_called(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_records(str(tmp_path / "nope.jsonl"))
