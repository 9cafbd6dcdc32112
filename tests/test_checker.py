"""Checker diagnostics (LANGUAGE §3, §9), through `load_program`, `rulekit.load` and `rulekit check`."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import rulekit
from rulekit.loader import load_program
from tests.helpers import codes, diags, only, run_cli, write


def rule(when: str, *, lets: str = "", extra: str = "", message: str = "x", on: str = "order") -> str:
    return f"""
policy p {{
{lets}
  rule r on {on} {{
    when {when}
    {extra}
    message "{message}"
  }}
}}
"""


def errors(ds):
    return [d for d in ds if d.severity == "error" or str(d.code).startswith("E")]


# ---- E002 -------------------------------------------------------------------------------------------

def test_e002_unknown_let_with_did_you_mean(tmp_path):
    ds = diags(tmp_path, rule("order.total > fee_flor", lets="  let fee_floor = ¥5"))
    e = only(ds, "E002")
    assert len(e) == 1
    assert "fee_flor" in e[0].message
    assert "fee_floor" in e[0].message + (e[0].help or "")
    assert e[0].span.line == 4


def test_e002_unknown_function(tmp_path):
    ds = diags(tmp_path, rule('lenn(order.id) > 3'))
    e = only(ds, "E002")
    assert len(e) == 1 and "lenn" in e[0].message
    assert "len" in e[0].message + (e[0].help or "")


def test_load_raises_policy_error_with_diagnostics(tmp_path):
    p = write(tmp_path, "p.rule", rule("order.total > nope"))
    with pytest.raises(rulekit.PolicyError) as ei:
        rulekit.load(p)
    assert "E002" in codes(ei.value.diagnostics)


# ---- E003 -------------------------------------------------------------------------------------------

def test_e003_unknown_field_suggests_closest(tmp_path):
    ds = diags(tmp_path, rule("order.shiped_at is null"))
    e = only(ds, "E003")
    assert len(e) == 1
    assert "shiped_at" in e[0].message
    assert "shipped_at" in e[0].message + (e[0].help or "")
    assert e[0].span.line == 4


def test_e003_unknown_field_of_nested_record(tmp_path):
    ds = diags(tmp_path, rule("any it in order.items satisfies it.prise > ¥1"))
    e = only(ds, "E003")
    assert len(e) == 1 and "price" in e[0].message + (e[0].help or "")


# ---- E004 -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("when", [
    "order.total + order.weight > ¥1",
    "order.created_at - order.created_at > 5",
    "order.total",
    "order.total > 5",
    "order.id == 3",
])
def test_e004_type_mismatch(tmp_path, when):
    ds = diags(tmp_path, rule(when))
    assert "E004" in codes(ds), ds


@pytest.mark.parametrize("when", [
    "order.total / order.shipping_fee > 0.5",
    "order.created_at - order.created_at > 5m",
    "order.total * 2 > ¥1",
    "order.total * 0.5 > ¥1",
    "order.weight / order.weight > 1",
    "order.created_at + 1h > order.created_at",
    "2 < 2.5",
])
def test_e004_well_typed_arithmetic_is_accepted(tmp_path, when):
    ds = diags(tmp_path, rule(when))
    assert errors(ds) == [], ds


def test_e004_money_divided_by_money_is_decimal(tmp_path):
    # decimal compared with money must be rejected: the quotient is not money
    ds = diags(tmp_path, rule("order.total / order.shipping_fee > ¥1"))
    assert "E004" in codes(ds)


# ---- E005 -------------------------------------------------------------------------------------------

def test_e005_duplicate_policy_across_files_reported_at_later(tmp_path):
    write(tmp_path, "a.rule", rule("true"))
    write(tmp_path, "b.rule", "# one\n# two\n" + rule("true").lstrip("\n"))
    ds = load_program([tmp_path]).diagnostics
    e = only(ds, "E005")
    assert len(e) == 1
    assert e[0].span.file.endswith("b.rule")
    assert e[0].span.line == 3


def test_e005_duplicate_rule_reported_at_later_line(tmp_path):
    ds = diags(tmp_path, """
        policy p {
          rule r on order {
            when true
            message "a"
          }
          rule r on order {
            when true
            message "b"
          }
        }
        """)
    e = only(ds, "E005")
    assert len(e) == 1 and e[0].span.line == 6


def test_e005_duplicate_let(tmp_path):
    ds = diags(tmp_path, """
        policy p {
          let a = 1
          let a = 2
          rule r on order {
            when a > 0
            message "x"
          }
        }
        """)
    e = only(ds, "E005")
    assert len(e) == 1 and e[0].span.line == 3


def test_e005_duplicate_record_field(tmp_path):
    ds = diags(tmp_path, """
        record refund time requested_at {
          id: string
          amount: money
          requested_at: datetime
          amount: money
        }
        """)
    e = only(ds, "E005")
    assert len(e) == 1 and e[0].span.line == 5


def test_e005_field_added_to_builtin_twice(tmp_path):
    ds = diags(tmp_path, """
        record order {
          total: money
        }
        """)
    assert "E005" in codes(ds)


# ---- E006 -------------------------------------------------------------------------------------------

def wl_policy(src: str) -> str:
    return f"""
policy p {{
  wordlist w {{
    source "{src}"
  }}
  rule r on listing {{
    when len(find(listing.title, w)) > 0
    message "x"
  }}
}}
"""


def test_e006_missing_wordlist_source(tmp_path):
    ds = diags(tmp_path, wl_policy("nope.txt"))
    e = only(ds, "E006")
    assert len(e) == 1 and "nope.txt" in e[0].message
    assert e[0].span.line == 3


def test_e006_source_escaping_root_with_dotdot(tmp_path):
    (tmp_path / "outside.txt").write_text("词\n", encoding="utf-8")
    root = tmp_path / "pol"
    write(root, "p.rule", wl_policy("../outside.txt"))
    ds = load_program([root]).diagnostics
    assert "E006" in codes(ds)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_e006_source_escaping_root_via_symlink(tmp_path):
    (tmp_path / "outside.txt").write_text("词\n", encoding="utf-8")
    root = tmp_path / "pol"
    root.mkdir()
    try:
        (root / "link.txt").symlink_to(tmp_path / "outside.txt")
    except OSError:
        pytest.skip("cannot create symlink")
    write(root, "p.rule", wl_policy("link.txt"))
    ds = load_program([root]).diagnostics
    assert "E006" in codes(ds)


def test_source_inside_root_is_fine(tmp_path):
    root = tmp_path / "pol"
    write(root, "lists/w.txt", "最便宜\n")
    write(root, "p.rule", wl_policy("lists/w.txt"))
    assert errors(load_program([root]).diagnostics) == []


# ---- E007 -------------------------------------------------------------------------------------------

def test_e007_invalid_regex(tmp_path):
    ds = diags(tmp_path, rule('matches(order.id, re"(unclosed")'))
    e = only(ds, "E007")
    assert len(e) == 1 and e[0].span.line == 4


def test_e007_bad_wordlist_line_names_file_line(tmp_path):
    write(tmp_path, "w.txt", "好词\n# comment\n坏\t类\t换\t多余\n")
    ds = diags(tmp_path, wl_policy("w.txt"))
    e = only(ds, "E007")
    assert len(e) == 1
    assert "w.txt" in e[0].message or e[0].span.file.endswith("w.txt")
    assert re.search(r"\b3\b", e[0].message) or e[0].span.line == 3


# ---- E008 -------------------------------------------------------------------------------------------

def test_e008_let_cycle(tmp_path):
    ds = diags(tmp_path, """
        policy p {
          let a = b + 1
          let b = a + 1
          rule r on order {
            when a > 0
            message "x"
          }
        }
        """)
    e = only(ds, "E008")
    assert len(e) >= 1
    assert "a → b → a" in e[0].message or "b → a → b" in e[0].message


# ---- E009 -------------------------------------------------------------------------------------------

def test_e009_wrong_arg_count_to_len(tmp_path):
    ds = diags(tmp_path, rule("len(order.id, order.id) > 1"))
    assert "E009" in codes(ds)


def test_e009_table_with_wrong_number_of_keys(tmp_path):
    ds = diags(tmp_path, rule("fee(order.region, order.category) > ¥1", lets="""
  table fee(region: string) -> money {
    "新疆" => ¥20
    else => ¥5
  }"""))
    assert "E009" in codes(ds)


def test_e009_window_within_not_duration(tmp_path):
    ds = diags(tmp_path, rule("count(order by ip within 10) > 3"))
    assert "E009" in codes(ds) or "E004" in codes(ds)
    assert "E009" in codes(ds)


def test_e009_sum_over_strings(tmp_path):
    ds = diags(tmp_path, rule("len(sum(order.id by ip within 1h)) > 3"))
    assert "E009" in codes(ds)


# ---- W101 -------------------------------------------------------------------------------------------

def test_w101_optional_without_guard_with_help(tmp_path):
    ds = diags(tmp_path, rule("order.paid_at - order.created_at > 1h"))
    w = only(ds, "W101")
    assert len(w) == 1
    assert w[0].severity == "warning"
    assert "paid_at" in w[0].message
    assert w[0].help and "is not null" in w[0].help and "??" in w[0].help


@pytest.mark.parametrize("when, msg", [
    ("order.paid_at is not null and order.paid_at - order.created_at > 1h", "x"),
    ("(order.paid_at ?? order.created_at) - order.created_at > 1h", "x"),
    ("order.paid_at is not null", "{order.paid_at}"),
    ("order.paid_at is null or order.paid_at - order.created_at > 1h", "x"),
])
def test_w101_not_reported_when_guarded(tmp_path, when, msg):
    ds = diags(tmp_path, rule(when, message=msg))
    assert "W101" not in codes(ds), ds
    assert errors(ds) == []


def test_w101_message_guarded_by_when(tmp_path):
    ds = diags(tmp_path, rule("order.paid_at is not null", message="paid {order.paid_at - order.created_at}"))
    assert "W101" not in codes(ds), ds


def test_warnings_do_not_stop_load(tmp_path):
    p = write(tmp_path, "p.rule", rule("order.paid_at - order.created_at > 1h"))
    eng = rulekit.load(p)
    assert "W101" in codes(eng.diagnostics)


# ---- W102 -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("when", ["false", "1 > 2"])
def test_w102_constant_false(tmp_path, when):
    ds = diags(tmp_path, rule(when))
    w = only(ds, "W102")
    assert len(w) == 1 and w[0].span.line == 4
    assert errors(ds) == []


def test_w102_not_for_data_dependent(tmp_path):
    assert "W102" not in codes(diags(tmp_path, rule("order.total > ¥1")))


# ---- W103 -------------------------------------------------------------------------------------------

def test_w103_duplicate_entry(tmp_path):
    ds = diags(tmp_path, """
        policy p {
          wordlist w {
            words "最便宜", "第一", "最便宜"
          }
          rule r on listing {
            when len(find(listing.title, w)) > 0
            message "x"
          }
        }
        """)
    assert len(only(ds, "W103")) == 1
    assert errors(ds) == []


def test_w103_entry_equal_to_allow_phrase(tmp_path):
    ds = diags(tmp_path, """
        policy p {
          wordlist w {
            words "第一", "第一次"
            allow "第一次"
          }
          rule r on listing {
            when len(find(listing.title, w)) > 0
            message "x"
          }
        }
        """)
    w = only(ds, "W103")
    assert len(w) == 1 and "第一次" in w[0].message


def test_w103_duplicate_after_normalization(tmp_path):
    ds = diags(tmp_path, """
        policy p {
          wordlist w {
            words "ABC", "ａｂｃ"
          }
          rule r on listing {
            when len(find(listing.title, w)) > 0
            message "x"
          }
        }
        """)
    assert len(only(ds, "W103")) == 1


# ---- all errors in one run --------------------------------------------------------------------------

def test_twenty_mistakes_in_three_files_all_reported(tmp_path):
    write(tmp_path, "w.txt", "ok\na\tb\tc\td\n")
    write(tmp_path, "a.rule", """
        policy pa {
          let fee = ¥5
          let fee = ¥6
          let c1 = c2
          let c2 = c1
          rule r1 on order {
            when order.shiped_at is null
            message "x"
          }
          rule r2 on order {
            when order.total > fe
            message "x"
          }
          rule r3 on order {
            when order.total + order.weight > ¥1
            message "x"
          }
          rule r4 on order {
            when order.total
            message "x"
          }
          rule r4 on order {
            when true
            message "x"
          }
          rule r5 on order {
            when c1 > 0
            message "x"
          }
        }
        """)
    write(tmp_path, "b.rule", """
        policy pb {
          wordlist w1 {
            source "missing.txt"
          }
          wordlist w2 {
            source "w.txt"
          }
          rule r1 on listing {
            when matches(listing.title, re"(unclosed")
            message "x"
          }
          rule r2 on listing {
            when len(listing.title, 1) > 1
            message "x"
          }
          rule r3 on listing {
            when listing.prise > ¥1
            message "x"
          }
          rule r4 on listing {
            when lenn(listing.title) > 1
            message "x"
          }
          rule r5 on listing {
            when listing.published_at > 5
            message "x"
          }
          rule r6 on listing {
            when count(listing by shop_id within 10) > 1
            message "x"
          }
          rule r7 on listing {
            when len(find(listing.title, w1)) + len(find(listing.title, w2)) > 0
            message "x"
          }
        }
        """)
    write(tmp_path, "c.rule", """
        policy pa {
          rule z on order {
            when true
            message "x"
          }
        }
        policy pc {
          rule r1 on order {
            when order.statuss == "paid"
            message "x"
          }
          rule r2 on order {
            when order.region == "新疆"
            message "x"
          }
          rule r3 on order {
            when undefined_thing
            message "x"
          }
          rule r4 on order {
            when order.total * order.total > ¥1
            message "x"
          }
          rule r5 on order {
            when ship_fee(order.region, order.category) > ¥1
            message "x"
          }
          table ship_fee(region: string) -> money {
            else => ¥5
          }
        }
        """)
    ds = load_program([tmp_path]).diagnostics
    errs = errors(ds)
    # 20 distinct mistakes: a.rule 7 (E005 let, E008, E003, E002, E004 x2, E005 rule),
    # b.rule 8 (E006, E007 file line, E007 regex, E009 len, E003, E002, E004, E009 window),
    # c.rule 5 (E005 policy, E003, E002, E004, E009)
    files = {Path(d.span.file).name for d in errs}
    assert files == {"a.rule", "b.rule", "c.rule", "w.txt"} or files == {"a.rule", "b.rule", "c.rule"}
    assert len(errs) == 20, "\n".join(f"{d.span.file}:{d.span.line} {d.code} {d.message}" for d in errs)
    assert len({(d.span.file, d.span.line) for d in errs}) == 20
    for code in ["E002", "E003", "E004", "E005", "E006", "E007", "E008", "E009"]:
        assert code in codes(errs)


# ---- `rulekit check` ----------------------------------------------------------------------------------

def test_check_output_format_with_source_and_caret(tmp_path):
    p = write(tmp_path, "p.rule", rule("order.shiped_at is null"))
    r = run_cli("check", p)
    assert r.returncode == 1
    out = r.stdout + r.stderr
    lines = out.splitlines()
    head = [i for i, ln in enumerate(lines) if re.match(r".*p\.rule:4:\d+: E003 ", ln)]
    assert head, out
    i = head[0]
    m = re.match(r".*p\.rule:4:(\d+): E003 ", lines[i])
    col = int(m.group(1))
    src = next(ln for ln in lines[i + 1:i + 4] if "order.shiped_at is null" in ln)
    caret = next(ln for ln in lines[i + 1:i + 5] if "^" in ln)
    # the caret sits under the start of the bad expression (column `col` of the source line)
    text_start = src.index("when order.shiped_at")
    line_text_offset = text_start - "    when order.shiped_at".index("when")
    assert caret.index("^") - line_text_offset == col - 1
    assert "shipped_at" in out


def test_check_warnings_exit_zero(tmp_path):
    p = write(tmp_path, "p.rule", rule("order.paid_at - order.created_at > 1h"))
    r = run_cli("check", p)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "W101" in r.stdout + r.stderr


def test_check_clean_exit_zero(tmp_path):
    p = write(tmp_path, "p.rule", rule("order.total > ¥1"))
    r = run_cli("check", p)
    assert r.returncode == 0, r.stdout + r.stderr
