"""Regenerates docs/diagnostics.md: one failing example per diagnostic code, checked by `rulekit check`.

    python tools/gen_diagnostics_doc.py

Every message in the document is what the current checker prints for the example.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "diagnostics.md"

CASES = {
    "E001": ("syntax error", 'policy p {\n  rule r on order {\n    when order.total >> ¥5\n    message "x"\n  }\n'
             '  rule s on order {\n    when order.region in [“新疆”]\n    message "y"，\n  }\n}\n',
             "Write a single comparison operator: `order.total > ¥5`; type ASCII punctuation (`\"`, `,`, `(`, `:`) "
             "outside strings. Every syntax error of a file is reported in one run: after an error the parser "
             "skips to the next statement (`when`, `message`, `let`, `rule`, … at the start of a line) and goes on, "
             "and the checker then reports on what parsed, leaving out the statements that did not."),
    "E002": ("unknown name", 'policy p {\n  let remote = ["新疆", "西藏"]\n  rule r on order {\n'
             '    when order.region in remot\n    message "x"\n  }\n}\n',
             "Use the name the suggestion gives, or define it with `let`."),
    "E003": ("unknown field", 'policy sla {\n  rule ship on order {\n    when order.shiped_at is null\n'
             '    message "未发货"\n  }\n}\n',
             "Use the field the suggestion gives; to add a field to a record type, declare it in a `record` block."),
    "E004": ("type mismatch", 'policy p {\n  rule r on order {\n    when order.total > 5kg\n    message "x"\n  }\n}\n',
             "Compare values of one type: money with money (`¥5`), weight with weight (`order.weight > 5kg`)."),
    "E005": ("duplicate definition", 'policy p {\n  let a = 1\n  let a = 2\n  rule r on order {\n    when a > 1\n'
             '    message "x"\n  }\n}\n', "Rename or remove the later definition (E005 is reported there)."),
    "E006": ("bad file reference", 'policy p {\n  wordlist w {\n    source "../secret.txt"\n  }\n}\n',
             "Keep wordlist files inside the policy root (the directory given, or the directory of the file given); "
             "symlinks are resolved before the check."),
    "E007": ("invalid regex or wordlist entry", 'policy p {\n  rule r on listing {\n'
             '    when matches(listing.title, re"(unclosed")\n    message "x"\n  }\n}\n',
             "Fix the pattern (Python `regex` syntax); for a wordlist file the message names the file line."),
    "E008": ("cycle between lets", 'policy p {\n  let a = b + 1\n  let b = a + 1\n  rule r on order {\n'
             '    when a > 1\n    message "x"\n  }\n}\n', "Break the cycle: one of the lets must not refer back."),
    "E009": ("wrong arguments", 'policy p {\n  rule r on listing {\n    when len(listing.title, 2) > 10\n'
             '    message "x"\n  }\n}\n',
             "Call the function, table or window with the arguments it takes (LANGUAGE §4.1, §4.4)."),
    "E010": ("reserved name", 'record order {\n  class: string?\n}\n',
             "Rename the field. Field names become attributes of record values, so reserved words, names starting "
             "with `_` and the attributes of records (`model_dump` …) cannot be fields, and the built-in `match` "
             "type (made by `find`) cannot get fields (docs/security.md)."),
    "W101": ("optional value used without a null guard", 'policy sla {\n  rule tracking on order {\n'
             '    when order.tracking_uploaded_at - order.shipped_at > 24h\n    message "x"\n  }\n}\n',
             "Guard: `order.shipped_at is not null and …`, or default: `(order.tracking_uploaded_at ?? now)`. "
             "Unguarded, a null makes the rule undetermined for that subject (listed under `errors`)."),
    "W102": ("rule can never fire", 'policy p {\n  rule r on order {\n    when 1 > 2\n    message "x"\n  }\n}\n',
             "Fix the condition; a constant-false `when` (or constant-true `unless`) means the rule is dead."),
    "W103": ("wordlist entry shadowed or duplicated", 'policy p {\n  wordlist w {\n    words "第一", "第一"\n'
             '    allow "第一次"\n  }\n}\n',
             "Remove the duplicate entry, or the entry equal to an `allow` phrase."),
    "W104": ("unused let", 'policy p {\n  let unused_threshold = ¥99\n  rule r on order {\n    let late = 48h\n'
             '    when order.total > ¥5\n    message "x"\n  }\n}\n',
             "Remove the `let`, or use it. A policy-level `let` counts as used when any rule, table or `let` of the "
             "policy reads it; a rule-local one when its rule reads it (a `let` read only by unused lets counts as "
             "used)."),
    "W105": ("test expects a rule that does not exist", 'policy p {\n  rule big on order {\n'
             '    when order.total > ¥500\n    message "x"\n  }\n}\ntest "t" {\n'
             '  given order {"id": "o1"}\n  expect no violation p.bigg\n}\n',
             "Correct the rule id (`policy.rule`). A warning, so a typo in a test never stops the policies from "
             "loading for `lint`; the expectation never holds, so `rulekit test` fails that test and says why "
             "(`expect no violation p.bigg` would otherwise pass for the wrong reason)."),
    "W106": ("regex that can backtrack catastrophically", 'policy p {\n  rule r on listing {\n'
             '    when matches(listing.title, re"(\\w+\\s?)*$")\n    message "x"\n  }\n}\n',
             "Remove the nesting (`\\w+(\\s\\w+)*`), or make the inner repetition possessive (`(\\w++\\s?)*`). "
             "The check is structural: a repetition whose body is itself an unbounded repetition with only optional "
             "parts around it (`(a+)+`, `(a*)*`, `(a|b+)*`). Evaluation still stops a regex at its time limit."),
}


def main() -> int:
    out = ["# Diagnostics reference", "",
           "`rulekit check` (and every load) reports these with file, line, column, the source line and a caret. "
           "E-codes are errors (exit 1); W-codes are warnings and never change an exit code. Every diagnostic of "
           "a policy set is reported in one run, not just the first. This page is generated by "
           "`python tools/gen_diagnostics_doc.py` from the examples below.", ""]
    with tempfile.TemporaryDirectory() as tmp:
        for code, (title, src, fix) in CASES.items():
            case = Path(tmp) / code
            (case / "policies").mkdir(parents=True)
            (case / "policies" / "policy.rule").write_text(src, encoding="utf-8")
            (case / "secret.txt").write_text("国家级\n", encoding="utf-8")
            proc = subprocess.run([sys.executable, "-m", "rulekit", "check", "policies/policy.rule"], cwd=case,
                                  capture_output=True, text=True, encoding="utf-8")
            shown = proc.stdout.strip()
            if f" {code} " not in shown:
                print(f"{code}: the example no longer produces {code}:\n{shown}", file=sys.stderr)
                return 1
            out += [f"## {code} — {title}", "", "```", src.rstrip(), "```", "", "```", shown, "```", "",
                    f"**Fix.** {fix}", ""]
    DOC.write_text("\n".join(out), encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
