"""`lint`'s one-loop lane (JSON lines and text) writes the bytes and the summary of the layered path, whatever the lines."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rulekit
from rulekit.commands import lane
from rulekit.commands.inputs import Inputs
from rulekit.commands.lint import reports
from rulekit.io.formats import text_options, write_jsonl, write_text
from rulekit.io.readers import usual_json_line
from rulekit.io.typedlines import typed_reader
from tests.helpers import NOW, jsonl, listing, order, run_cli, write

WINDOWED = """policy burst {
  rule same_ip on order {
    let n = count(order by ip within 10m)
    when order.ip is not null and n >= 2
    message "IP {order.ip}: {n} orders"
  }
  rule big on order {
    when order.total > ¥100
    message "big order {order.id}"
    action review(order_id: order.id)
  }
  rule dear on listing {
    when listing.price > ¥100
    message "dear listing {listing.id}"
  }
}
"""


def _line(o: dict[str, Any]) -> str:
    return json.dumps(o, ensure_ascii=False)


#: Lines of every sort a file may hold: typed records, records the typed decoder refuses (and which the layered
#: reader then reads as dicts and validates), lines that are not records, escapes, other kinds, an event from the
#: future (an input error on a typed record), blank lines and CRLF ends.
LINES = [
    _line(order(id="o-a", total=50)),
    _line(order(id="o-b", total=500, ip="9.9.9.9")),
    _line(order(id="o-c", total=12.5, created_at="2025-06-01T10:03:00+08:00")),
    _line(order(id="o-d", total="abc")),
    _line(order(id="o-e", items=...)),
    _line(order(id="o-f", created_at="2099-01-01T00:00:00+08:00")),
    _line(order(id="o-\u4e2d", total=200)).replace("\u4e2d", "\\u4e2d"),
    _line(order(id='o-"q"', total=300)),
    _line(order(id="o-g", total=5, ip=None)),
    _line(listing(id="L-a", price=500)),
    _line(listing(id="L-b", price=5)),
    # fields no rule reads, of the wrong type or value: refused all the same
    _line(order(id="o-k", shop_id=5)),
    _line(order(id="o-l", tracking_uploaded_at="not a time")),
    _line(order(id="o-m", paid_at="2025-06-01T10:05:00+08:00", shipping_fee=1e400)),
    _line(order(id="o-n", items=[{"sku": "K", "quantity": 1, "price": "abc"}])),
    _line(order(id="o-o", items=[{"sku": "K", "quantity": "1", "price": 5}])),
    _line(listing(id="L-d", images=[{"url": 5}])),
    _line(listing(id="L-e", published_at="2025-13-01T00:00:00+08:00")),
    _line({"id": "x-1", "what": "unknown kind"}),
    '{"id": "o-h", "total": ',
    "[1, 2, 3]",
    '"a string"',
    "",
    "   ",
    _line(order(id="o-i", total=150)) + "\r",
    "\ufeff" + _line(order(id="o-j", total=120)),
]


def _both(tmp: Path, engine: Any, files: list[str], subject: str | None, fmt: str = "jsonl"
          ) -> tuple[bytes, bytes, Any, Any]:
    """(layered bytes, lane bytes, layered summary, lane summary) of one run over `files`. The layered run reads
    every line as a dict and validates it (no typed decoder): the reference the lane's lean typed records (every
    field checked, only the fields the policies read kept) must match."""
    outs = []
    for name in ("layered", "lane"):
        inputs = Inputs()
        inputs.keep_raw = False
        inputs.typed = typed_reader(engine, subject) if name == "lane" else None
        path = tmp / f"{name}.jsonl"
        options = text_options(engine.rules(), False, False, None, True, False)
        with path.open("w", encoding="utf-8") as out:
            if name == "layered":
                pairs = reports(engine, files, subject, NOW, timedelta(0), None, inputs)
                summary = write_jsonl(pairs, out) if fmt == "jsonl" else write_text(pairs, out, **options)
            elif fmt == "text":
                summary = lane.write_text(engine, engine.stream(now=NOW), files, subject, inputs, out, options)
            else:
                raw = lane.output_of(out, inputs, None)
                assert raw is not None
                summary = lane.write_jsonl(engine, engine.stream(now=NOW), files, subject, inputs, out, raw)
        outs.append((path.read_bytes(), summary))
    (a, sa), (b, sb) = outs
    return a, b, sa, sb


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Any:
    d = tmp_path_factory.mktemp("lane")
    return rulekit.load(write(d, "p.rule", WINDOWED))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(LINES), max_size=14), st.sampled_from([None, "order"]), st.booleans(),
       st.sampled_from(["jsonl", "text"]))
def test_the_lane_writes_what_the_layered_path_writes(tmp_path: Path, engine: Any, lines: list[str],
                                                      subject: str | None, two_files: bool, fmt: str) -> None:
    """Any mix of lines, with and without `--subject`, over one file or two (a window's state runs on), and a CSV
    file between them (read the layered way inside the lane): the same bytes and the same summary."""
    half = len(lines) // 2 if two_files else len(lines)
    first = tmp_path / "a.jsonl"
    first.write_bytes(("\n".join(lines[:half]) + "\n").encode("utf-8", "surrogatepass"))
    files = [str(first)]
    if two_files:
        csv = tmp_path / "b.csv"
        csv.write_text("id,shop_id,title,description,category,price,published_at\n"
                       "L-c,S1,t,d,服饰,300,2025-06-01T10:00:00+08:00\n", encoding="utf-8")
        second = tmp_path / "c.ndjson"
        second.write_text("\n".join(lines[half:]), encoding="utf-8")
        files += [str(csv), str(second)]
    if subject == "order":
        files = [f for f in files if not f.endswith(".csv")]
    layered, fast, sa, sb = _both(tmp_path, engine, files, subject, fmt)
    assert fast == layered
    assert (sb.records, dict(sb.decisions), dict(sb.fired), dict(sb.undetermined), sb.invalid, sb.worst) == \
        (sa.records, dict(sa.decisions), dict(sa.fired), dict(sa.undetermined), sa.invalid, sa.worst)


def test_a_typed_record_with_an_input_error_names_its_file_and_line(tmp_path: Path, engine: Any) -> None:
    """A record the typed decoder built can still be refused (an event from the future): the lane's report names
    the file and line, as the layered path's does."""
    f = write(tmp_path, "o.jsonl", jsonl([order(id="o1"), order(id="o2", created_at="2099-01-01T00:00:00+08:00")]))
    layered, fast, _, _ = _both(tmp_path, engine, [str(f)], "order")
    assert fast == layered
    second = json.loads(fast.splitlines()[1])
    assert second["errors"][0]["message"].startswith(f"{f}:2: ")


def test_the_cli_takes_the_lane_and_writes_what_json_output_holds(tmp_path: Path) -> None:
    """`--format jsonl` to a file (the lane) and `--format json` (the layered path): the same reports."""
    f = write(tmp_path, "o.jsonl", jsonl([order(id=f"o{i}", total=50 + 40 * i) for i in range(6)]) + "not json\n")
    policy = write(tmp_path, "p.rule", WINDOWED)
    common = ["lint", "-p", str(policy), "--now", NOW.isoformat()]
    a = run_cli(*common, "--format", "jsonl", "-o", str(tmp_path / "a.jsonl"), str(f))
    b = run_cli(*common, "--format", "json", str(f))
    assert a.returncode == b.returncode == 1, (a.stderr, b.stderr)
    lane_reports = [json.loads(x) for x in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lane_reports == json.loads(b.stdout)
    assert len(lane_reports) == 7 and lane_reports[-1]["errors"][0]["message"].startswith(f"{f}:7: ")


@given(st.binary(max_size=40), st.integers(1, 3), st.integers(0, 60))
def test_the_usual_line_is_what_the_plain_test_says(raw: bytes, number: int, most: int) -> None:
    """The quick test of a line (memchr first) answers as the plain conditions do."""
    raw = b"{" + raw if number % 2 else raw
    plain = number != 1 and raw[:1] == b"{" and len(raw) < 4300 and b"\\u" not in raw and len(raw) <= most
    assert usual_json_line(raw, number, most) == plain


@given(st.lists(st.sampled_from([b"{}", b'{"a": 1}', b"", b"x\r", b"\r\n", b"\xe4\xb8\xad"]), max_size=30),
       st.booleans(), st.integers(1, 12))
def test_chunks_of_a_file_are_its_lines_with_their_numbers(lines: list[bytes], last_newline: bool,
                                                           chunk: int) -> None:
    """`--jobs` hands each worker the place of a chunk of whole lines: read back, the chunks are the file's lines
    as iterating it gives them (a `\\r` alone ends no line), each chunk's first line numbered as in the file."""
    import tempfile

    from rulekit.commands import parallel

    data = b"\n".join(lines) + (b"\n" if last_newline and lines else b"")
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as f:
        f.write(data)
    path = f.name
    old = parallel.CHUNK_BYTES
    parallel.CHUNK_BYTES = chunk
    try:
        got: list[tuple[int, bytes]] = []
        for first, offset, size in parallel._chunks(path):
            got += list(enumerate(parallel._lines_at(path, offset, size), start=first))
    finally:
        parallel.CHUNK_BYTES = old
        Path(path).unlink()
    assert got == list(enumerate(_iter_lines(data), start=1))


def _iter_lines(data: bytes) -> list[bytes]:
    import io

    return list(io.BytesIO(data))


def test_jobs_in_many_chunks_write_the_bytes_of_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small chunks, window records sent back to the main process among typed ones, bad lines at chunk edges:
    `--jobs 2` writes what one process writes (run in this process: forked workers see the small chunks)."""
    import io
    import sys

    from rulekit import cli
    from rulekit.commands import parallel

    src = tmp_path / "m.jsonl"
    lines = [LINES[i % len(LINES)] for i in range(300)]
    src.write_bytes(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
    policy = write(tmp_path, "p.rule", WINDOWED)
    outs = []
    for jobs in ("1", "2"):
        monkeypatch.setattr(parallel, "CHUNK_BYTES", 700)
        out = tmp_path / f"out{jobs}.jsonl"
        err = io.StringIO()
        monkeypatch.setattr(sys, "stderr", err)
        code = cli.main(["lint", "-p", str(policy), "--now", NOW.isoformat(), "--format", "jsonl", "--jobs", jobs,
                         "-o", str(out), str(src)])
        monkeypatch.setattr(sys, "stderr", sys.__stderr__)
        assert "one process" not in err.getvalue()
        outs.append((code, out.read_bytes()))
    assert outs[0] == outs[1] and outs[0][1].count(b"\n") > 250
