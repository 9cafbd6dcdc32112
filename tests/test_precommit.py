"""The pre-commit hooks of .pre-commit-hooks.yaml, run by pre-commit itself against a temporary repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import REPO, order, write

pytestmark = pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(),
                                reason="needs git and a git checkout of rulekit")
UGLY = 'policy coupon {\nrule big on order {\n  when order.total>¥100\n  message "big"\n}\n}\n'


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("pre_commit")
    return tmp_path_factory.mktemp("pre-commit-home")  # one hook environment for the module


def git_repo(path: Path) -> Path:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "files"]):
        subprocess.run(["git", *args], cwd=path, check=True, env=env, capture_output=True)
    return path


def hook(repo: Path, home: Path, hook_id: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["pre-commit", "try-repo", str(REPO), hook_id, "--all-files", "--verbose"], cwd=repo, text=True,
                          capture_output=True, timeout=600, env={**os.environ, "PRE_COMMIT_HOME": str(home)})


def test_the_hooks_pass_and_fail_as_the_commands_do(tmp_path: Path, home: Path) -> None:
    repo = tmp_path / "shop"
    write(repo, "policies/coupon.rule", UGLY)
    write(repo, "data/listings.jsonl", json.dumps(
        {"id": "L1", "shop_id": "S1", "title": "全网最低价 耳机", "description": "", "category": "数码", "price": 9,
         "images": [], "published_at": "2025-06-01T10:00:00+08:00"}, ensure_ascii=False) + "\n")
    write(repo, "data/orders.jsonl", json.dumps(order()) + "\n")
    git_repo(repo)
    r = hook(repo, home, "rulekit-fmt")
    assert r.returncode == 1 and "would reformat policies/coupon.rule" in r.stdout, r.stdout + r.stderr
    r = hook(repo, home, "rulekit-check")
    assert r.returncode == 0 and "ok: 1 file, 1 rule" in r.stdout, r.stdout + r.stderr
    r = hook(repo, home, "rulekit-test")
    assert r.returncode == 0 and "0 passed, 0 failed" in r.stdout, r.stdout + r.stderr
    r = hook(repo, home, "rulekit-lint")  # the bundled policies: the listing breaks the advertising law
    assert r.returncode == 1 and "ad_law.extreme_words" in r.stdout, r.stdout + r.stderr
