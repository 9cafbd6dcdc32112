"""The pytest plugin: `pytest --rulekit PATH` runs the `test` blocks of .rule files as pytest items."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers import REPO, given_json

POLICY = """
policy p {
  rule big on order {
    when order.total > ¥100
    message "big order {order.total}"
  }
}

test "a big order fires" {
  given order {BIG}
  expect violation p.big
}

test "a small order is quiet" {
  given order {BIG2}
  expect no violation p.big
}
"""

POLICY = POLICY.replace("{BIG}", given_json(id="o1", total=500)).replace("{BIG2}", given_json(id="o2", total=500))

PY_TEST = "def test_python():\n    assert True\n"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".rule", **{"policies/p": textwrap.dedent(POLICY)})
    pytester.makepyfile(test_code=PY_TEST)
    return pytester


def test_rulekit_option_collects_test_blocks_as_items(project: pytest.Pytester) -> None:
    r = project.runpytest("--rulekit", "policies", "-v")
    r.assert_outcomes(passed=2, failed=1)
    out = r.stdout.str()
    assert "policies/p.rule::a big order fires PASSED" in out
    assert "policies/p.rule::a small order is quiet FAILED" in out
    # the failure names the file and line of the test and says what was expected and what happened
    lines = (project.path / "policies" / "p.rule").read_text(encoding="utf-8").split("\n")
    line = next(i for i, text in enumerate(lines, 1) if "a small order is quiet" in text)
    assert f'policies/p.rule:{line}: test "a small order is quiet" failed' in out
    assert "expected no violation p.big, but it fired: big order ¥500.00" in out
    assert "Traceback" not in out


def test_a_normal_run_does_not_collect_rule_files(project: pytest.Pytester) -> None:
    r = project.runpytest("-v")
    r.assert_outcomes(passed=1)
    assert ".rule" not in r.stdout.str()
    r = project.runpytest("policies", "-v")  # even when pointed at them
    assert ".rule::" not in r.stdout.str()


def test_the_ini_option(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nrulekit_paths = policies\n")
    r = project.runpytest("-v")
    r.assert_outcomes(passed=2, failed=1)


def test_select_by_keyword(project: pytest.Pytester) -> None:
    r = project.runpytest("--rulekit", "policies", "-k", "big and fires")
    r.assert_outcomes(passed=1, deselected=2)


def test_policies_that_do_not_load_fail_one_item_with_the_diagnostics(pytester: pytest.Pytester) -> None:
    pytester.makefile(".rule", **{"bad/p": "policy p {\n  rule r on order {\n    when order.totl > ¥1\n  }\n}\n"})
    r = pytester.runpytest("--rulekit", "bad")
    r.assert_outcomes(failed=1)
    assert "E003 `order` has no field `totl`" in r.stdout.str()


def test_a_missing_path_is_a_usage_error(pytester: pytest.Pytester) -> None:
    r = pytester.runpytest("--rulekit", "nowhere")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    assert "--rulekit" in r.stderr.str() and "no such file" in r.stderr.str()


def test_the_bundled_policy_tests_run_as_pytest_items(pytester: pytest.Pytester) -> None:
    r = pytester.runpytest("--rulekit", str(REPO / "policies"), "-q")
    outcomes = r.parseoutcomes()
    assert outcomes.get("passed", 0) >= 100 and not outcomes.get("failed")
