"""Adopting rulekit in an existing repository: defaults that cannot pass by accident, input discovery,
configuration files, rule selection, colour."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers import REPO, jsonl, order, run_cli, write

NOW = "2025-06-10T12:00:00+08:00"
UGLY = 'policy coupon {\nrule big on order {\n  when order.total>¥100\n  message "big"\n}\n}\n'
TWO_RULES = """
policy p {
  rule big on order {
    severity error
    when order.total > ¥100
    message "big"
  }
  rule free on order {
    when order.claims_free_shipping
    message "free"
  }
}
"""


def cli(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, env={"NO_COLOR": "", "FORCE_COLOR": "", **(env or {})})


# ---- defaults that cannot pass by accident ----------------------------------------------------------------

def test_fmt_check_without_a_path_checks_the_current_directory(tmp_path: Path) -> None:
    write(tmp_path, "coupon.rule", UGLY)
    r = cli("fmt", "--check", cwd=tmp_path)
    assert r.returncode == 1 and "would reformat coupon.rule" in r.stdout.replace("./", "")
    assert (tmp_path / "coupon.rule").read_text(encoding="utf-8") == UGLY


def test_check_without_a_path_counts_the_users_files(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        write(tmp_path, f"{name}.rule", TWO_RULES.replace("policy p", f"policy {name}"))
    r = cli("check", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == "ok: 3 files, 6 rules"


def test_no_policies_is_a_usage_error_not_a_pass(tmp_path: Path) -> None:
    for cmd in ("check", "fmt", "test"):
        r = cli(cmd, cwd=tmp_path)
        assert r.returncode == 2, (cmd, r.stdout, r.stderr)
        assert "no policies here" in r.stderr and "--bundled" in r.stderr
    r = cli("check", "--bundled", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip().startswith("ok: 15 files")


def test_bare_fmt_writes_only_under_the_current_directory(tmp_path: Path) -> None:
    write(tmp_path, "coupon.rule", UGLY)
    r = cli("fmt", cwd=tmp_path)
    assert r.returncode == 0 and "reformatted" in r.stdout
    assert cli("fmt", "--check", cwd=tmp_path).returncode == 0
    assert cli("fmt", "--check", "--bundled", cwd=tmp_path).returncode == 0  # the package's files untouched


# ---- input discovery ----------------------------------------------------------------------------------------

def test_lint_dot_passes_over_environments_hidden_and_ignored_files(tmp_path: Path) -> None:
    write(tmp_path, "p.rule", TWO_RULES)
    write(tmp_path, "orders.jsonl", jsonl([order(id="a", total=500)]))
    write(tmp_path, "node_modules/pkg/package.json", '{"name": "x"}')
    write(tmp_path, ".venv/lib/tsconfig.json", "{}")
    write(tmp_path, ".cache/old.jsonl", jsonl([order(id="hidden")]))
    write(tmp_path, "build/out.json", "[]")
    write(tmp_path, "drafts/skip.jsonl", jsonl([order(id="excluded")]))
    write(tmp_path, ".gitignore", "build/\n")
    write(tmp_path, "README.md", "# shop\n")
    r = cli("lint", "-p", "p.rule", "--now", NOW, "--format", "jsonl", "--fail-on", "never", "--exclude", "drafts/",
            ".", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == ["a"]
    assert "skipped 2 files that are not .json, .jsonl, .ndjson, .csv or .xlsx" in r.stderr
    assert "README.md" in r.stderr and "p.rule" in r.stderr


# ---- configuration -------------------------------------------------------------------------------------------

def test_rulekit_toml_sets_policies_selection_and_defaults(tmp_path: Path) -> None:
    write(tmp_path, "rules/p.rule", TWO_RULES)
    write(tmp_path, "rulekit.toml", 'policies = ["rules"]\nselect = ["p.big"]\nformat = "jsonl"\nfail-on = "never"\n')
    write(tmp_path, "o.jsonl", jsonl([order(id="a", total=500, claims_free_shipping=True)]))
    sub = tmp_path / "deeper"
    sub.mkdir()
    r = cli("lint", "--now", NOW, "../o.jsonl", cwd=sub)  # found by walking up
    assert r.returncode == 0, r.stderr
    assert [v["rule"] for v in json.loads(r.stdout)["violations"]] == ["p.big"]
    r = cli("lint", "--now", NOW, "--select", "p", "--fail-on", "error", "o.jsonl", cwd=tmp_path)
    assert r.returncode == 1  # flags override the file
    assert [v["rule"] for v in json.loads(r.stdout)["violations"]] == ["p.big", "p.free"]
    assert cli("check", cwd=tmp_path).stdout.strip() == "ok: 1 file, 2 rules"
    write(tmp_path, "remote.jsonl", jsonl([order(id="r", region="新疆", claims_free_shipping=True)]))
    r = cli("lint", "--isolated", "--now", NOW, "--format", "jsonl", "remote.jsonl", cwd=tmp_path)
    # no configuration: the bundled set, every rule of it
    assert r.returncode == 1 and "freight.remote_free_shipping" in [v["rule"] for v in json.loads(r.stdout)["violations"]]


def test_pyproject_table_and_unknown_keys(tmp_path: Path) -> None:
    write(tmp_path, "p.rule", TWO_RULES)
    write(tmp_path, "pyproject.toml", '[project]\nname = "shop"\n\n[tool.rulekit]\npolicies = ["p.rule"]\n'
                                      'severity = { "p.big" = "warning" }\nfail_on = "never"\n')
    write(tmp_path, "o.jsonl", jsonl([order(total=500)]))
    r = cli("lint", "--now", NOW, "o.jsonl", cwd=tmp_path)
    assert r.returncode == 2
    assert "pyproject.toml [tool.rulekit]: unknown key `fail_on`; did you mean `fail-on`?" in r.stderr
    write(tmp_path, "pyproject.toml", '[tool.rulekit]\npolicies = ["p.rule"]\nseverity = { "p.big" = "warning" }\n')
    r = cli("lint", "--now", NOW, "--format", "jsonl", "o.jsonl", cwd=tmp_path)
    assert r.returncode == 0  # p.big is a warning now, below the default --fail-on error
    assert json.loads(r.stdout)["decision"] == "review"


def test_selection_warns_about_patterns_that_name_nothing(tmp_path: Path) -> None:
    write(tmp_path, "p.rule", TWO_RULES)
    write(tmp_path, "o.jsonl", jsonl([order(total=500, claims_free_shipping=True)]))
    r = cli("lint", "-p", "p.rule", "--now", NOW, "--format", "jsonl", "--ignore", "p.bigg,p.big", "o.jsonl",
            cwd=tmp_path)
    assert [v["rule"] for v in json.loads(r.stdout)["violations"]] == ["p.free"]
    assert "ignore `p.bigg` names no rule" in r.stderr


def test_test_command_runs_the_blocks_of_the_selected_rules(tmp_path: Path) -> None:
    body = json.dumps(order(total=500, claims_free_shipping=True), ensure_ascii=False)
    write(tmp_path, "p.rule", TWO_RULES + f"""
test "big" {{
  given order {body}
  expect violation p.big
}}
test "free" {{
  given order {body}
  expect violation p.free
}}
""")
    r = cli("test", "--select", "p.big", cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    lines = r.stdout.strip().splitlines()
    assert lines[-2:] == ["1 test deselected (they name rules that are not selected)", "1 passed, 0 failed"]


# ---- colour -----------------------------------------------------------------------------------------------------

def test_force_color_and_no_color(tmp_path: Path) -> None:
    write(tmp_path, "p.rule", TWO_RULES)
    write(tmp_path, "o.jsonl", jsonl([order(total=500)]))
    args = ("lint", "-p", "p.rule", "--now", NOW, "--fail-on", "never", "o.jsonl")
    assert "\x1b[" in cli(*args, cwd=tmp_path, env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in cli(*args, cwd=tmp_path, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\x1b[" not in cli(*args, cwd=tmp_path).stdout


# ---- a --fix that cannot lose data ----------------------------------------------------------------------------

def _listing(lid: str, title: str) -> str:
    # written by hand: `1.0` and the spacing must survive an unchanged record byte for byte
    return (f'{{"id": "{lid}", "shop_id": "S1", "title": "{title}", "description": "", "category": "服饰", '
            '"price": 1.0, "images": [], "published_at": "2025-06-01T10:00:00+08:00"}')


def test_fix_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    f = write(tmp_path, "listings.jsonl", _listing("L1", "最好的T恤") + "\n")
    before = f.read_bytes()
    r = cli("lint", "--now", NOW, "--fail-on", "never", "--fix", "listings.jsonl", "listings.jsonl", cwd=tmp_path)
    assert r.returncode == 2 and "one of the input files" in r.stderr
    assert f.read_bytes() == before


def test_fix_counts_real_changes_and_keeps_unchanged_records_as_they_came(tmp_path: Path) -> None:
    write(tmp_path, "in.jsonl", _listing("L1", "纯棉T恤") + "\n" + _listing("L2", "最好的T恤") + "\n")
    r = cli("lint", "--now", NOW, "--fail-on", "never", "--fix", "out.jsonl", "in.jsonl", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines[0] == _listing("L1", "纯棉T恤")
    assert json.loads(lines[1])["title"] != "最好的T恤"
    assert "2 records written, 1 changed" in r.stderr
    assert not list(tmp_path.glob("out.jsonl.*.tmp"))


def test_fix_deletes_words_whose_replacement_column_is_empty(tmp_path: Path) -> None:
    # ad_law.txt: `国家级<TAB>极限用语<TAB>` (the file's header: 空 = 直接删除)
    write(tmp_path, "in.jsonl", _listing("L1", "国家级工艺 连衣裙") + "\n")
    r = cli("lint", "--now", NOW, "--fail-on", "never", "--fix", "out.jsonl", "in.jsonl", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    fixed = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert fixed["title"] == "工艺 连衣裙"
    assert "1 changed, 1 replacements; 0 matches have no replacement" in r.stderr


def test_a_deleting_entry_keeps_a_null_replacement_in_reports_and_says_delete_in_text(tmp_path: Path) -> None:
    write(tmp_path, "in.jsonl", _listing("L1", "国家级工艺 连衣裙") + "\n")
    r = cli("lint", "--now", NOW, "--format", "jsonl", "in.jsonl", cwd=tmp_path)
    evidence = [e for v in json.loads(r.stdout)["violations"] for e in v["evidence"] if e["word"] == "国家级"]
    assert evidence and all(e["replacement"] is None for e in evidence)  # LANGUAGE §5: an empty column is null
    assert all("deletes" not in e for e in evidence)
    text = cli("lint", "--now", NOW, "in.jsonl", cwd=tmp_path, env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert "国家级" in text.stdout and "→ delete" in text.stdout


def test_fix_tells_a_deleting_entry_from_one_without_replacement(tmp_path: Path) -> None:
    write(tmp_path, "p/words.txt", "劲爆\t促销\t\n火爆\t促销\n")
    write(tmp_path, "p/p.rule", """policy words {
  wordlist hype {
    source "words.txt"
  }

  rule hype_title "hype" on listing {
    severity warning
    let hits = find(listing.title, hype)
    when len(hits) > 0
    message "hype"
    evidence hits
  }
}
""")
    write(tmp_path, "in.jsonl", _listing("L1", "劲爆火爆 T恤") + "\n")
    r = cli("lint", "--now", NOW, "--isolated", "-p", "p", "--fail-on", "never", "--fix", "out.jsonl",
            "in.jsonl", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))["title"] == "火爆 T恤"
    assert "1 matches have no replacement and were left (火爆×1)" in r.stderr


def test_a_named_folder_is_walked_even_when_a_gitignore_above_ignores_it(tmp_path: Path) -> None:
    # as the bundled policies inside an ignored virtual environment: `.ci-venv/` in the repository's .gitignore
    write(tmp_path, ".gitignore", "env/\n")
    write(tmp_path, "env/pkg/policies/p.rule", TWO_RULES)
    write(tmp_path, "env/pkg/policies/.gitignore", "drafts/\n")
    write(tmp_path, "env/pkg/policies/drafts/broken.rule", "policy {")
    r = cli("check", "env/pkg/policies", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "ok: 1 file, 2 rules"


# ---- baselines ----------------------------------------------------------------------------------------------------

SARIF_SCHEMA = REPO.parent / "shared" / "data" / "sarif" / "sarif-schema-2.1.0.json"


def _listings_file(tmp_path: Path, name: str, rows: list[tuple[str, str]]) -> Path:
    return write(tmp_path, name, "".join(_listing(i, title) + "\n" for i, title in rows))


def test_a_baseline_hides_known_findings_whatever_the_order(tmp_path: Path) -> None:
    first = _listings_file(tmp_path, "a.jsonl", [("L1", "最好的T恤"), ("L2", "纯棉T恤"), ("L3", "国家级工艺 连衣裙")])
    r = cli("lint", "--now", NOW, "--write-baseline", "known.json", "--format", "jsonl", first, cwd=tmp_path)
    assert r.returncode == 1 and "wrote 2 findings to the baseline known.json" in r.stderr
    # re-exported: other order, one record more with a finding of its own
    again = _listings_file(tmp_path, "b.jsonl", [("L4", "最好的裙子"), ("L3", "国家级工艺 连衣裙"), ("L1", "最好的T恤")])
    r = cli("lint", "--now", NOW, "--baseline", "known.json", "--format", "jsonl", again, cwd=tmp_path)
    reports = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["id"], [v["rule"] for v in x["violations"]]) for x in reports] == [
        ("L4", ["ad_law.extreme_words"]), ("L3", []), ("L1", [])]
    assert r.returncode == 1 and "hid 2 known findings" in r.stderr
    r = cli("lint", "--now", NOW, "--baseline", "known.json", "--format", "jsonl", first, cwd=tmp_path)
    assert r.returncode == 0  # nothing new: the step passes
    bad = write(tmp_path, "bad.json", "{}")
    r = cli("lint", "--now", NOW, "--baseline", bad, first, cwd=tmp_path)
    assert r.returncode == 2 and "cannot use it as a baseline" in r.stderr


def test_sarif_carries_baseline_states_and_fingerprints(tmp_path: Path) -> None:
    first = _listings_file(tmp_path, "a.jsonl", [("L1", "最好的T恤"), ("L3", "国家级工艺 连衣裙")])
    cli("lint", "--now", NOW, "--write-baseline", "known.json", first, cwd=tmp_path)
    now = _listings_file(tmp_path, "b.jsonl", [("L1", "最好的T恤"), ("L4", "最好的裙子")])
    r = cli("lint", "--now", NOW, "--baseline", "known.json", "--format", "sarif", "--fail-on", "never", now,
            cwd=tmp_path)
    log = json.loads(r.stdout)
    results = log["runs"][0]["results"]
    states = sorted((x["baselineState"], x["locations"][0]["logicalLocations"][0]["name"]) for x in results
                    if x["ruleId"] == "ad_law.extreme_words")
    assert states == [("absent", "L3"), ("new", "L4"), ("unchanged", "L1")]
    assert all(len(x["partialFingerprints"]["rulekitFinding/v1"]) == 32 for x in results if "baselineState" in x)
    if SARIF_SCHEMA.is_file():
        jsonschema = __import__("jsonschema")
        errors = list(jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).iter_errors(log))
        assert errors == []


# ---- suppressions -------------------------------------------------------------------------------------------------

SUPPRESS = """\
# accepted findings
[[suppress]]
rule = "ad_law.extreme_words"
id = "L1"
reason = "品牌名含“最好”，已备案"
owner = "compliance@shop"
expires = 2026-01-31

[[suppress]]
rule = "ad_law.*"
id = "L9*"
reason = "old catalogue, being retired"
expires = 2025-01-01
"""


def test_suppressions_are_reported_as_suppressed_and_expire(tmp_path: Path) -> None:
    f = _listings_file(tmp_path, "a.jsonl", [("L1", "最好的T恤"), ("L2", "最好的裙子"), ("L90", "最好的帽子")])
    write(tmp_path, "accepted.toml", SUPPRESS)
    r = cli("lint", "--now", NOW, "--suppressions", "accepted.toml", "--format", "jsonl", f, cwd=tmp_path)
    fired = [(x["id"], [v["rule"] for v in x["violations"]]) for x in map(json.loads, r.stdout.splitlines())]
    assert fired == [("L1", []), ("L2", ["ad_law.extreme_words"]), ("L90", ["ad_law.extreme_words"])]
    assert "1 finding suppressed by accepted.toml" in r.stderr
    # the second entry expired before --now: it suppresses nothing, and says where it is
    assert "accepted.toml:9: the suppression of ad_law.* for L9* expired on 2025-01-01" in r.stderr
    text = cli("lint", "--now", NOW, "--suppressions", "accepted.toml", "--fail-on", "never", f, cwd=tmp_path).stdout
    assert text.strip().splitlines()[-1].endswith("0 invalid input; 1 suppressed")
    sarif = json.loads(cli("lint", "--now", NOW, "--suppressions", "accepted.toml", "--format", "sarif", f,
                           cwd=tmp_path).stdout)
    hushed = [x for x in sarif["runs"][0]["results"] if x.get("suppressions")]
    assert len(hushed) == 1 and hushed[0]["suppressions"][0]["justification"] == "品牌名含“最好”，已备案"
    assert hushed[0]["suppressions"][0]["properties"]["owner"] == "compliance@shop"
    if SARIF_SCHEMA.is_file():
        jsonschema = __import__("jsonschema")
        assert not list(jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
                        .iter_errors(sarif))
    # after its own expiry date the first entry stops too
    later = cli("lint", "--now", "2026-02-01T00:00:00+08:00", "--suppressions", "accepted.toml", "--format", "jsonl",
                f, cwd=tmp_path)
    assert "0 findings suppressed" in later.stderr and "accepted.toml:2:" in later.stderr


def test_a_suppression_needs_a_reason_and_unused_ones_are_reported(tmp_path: Path) -> None:
    f = _listings_file(tmp_path, "a.jsonl", [("L2", "纯棉T恤")])
    write(tmp_path, "s.toml", '[[suppress]]\nrule = "ad_law.extreme_words"\nid = "L1"\n')
    r = cli("lint", "--now", NOW, "--suppressions", "s.toml", f, cwd=tmp_path)
    assert r.returncode == 2 and "s.toml:1: `reason` is required" in r.stderr
    write(tmp_path, "s.toml", '[[suppress]]\nrule = "ad_law.extreme_words"\nid = "L1"\nreason = "x"\n')
    r = cli("lint", "--now", NOW, "--suppressions", "s.toml", "--report-unused-suppressions", f, cwd=tmp_path)
    assert r.returncode == 0 and "s.toml:1: the suppression of ad_law.extreme_words for L1 suppressed nothing" in r.stderr


# ---- check, test and rule for pipelines ----------------------------------------------------------------------------

WARNS = 'policy w {\n  rule r on order {\n    when order.paid_at > order.created_at\n    message "x"\n  }\n}\n'


def test_check_strict_and_machine_formats(tmp_path: Path) -> None:
    write(tmp_path, "w.rule", WARNS)  # W101: paid_at may be null
    assert cli("check", cwd=tmp_path).returncode == 0
    r = cli("check", "--strict", cwd=tmp_path)
    assert r.returncode == 1 and "(--strict: warnings fail)" in r.stdout
    doc = json.loads(cli("check", "--format", "json", cwd=tmp_path).stdout)
    assert doc["ok"] is True and doc["warnings"] == 1 and doc["diagnostics"][0]["code"] == "W101"
    assert doc["diagnostics"][0]["line"] == 3
    sarif = json.loads(cli("check", "--format", "sarif", "--strict", cwd=tmp_path).stdout)
    assert [x["ruleId"] for x in sarif["runs"][0]["results"]] == ["W101"]
    if SARIF_SCHEMA.is_file():
        jsonschema = __import__("jsonschema")
        assert not list(jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
                        .iter_errors(sarif))


def test_test_keyword_and_junit_xml(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    body = json.dumps(order(total=500, claims_free_shipping=True), ensure_ascii=False)
    write(tmp_path, "p.rule", TWO_RULES + f"""
test "大额订单" {{
  given order {body}
  expect violation p.big
}}
test "包邮 wrong on purpose" {{
  given order {body}
  expect no violation p.free
}}
""")
    r = cli("test", "-k", "大额", "--junit-xml", "out.xml", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip().splitlines()[-1] == "1 passed, 0 failed"
    r = cli("test", "--junit-xml", "out.xml", cwd=tmp_path)
    assert r.returncode == 1
    suite = ET.parse(tmp_path / "out.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    failed = [c for c in suite if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["包邮 wrong on purpose"]
    assert "p.free" in (failed[0].find("failure").text or "")  # type: ignore[union-attr]


def test_rule_command(tmp_path: Path) -> None:
    r = cli("rule", "ad_law.extreme_words", cwd=tmp_path)
    assert r.returncode == 0
    assert r.stdout.splitlines()[0] == "ad_law.extreme_words — 极限用语"
    assert "  severity  error" in r.stdout and "广告法第九条" in r.stdout and "ad_law.rule:" in r.stdout
    r = cli("rule", "ad_law.extrem_words", cwd=tmp_path)
    assert r.returncode == 2 and "did you mean `ad_law.extreme_words`" in r.stderr


def test_every_command_help_has_examples_and_exit_codes(tmp_path: Path) -> None:
    for cmd in ("check", "fmt", "test", "lint", "explain", "schema", "rule"):
        out = cli(cmd, "--help", cwd=tmp_path).stdout
        assert "examples:" in out and "exit codes:" in out, cmd
        assert out.count("rulekit " + cmd) >= 2, cmd
    # every option and argument of every command says what it does
    from rulekit.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "cmd")
    for name, parser in sub.choices.items():  # type: ignore[union-attr]
        for action in parser._actions:
            assert action.help, f"rulekit {name}: {action.option_strings or action.dest} has no description"


def test_a_message_cannot_show_a_record_as_python_text(tmp_path: Path) -> None:
    write(tmp_path, "r.rule", 'policy p {\n  rule r on order {\n    when true\n    message "{order.items}"\n  }\n}\n')
    r = cli("check", cwd=tmp_path)
    assert r.returncode == 1
    assert "r.rule:4:15: E004 a `order_item` record cannot be shown in a message" in r.stdout
    assert "show one of its fields, e.g. `{order.items.sku}`" in r.stdout


def test_rule_ids_are_never_cut_at_80_columns(tmp_path: Path) -> None:
    r = cli("lint", "--now", NOW, "--fail-on", "never", "--statistics", *sorted((REPO / "examples").glob("*.jsonl")), cwd=tmp_path,
            env={"FORCE_COLOR": "1", "COLUMNS": "80"})
    plain = __import__("re").sub(r"\x1b\[[0-9;]*m", "", r.stdout)
    for rule in ("logistics.free_shipping_no_remote_exclusion", "compliance.comparison_without_source"):
        assert rule in plain, rule
    assert "…" not in "".join(line.split()[0] for line in plain.splitlines() if line.strip().startswith("ad_law."))
