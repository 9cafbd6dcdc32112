"""Authoring aids: every syntax error at once, full-width hints, W104–W106, and `explain` in the stream's context."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulekit.checker.regexcost import backtracking
from rulekit.cli import main
from rulekit.syntax.errors import FULL_WIDTH
from rulekit.syntax.parser import parse
from tests.helpers import REPO, codes, diags, only, run_cli, write

SHARED = REPO.parent / "shared"
NOW = "2025-06-10T12:00:00+08:00"

GOOD_RULE = """  rule r{i} on order {{
    when order.total > ¥{i}
    message "x"
  }}
"""


def test_three_syntax_errors_are_reported_in_one_run(tmp_path: Path) -> None:
    ds = diags(tmp_path, """
        policy p {
          rule a on order {
            when order.total >> ¥5
            message "x"
          }
          rule b on order {
            when order.total > ¥5 and
            message "y"
          }
          rule c on order {
            when order.total > ¥5
            message "w" "v"
          }
        }
        """)
    e001 = only(ds, "E001")
    assert [d.span.line for d in e001] == [3, 8, 12]
    assert "found `message`" in e001[1].message


def test_checker_diagnostics_of_the_parts_that_parsed_follow_the_syntax_errors(tmp_path: Path) -> None:
    ds = diags(tmp_path, """
        policy p {
          let broken = 1 +
          rule a on order {
            when order.regin == "新疆" and broken > 0
            message "x"
          }
        }
        """)
    assert codes(ds) == ["E001", "E003"]  # no E002 for `broken`: its definition was blanked by recovery
    assert ds[0].span.line == 3 and "found `rule`" in ds[0].message


def test_a_rule_with_a_syntax_error_reports_no_echo(tmp_path: Path) -> None:
    ds = diags(tmp_path, """
        policy p {
          rule a on order {
            when order.total >
          }
          rule b on order {
            when order.total > ¥1
            message "fine"
          }
        }
        """)
    assert codes(ds) == ["E001"]  # rule `a` lost its `when` to recovery; that is not reported again


def test_unbalanced_braces_do_not_loop(tmp_path: Path) -> None:
    for text in ["policy p {\n", "}}}\n", "policy p {\n  rule r on order {\n    when (\n", "{" * 300]:
        sf, ds = parse(text, "x.rule")
        assert sf is None and 1 <= len(ds) <= 3


def test_recovery_stops_at_a_budget_with_a_note() -> None:
    text = "policy p {\n" + "".join(GOOD_RULE.format(i=i) for i in range(2000)) + "  when >> 1\n" * 200 + "}\n"
    sf, ds = parse(text, "big.rule")
    assert sf is None and 1 < len(ds) < 200
    assert ds[-1].notes and "stopped looking" in ds[-1].notes[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["when >> 1", "message", "severity", "let = 3", "action (", "evidence ]"]),
                min_size=1, max_size=5), st.data())
def test_each_broken_statement_gives_its_own_error(broken: list[str], data: st.DataObject) -> None:
    """N rules, k of them with one broken statement each: exactly k syntax errors, each on its broken line or, for
    an unfinished statement, at the first word of the next one."""
    rules, lines = [], []
    line = 2
    for i in range(8):
        bad = broken[i] if i < len(broken) else None
        body = ["    when order.total > ¥1", '    message "x"']
        if bad is not None:
            at = data.draw(st.integers(0, 2))
            body.insert(at, "    " + bad)
            lines.append(line + 1 + at)
        rules.append([f"  rule r{i} on order {{", *body, "  }"])
        line += len(rules[-1])
    text = "policy p {\n" + "\n".join("\n".join(r) for r in rules) + "\n}\n"
    sf, ds = parse(text, "p.rule")
    assert len(ds) == len(lines), text
    for d, bad in zip(ds, lines, strict=True):
        assert d.span.line in (bad, bad + 1), text


@pytest.mark.parametrize("ch", sorted(FULL_WIDTH))
def test_full_width_characters_get_a_hint(tmp_path: Path, ch: str) -> None:
    ds = diags(tmp_path, f"""
        policy p {{
          rule r on order {{
            when order.total > ¥5 {ch}
            message "x"
          }}
        }}
        """)
    assert ds and ds[0].code == "E001" and ds[0].span.line == 3
    assert ds[0].help is not None and f"`{ch}`" in ds[0].help
    ascii_ = FULL_WIDTH[ch][0]
    assert ("半角" in ds[0].help and (f"`{ascii_}`" in ds[0].help or ascii_ == " ")) or "删除" in ds[0].help


def test_check_cli_shows_every_error_and_the_full_width_help(tmp_path: Path) -> None:
    write(tmp_path, "p.rule", """
        policy p {
          rule a on order {
            when order.region in [“新疆”]
            message "x"，
          }
        }
        """)
    r = run_cli("check", tmp_path)
    assert r.returncode == 1
    assert "p.rule:3:" in r.stdout and "p.rule:4:" in r.stdout
    assert "全角逗号 `，` — 请使用半角 `,`" in r.stdout and "中文左引号" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr


def test_w104_unused_lets(tmp_path: Path) -> None:
    ds = diags(tmp_path, """
        policy p {
          let unused = 3
          let used = ¥5
          let via_other = 2
          let other = via_other + 1
          rule r on order {
            let local = 1
            let shown = order.total
            when order.total > used and other > 0
            message "total {shown}"
          }
        }
        """)
    w = only(ds, "W104")
    assert [(d.span.line, d.message) for d in w] == [
        (2, "`let unused` is never used in policy `p`"), (7, "`let local` is never used in rule `r`")]


def test_w105_test_expecting_an_unknown_rule_warns_and_the_test_fails(tmp_path: Path) -> None:
    write(tmp_path, "p.rule", """
        policy p {
          rule r on order {
            when order.total > ¥5
            message "x"
          }
        }
        test "typo" {
          given order {"id": "o1", "shop_id": "S1", "buyer_id": "B1", "region": "浙江", "category": "服饰",
                       "items": [], "total": 1, "shipping_fee": 0, "claims_free_shipping": false, "weight": 1,
                       "created_at": "2025-06-01T10:00:00+08:00", "status": "paid"}
          expect no violation p.rr
        }
        """)
    ds = diags(tmp_path, (tmp_path / "p.rule").read_text(encoding="utf-8"))
    assert codes(ds) == ["W105"] and "did you mean `p.r`" in ds[0].message
    r = run_cli("test", tmp_path)
    assert r.returncode == 1, r.stdout
    assert "there is no rule `p.rr`" in r.stdout and "0 passed, 1 failed" in r.stdout
    assert run_cli("check", tmp_path).returncode == 0  # a warning: the policies still load


@pytest.mark.parametrize("pattern,slow", [
    ("(a+)+", True), ("(a*)*", True), (r"(\w+\s?)*$", True), ("(x|y+)*", True), (r"(\p{Han}+)+", True),
    (r"^(\d+)$", False), ("(ab+)+", False), ("a+b+", False), (r"\d{4}-\d{2}", False), ("((ab)*c)*", False),
    (r"(?:[a-z]+\.)+com", False), ("(a{2})+", False), (r"(\w++\s?)*", False), ("(a+)++", False), ("(?>a+)+", False),
])
def test_w106_catastrophic_regex(pattern: str, slow: bool) -> None:
    assert (backtracking(pattern) is not None) is slow


def test_w106_at_load(tmp_path: Path) -> None:
    ds = diags(tmp_path, r"""
        policy p {
          rule r on listing {
            when matches(listing.title, re"(\w+\s?)*$")
            message "x"
          }
        }
        """)
    assert codes(ds) == ["W106"] and ds[0].span.line == 3


def test_bundled_policies_have_no_new_warnings() -> None:
    r = run_cli("check", REPO / "policies")
    assert r.returncode == 0 and "warning" not in r.stdout, r.stdout


# ---- explain in context --------------------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_explain_index_agrees_with_lint_on_every_example_order(capsys: pytest.CaptureFixture[str]) -> None:
    src = str(REPO / "examples" / "orders.jsonl")
    code, out = _run(capsys, "lint", "--now", NOW, "--format", "jsonl", src)
    lint = [json.loads(line) for line in out.splitlines()]
    assert len(lint) == 31
    windowed = 0
    for i, want in enumerate(lint, 1):
        code, out = _run(capsys, "explain", "--now", NOW, "--format", "json", "--index", str(i), src)
        assert code == 0
        x = json.loads(out)
        got = x["report"]
        for key in ("id", "decision", "violations", "errors"):
            assert got[key] == want[key], (i, key)
        fired = sorted(r["rule"] for r in x["rules"] if r["status"] == "fired")
        assert fired == sorted(v["rule"] for v in want["violations"])
        windowed += any(r["rule"].startswith("fraud.") and r["status"] == "fired" for r in x["rules"])
    assert windowed >= 1  # some record is flagged only because of the ones before it


def test_explain_index_shows_the_window_value_lint_used(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests.helpers import order
    lines = [json.dumps(order(id=f"o{i}", buyer_id=f"B{i}", ip="9.9.9.9",
                              created_at=f"2025-06-01T10:0{i}:00+08:00")) for i in range(5)]
    f = tmp_path / "orders.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write(tmp_path, "p/burst.rule", """
        policy burst {
          rule ip on order {
            let n = count(order by ip within 10m)
            when n >= 5
            message "{n} orders from {order.ip}"
          }
        }
        """)
    pol = str(tmp_path / "p")
    code, out = _run(capsys, "explain", "-p", pol, "--now", NOW, "--index", "5", str(f))
    assert "burst.ip: FIRED" in out and "n  →  5" in out and "5 orders from 9.9.9.9" in out
    code, out = _run(capsys, "explain", "-p", pol, "--now", NOW, "--index", "1", str(f))
    assert "n  →  1" in out and "decision allow" in out


def test_explain_rule_filter_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    src = str(REPO / "examples" / "orders.jsonl")
    code, out = _run(capsys, "explain", "--now", NOW, "--format", "json", "--rule", "freight", src)
    rules = [r["rule"] for r in json.loads(out)["rules"]]
    assert rules and all(r.startswith("freight.") for r in rules)
    r = run_cli("explain", "--now", NOW, "--rule", "nope.rule", src)
    assert r.returncode == 2 and "--rule nope.rule" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("explain", "--now", NOW, "--index", "0", src)
    assert r.returncode == 2 and "--index" in r.stderr


@pytest.mark.parametrize("name,count", [("orders.jsonl", 31), ("listings.jsonl", 45)])
def test_explain_never_shows_python_reprs(capsys: pytest.CaptureFixture[str], name: str, count: int) -> None:
    src = str(REPO / "examples" / name)
    for i in range(1, count + 1):
        code, out = _run(capsys, "explain", "--now", NOW, "--index", str(i), src)
        for bad in ("None", "Decimal(", "datetime.", "<rulekit", "object at 0x", "regex.Regex"):
            assert bad not in out, (i, bad)


def test_engine_explain_takes_a_stream() -> None:
    import rulekit
    from tests.helpers import NOW as T
    from tests.helpers import order
    engine = rulekit.load()
    stream = engine.stream(now=T)
    for i in range(4):
        stream.push(order(id=f"o{i}", buyer_id=f"B{i}", ip="8.8.8.8", created_at=f"2025-06-01T10:0{i}:00+08:00"))
    last = order(id="o9", buyer_id="B9", ip="8.8.8.8", created_at="2025-06-01T10:04:00+08:00")
    alone = engine.explain(last, now=T)
    inside = engine.explain(last, now=T, stream=stream)
    assert not [r for r in alone.report.fired() if r.startswith("fraud.")]
    assert [r for r in inside.report.fired() if r.startswith("fraud.")]


def test_conformance_style_cases_of_this_repo() -> None:
    runner = SHARED / "conformance" / "run.py"
    if not runner.exists():
        pytest.skip("../shared/conformance is not next to this checkout")
    r = subprocess.run([sys.executable, str(runner), "--rulekit", f"{sys.executable} -m rulekit",
                        "--cases", str(REPO / "tests" / "cases")], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 failed" in r.stdout


def test_diagnostics_inside_a_damaged_rule_are_kept(tmp_path: Path) -> None:
    ds = diags(tmp_path, """
        policy p {
          rule r on order {
            when order.regin == "新疆"
            message "x"，
          }
        }
        """)
    assert sorted((d.span.line, d.code) for d in ds) == [(3, "E003"), (4, "E001")]
