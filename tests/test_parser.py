"""Tests of the parser: every syntax form of LANGUAGE.md, and E001 syntax errors in words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from rulekit.diagnostics import Diagnostic, render
from rulekit.syntax import nodes as n
from rulekit.syntax.parser import parse, parse_expr

CST = timezone(timedelta(hours=8))


def ok(src: str) -> n.SourceFile:
    sf, diags = parse(src, "t.rule")
    assert diags == [], [render(d, {"t.rule": src}) for d in diags]
    assert sf is not None
    return sf


def error(src: str) -> Diagnostic:
    sf, diags = parse(src, "t.rule")
    assert sf is None, sf
    assert len(diags) == 1
    assert diags[0].code == "E001"
    return diags[0]


def members(src: str) -> tuple[n.PolicyMember, ...]:
    item = ok("policy p {\n" + src + "\n}\n").items[0]
    assert isinstance(item, n.Policy)
    return item.members


def rule_clauses(src: str) -> tuple[n.RuleClause, ...]:
    m = members("rule r on order {\n" + src + "\n}")[0]
    assert isinstance(m, n.Rule)
    return m.clauses


def lit(src: str) -> n.Literal:
    e = parse_expr(src)
    assert isinstance(e, n.Literal), e
    return e


def N(name: str) -> n.Name:
    return n.Name(name)


def L(kind: str, value: object, text: str) -> n.Literal:
    return n.Literal(kind, value, text)


def B(op: str, left: n.Expr, right: n.Expr) -> n.Binary:
    return n.Binary(op, left, right)


# ---- literals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("42", "int", 42),
        ("3.14", "decimal", Decimal("3.14")),
        ("3%", "percent", Decimal("0.03")),
        ("12.5%", "percent", Decimal("0.125")),
        ("¥99", "money", Decimal("99")),
        ("¥0.5", "money", Decimal("0.5")),
        ("¥1299.00", "money", Decimal("1299.00")),
        ("30s", "duration", timedelta(seconds=30)),
        ("10m", "duration", timedelta(minutes=10)),
        ("48h", "duration", timedelta(hours=48)),
        ("7d", "duration", timedelta(days=7)),
        ("2w", "duration", timedelta(weeks=2)),
        ("1h30m", "duration", timedelta(seconds=5400)),
        ("1d2h3m4s", "duration", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("500g", "weight", Decimal("0.5")),
        ("1.5kg", "weight", Decimal("1.5")),
        ("2025-06-01", "date", date(2025, 6, 1)),
        ("2025-06-01T10:00:00+08:00", "datetime", datetime(2025, 6, 1, 10, tzinfo=CST)),
        ("2025-06-01T10:00:00", "datetime", datetime(2025, 6, 1, 10, tzinfo=CST)),
        ("2025-06-01T10:00", "datetime", datetime(2025, 6, 1, 10, tzinfo=CST)),
        ("2025-06-01T02:00:00Z", "datetime", datetime(2025, 6, 1, 2, tzinfo=UTC)),
        ("2025-06-01T10:00:00-05:00", "datetime", datetime(2025, 6, 1, 10, tzinfo=timezone(timedelta(hours=-5)))),
        ("true", "bool", True),
        ("false", "bool", False),
        ("null", "null", None),
    ],
)
def test_literal(text: str, kind: str, value: object) -> None:
    e = lit(text)
    assert (e.kind, e.value, e.text) == (kind, value, text)
    assert type(e.value) is type(value)


def test_datetime_without_offset_is_platform_time() -> None:
    assert lit("2025-06-01T10:00:00").value == lit("2025-06-01T02:00:00Z").value
    assert lit("2025-06-01T10:00:00").value.utcoffset() == timedelta(hours=8)


def test_string_escapes() -> None:
    e = lit(r'"a\"b\\c\nd\te\u{4E2D}\u{1F600}中"')
    assert e.kind == "string"
    assert e.value == 'a"b\\c\nd\te中\U0001F600中'
    assert e.text == r'"a\"b\\c\nd\te\u{4E2D}\u{1F600}中"'


def test_regex_only_quote_is_an_escape() -> None:
    e = lit(r're"(?i)free\s+shipping\d\\ \"x\""')
    assert e.kind == "regex"
    assert e.value == r'(?i)free\s+shipping\d\\ "x"'


def test_percent_versus_modulo() -> None:
    assert parse_expr("3%") == L("percent", Decimal("0.03"), "3%")
    assert parse_expr("a % 3") == B("%", N("a"), L("int", 3, "3"))
    assert parse_expr("a\n% 3") == B("%", N("a"), L("int", 3, "3"))
    assert parse_expr("a * 3%") == B("*", N("a"), L("percent", Decimal("0.03"), "3%"))
    assert parse_expr("3% % 2") == B("%", L("percent", Decimal("0.03"), "3%"), L("int", 2, "2"))


def test_list_literal() -> None:
    assert parse_expr('["新疆", "西藏"]') == n.ListExpr((L("string", "新疆", '"新疆"'), L("string", "西藏", '"西藏"')))
    assert parse_expr("[]") == n.ListExpr(())


# ---- templates ------------------------------------------------------------------------------


def message(src: str) -> n.Template:
    clauses = rule_clauses(f"when true\nmessage {src}")
    m = clauses[1]
    assert isinstance(m, n.Message)
    return m.template


def test_template_interpolation_and_braces() -> None:
    t = message('"{order.region} 不包邮 {{x}} {n + 1}"')
    assert t.parts == (n.Attr(N("order"), "region"), " 不包邮 {x} ", B("+", N("n"), L("int", 1, "1")))
    assert t.text == '"{order.region} 不包邮 {{x}} {n + 1}"'


def test_template_escapes_never_open_an_interpolation() -> None:
    t = message(r'"\u{7B}x\u{7D} \"q\" {{ }} \u{4E2D}"')
    assert t.parts == ('{x} "q" { } 中',)


def test_template_plain() -> None:
    assert message('"高价"').parts == ("高价",)
    assert message('""').parts == ()


def test_action_string_arguments_are_templates() -> None:
    (action,) = rule_clauses('action notify(text: "订单 {order.id}", n: 2, s: "a" + "b")')
    assert isinstance(action, n.Action)
    text, num, concat = action.args
    assert text == n.NamedArg("text", n.Template(("订单 ", n.Attr(N("order"), "id")), '"订单 {order.id}"'))
    assert num.expr == L("int", 2, "2")
    assert concat.expr == B("+", L("string", "a", '"a"'), L("string", "b", '"b"'))


# ---- declarations -------------------------------------------------------------------------


def test_policy_header_version_and_effective() -> None:
    sf = ok('policy freight "运费模板" {\n  version "2025.05"\n  effective 2025-05-01 .. 2026-01-01\n}\n')
    (p,) = sf.items
    assert isinstance(p, n.Policy)
    assert p.name == "freight"
    assert p.title is not None and p.title.value == "运费模板"
    version, eff = p.members
    assert version == n.Version("2025.05", '"2025.05"')
    assert isinstance(eff, n.Effective)
    assert eff.start is not None and eff.start.value == date(2025, 5, 1)
    assert eff.end is not None and eff.end.value == date(2026, 1, 1)
    assert ok("policy p {}").items == (n.Policy("p", None, ()),)


@pytest.mark.parametrize(
    ("src", "start", "end"),
    [
        ("effective 2025-06-01 ..", date(2025, 6, 1), None),
        ("effective .. 2026-01-01", None, date(2026, 1, 1)),
        ("effective 2025-06-01T10:00:00 .. 2025-07-01T00:00:00Z",
         datetime(2025, 6, 1, 10, tzinfo=CST), datetime(2025, 7, 1, tzinfo=UTC)),
        ("effective ..", None, None),
    ],
)
def test_effective_with_either_end_omitted(src: str, start: object, end: object) -> None:
    (eff,) = members(src)
    assert isinstance(eff, n.Effective)
    assert (eff.start.value if eff.start else None) == start
    assert (eff.end.value if eff.end else None) == end


def test_record_with_time_and_types() -> None:
    sf = ok("""record refund time requested_at {
      id: string
      amount: money
      tags: list<string>?
      nested: list<list<item>>
      buyer: buyer_info?
      requested_at: datetime
    }
    record order {
      coupon_code: string?
    }""")
    refund, order = sf.items
    assert isinstance(refund, n.RecordDecl) and isinstance(order, n.RecordDecl)
    assert refund.name == "refund" and refund.time_field == "requested_at"
    assert [(f.name, f.type) for f in refund.fields] == [
        ("id", n.TypeRef("string", None, False)),
        ("amount", n.TypeRef("money", None, False)),
        ("tags", n.TypeRef("list", n.TypeRef("string", None, False), True)),
        ("nested", n.TypeRef("list", n.TypeRef("list", n.TypeRef("item", None, False), False), False)),
        ("buyer", n.TypeRef("buyer_info", None, True)),
        ("requested_at", n.TypeRef("datetime", None, False)),
    ]
    assert order.time_field is None
    assert order.fields == (n.FieldDecl("coupon_code", n.TypeRef("string", None, True)),)


def test_policy_let() -> None:
    assert members("let fee_floor = ¥5\nlet r = [\"a\"]") == (
        n.Let("fee_floor", L("money", Decimal(5), "¥5")),
        n.Let("r", n.ListExpr((L("string", "a", '"a"'),))),
    )


def test_wordlist_clauses() -> None:
    (wl,) = members("""wordlist ad_extreme {
      source "wordlists/ad_law.txt"
      words "国家级", "最便宜", "第一"
      allow "第一次", "第一步"
      words "x"
      match evasive
    }""")
    assert isinstance(wl, n.Wordlist)
    assert wl.name == "ad_extreme"
    assert [c.kind for c in wl.clauses] == ["source", "words", "allow", "words", "match"]
    assert [v.value for v in wl.values("words")] == ["国家级", "最便宜", "第一", "x"]
    assert [v.value for v in wl.values("allow")] == ["第一次", "第一步"]
    assert [v.value for v in wl.values("source")] == ["wordlists/ad_law.txt"]
    assert [v.value for v in wl.values("match")] == ["evasive"]


def test_table_single_keys_tuple_result_and_else() -> None:
    (t,) = members("""table freight_tier(region: string) -> (first_kg: money, extra_kg: money, free_over: money?) {
      "新疆", "西藏"          => (¥20, ¥10, null)
      "青海"                  => (¥12, ¥5, ¥199)
      else                   => (¥8, ¥2, ¥99)
    }""")
    assert isinstance(t, n.Table)
    assert t.params == (n.FieldDecl("region", n.TypeRef("string", None, False)),)
    assert [f.name for f in t.results] == ["first_kg", "extra_kg", "free_over"]
    assert t.results[2].type.optional
    assert not t.single
    first, second, fallback = t.rows
    assert first.keys == ((L("string", "新疆", '"新疆"'),), (L("string", "西藏", '"西藏"'),))
    assert first.values == (L("money", Decimal(20), "¥20"), L("money", Decimal(10), "¥10"), L("null", None, "null"))
    assert second.keys == ((L("string", "青海", '"青海"'),),)
    assert fallback.keys is None
    assert len(fallback.values) == 3


def test_table_tuple_keys_and_single_result() -> None:
    (t,) = members("""table fee(region: string, category: string) -> money {
      ("新疆", "food"), ("西藏", "food") => ¥1
      ("青海", "toys") => (¥2)
    }""")
    assert isinstance(t, n.Table)
    assert t.single
    assert t.results == (n.FieldDecl("value", n.TypeRef("money", None, False)),)
    assert t.rows[0].keys == (
        (L("string", "新疆", '"新疆"'), L("string", "food", '"food"')),
        (L("string", "西藏", '"西藏"'), L("string", "food", '"food"')),
    )
    assert t.rows[1].keys == ((L("string", "青海", '"青海"'), L("string", "toys", '"toys"')),)
    assert t.rows[1].values == (L("money", Decimal(2), "¥2"),)


def test_table_row_value_followed_by_a_parenthesized_key() -> None:
    # rows are not separated by a token: `x` then `(1)` reads as the call `x(1)`
    assert error("policy p { table t(a: int) -> int {\n  0 => x\n  (1) => 2\n} }").span.line == 3
    (t,) = members("table t(a: int) -> int {\n  0 => (x)\n  (1) => 2\n}")
    assert isinstance(t, n.Table)
    assert [r.values for r in t.rows] == [(N("x"),), (L("int", 2, "2"),)]


def test_rule_with_every_clause() -> None:
    (r,) = members("""rule remote_free_shipping "偏远地区不包邮" on order {
      severity error
      let tier = freight_tier(order.region)
      when order.claims_free_shipping and tier.free_over is null
      unless order.total >= ¥500
      unless this.vip
      message "{order.region} 不包邮"
      action set_shipping_fee(amount: tier.first_kg)
      action hold_order
      action notify()
      evidence find(order.title, ad_extreme)
    }""")
    assert isinstance(r, n.Rule)
    assert (r.name, r.subject) == ("remote_free_shipping", "order")
    assert r.title is not None and r.title.value == "偏远地区不包邮"
    kinds = [type(c).__name__ for c in r.clauses]
    assert kinds == ["Severity", "Let", "When", "Unless", "Unless", "Message", "Action", "Action", "Action",
                     "EvidenceClause"]
    assert r.of(n.Severity) == [n.Severity("error")]
    assert r.of(n.Let) == [n.Let("tier", n.Call("freight_tier", (n.Attr(N("order"), "region"),)))]
    (when,) = r.of(n.When)
    assert when.expr == B("and", n.Attr(N("order"), "claims_free_shipping"),
                          n.IsNull(n.Attr(N("tier"), "free_over"), False, False))
    assert r.of(n.Unless)[1].expr == n.Attr(n.This(), "vip")
    a1, a2, a3 = r.of(n.Action)
    assert a1 == n.Action("set_shipping_fee", (n.NamedArg("amount", n.Attr(N("tier"), "first_kg")),), True)
    assert a2 == n.Action("hold_order", (), False)
    assert a3 == n.Action("notify", (), True)
    (ev,) = r.of(n.EvidenceClause)
    assert ev.expr == n.Call("find", (n.Attr(N("order"), "title"), N("ad_extreme")))


def test_rule_without_title_and_lets_in_any_order() -> None:
    (r,) = members('rule r on listing {\n when a\n let a = 1\n message "m"\n let b = a\n}')
    assert isinstance(r, n.Rule)
    assert r.title is None
    assert [type(c).__name__ for c in r.clauses] == ["When", "Let", "Message", "Let"]


def test_contextual_keywords_are_names_elsewhere() -> None:
    ms = members("""let words = 1
    let version = words + 1
    let match = source
    table t(time: string) -> int {
      "a" => version
      effective => 2
      allow, error => 3
    }
    rule r on order {
      let time = 1
      action f(words: time, source: no)
    }""")
    assert ms[0] == n.Let("words", L("int", 1, "1"))
    assert ms[2] == n.Let("match", N("source"))
    table = ms[3]
    assert isinstance(table, n.Table)
    assert table.rows[1].keys == ((N("effective"),),)
    assert table.rows[2].keys == ((N("allow"),), (N("error"),))
    rule = ms[4]
    assert isinstance(rule, n.Rule)
    assert rule.of(n.Action)[0].args == (n.NamedArg("words", N("time")), n.NamedArg("source", N("no")))
    sf = ok("record r time time {\n  time: datetime\n  version: string\n}")
    rec = sf.items[0]
    assert isinstance(rec, n.RecordDecl)
    assert rec.time_field == "time" and [f.name for f in rec.fields] == ["time", "version"]


# ---- expressions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "tree"),
    [
        ("a or b and c", B("or", N("a"), B("and", N("b"), N("c")))),
        ("a and b or c", B("or", B("and", N("a"), N("b")), N("c"))),
        ("a or b or c", B("or", B("or", N("a"), N("b")), N("c"))),
        ("not a and b", B("and", n.Unary("not", N("a")), N("b"))),
        ("not a == b", n.Unary("not", B("==", N("a"), N("b")))),
        ("not not a", n.Unary("not", n.Unary("not", N("a")))),
        ("a == b + c * d", B("==", N("a"), B("+", N("b"), B("*", N("c"), N("d"))))),
        ("a - b - c", B("-", B("-", N("a"), N("b")), N("c"))),
        ("a / b * c % d", B("%", B("*", B("/", N("a"), N("b")), N("c")), N("d"))),
        ("a ?? b + c", B("??", N("a"), B("+", N("b"), N("c")))),
        ("a ?? b ?? c", B("??", B("??", N("a"), N("b")), N("c"))),
        ("a ?? b == c", B("==", B("??", N("a"), N("b")), N("c"))),
        ("a ?? b is null", n.IsNull(B("??", N("a"), N("b")), False, False)),
        ("x is not null", n.IsNull(N("x"), True, False)),
        ("x is missing", n.IsNull(N("x"), False, True)),
        ("x is not missing", n.IsNull(N("x"), True, True)),
        ("a in [1]", B("in", N("a"), n.ListExpr((L("int", 1, "1"),)))),
        ("a not in b", B("not in", N("a"), N("b"))),
        ("not a in b", n.Unary("not", B("in", N("a"), N("b")))),
        ("-a.b", n.Unary("-", n.Attr(N("a"), "b"))),
        ("-a * b", B("*", n.Unary("-", N("a")), N("b"))),
        ("a - -b", B("-", N("a"), n.Unary("-", N("b")))),
        ("--a", n.Unary("-", n.Unary("-", N("a")))),
        ("(a + b) * c", B("*", B("+", N("a"), N("b")), N("c"))),
        ("a.b.c", n.Attr(n.Attr(N("a"), "b"), "c")),
        ("a[0].b", n.Attr(n.Index(N("a"), L("int", 0, "0")), "b")),
        ("f(a)[1]", n.Index(n.Call("f", (N("a"),)), L("int", 1, "1"))),
        ("f()", n.Call("f", ())),
        ("max(a, b, c)", n.Call("max", (N("a"), N("b"), N("c")))),
        ("this.total", n.Attr(n.This(), "total")),
        ("hits.word", n.Attr(N("hits"), "word")),
        ("if a then b else c or d", n.If(N("a"), N("b"), B("or", N("c"), N("d")))),
        ("if a then b else if c then d else e", n.If(N("a"), N("b"), n.If(N("c"), N("d"), N("e")))),
        ("any item in order.items satisfies item.price <= ¥0",
         n.Quantifier("any", "item", n.Attr(N("order"), "items"),
                      B("<=", n.Attr(N("item"), "price"), L("money", Decimal(0), "¥0")))),
        ("all x in xs satisfies p and q", n.Quantifier("all", "x", N("xs"), B("and", N("p"), N("q")))),
        ("a and any x in xs satisfies p or q",
         B("and", N("a"), n.Quantifier("any", "x", N("xs"), B("or", N("p"), N("q"))))),
        ("(any x in xs satisfies p) or q", B("or", n.Quantifier("any", "x", N("xs"), N("p")), N("q"))),
        ("not all x in xs satisfies p", n.Unary("not", n.Quantifier("all", "x", N("xs"), N("p")))),
        ("any x in a ?? b satisfies p", n.Quantifier("any", "x", B("??", N("a"), N("b")), N("p"))),
    ],
)
def test_expression_precedence(src: str, tree: n.Expr) -> None:
    assert parse_expr(src) == tree


@pytest.mark.parametrize(
    ("src", "window"),
    [
        ("count(order by ip within 10m)",
         n.Window("count", N("order"), ("ip",), L("duration", timedelta(minutes=10), "10m"), None)),
        ("count(order by ip, shop_id within 1h where order.total < ¥10)",
         n.Window("count", N("order"), ("ip", "shop_id"), L("duration", timedelta(hours=1), "1h"),
                  B("<", n.Attr(N("order"), "total"), L("money", Decimal(10), "¥10")))),
        ("distinct(order.buyer_id by ip within 1h)",
         n.Window("distinct", n.Attr(N("order"), "buyer_id"), ("ip",), L("duration", timedelta(hours=1), "1h"), None)),
        ("sum(order.total by buyer_id within 1d where order.total > this.total)",
         n.Window("sum", n.Attr(N("order"), "total"), ("buyer_id",), L("duration", timedelta(days=1), "1d"),
                  B(">", n.Attr(N("order"), "total"), n.Attr(n.This(), "total")))),
    ],
)
def test_windows(src: str, window: n.Window) -> None:
    assert parse_expr(src) == window
    assert parse_expr(f"{src} >= 3") == B(">=", window, L("int", 3, "3"))


def test_spans_point_at_the_source() -> None:
    sf = ok("policy p {\n  rule r on order {\n    when order.total > ¥5\n  }\n}\n")
    rule = sf.items[0].members[0]  # type: ignore[union-attr]
    when = rule.clauses[0]
    assert (when.span.line, when.span.col, when.span.end_line, when.span.end_col) == (3, 5, 3, 26)
    assert (when.expr.right.span.line, when.expr.right.span.col) == (3, 24)


# ---- tests inside policy files ---------------------------------------------------------------


def test_test_block_with_every_clause() -> None:
    sf = ok("""test "remote free shipping is flagged" {
      at 2025-06-01T12:00:00+08:00
      given order {"id": "o1", "region": "新疆", "items": [{"sku": "K1", "quantity": 1, "price": 50}],
                   "total": 50.5, "big": 1e3, "neg": -2, "ok": true, "no": false, "paid_at": null}
      given order [
        {"id": "o1"},
        {"id": "o2"}
      ]
      expect violation freight.remote_free_shipping
      expect no violation sla.ship_48h
      expect decision block
      expect action set_shipping_fee
      expect no action hold_order
      expect error sla.ship_48h
      expect no error
    }""")
    (t,) = sf.items
    assert isinstance(t, n.TestBlock)
    assert t.name == "remote free shipping is flagged"
    assert t.name_text == '"remote free shipping is flagged"'
    at, one, stream, *expects = t.clauses
    assert isinstance(at, n.At) and at.moment.value == datetime(2025, 6, 1, 12, tzinfo=CST)
    assert one == n.Given("order", {
        "id": "o1", "region": "新疆", "items": [{"sku": "K1", "quantity": 1, "price": 50}],
        "total": Decimal("50.5"), "big": Decimal("1e3"), "neg": -2, "ok": True, "no": False, "paid_at": None,
    }, False)
    assert isinstance(one, n.Given)
    assert type(one.value["total"]) is Decimal and type(one.value["neg"]) is int
    assert stream == n.Given("order", [{"id": "o1"}, {"id": "o2"}], True)
    assert expects == [
        n.Expect("violation", False, "freight.remote_free_shipping"),
        n.Expect("violation", True, "sla.ship_48h"),
        n.Expect("decision", False, "block"),
        n.Expect("action", False, "set_shipping_fee"),
        n.Expect("action", True, "hold_order"),
        n.Expect("error", False, "sla.ship_48h"),
        n.Expect("error", True, None),
    ]


def test_given_stream_keeps_each_element_span() -> None:
    sf = ok('test "t" {\n  given order [\n    {"a": 1},\n    {"b": 2}\n  ]\n}')
    given = sf.items[0].clauses[0]  # type: ignore[union-attr]
    assert [s.line for s in given.item_spans] == [3, 4]


# ---- comments ---------------------------------------------------------------------------------


def test_comments_are_kept_with_their_position() -> None:
    sf = ok('# head\npolicy p { # trailing\n  # own\n  let a = "#not a comment"  # t2\n}\n')
    assert [(c.text, c.line, c.own_line) for c in sf.comments] == [
        ("# head", 1, True), ("# trailing", 2, False), ("# own", 3, True), ("# t2", 4, False),
    ]


def test_a_hash_inside_an_interpolation_is_not_a_file_comment() -> None:
    sf = ok('policy p { rule r on order { message "{x # y}" } }')
    assert sf.comments == ()


def test_bom_is_ignored() -> None:
    assert ok("\ufeffpolicy p {}").items == (n.Policy("p", None, ()),)


# ---- syntax errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "line", "col", "words"),
    [
        ("policy p {\n  rule r on order {\n    when order.total >> ¥5\n    message \"x\"\n  }\n}\n",
         3, 23, "expected an expression after `>`"),
        ("policy p {\n  let price = ¥1,299.00\n}\n", 2, 15, "no thousands separators"),
        ("policy p {\n  let a = b%c\n}\n", 2, 12, "modulo operator needs a space"),
        ("policy p {\n  rule r on order {\n    when true\n    message \"a } b\"\n  }\n}\n", 4, 16, "lone `}`"),
        ("policy p {\n  rule r on order {\n    when true\n    message \"a {x\"\n  }\n}\n", 4, 16, "never closed"),
        ("policy p {\n  rule r on order {\n    when true\n    message \"a {} b\"\n  }\n}\n", 4, 16,
         "empty interpolation"),
        ("policy p {\n  rule r on order {\n    when true\n    message \"a {order.} b\"\n  }\n}\n", 4, 23,
         "in an interpolation"),
        ("policy p {\n  table t(a: int) -> int {\n    else => 1\n    2 => 3\n  }\n}\n", 3, 5,
         "`else` must be the last row"),
        ("policy p {\n  let in = 1\n}\n", 2, 7, "`in` is a reserved word"),
        ("policy p {\n  rule this on order {}\n}\n", 2, 8, "`this` is a reserved word"),
        ("record r {\n  when: string\n}\n", 2, 3, "`when` is a reserved word"),
        ("policy p {\n  rule r on order {\n    when true\n", 4, 1, "the end of the file"),
        ("policy p {\n  let a = (1 + 2\n}\n", 3, 1, "expected `)`"),
        ("policy p {\n  let a = 1 < 2 < 3\n}\n", 2, 17, "cannot be chained"),
        ("policy p {\n  let a = 'x'\n}\n", 2, 11, "double quotes"),
        ("policy p {\n  let a = \"\\q\"\n}\n", 2, 12, "unknown escape"),
        ("policy p {\n  let a = \"\\u{110000}\"\n}\n", 2, 12, "invalid escape"),
        ("policy p {\n  rule r on order {\n    severity fatal\n  }\n}\n", 3, 14, "unknown severity"),
        ("policy p {\n  when x\n}\n", 2, 3, "expected a policy member"),
        ("policy p {\n  rule r on order {\n    version \"1\"\n  }\n}\n", 3, 5, "expected a rule clause"),
        ("policy p {\n  let a = 1 2\n}\n", 2, 13, "expected a policy member"),
        ("rule r on order {}\n", 1, 1, "expected `policy`, `record` or `test`"),
        ("policy p {\n  let a 1\n}\n", 2, 9, "expected `=`"),
        ("policy p {\n  let a = x.f(1)\n}\n", 2, 14, "found `(`"),
        ("policy p {\n  let a = 2025-13-01\n}\n", 2, 11, "invalid date"),
        ("test \"t\" {\n  expect no decision block\n}\n", 2, 3, "`expect no decision` has no meaning"),
        ("test \"t\" {\n  expect violation\n}\n", 2, 3, "needs a target"),
        ("test \"t\" {\n  expect foo\n}\n", 2, 10, "`violation`, `decision`, `action` or `error`"),
        ("test \"t\" {\n  given order {\"a\": 1,}\n}\n", 2, 23, "found `}`"),
    ],
)
def test_syntax_errors(src: str, line: int, col: int, words: str) -> None:
    d = error(src)
    assert (d.span.line, d.span.col) == (line, col), d
    assert words in d.message, d.message
    shown = render(d, {"t.rule": src})
    assert shown.startswith(f"t.rule:{line}:{col}: E001 ")
    assert "^" in shown


def test_syntax_error_help() -> None:
    assert "¥1299.00" in (error("policy p {\n  let a = ¥1,299.00\n}").help or "")
    assert "a % b" in (error("policy p {\n  let a = b%c\n}").help or "")
    assert "}}" in (error('policy p { rule r on order { message "}" } }').help or "")
    assert "a % b" in (error("policy p {\n  let a = 3%c\n}").help or "")


def test_parse_expr_raises_on_bad_input() -> None:
    with pytest.raises(Exception):  # noqa: B017 - Lark's own error type
        parse_expr("a +")
