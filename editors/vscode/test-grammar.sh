#!/bin/sh
# Grammar tests (CI runs this): the assertion files in tests/ (vscode-tmgrammar-test), then every bundled policy
# file tokenized (vscode-tmgrammar-snap) and checked: no `invalid` scope, every statement word scoped as a keyword.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
[ -d node_modules/vscode-tmgrammar-test ] || npm install --no-audit --no-fund --loglevel=error
grammar=syntaxes/rulekit.tmLanguage.json
npx vscode-tmgrammar-test -g "$grammar" 'tests/*.test.rule'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp ../../policies/*.rule "$work"/
npx vscode-tmgrammar-snap -g "$grammar" --updateSnapshot "$work/*.rule" > /dev/null
python3 check_snapshots.py "$work"/*.snap
