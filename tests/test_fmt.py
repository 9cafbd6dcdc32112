"""Tests of the formatter: canonical layout, minimal parentheses, comments, `rulekit fmt`."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulekit.commands.fmt import fmt_paths
from rulekit.syntax.formatter import format_text
from rulekit.syntax.parser import KEYWORDS, parse, parse_expr

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared"


def fmt(src: str) -> str:
    out, diags = format_text(src, "t.rule")
    assert out is not None, diags
    return out


def fmt_expr(src: str) -> str:
    """The formatted form of one expression (as a policy-level let)."""
    out = fmt(f"policy p {{\n  let x = {src}\n}}\n")
    # a long expression is wrapped (continuation lines one indent in): read it back as one line
    return " ".join(line.strip() for line in out.splitlines()[1:-1]).removeprefix("let x = ")


def assert_stable(src: str) -> str:
    """The two properties every formatting must have; returns the formatted text."""
    out = fmt(src)
    before, _ = parse(src, "t.rule")
    after, diags = parse(out, "t.rule")
    assert after is not None, (out, diags)
    assert after == before, out
    assert fmt(out) == out
    return out


# ---- layout ----------------------------------------------------------------------------

SPEC_EXAMPLE = '''\
policy freight "运费模板" {
version "2025.05"
effective 2025-05-01 .. 2026-01-01
let remote_regions = ["新疆", "西藏"]
let fee_floor = ¥5
wordlist ad_extreme { source "wordlists/ad_law.txt"
words "国家级", "最便宜", "第一"
allow "第一次", "第一步"
match evasive }
table freight_tier(region: string) -> (first_kg: money, extra_kg: money, free_over: money?) {
  "新疆", "西藏"          => (¥20, ¥10, null)
  "青海", "宁夏", "甘肃"   => (¥12, ¥5, ¥199)
  else                   => (¥8, ¥2, ¥99)
}
rule remote_free_shipping "偏远地区不包邮" on order { severity error
    let tier = freight_tier(order.region)
    when order.claims_free_shipping and tier.free_over is null
    unless order.total >= ¥500
    message "{order.region} 不包邮，订单 {order.id} 却标注包邮"
    action set_shipping_fee(amount: tier.first_kg) } }
record refund time requested_at { id: string
  order_id: string
  requested_at: datetime
  amount: money
  items: list<string>? }
test "remote" { at 2025-06-01T12:00:00+08:00
  given order {"id": "o1", "items": [{"sku": "K1", "quantity": 1, "price": 50}],
               "total": 50.5, "ok": true, "paid_at": null}
  expect violation freight.remote_free_shipping
  expect no violation sla.ship_48h
  expect decision block
  expect action set_shipping_fee
  expect no action hold_order
  expect error sla.x
  expect no error }
'''

SPEC_CANONICAL = '''\
policy freight "运费模板" {
  version "2025.05"
  effective 2025-05-01 .. 2026-01-01
  let remote_regions = ["新疆", "西藏"]
  let fee_floor = ¥5

  wordlist ad_extreme {
    source "wordlists/ad_law.txt"
    words "国家级", "最便宜", "第一"
    allow "第一次", "第一步"
    match evasive
  }

  table freight_tier(region: string) -> (first_kg: money, extra_kg: money, free_over: money?) {
    "新疆", "西藏" => (¥20, ¥10, null)
    "青海", "宁夏", "甘肃" => (¥12, ¥5, ¥199)
    else => (¥8, ¥2, ¥99)
  }

  rule remote_free_shipping "偏远地区不包邮" on order {
    severity error
    let tier = freight_tier(order.region)
    when order.claims_free_shipping and tier.free_over is null
    unless order.total >= ¥500
    message "{order.region} 不包邮，订单 {order.id} 却标注包邮"
    action set_shipping_fee(amount: tier.first_kg)
  }
}

record refund time requested_at {
  id: string
  order_id: string
  requested_at: datetime
  amount: money
  items: list<string>?
}

test "remote" {
  at 2025-06-01T12:00:00+08:00
  given order {"id": "o1", "items": [{"sku": "K1", "quantity": 1, "price": 50}], "total": 50.5, "ok": true, "paid_at": null}
  expect violation freight.remote_free_shipping
  expect no violation sla.ship_48h
  expect decision block
  expect action set_shipping_fee
  expect no action hold_order
  expect error sla.x
  expect no error
}
'''


def test_canonical_layout_of_every_declaration() -> None:
    assert fmt(SPEC_EXAMPLE) == SPEC_CANONICAL
    assert fmt(SPEC_CANONICAL) == SPEC_CANONICAL
    assert_stable(SPEC_EXAMPLE)


def test_empty_file_and_comment_only_file() -> None:
    assert fmt("") == ""
    assert fmt("\n\n  \n") == ""
    assert fmt("# only\n\n\n# comments   \n") == "# only\n\n# comments\n"


def test_empty_blocks() -> None:
    assert fmt("policy p {}") == "policy p {\n}\n"
    assert fmt("policy p { rule r on order {} }") == "policy p {\n  rule r on order {\n  }\n}\n"
    assert fmt('test "t" {}') == 'test "t" {\n}\n'


def test_effective_with_either_end_omitted() -> None:
    for src, out in [
        ("effective 2025-06-01..", "effective 2025-06-01 .."),
        ("effective ..2026-01-01T00:00:00", "effective .. 2026-01-01T00:00:00"),
        ("effective   ..  ", "effective .."),
        ("effective 2025-06-01 ..2026-01-01", "effective 2025-06-01 .. 2026-01-01"),
    ]:
        assert fmt(f"policy p {{ {src} }}") == f"policy p {{\n  {out}\n}}\n"


def test_single_result_table_and_tuple_keys() -> None:
    src = 'policy p { table t(a: string, b: int) -> money { ("x", 1), ("y", 2) => ¥1 ("z", 3) => (¥2) } }'
    assert fmt(src) == (
        "policy p {\n  table t(a: string, b: int) -> money {\n"
        '    ("x", 1), ("y", 2) => ¥1\n    ("z", 3) => ¥2\n  }\n}\n'
    )


def test_actions_keep_their_parentheses_or_lack_of_them() -> None:
    src = "policy p { rule r on order { action a action b() action c(x: 1,y:2) } }"
    assert fmt(src).splitlines()[2:5] == ["    action a", "    action b()", "    action c(x: 1, y: 2)"]


def test_blank_lines_between_members() -> None:
    src = "policy p {\n  let a = 1\n\n\n\n  let b = 2\n  let c = 3\n  rule r on order {\n\n    when true\n\n\n    message \"m\"\n  }\n  let d = 4\n}\n\n\n\ntest \"t\" {\n}\n"
    assert fmt(src) == (
        "policy p {\n  let a = 1\n\n  let b = 2\n  let c = 3\n\n  rule r on order {\n    when true\n\n"
        "    message \"m\"\n  }\n\n  let d = 4\n}\n\ntest \"t\" {\n}\n"
    )


def test_literals_keep_their_source_text() -> None:
    for text in ["1h30m", "¥0.5", "¥0.50", "3%", "2.50", "500g", "1.5kg", "2w", "0s", "2025-06-01",
                 "2025-06-01T10:00:00", "2025-06-01T10:00:00+08:00", "2025-06-01T02:00:00Z",
                 '"a\\u{4E2D}\\n\\t\\"\\\\"', 're"(?i)free\\s+\\"x\\""', "true", "false", "null"]:
        assert fmt_expr(text) == text


def test_given_json_and_streams() -> None:
    src = '''test "t" {
      given order {"a":1,"b":[1,2.50,-3e2,1e0],"c":{"d":null},"e":"中\\u4e2d\\"","f":false}
      given order [{"i": 1}, {"i": 2},
        {"i": 3}]
      given order []
      given order [  ]
    }'''
    assert fmt(src) == (
        'test "t" {\n'
        '  given order {"a": 1, "b": [1, 2.50, -3E+2, 1E+0], "c": {"d": null}, "e": "中中\\"", "f": false}\n'
        "  given order [\n"
        '    {"i": 1},\n'
        '    {"i": 2},\n'
        '    {"i": 3}\n'
        "  ]\n"
        "  given order []\n"
        "  given order []\n"
        "}\n"
    )
    assert_stable(src)


# ---- expressions -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("src", "out"),
    [
        ("(a + b) * c", "(a + b) * c"),
        ("((a * b)) + c", "a * b + c"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a / (b * c)", "a / (b * c)"),
        ("a%b % c", None),  # not valid: `a%b`
        ("a  %  (b % c)", "a % (b % c)"),
        ("-(a + b)", "-(a + b)"),
        ("-(-a)", "--a"),
        ("-(a.b)", "-a.b"),
        ("(-a).b", "(-a).b"),
        ("(a ?? b) ?? c", "a ?? b ?? c"),
        ("a ?? (b ?? c)", "a ?? (b ?? c)"),
        ("(a + b) ?? c", "a + b ?? c"),
        ("a ?? b == c", "(a ?? b) == c"),  # clarifying parentheses, as for `and` in `or`
        ("(a == b) == c", "(a == b) == c"),
        ("(a in b) in c", "(a in b) in c"),
        ("a not in (b + c)", "a not in b + c"),
        ("(a ?? b) is not null", "a ?? b is not null"),
        ("(a == b) is missing", "(a == b) is missing"),
        ("not (a == b)", "not a == b"),
        ("not (a and b)", "not (a and b)"),
        ("(not a) and b", "not a and b"),
        ("not not a", "not not a"),
        ("a and (b and c)", "a and (b and c)"),
        ("(a and b) and c", "a and b and c"),
        ("a or b and c", "a or (b and c)"),
        ("a and b or c", "(a and b) or c"),
        ("(a or b) and c", "(a or b) and c"),
        ("a or (b or c)", "a or (b or c)"),
        ("((a or b) or c)", "a or b or c"),
        ("any x in xs satisfies x > 1", "any x in xs satisfies x > 1"),
        ("(any x in xs satisfies p) and q", "(any x in xs satisfies p) and q"),
        ("q and (any x in xs satisfies p)", "q and any x in xs satisfies p"),
        ("q and (any x in xs satisfies p or r)", "q and any x in xs satisfies p or r"),
        ("(q and any x in xs satisfies p) or r", "(q and any x in xs satisfies p) or r"),
        ("not (any x in xs satisfies p) and q", "not (any x in xs satisfies p) and q"),
        ("all x in (a ?? b) satisfies (if p then q else r)", "all x in a ?? b satisfies (if p then q else r)"),
        ("all x in (a == b) satisfies p", "all x in (a == b) satisfies p"),
        ("if a then b else (if c then d else e)", "if a then b else if c then d else e"),
        ("if (if a then b else c) then (any x in y satisfies z) else w", "if if a then b else c then any x in y satisfies z else w"),
        ("(if a then b else c) + 1", "(if a then b else c) + 1"),
        ("f((a or b), [(c)], (x)[(0)])", "f(a or b, [c], x[0])"),
        ("count((order) by ip, shop within (10m) where (order.total < ¥10))",
         "count(order by ip, shop within 10m where order.total < ¥10)"),
        ("(¥5).x + (1).y + (3%).z + (1h).w", "(¥5).x + (1).y + (3%).z + (1h).w"),
        ('("s").x + ([1]).y + (this).z + (f(1)).w', '"s".x + [1].y + this.z + f(1).w'),
        ("(a)[b][(c)]", "a[b][c]"),
    ],
)
def test_minimal_parentheses(src: str, out: str | None) -> None:
    if out is None:
        assert format_text(f"policy p {{ let x = {src} }}")[0] is None
        return
    assert fmt_expr(src) == out
    assert parse_expr(out) == parse_expr(src)


def test_modulo_is_always_spaced() -> None:
    assert fmt_expr("a\n  %\tb") == "a % b"
    assert fmt_expr("10 % 3% % 2") == "10 % 3% % 2"


def test_table_rows_never_run_into_each_other() -> None:
    # written with parentheses, a row's value and the next row's key stay apart
    src = """policy p { table t(a: int, b: int) -> int {
      (1, 2) => (f)
      (3, 4) => (g)
      (-5) => x.y
      (6, 7) => 8
      ([1]) => 9
      (not z) => (k)
      "s" => 11
      else => h
    } }"""
    out = assert_stable(src)
    assert "(1, 2) => (f)\n" in out
    assert "(3, 4) => (g)\n" in out  # the next key is `(-5)`
    assert "(-5) => x.y\n" in out
    assert "(6, 7) => 8\n" in out
    assert "([1]) => 9\n" in out
    assert "(not z) => k\n" in out  # the next key does not start with `(`
    assert "else => h\n" in out
    first = fmt("policy p { table t(a: int) -> int { -1 => 2 } }")
    assert "    -1 => 2\n" in first


def test_templates_are_written_as_the_author_did() -> None:
    src = 'policy p { rule r on order { message "a {order.x   +  1} {{b}} \\u{7B} c" action f(m: "{ x }", n: "s") } }'
    out = assert_stable(src)
    assert 'message "a {order.x   +  1} {{b}} \\u{7B} c"' in out
    assert 'action f(m: "{ x }", n: "s")' in out


# ---- comments ----------------------------------------------------------------------------

COMMENTED = """\
# file header

# about p
policy p "t" { # on the header
  version "1"   # the version


  # before a
  let a = (1 + 2) * 3
  let b = a and
     # inside an expression
     c   # after c
  table t(a: string) -> money {  # table header
    # first row
    "x" => ¥1  # row x
    else => ¥2
    # last in table
  }  # after table
  rule r on order {
    when a  # w
    message "m"
    # end of rule
  }
  # end of policy
}   # closing policy
test "t" {
  given order [ # stream header
    {"a": 1},  # first
    # second
    {"b": 2}
  ] # after stream
}
# the end
"""

COMMENTED_CANONICAL = """\
# file header

# about p
policy p "t" {  # on the header
  version "1"  # the version

  # before a
  let a = (1 + 2) * 3
  # inside an expression
  let b = a and c  # after c

  table t(a: string) -> money {  # table header
    # first row
    "x" => ¥1  # row x
    else => ¥2
    # last in table
  }  # after table

  rule r on order {
    when a  # w
    message "m"
    # end of rule
  }
  # end of policy
}  # closing policy

test "t" {
  given order [  # stream header
    {"a": 1},  # first
    # second
    {"b": 2}
  ]  # after stream
}
# the end
"""


def comment_texts(src: str) -> list[str]:
    sf, _ = parse(src)
    assert sf is not None
    return [c.text for c in sf.comments]


def test_comments_stay_where_they_were() -> None:
    assert fmt(COMMENTED) == COMMENTED_CANONICAL
    assert fmt(COMMENTED_CANONICAL) == COMMENTED_CANONICAL
    assert comment_texts(COMMENTED_CANONICAL) == comment_texts(COMMENTED)


def test_comments_on_a_multi_line_header_and_statement() -> None:
    src = """policy p # one
    # two
    { # three
      let a = [1, # four
        2,  # five
        3]
    }"""
    out = assert_stable(src)
    assert sorted(comment_texts(out)) == sorted(comment_texts(src))
    assert out.splitlines()[0] == "policy p {  # one"


MULTI_LINE_HEADERS = """\
policy p # a
  "title" # b
  # c
{ # d
  table t( # e
    a: string, # f
    # g

    b: int
  ) -> ( # h
    x: money
  ) { "a" => ¥1 } # i
  rule r # j
    on order { action f( # k
      a: 1, # l
      # m
      b: 2) # n
    when x }
  let z = 1 }
test "t" { given order { # o
   "a": 1, # p
   # q
   "b": 2 }  # r
  given order [ ] # s
  given order [
  ] # t
  given order [ # u
  # v
  ] # w
}
"""

MULTI_LINE_HEADERS_CANONICAL = """\
policy p "title" {  # a
  # b
  # c
  # d
  table t(a: string, b: int) -> (x: money) {  # e
    # f
    # g

    # h
    "a" => ¥1  # i
  }

  rule r on order {  # j
    # k
    # l
    # m
    action f(a: 1, b: 2)  # n
    when x
  }

  let z = 1
}

test "t" {
  # o
  # p
  # q
  given order {"a": 1, "b": 2}  # r
  given order []  # s
  given order []  # t
  # u
  # v
  given order []  # w
}
"""


def test_comments_inside_multi_line_headers_and_statements() -> None:
    assert fmt(MULTI_LINE_HEADERS) == MULTI_LINE_HEADERS_CANONICAL
    assert_stable(MULTI_LINE_HEADERS)
    assert sorted(comment_texts(MULTI_LINE_HEADERS_CANONICAL)) == sorted(comment_texts(MULTI_LINE_HEADERS))


def test_blank_lines_between_comments_are_kept() -> None:
    src = "# header\n\n\n# about p\n\npolicy p {\n\n  # a\n\n  let a = 1\n\n  # end\n\n}\n\n\n# bye\n"
    assert fmt(src) == "# header\n\n# about p\n\npolicy p {\n  # a\n\n  let a = 1\n\n  # end\n}\n\n# bye\n"


def test_several_statements_on_one_line() -> None:
    src = 'policy p { let a = 1 let b = 2 # on b\n rule r on order { when a message "m" } # on r\n} # end'
    out = assert_stable(src)
    assert "  let b = 2  # on b\n" in out
    assert '    message "m"  # on r\n' in out
    assert out.endswith("}  # end\n")


def test_hash_inside_strings_and_interpolations_is_not_a_comment() -> None:
    src = 'policy p { rule r on order { when a message "#1 {x # y}" } }'
    out = assert_stable(src)
    assert comment_texts(out) == []
    assert 'message "#1 {x # y}"' in out


# ---- generated programs ---------------------------------------------------------------------

IDENT = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True).filter(lambda s: s not in KEYWORDS)
CONTEXTUAL = st.sampled_from(["version", "effective", "source", "words", "allow", "match", "time", "no", "error"])
NAME = st.one_of(IDENT, IDENT, IDENT, CONTEXTUAL)
COMMENT_TEXT = st.text(
    st.characters(blacklist_categories=["Cc", "Cs", "Zl", "Zp"]), max_size=12
).map(lambda s: "#" + s)
PLAIN_CHARS = st.characters(blacklist_categories=["Cc", "Cs", "Zl", "Zp"], blacklist_characters='"\\{}')


@st.composite
def string_body(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(
        st.text(PLAIN_CHARS, max_size=4),
        st.sampled_from(['\\"', "\\\\", "\\n", "\\t", "\\u{4E2D}", "\\u{7B}", "\\u{7D}", "\\u{1F600}"]),
    ), max_size=4))
    return "".join(parts)


@st.composite
def literal(draw: st.DrawFn, strings: bool = True) -> str:
    kinds = ["int", "decimal", "percent", "money", "duration", "weight", "date", "datetime", "bool", "null"]
    if strings:
        kinds += ["string", "regex"]
    kind = draw(st.sampled_from(kinds))
    digits = st.integers(0, 10**6).map(str)
    frac = st.integers(0, 999).map(lambda i: f".{i:0>2}")
    if kind == "int":
        return draw(digits)
    if kind == "decimal":
        return draw(digits) + draw(frac)
    if kind == "percent":
        return draw(digits) + draw(st.sampled_from(["", ".5"])) + "%"
    if kind == "money":
        return "¥" + draw(digits) + draw(st.sampled_from(["", ".5", ".99", ".00"]))
    if kind == "duration":
        units = draw(st.lists(st.sampled_from("wdhms"), min_size=1, max_size=3, unique=True))
        return "".join(f"{draw(st.integers(0, 99))}{u}" for u in units)
    if kind == "weight":
        return draw(digits) + draw(st.sampled_from(["g", "kg", ".5kg"]))
    if kind in ("date", "datetime"):
        d = draw(st.dates(min_value=__import__("datetime").date(1990, 1, 1)))
        if kind == "date":
            return d.isoformat()
        t = f"{draw(st.integers(0, 23)):02}:{draw(st.integers(0, 59)):02}"
        t += draw(st.sampled_from(["", ":30", ":05.250"]))
        return f"{d.isoformat()}T{t}" + draw(st.sampled_from(["", "+08:00", "Z", "-05:30"]))
    if kind == "bool":
        return draw(st.sampled_from(["true", "false"]))
    if kind == "null":
        return "null"
    if kind == "string":
        return '"' + draw(string_body()) + '"'
    body = draw(st.lists(st.sampled_from(["a", "\\d", "\\s+", '\\"', "(?i)", "[0-9]", "\\\\", "中", "{2}"]), max_size=4))
    return 're"' + "".join(body) + '"'


#: blanks between tokens of an expression: spaces, a newline, or a comment and a newline
SEP = st.sampled_from([" ", " ", " ", " ", "\n      ", "  "]) | COMMENT_TEXT.map(lambda c: f" {c}\n      ")


@st.composite
def expression(draw: st.DrawFn, depth: int = 3, strings: bool = True, multiline: bool = True) -> str:
    """Random valid expression source covering the whole expression grammar. Every
    compound operand is parenthesized, so the text is always valid; the formatter's
    job is to remove what is redundant."""
    sep = draw(SEP) if multiline else " "

    def sub(d: int = depth - 1) -> str:
        return draw(expression(d, strings, multiline))

    def wrap(s: str) -> str:
        return s if draw(st.booleans()) and _is_atomic(s) else f"({s})"

    if depth <= 0:
        return draw(st.one_of(literal(strings), NAME, st.just("this")))
    form = draw(st.sampled_from([
        "leaf", "leaf", "attr", "index", "call", "window", "list", "neg", "not", "binary", "binary",
        "binary", "is", "if", "quant",
    ]))
    if form == "leaf":
        return draw(st.one_of(literal(strings), NAME, st.just("this")))
    if form == "attr":
        return f"{wrap(sub())}.{draw(NAME | st.sampled_from(['in', 'not', 'and']))}"
    if form == "index":
        return f"{wrap(sub())}[{sub()}]"
    if form == "call":
        args = draw(st.lists(expression(depth - 1, strings, multiline), max_size=3))
        return f"{draw(IDENT)}({', '.join(args)})"
    if form == "window":
        keys = ", ".join(draw(st.lists(IDENT, min_size=1, max_size=2)))
        where = f" where {sub()}" if draw(st.booleans()) else ""
        func = draw(st.sampled_from(["count", "sum", "distinct"]))
        return f"{func}({wrap(sub())} by {keys} within {wrap(sub())}{where})"
    if form == "list":
        return "[" + ", ".join(draw(st.lists(expression(depth - 1, strings, multiline), max_size=3))) + "]"
    if form == "neg":
        return f"-{sep}{wrap(sub())}"
    if form == "not":
        return f"not{sep}{wrap(sub())}"
    if form == "binary":
        op = draw(st.sampled_from(["or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "??",
                                   "+", "-", "*", "/", "%"]))
        return f"{wrap(sub())}{sep}{op} {wrap(sub())}"
    if form == "is":
        what = draw(st.sampled_from(["null", "not null", "missing", "not missing"]))
        return f"{wrap(sub())} is {what}"
    if form == "if":
        return f"if {sub()} then{sep}{sub()} else {sub()}"
    kind = draw(st.sampled_from(["any", "all"]))
    body = sub()
    if body.startswith("if "):  # the body is an `or` expression: an `if` needs parentheses
        body = f"({body})"
    return f"{kind} {draw(IDENT)} in {wrap(sub())} satisfies{sep}{body}"


def _is_atomic(s: str) -> bool:
    """Text that is one atom: safe to use as an operand without parentheses."""
    try:
        e = parse_expr(s)
    except Exception:
        return False
    from rulekit.syntax import nodes as n

    if isinstance(e, n.Literal) and e.kind not in ("string", "regex", "bool", "null"):
        return False  # `¥5.x` does not lex; keep numbers wrapped before `.`
    return isinstance(e, (n.Literal, n.Name, n.This, n.ListExpr, n.Call, n.Window))


@st.composite
def template(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(
        string_body(), st.just("{{"), st.just("}}"),
        expression(2, strings=False, multiline=False).map(lambda e: "{" + e + "}"),
    ), max_size=4))
    return '"' + "".join(parts) + '"'


TYPE = st.recursive(
    st.sampled_from(["string", "bool", "int", "decimal", "money", "duration", "weight", "date", "datetime", "item"]),
    lambda t: t.map(lambda s: f"list<{s}>"), max_leaves=3,
).flatmap(lambda t: st.sampled_from([t, t + "?"]))

JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9),
              st.sampled_from(["1.5", "-0.25", "1e5", "2.5E-3", "0"]).map(lambda s: ("num", s)),
              st.text(PLAIN_CHARS | st.sampled_from('"\\{}\n'), max_size=6)),
    lambda j: st.one_of(st.lists(j, max_size=3), st.dictionaries(st.text(max_size=4), j, max_size=3)),
    max_leaves=6,
)


def json_text(v: object) -> str:
    import json

    if isinstance(v, tuple):
        return v[1]
    if isinstance(v, list):
        return "[" + ",".join(json_text(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)}:{json_text(x)}" for k, x in v.items()) + "}"
    return json.dumps(v)


@st.composite
def block(draw: st.DrawFn, header: str, statements: list[str], closing: str = "}") -> str:
    """A block with random comments (own line and trailing), blank lines and layout."""
    if not statements and draw(st.booleans()):
        return f"{header}{closing}"
    out = [header + _trailing(draw)]
    for s in statements:
        for _ in range(draw(st.integers(0, 2))):
            out.append(draw(st.sampled_from(["", "  "])) + draw(COMMENT_TEXT))
        if draw(st.integers(0, 4)) == 0:
            out.append("")
        out.append("  " + s + _trailing(draw))
    if draw(st.integers(0, 3)) == 0:
        out.append("  " + draw(COMMENT_TEXT))
    out.append(closing + _trailing(draw))
    joiner = "\n" if draw(st.integers(0, 5)) else " "
    if joiner == " " and any("#" in line for line in out):
        joiner = "\n"
    return joiner.join(out)


def _trailing(draw: st.DrawFn) -> str:
    return "  " + draw(COMMENT_TEXT) if draw(st.integers(0, 4)) == 0 else ""


@st.composite
def table(draw: st.DrawFn) -> str:
    nparams = draw(st.integers(1, 2))
    params = ", ".join(f"{draw(IDENT)}_{i}: {draw(TYPE)}" for i in range(nparams))
    tuple_result = draw(st.booleans())
    result = "(" + ", ".join(f"{draw(IDENT)}: {draw(TYPE)}" for _ in range(2)) + ")" if tuple_result else draw(TYPE)
    rows: list[tuple[list[str], str]] = []
    for _ in range(draw(st.integers(0, 3))):
        keys = []
        for _ in range(draw(st.integers(1, 2))):
            if nparams == 1:
                keys.append(draw(expression(2)))
            else:
                keys.append("(" + ", ".join(draw(expression(1)) for _ in range(nparams)) + ")")
        rows.append((keys, draw(_row_value(tuple_result))))
    if draw(st.booleans()):
        rows.append((["else"], draw(_row_value(tuple_result))))
    lines = []
    for i, (keys, value) in enumerate(rows):
        if i > 0 and keys[0] != "else":
            if keys[0].lstrip().startswith(("-", "[", "not")):
                keys[0] = f"({keys[0]})"
            if keys[0].startswith("(") and not lines[-1].endswith(")"):
                head, _, val = lines[-1].partition(" => ")
                lines[-1] = f"{head} => ({val})"
        lines.append(f"{', '.join(keys)} => {value}")
    return draw(block(f"table {draw(IDENT)}({params}) -> {result} {{", lines))


@st.composite
def _row_value(draw: st.DrawFn, tuple_result: bool) -> str:
    if tuple_result:
        return "(" + ", ".join(draw(expression(2)) for _ in range(2)) + ")"
    return draw(expression(2))


@st.composite
def rule(draw: st.DrawFn) -> str:
    clauses = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["severity", "let", "when", "unless", "message", "action", "evidence"]))
        if kind == "severity":
            clauses.append("severity " + draw(st.sampled_from(["error", "warning", "info"])))
        elif kind == "let":
            clauses.append(f"let {draw(NAME)} = {draw(expression())}")
        elif kind in ("when", "unless", "evidence"):
            clauses.append(f"{kind} {draw(expression())}")
        elif kind == "message":
            clauses.append("message " + draw(template()))
        else:
            form = draw(st.integers(0, 2))
            name = draw(IDENT)
            if form == 0:
                clauses.append(f"action {name}")
            else:
                args = [f"{draw(NAME)}: {draw(template() | expression(2))}" for _ in range(form - 1 + draw(st.integers(0, 1)))]
                clauses.append(f"action {name}({', '.join(args)})")
    title = " " + '"' + draw(string_body()) + '"' if draw(st.booleans()) else ""
    return draw(block(f"rule {draw(IDENT)}{title} on {draw(IDENT)} {{", clauses))


@st.composite
def wordlist(draw: st.DrawFn) -> str:
    clauses = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["source", "words", "allow", "match"]))
        if kind == "match":
            clauses.append("match " + draw(st.sampled_from(["exact", "normalized", "evasive"])))
        else:
            n = 1 if kind == "source" else draw(st.integers(1, 3))
            clauses.append(kind + " " + ", ".join('"' + draw(string_body()) + '"' for _ in range(n)))
    return draw(block(f"wordlist {draw(IDENT)} {{", clauses))


@st.composite
def policy(draw: st.DrawFn) -> str:
    members = []
    if draw(st.booleans()):
        members.append('version "' + draw(string_body()) + '"')
    if draw(st.booleans()):
        start = draw(st.sampled_from(["", "2025-06-01", "2025-06-01T10:00:00"]))
        end = draw(st.sampled_from(["", "2026-01-01", "2026-01-01T00:00:00+08:00"]))
        members.append(f"effective {start} .. {end}".replace("  ", " "))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["let", "let", "rule", "rule", "table", "wordlist"]))
        if kind == "let":
            members.append(f"let {draw(NAME)} = {draw(expression())}")
        elif kind == "rule":
            members.append(draw(rule()))
        elif kind == "table":
            members.append(draw(table()))
        else:
            members.append(draw(wordlist()))
    title = ' "' + draw(string_body()) + '"' if draw(st.booleans()) else ""
    return draw(block(f"policy {draw(IDENT)}{title} {{", members))


@st.composite
def record(draw: st.DrawFn) -> str:
    fields = [f"{draw(NAME)}: {draw(TYPE)}" for _ in range(draw(st.integers(0, 4)))]
    time = f" time {draw(NAME)}" if draw(st.booleans()) else ""
    return draw(block(f"record {draw(IDENT)}{time} {{", fields))


@st.composite
def rule_test(draw: st.DrawFn) -> str:
    clauses = []
    if draw(st.booleans()):
        clauses.append("at " + draw(st.sampled_from(["2025-06-01T12:00:00+08:00", "2025-06-01T12:00", "2025-06-01"])))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["given", "stream", "expect"]))
        if kind == "given":
            obj = draw(st.dictionaries(st.text(max_size=4), JSON, max_size=3))
            clauses.append(f"given {draw(IDENT)} {json_text(obj)}")
        elif kind == "stream":
            items = [json_text(draw(st.dictionaries(st.text(max_size=3), JSON, max_size=2)))
                     for _ in range(draw(st.integers(0, 3)))]
            clauses.append(draw(block(f"given {draw(IDENT)} [", [s + "," for s in items[:-1]] + items[-1:], "]")))
        else:
            clauses.append(draw(st.sampled_from([
                "expect violation a.b", "expect no violation a.b", "expect decision block",
                "expect action hold", "expect no action hold", "expect no action", "expect error p.r",
                "expect no error", "expect no violation",
            ])))
    return draw(block(f'test "{draw(string_body())}" {{', clauses))


@st.composite
def program(draw: st.DrawFn) -> str:
    items = draw(st.lists(st.one_of(policy(), record(), rule_test()), max_size=3))
    parts = []
    for item in items:
        for _ in range(draw(st.integers(0, 2))):
            parts.append(draw(COMMENT_TEXT))
        parts.append(item + draw(st.sampled_from(["\n", "\n\n", "  " + "# after"])))
    if draw(st.booleans()):
        parts.append(draw(COMMENT_TEXT))
    return "\n".join(parts)


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.data_too_large])


@SETTINGS
@given(program())
def test_generated_programs_round_trip(src: str) -> None:
    before, diags = parse(src, "t.rule")
    assert before is not None, (src, diags)
    out = fmt(src)
    after, diags = parse(out, "t.rule")
    assert after is not None, (out, diags)
    assert after == before
    assert fmt(out) == out
    assert sorted(c.text for c in after.comments) == sorted(c.text for c in before.comments)


@SETTINGS
@given(expression(4, multiline=False))
def test_generated_expressions_format_minimally(src: str) -> None:
    tree = parse_expr(src)
    out = fmt_expr(src)
    assert parse_expr(out) == tree
    assert fmt_expr(out) == out


# ---- real files ------------------------------------------------------------------------------


def rule_files() -> list[Path]:
    roots = [SHARED / "conformance" / "cases", REPO / "policies", REPO / "examples", REPO / "rulekit"]
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            files += sorted(root.rglob("*.rule"))
    return files


def conformance_files() -> list[Path]:
    cases = SHARED / "conformance" / "cases"
    return sorted(cases.rglob("*.rule")) if cases.is_dir() else []


def test_conformance_cases_are_present_or_skipped() -> None:
    if not (SHARED / "conformance" / "cases").is_dir():
        pytest.skip("../shared/conformance is not present")
    assert conformance_files()


@pytest.mark.parametrize("path", rule_files(), ids=lambda p: str(p.relative_to(p.parents[1])))
def test_real_rule_files_round_trip(path: Path) -> None:
    src = path.read_text(encoding="utf-8")
    before, diags = parse(src, str(path))
    if before is None:
        out, d2 = format_text(src, str(path))
        assert out is None and d2 == diags
        return
    out = fmt(src)
    after, _ = parse(out, str(path))
    assert after == before
    assert fmt(out) == out
    assert sorted(c.text for c in after.comments) == sorted(c.text for c in before.comments)


# ---- `rulekit fmt` ---------------------------------------------------------------------------

UGLY = "policy p {\nlet a=(1+2)*3\n}\n"
PRETTY = "policy p {\n  let a = (1 + 2) * 3\n}\n"


def make_tree(tmp_path: Path) -> Path:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.rule").write_text(UGLY, encoding="utf-8")
    (tmp_path / "sub" / "b.rule").write_text(PRETTY, encoding="utf-8")
    (tmp_path / "sub" / "c.rule").write_text(UGLY, encoding="utf-8")
    (tmp_path / "notes.txt").write_text(UGLY, encoding="utf-8")
    return tmp_path


def test_fmt_check_reports_and_writes_nothing(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    assert fmt_paths([str(root)], check=True, out=out, err=err) == 1
    assert out.getvalue().splitlines() == [f"would reformat {root / 'a.rule'}", f"would reformat {root / 'sub' / 'c.rule'}"]
    assert (root / "a.rule").read_text(encoding="utf-8") == UGLY
    assert err.getvalue() == ""


def test_fmt_rewrites_changed_files(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    out = io.StringIO()
    assert fmt_paths([str(root)], check=False, out=out) == 0
    assert out.getvalue().splitlines() == [f"reformatted {root / 'a.rule'}", f"reformatted {root / 'sub' / 'c.rule'}"]
    assert (root / "a.rule").read_text(encoding="utf-8") == PRETTY
    assert (root / "notes.txt").read_text(encoding="utf-8") == UGLY
    out = io.StringIO()
    assert fmt_paths([str(root)], check=True, out=out) == 0
    assert out.getvalue() == ""


def test_fmt_check_on_a_clean_file(tmp_path: Path) -> None:
    f = tmp_path / "x.rule"
    f.write_text(PRETTY, encoding="utf-8")
    out = io.StringIO()
    assert fmt_paths([str(f)], check=True, out=out) == 0
    assert out.getvalue() == ""


def test_fmt_syntax_error_is_rendered_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rule"
    bad.write_text("policy p {\n  let a = 1 +\n}\n", encoding="utf-8")
    (tmp_path / "ugly.rule").write_text(UGLY, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert fmt_paths([str(tmp_path)], check=True, out=out, err=err) == 2
    assert f"{bad}:3:1: E001" in err.getvalue()
    # the diagnostic is rendered with its source line and a caret under the unexpected `}`
    assert "3 | }\n  |" in err.getvalue() and "  | ^" in err.getvalue()
    assert bad.read_text(encoding="utf-8") == "policy p {\n  let a = 1 +\n}\n"
    assert out.getvalue() == f"would reformat {tmp_path / 'ugly.rule'}\n"


def test_fmt_crlf_and_bom_files_are_rewritten(tmp_path: Path) -> None:
    f = tmp_path / "w.rule"
    f.write_bytes("\ufeffpolicy p {\r\n  let a = 1  # c\r\n}\r\n".encode())
    assert fmt_paths([str(f)], check=True, out=io.StringIO()) == 1
    assert fmt_paths([str(f)], check=False, out=io.StringIO()) == 0
    assert f.read_bytes() == b"policy p {\n  let a = 1  # c\n}\n"


def test_fmt_missing_file_exit_2(tmp_path: Path) -> None:
    err = io.StringIO()
    assert fmt_paths([str(tmp_path / "nope.rule")], check=False, out=io.StringIO(), err=err) == 2
    assert "nope.rule" in err.getvalue()


def test_cli_fmt_check(tmp_path: Path) -> None:
    root = make_tree(tmp_path)
    run = subprocess.run([sys.executable, "-m", "rulekit", "fmt", "--check", str(root)],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 1, run.stderr
    assert f"would reformat {root / 'a.rule'}" in run.stdout
    assert (root / "a.rule").read_text(encoding="utf-8") == UGLY
    run = subprocess.run([sys.executable, "-m", "rulekit", "fmt", str(root)],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (root / "a.rule").read_text(encoding="utf-8") == PRETTY
    run = subprocess.run([sys.executable, "-m", "rulekit", "fmt", "--check", str(root)],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
