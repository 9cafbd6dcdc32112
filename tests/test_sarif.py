"""SARIF polish: rule help and helpUri, paths relative to named bases, code-point column regions for evidence."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rulekit import load
from rulekit.io.sarif import BUNDLED, SRCROOT, field_columns
from tests.helpers import REPO, run_cli, write

NOW = "2025-06-10T12:00:00+08:00"
SARIF_SCHEMA = REPO.parent / "shared" / "data" / "sarif" / "sarif-schema-2.1.0.json"


def _listing(rid: str, title: str, **extra: Any) -> str:
    rec = {"$kind": "listing", "id": rid, "shop_id": "S1", "title": title, "description": "纯棉", "category": "服装",
           "price": "59.00", "images": [], "published_at": "2025-06-01T10:00:00+08:00", **extra}
    return json.dumps(rec, ensure_ascii=False)


def _sarif(tmp_path: Path, *args: str) -> dict[str, Any]:
    r = run_cli("lint", "--now", NOW, "--format", "sarif", *args, cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    log = json.loads(r.stdout)
    if SARIF_SCHEMA.is_file():
        jsonschema = __import__("jsonschema")
        schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
        assert not list(jsonschema.Draft4Validator(schema).iter_errors(log))
    return log


def test_bundled_rules_carry_help_and_a_help_uri_into_docs_policies(tmp_path: Path) -> None:
    write(tmp_path, "in.jsonl", _listing("L1", "最好的T恤") + "\n")
    rules = {r["id"]: r for r in _sarif(tmp_path, "in.jsonl")["runs"][0]["tool"]["driver"]["rules"]}
    extreme = rules["ad_law.extreme_words"]
    assert extreme["helpUri"].endswith("/policies.md#rule-ad_law.extreme_words")
    assert "severity  error" in extreme["help"]["text"] and "广告法" in extreme["help"]["text"]
    assert "[Documentation](" in extreme["help"]["markdown"]
    # the help shows the policy file by its base, not by where the package is installed
    assert "ad_law.rule:" in extreme["help"]["text"] and "(bundled)" in extreme["help"]["text"]
    assert str(REPO) not in extreme["help"]["text"] and "site-packages" not in json.dumps(extreme)
    location = extreme["properties"]["policyLocation"]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "ad_law.rule", "uriBaseId": BUNDLED}


def test_every_bundled_rule_has_an_anchor_in_docs_policies() -> None:
    doc = (REPO / "docs" / "policies.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="rule-([^"]+)"></a>', doc))
    missing = [r.id for r in load().rules() if r.id not in anchors]
    assert missing == []


def test_user_rules_have_help_without_a_help_uri(tmp_path: Path) -> None:
    write(tmp_path, "p/p.rule", """
        # 自定义：标题不能为空
        policy mine {
          rule empty_title "empty title" on listing {
            severity warning
            when listing.title == ""
            message "商品 {listing.id} 标题为空"
          }
        }
        """)
    write(tmp_path, "in.jsonl", _listing("L1", "") + "\n")
    rules = {r["id"]: r for r in _sarif(tmp_path, "--isolated", "-p", "p", "in.jsonl")["runs"][0]["tool"]["driver"]["rules"]}
    mine = rules["mine.empty_title"]
    assert "helpUri" not in mine
    assert "defined   p/p.rule:3" in mine["help"]["text"]
    assert mine["properties"]["policyLocation"]["physicalLocation"]["artifactLocation"] == {
        "uri": "p/p.rule", "uriBaseId": SRCROOT}


def test_inputs_are_relative_to_the_working_directory_whatever_way_they_are_named(tmp_path: Path) -> None:
    f = write(tmp_path, "data/in.jsonl", _listing("L1", "最好的T恤") + "\n")
    for name in (str(f), "data/in.jsonl", "./data/in.jsonl"):
        run = _sarif(tmp_path, name)["runs"][0]
        assert run["originalUriBaseIds"][SRCROOT]["uri"] == tmp_path.resolve().as_uri() + "/"
        loc = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        assert loc == {"uri": "data/in.jsonl", "uriBaseId": SRCROOT}, name


def test_an_input_outside_the_working_directory_keeps_an_absolute_uri(tmp_path: Path) -> None:
    f = write(tmp_path, "elsewhere/in.jsonl", _listing("L1", "最好的T恤") + "\n")
    (tmp_path / "work").mkdir()
    loc = _sarif(tmp_path / "work", str(f))["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": f.resolve().as_uri()}


def test_evidence_has_column_regions_in_its_json_line(tmp_path: Path) -> None:
    line = _listing("L1", 'A "quoted" 最好的T恤，国家级工艺', note="\u6700\u597d")
    (tmp_path / "in.jsonl").write_text("\n" + line + "\n", encoding="utf-8")  # the record is on line 2
    run = _sarif(tmp_path, "in.jsonl")["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    result = next(r for r in run["results"] if r["ruleId"] == "ad_law.extreme_words")
    regions = [result["locations"][0]["physicalLocation"]["region"]]
    regions += [x["physicalLocation"]["region"] for x in result["relatedLocations"]]
    cut = [line[r["startColumn"] - 1:r["endColumn"] - 1] for r in regions]
    assert cut == [e["text"] for e in result["properties"]["evidence"]] == ["最好", "国家级"]
    assert all(r["startLine"] == 2 for r in regions)


def test_check_sarif_names_bundled_policy_files_by_their_base(tmp_path: Path) -> None:
    write(tmp_path, "p.rule", "policy p {\n  let unused = 1\n}\n")
    r = run_cli("check", "--format", "sarif", "p.rule", cwd=tmp_path)
    run = json.loads(r.stdout)["runs"][0]
    assert SRCROOT in run["originalUriBaseIds"]
    for result in run["results"]:
        assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "p.rule",
                                                                                  "uriBaseId": SRCROOT}


# --- field_columns against the JSON decoder ----------------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", "最好", 'a"b\\c', "\n\t\u2028", "😀x", "\x00\x1f"])


@settings(max_examples=300, deadline=None)
@given(value=_TEXT, before=st.dictionaries(st.sampled_from(["id", "x", "nested"]), _TEXT, max_size=3),
       ascii_only=st.booleans(), spaced=st.booleans())
def test_field_columns_cut_each_code_point_out_of_the_line(value: str, before: dict[str, str], ascii_only: bool,
                                                           spaced: bool) -> None:
    record = {**{k: {"title": v} if k == "nested" else v for k, v in before.items()}, "title": value, "z": [value]}
    separators = (", ", ": ") if spaced else (",", ":")
    raw = json.dumps(record, ensure_ascii=ascii_only, separators=separators)
    found = field_columns(raw, "title")
    assert found is not None
    decoded, columns = found
    assert decoded == json.loads(raw)["title"] == value
    assert len(columns) == len(value) + 1
    # naive reference: the raw text between two columns is the JSON encoding of exactly that code point
    for k, ch in enumerate(value):
        assert json.loads('"' + raw[columns[k] - 1:columns[k + 1] - 1] + '"') == ch


def test_field_columns_when_the_field_is_absent_or_not_a_string() -> None:
    assert field_columns('{"id": "x", "nested": {"title": "t"}}', "title") is None
    assert field_columns('{"title": 5}', "title") is None
    assert field_columns('{"title": "a", "title": "bc"}', "title") == ("bc", [26, 27, 28])


def test_action_arguments_of_every_type_are_written(tmp_path: Path) -> None:
    """Decimals, weights, money, times, durations and whole records in action arguments: SARIF writes them as the
    JSON formats do (it stopped with `Decimal is not JSON serializable` before)."""
    write(tmp_path, "p.rule", """
policy p {
  rule r on listing {
    severity warning
    when true
    message "x"
    action a(price: listing.price, rate: 0.95, at: listing.published_at, wait: 2h, whole: listing, n: 3)
  }
}
""")
    write(tmp_path, "l.jsonl", _listing("L1", "纯棉T恤") + "\n")
    log = _sarif(tmp_path, "-p", "p.rule", "l.jsonl")
    jsonl = run_cli("lint", "--now", NOW, "--format", "jsonl", "-p", "p.rule", "l.jsonl", cwd=tmp_path)
    want = json.loads(jsonl.stdout)["violations"][0]["actions"]
    got = [r for r in log["runs"][0]["results"] if r["ruleId"] == "p.r"][0]["properties"]["actions"]
    assert got == want
    assert want[0]["args"]["rate"] == 0.95 and want[0]["args"]["price"] == "59.00" and want[0]["args"]["wait"] == 7200
