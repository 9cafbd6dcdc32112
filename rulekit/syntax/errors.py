"""Words syntax errors: turns Lark's parse exceptions into E001 diagnostics that say what was expected."""

from __future__ import annotations

import re

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from rulekit.diagnostics import Diagnostic, Span

#: Reserved words (LANGUAGE §1); they can never be names.
KEYWORDS = frozenset(
    "policy record rule on let wordlist table when unless severity message action evidence "
    "test given expect at and or not in is null missing if then else any all each satisfies by "
    "within where true false this".split()
)

_EXPR_START = {"NAME", "NUMBER", "STRING", "MONEY", "LPAR", "LSQB", "MINUS", "THIS", "DURATION", "WEIGHT",
               "PERCENT", "DATE", "DATETIME", "REGEX", "TRUE", "FALSE", "NULL"}

_WORDS = {
    "RBRACE": "`}`", "LBRACE": "`{`", "RPAR": "`)`", "LPAR": "`(`", "RSQB": "`]`", "LSQB": "`[`",
    "COMMA": "`,`", "COLON": "`:`", "NAME": "a name", "STRING": "a string", "EQUAL": "`=`",
    "RANGE": "`..`", "DATE": "a date", "DATETIME": "a datetime", "ON": "`on`", "BY": "`by`",
    "WITHIN": "`within`", "SATISFIES": "`satisfies`", "THEN": "`then`", "ELSE": "`else`", "IN": "`in`",
    "_ARROW": "`->`", "_FAT_ARROW": "`=>`", "_COALESCE": "`??`", "JSON_NUMBER": "a number", "GT": "`>`",
}

_CLAUSE_SETS = [
    ({"SEVERITY", "WHEN", "UNLESS", "MESSAGE", "EVIDENCE"},
     "a rule clause (`severity`, `let`, `when`, `unless`, `message`, `action`, `evidence`) or `}`"),
    ({"VERSION", "EFFECTIVE", "WORDLIST", "TABLE", "RULE"},
     "a policy member (`version`, `effective`, `let`, `wordlist`, `table`, `rule`) or `}`"),
    ({"SOURCE", "WORDS", "ALLOW", "MATCH"},
     "a wordlist clause (`source`, `words`, `allow`, `match`, `only`, `except`, `variants`) or `}`"),
    ({"POLICY", "RECORD", "TEST"}, "`policy`, `record` or `test`"),
    ({"AT", "GIVEN", "EXPECT"}, "a test clause (`at`, `given`, `expect`) or `}`"),
    ({"VIOLATION", "DECISION", "ERROR"}, "`violation`, `decision`, `action` or `error`"),
]


#: Full-width characters an IME types where the language wants ASCII: (ASCII counterpart, Chinese name).
FULL_WIDTH: dict[str, tuple[str, str]] = {
    "，": (",", "全角逗号"), "：": (":", "全角冒号"), "（": ("(", "全角左括号"), "）": (")", "全角右括号"),
    "“": ('"', "中文左引号"), "”": ('"', "中文右引号"), "‘": ('"', "中文单引号"), "’": ('"', "中文单引号"),
    "￥": ("¥", "全角人民币符号"), "＝": ("=", "全角等号"), "＞": (">", "全角大于号"), "＜": ("<", "全角小于号"),
    "！": ("!", "全角感叹号"), "？": ("?", "全角问号"), "［": ("[", "全角左方括号"), "］": ("]", "全角右方括号"),
    "【": ("[", "中文左方括号"), "】": ("]", "中文右方括号"), "｛": ("{", "全角左花括号"), "｝": ("}", "全角右花括号"),
    "＋": ("+", "全角加号"), "－": ("-", "全角减号"), "＊": ("*", "全角星号"), "／": ("/", "全角斜杠"),
    "％": ("%", "全角百分号"), "．": (".", "全角句点"), "。": (".", "中文句号"), "\u3000": (" ", "全角空格"),
    "＃": ("#", "全角井号"), "；": ("", "中文分号"), "、": (",", "中文顿号"),
}


def full_width_hint(ch: str) -> str | None:
    """The help for a full-width character typed where ASCII is expected (`，` → `,`), or None."""
    if ch in FULL_WIDTH:
        ascii_, name = FULL_WIDTH[ch]
    elif "\uff01" <= ch <= "\uff5e":
        ascii_, name = chr(ord(ch) - 0xFEE0), "全角字符"
    else:
        return None
    if not ascii_:
        return f"{name} `{ch}` — 规则语言不用分号，请删除 (statements end at the line break; delete it)"
    shown = "空格" if ascii_ == " " else f"`{ascii_}`"
    return f"{name} `{ch}` — 请使用半角 {shown} (use {'a plain space' if ascii_ == ' ' else shown})"


class ParseFailure(Exception):
    """A syntax error, carried out of the tree builder as a diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _describe_expected(expected: set[str]) -> str:
    for marker, words in _CLAUSE_SETS:
        if expected & marker:
            return words
    names = sorted({_WORDS.get(e, f"`{e.lower()}`") for e in expected if not e.startswith("_") or e in _WORDS})
    if len(names) > 6:
        names = names[:6] + ["…"]
    return " or ".join(names) if names else "something else"


def _prev_token(text: str, pos: int) -> str:
    """The source token ending just before `pos` (skipping blanks and comments)."""
    # only the end of the text can hold the token: a bounded window keeps the backward search linear in the file
    before = text[max(0, pos - 400):pos]
    before = re.sub(r"#[^\n]*$", "", before, flags=re.M).rstrip()
    m = re.search(r'(re"(?:[^"\\]|\\.)*"|"(?:[^"\\]|\\.)*"|¥?[\w.%]+|\?\?|[=!<>]=|=>|->|\.\.|\S)$', before)
    return m.group(1) if m else ""


def unfinished_diagnostic(word: str, line: int, col: int, pos: int, text: str, path: str) -> Diagnostic:
    """E001 for a statement word read as a name by the unfinished expression before it (`let a = 1 +` then `rule`)."""
    prev = _prev_token(text, pos)
    return Diagnostic("E001", f"expected an expression after {_show(prev)}, found `{word}`",
                      Span(path, line, col, line, col + len(word)),
                      f"`{word}` starts the next statement, so the one before it is unfinished")


def _show(tok: str) -> str:
    return f"`{tok}`" if len(tok) <= 30 else f"`{tok[:27]}…`"


def syntax_diagnostic(e: UnexpectedInput, text: str, path: str) -> Diagnostic:
    """The E001 diagnostic of a Lark parse error in `text`."""
    line = getattr(e, "line", 1) or 1
    col = getattr(e, "column", 1) or 1
    pos = getattr(e, "pos_in_stream", None)
    if pos is None:
        pos = len(text)
    help: str | None = None
    if isinstance(e, UnexpectedCharacters):
        ch = text[pos] if pos < len(text) else ""
        rest = text[pos:pos + 20]
        expected = set(e.allowed or ())
        width_hint = full_width_hint(ch)
        if width_hint is not None:
            msg = f"full-width character `{ch}` where the language expects ASCII"
            help = width_hint
        elif ch == "¥" and re.match(r"¥\d+(?:\.\d+)?,\d", rest):
            msg = "money literals have no thousands separators"
            help = "write `¥1299.00`, not `¥1,299.00`"
        elif ch == "%" :
            msg = "the modulo operator needs a space before `%`"
            help = "write `a % b`; `3%` (no space after a number) is a percent literal"
        elif ch == "'":
            msg = "strings use double quotes"
            help = 'write "text"'
        elif expected & _EXPR_START and not expected & {"RBRACE"}:
            prev = _prev_token(text, pos)
            msg = f"expected an expression after {_show(prev)}, found `{ch}`" if prev else f"unexpected `{ch}`"
        else:
            msg = f"unexpected character `{ch}`"
            if expected:
                msg += f": expected {_describe_expected(expected)}"
        end = col + 1
    else:
        tok = getattr(e, "token", None)
        expected = set(getattr(e, "expected", ()) or ())
        ip = getattr(e, "interactive_parser", None)
        if ip is not None:
            # LALR merges the states of similar contexts (a `let` in a policy and in a rule);
            # asking the parser what it accepts here gives the exact set
            try:
                expected = set(ip.accepts()) or expected
            except Exception:  # pragma: no cover - keep the table's answer
                pass
        if isinstance(e, UnexpectedEOF) or (tok is not None and tok.type == "$END"):
            found = "the end of the file"
            pos = len(text)
            lines = text.split("\n")
            line, col = len(lines), len(lines[-1]) + 1
        else:
            found = _show(str(tok))
            pos = tok.start_pos if tok.start_pos is not None else pos
        prev = _prev_token(text, pos)
        if expected & _EXPR_START and len(expected & _EXPR_START) >= 5:
            msg = f"expected an expression after {_show(prev)}, found {found}" if prev else \
                f"expected an expression, found {found}"
            if prev in ("==", "!=", "<=", ">=", "<", ">") and tok is not None and str(tok) in "<>=":
                help = "comparisons are `==`, `!=`, `<`, `<=`, `>`, `>=`; they cannot be chained"
        else:
            msg = f"expected {_describe_expected(expected)} after {_show(prev)}, found {found}" if prev else \
                f"expected {_describe_expected(expected)}, found {found}"
            if tok is not None and str(tok) in KEYWORDS and "NAME" in expected:
                msg = f"`{tok}` is a reserved word and cannot be used as a name"
                help = f"choose another name, e.g. `{tok}_`"
            elif tok is not None and tok.type in ("EQ", "NE", "LT", "GT", "LE", "GE") and re.search(
                    r"(==|!=|<=|>=|<|>)", text[text.rfind("\n", 0, pos) + 1 : pos]):
                msg = f"comparisons cannot be chained: unexpected {found} after {_show(prev)}"
                help = "join two comparisons with `and`: `a < b and b < c`"
            elif prev.endswith("%") and tok is not None and tok.type in _EXPR_START:
                help = "`3%` is a percent literal; the modulo operator needs a space before `%`: `a % b`"
        end = col + max(1, len(str(tok)) if tok is not None and tok.type != "$END" else 1)
    return Diagnostic("E001", msg, Span(path, line, col, line, end), help)
