"""Generators for the fuzzing suite: policies from the grammar's pieces, mutations of real policies, near-valid
records. Deterministic for a given `random.Random`; used by tests/test_fuzz.py and tools/fuzz.py."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

#: Names that are ordinary, that meet when joined with `_`, that are keywords of Python or of the language, dunder.
NAMES = ["a", "b", "a_b", "b_c", "c", "x1", "total", "class", "from", "None", "__init__", "__class__", "_x",
         "model_dump", "v" * 40, "t_else", "dump", "k", "a_b_c"]
#: Names the grammar refuses (keywords, CJK): used now and then, the parser must say so.
ODD_NAMES = ["policy", "rule", "let", "in", "名字", "when"]


def name(rnd: random.Random) -> str:
    return rnd.choice(ODD_NAMES) if rnd.random() < 0.005 else rnd.choice(NAMES)
KINDS = {"order": ["id", "ip", "total", "shipping_fee", "weight", "created_at", "paid_at", "region", "items",
                   "buyer_id", "device_id", "status"],
         "listing": ["id", "title", "description", "category", "price", "original_price", "images", "published_at"],
         "ticket": ["id", "kind", "opened_at", "first_response_at", "order_id"]}
LITERALS = ["1", "0", "-1", "99999999999999999999", "1.5", "¥10", "¥0.01", "5kg", "10m", "48h", "0s",
            '"新疆"', '""', "true", "false", "null", 're"a+"', 're"(a|aa)+$"',
            "2025-06-01T10:00:00+08:00", "now", "[]", "[1, 2]", '["a", "b"]']
#: Literals the checker must refuse with a diagnostic: used now and then.
BAD_LITERALS = ['"\\u{D800}"', "9" * 120, "99999999999d", '"a\\u{0}b"', '"\\q"', 're"(?:a{10000}){10000}"', 're"["', "2025-13-01"]
BINARY = ["+", "-", "*", "/", "and", "or", "==", "!=", "<", ">=", "in", "??", "%"]
FUNCS = ["len", "contains", "find", "matches", "round", "min", "max", "date", "join", "exists", "lower"]


def expr(rnd: random.Random, kind: str, depth: int = 0) -> str:
    """A random expression over the fields of `kind` (often ill-typed: the checker must say so, not crash)."""
    r = rnd.random()
    if depth > rnd.choice([2, 4, 8, 40]) or r < 0.25:
        if rnd.random() < 0.02:
            return rnd.choice(BAD_LITERALS)
        return rnd.choice(LITERALS + [f"{kind}.{rnd.choice(KINDS.get(kind, ['id']) + NAMES)}"] * 6 + ["this.id"])
    if r < 0.5:
        return f"({expr(rnd, kind, depth + 1)} {rnd.choice(BINARY)} {expr(rnd, kind, depth + 1)})"
    if r < 0.6:
        return f"({rnd.choice(['not ', '-', ''])}{expr(rnd, kind, depth + 1)})"
    if r < 0.75:
        args = ", ".join(expr(rnd, kind, depth + 1) for _ in range(rnd.randint(0, 3)))
        return f"{rnd.choice(FUNCS)}({args})"
    if r < 0.85:
        func = rnd.choice(["count", "sum", "distinct", "members"])
        value = kind if func in ("count", "members") else f"{kind}.{rnd.choice(KINDS.get(kind, ['id']))}"
        where = f" where {expr(rnd, kind, depth + 1)}" if rnd.random() < 0.3 else ""
        within = rnd.choice(["10m", "1h", "1d"]) if rnd.random() < 0.97 else rnd.choice(["0s", "99999999999w"])
        return f"{func}({value} by {rnd.choice(KINDS.get(kind, ['id']))} within {within}{where})"
    if r < 0.92:
        return f"(any v in ({expr(rnd, kind, depth + 1)}) satisfies {expr(rnd, kind, depth + 1)})"
    return f"(if {expr(rnd, kind, depth + 1)} then {expr(rnd, kind, depth + 1)} else {expr(rnd, kind, depth + 1)})"


TYPED = {
    "order": ["order.total > ¥{n}", "order.ip is not null and count(order by ip within 10m) >= {n}",
              "order.ip is not null and len(members(order by ip within 1h)) > {n}",
              "order.device_id is not null and distinct(order.buyer_id by device_id within 1h) >= {n}",
              'order.region in ["新疆", "西藏"]', "now - order.created_at > {n}h", 'contains(order.region, "新")',
              "order.paid_at is not null and order.paid_at - order.created_at > {n}m",
              "sum(order.total by buyer_id within 1d) > ¥{n}", "order.weight > {n}kg",
              "(any it in order.items satisfies it.quantity > {n})", "len(order.items) == {n}",
              "order.buyer_id is not null and len(members(order by buyer_id within 1d where order.total > this.total)) >= {n}",
              "round(order.total * 0.{n}, 2) > order.shipping_fee", "(order.shipping_fee ?? ¥0) > ¥{n}"],
    "listing": ["len(listing.title) > {n}", 'matches(listing.title, re"[0-9]{{{n}}}")', "listing.price < ¥{n}",
                "len(find(listing.title, W)) > 0", "len(find(listing.description, W)) > {n}",
                'contains(lower(listing.title), "best")', "listing.original_price is not null and "
                "listing.original_price <= listing.price", "len(listing.images) < {n}"],
}


def typed_condition(rnd: random.Random, kind: str, depth: int = 0) -> str:
    """A well-typed condition over `kind`, so that the policy loads and the later invariants are exercised."""
    r = rnd.random()
    if depth > 3 or r < 0.5:
        return rnd.choice(TYPED[kind]).format(n=rnd.randint(0, 9))
    if r < 0.8:
        op = rnd.choice(["and", "or"])
        return f"({typed_condition(rnd, kind, depth + 1)} {op} {typed_condition(rnd, kind, depth + 1)})"
    return f"not ({typed_condition(rnd, kind, depth + 1)})"


def typed_policy(rnd: random.Random) -> str:
    """A policy that should load: well-typed rules over orders and listings, a wordlist `W`, knobs as lets."""
    rules = []
    for i in range(rnd.randint(1, 4)):
        kind = rnd.choice(list(TYPED))
        field = rnd.choice(["id", "shop_id"])
        action = (f'\n    action hold(ids: members({kind} by shop_id within 1h).id)' if rnd.random() < 0.3 else
                  f'\n    action note(id: {kind}.id, n: {rnd.randint(0, 9)})' if rnd.random() < 0.3 else "")
        rules.append(f"  rule r{i} on {kind} {{\n    severity {rnd.choice(['error', 'warning', 'info'])}\n"
                     f"    when {typed_condition(rnd, kind)}\n"
                     f'    message "{kind} {{{kind}.{field}}} {rnd.choice(["最好", "x", "{len(" + kind + ".id)}"])}"'
                     f"{action}\n  }}")
    words = ", ".join(json.dumps(w, ensure_ascii=False) for w in rnd.sample(["最好", "第一", "best", "V信", "国家级"], 3))
    return (f"policy {rnd.choice(NAMES)} {{\n  let knob = {rnd.randint(0, 9)}\n  wordlist W {{\n    words {words}\n"
            f"    match {rnd.choice(['exact', 'normalized', 'evasive'])}\n  }}\n" + "\n".join(rules) + "\n}\n")


def policy(rnd: random.Random) -> str:
    """A random policy file: records with odd fields, lets, tables, wordlists, rules and tests."""
    out = []
    if rnd.random() < 0.3:
        kind = rnd.choice([*KINDS, "match", "mine"])
        fields = "\n".join(f"  {name(rnd)}: {rnd.choice(['string?', 'int?', 'money?', 'mine?', 'list<x>'])}"
                           for _ in range(rnd.randint(1, 3)))
        out.append(f"record {kind} {{\n{fields}\n}}\n")
    for p in range(rnd.randint(1, 3)):
        pname = name(rnd)
        body = []
        for _ in range(rnd.randint(0, 3)):
            body.append(f"  let {name(rnd)} = {expr(rnd, rnd.choice(list(KINDS)))}")
        if rnd.random() < 0.4:
            t = name(rnd) + "_t"
            body.append(f"  table {t}(k: string) -> string {{\n    \"x\" => \"y\"\n    else => \"z\"\n  }}")
        if rnd.random() < 0.4:
            words = ", ".join(json.dumps(rnd.choice(["最好", "a" * rnd.choice([1, 300]), "", " ", "国-家"]), ensure_ascii=False)
                              for _ in range(rnd.randint(1, 3)))
            src = rnd.choice(['', '    source "../../etc/passwd"\n', '    source "w.txt"\n'])
            body.append(f"  wordlist {name(rnd)}_w {{\n{src}    words {words}\n"
                        f"    match {rnd.choice(['exact', 'normalized', 'evasive', 'fuzzy'])}\n  }}")
        for _ in range(rnd.randint(1, 3)):
            kind = rnd.choice(list(KINDS))
            msg = rnd.choice(["x", "{" + kind + "." + rnd.choice(KINDS[kind]) + "}", "{" * (rnd.random() < 0.05),
                              "{" + kind + ".id}", "{len(" + kind + ".id)}"])
            body.append(f"  rule {name(rnd)} on {kind} {{\n    severity {rnd.choice(['error', 'info'])}\n"
                        f"    when {expr(rnd, kind)}\n    message {json.dumps(msg, ensure_ascii=False)}\n  }}")
        out.append(f"policy {pname}{p or ''} {{\n" + "\n".join(body) + "\n}\n")
    if rnd.random() < 0.2:
        out.append('test "t" {\n  at 2025-06-01T12:00:00+08:00\n  given order {"id": "o", "total": '
                   + rnd.choice(["1", "9" * 5000, "1E+999999", '"x"']) + '}\n  expect decision allow\n}\n')
    return "\n".join(out)


def seeds() -> list[str]:
    """Real policy texts to mutate: the bundled policies and the conformance cases' policies."""
    files = sorted((REPO / "policies").glob("*.rule")) + sorted((SHARED / "conformance").glob("cases/*/*.rule"))
    return [f.read_text(encoding="utf-8") for f in files]


TOKENS = ["{", "}", "(", ")", "[", "]", '"', "\\", "#", "when", "rule", "policy", "let", "=", "==", ">", "..",
          "¥", "￥", "，", "“", "”", "（", "）", "：", "\n", "\t", "\u0000", "\ud800", "9" * 50, "re\"", "{{", "}}"]


def mutate(rnd: random.Random, text: str) -> str:
    """A real policy with a few random edits: spans deleted, duplicated or swapped, tokens inserted."""
    chars = list(text)
    for _ in range(rnd.randint(1, 4)):
        if not chars:
            break
        i = rnd.randrange(len(chars))
        j = min(len(chars), i + rnd.randint(1, 40))
        op = rnd.random()
        if op < 0.3:
            del chars[i:j]
        elif op < 0.5:
            chars[i:i] = chars[i:j] * rnd.randint(1, 3)
        elif op < 0.9:
            chars[i:i] = list(rnd.choice(TOKENS))
        else:
            k = rnd.randrange(len(chars))
            chars[i], chars[k] = chars[k], chars[i]
    return "".join(chars)


ODD_VALUES: list[Any] = [None, True, "", " ", "x" * 300, "\u0000", "最好的", [], {}, [[[[1]]]], 0, -1, 1.5,
                         "2025-06-01T10:00:00+08:00", "2025-06-01", "2025-13-45T99:00:00", "1.999", "¥5", "NaN"]
RAW_NUMBERS = ["9" * 5000, "-1E+5000", "1E+1000000", "1e-999999", "123456789012345678901234567890"]


def record_lines(rnd: random.Random, templates: list[dict[str, Any]], n: int) -> list[str]:
    """`n` JSON lines near the templates: fields changed to odd values, removed, added; some lines broken."""
    out = []
    for i in range(n):
        rec = dict(rnd.choice(templates))
        rec["id"] = f"R{i}"
        for _ in range(rnd.randint(0, 3)):
            key = rnd.choice(list(rec) + ["extra", "$kind", "kind"])
            op = rnd.random()
            if op < 0.2:
                rec.pop(key, None)
            else:
                rec[key] = rnd.choice(ODD_VALUES)
        line = json.dumps(rec, ensure_ascii=rnd.random() < 0.5)
        r = rnd.random()
        if r < 0.08:
            line = line.replace('"id": "', '"id": "\\ud800', 1)
        elif r < 0.16:
            key = rnd.choice(list(rec))
            line = line.replace(f'"{key}": ', f'"{key}": {rnd.choice(RAW_NUMBERS)}, "_was": ', 1)
        elif r < 0.22:
            line = line[: rnd.randrange(max(len(line), 1))]
        elif r < 0.25:
            line = "[" * 3000 + "]" * 3000
        out.append(line)
    return out


def templates() -> list[dict[str, Any]]:
    """One real record of each kind, from examples/."""
    out = []
    for f in sorted((REPO / "examples").glob("*.jsonl")):
        line = f.read_text(encoding="utf-8").splitlines()[0]
        out.append(json.loads(line))
    return out


# --- the invariants ------------------------------------------------------------------------------------------------

NOW = "2025-06-10T12:00:00+08:00"


def check_policy(text: str, workdir: Path, must_load: bool = False) -> str | None:
    """None when `text` behaves: loading raises only PolicyError; a loaded policy formats to a fixed point and
    evaluates the example records without raising. Else what went wrong (a traceback's last line)."""
    import traceback

    import rulekit
    from rulekit import values
    from rulekit.diagnostics import PolicyError
    from rulekit.syntax.formatter import format_text

    (workdir / "w.txt").write_text("最好\t极限用语\t\n", encoding="utf-8")
    path = workdir / "p.rule"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        try:
            engine = rulekit.load(path)
        except PolicyError as e:
            return f"a well-typed policy does not load: {e.diagnostics[0].message}" if must_load else None
        once, _ = format_text(text, "p.rule")
        if once is None:
            return "the formatter fails on a policy that loads"
        twice, _ = format_text(once, "p.rule")
        if twice != once:
            return "formatting is not a fixed point"
        stream = engine.stream(now=values.parse_datetime(NOW))
        for rec in templates() * 2:
            stream.push(rec)
    except Exception as e:  # noqa: BLE001 - the point: report anything that is not PolicyError
        if type(e).__name__ == "_Hang":  # tools/fuzz.py's alarm: let it count the hang
            raise
        return f"{type(e).__name__}: {e}"[:300] + "\n" + "".join(traceback.format_exc(limit=-3))[-800:]
    return None


def as_csv(lines: list[str]) -> str:
    """The records of JSON lines as one CSV file (the union of their keys as columns; lines that are not objects
    become rows of their raw text in the first column)."""
    import csv
    import io

    rows: list[dict[str, Any]] = []
    for line in lines:
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            value = {"id": line[:50]}
        rows.append(value if isinstance(value, dict) else {"id": line[:50]})
    columns = sorted({k for r in rows for k in r})
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    for r in rows:
        w.writerow(["" if r.get(c) is None else json.dumps(r[c], ensure_ascii=False) if isinstance(r.get(c), (list, dict))
                    else str(r[c]) for c in columns])
    return buf.getvalue()


def check_records(lines: list[str], workdir: Path, fmt: str = "jsonl") -> str | None:
    """None when `rulekit lint` reads the records of these lines as `fmt` (jsonl, json: an array, csv) and gives
    valid UTF-8 JSON reports: one per record for JSON lines, at least one for the others (a JSON document that
    does not decode is one invalid record); else what failed."""
    import contextlib
    import io

    from rulekit.cli import main

    src = workdir / f"in.{fmt}"
    out = workdir / "out.jsonl"
    text = {"jsonl": lambda: "\n".join(lines) + "\n", "json": lambda: "[\n" + ",\n".join(lines) + "\n]\n",
            "csv": lambda: as_csv(lines)}[fmt]()
    src.write_text(text, encoding="utf-8", errors="surrogatepass")
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            code = main(["lint", "--isolated", "--now", NOW, "--format", "jsonl", "-o", str(out), str(src)])
    except Exception as e:  # noqa: BLE001
        return f"lint raised {type(e).__name__}: {e}"[:300]
    if code not in (0, 1):
        return f"lint exit {code}: {err.getvalue()[-300:]}"
    expected = sum(1 for line in lines if line.strip(" \t\r"))
    try:
        got = [json.loads(line) for line in out.read_bytes().decode("utf-8").splitlines()]
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return f"the output is not UTF-8 JSON lines: {e}"
    if fmt == "jsonl" and len(got) != expected:
        return f"{len(got)} reports for {expected} records"
    if not got and expected:
        return f"no report for {expected} records ({fmt})"
    return None
