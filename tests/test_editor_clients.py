"""The language server under a real editor: Neovim, headless, with the configuration docs/editors.md gives."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pygls")

NVIM = shutil.which("nvim")

INIT = """
vim.cmd("autocmd BufRead,BufNewFile *.rule set filetype=rulekit")
vim.api.nvim_create_autocmd("FileType", {{
  pattern = "rulekit",
  callback = function(args)
    local id = vim.lsp.start_client({{ name = "rulekit", cmd = {{ {python!r}, "-m", "rulekit", "lsp" }},
                                      root_dir = {root!r} }})
    vim.lsp.buf_attach_client(args.buf, id)
  end,
}})
"""

CHECK = """
vim.wait(30000, function() return #vim.diagnostic.get(0) >= 2 end, 100)
local lines = {{}}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(lines, string.format("diag %d:%d %s", d.lnum + 1, d.col + 1, d.code or ""))
end
vim.api.nvim_win_set_cursor(0, {{3, 11}})
local res = vim.lsp.buf_request_sync(0, "textDocument/hover", vim.lsp.util.make_position_params(), 10000)
for _, r in pairs(res or {{}}) do
  if r.result then table.insert(lines, "hover " .. (r.result.contents.value:gsub("\\n", " "))) end
end
vim.fn.writefile(lines, {out!r})
vim.cmd("qa!")
"""


@pytest.mark.skipif(NVIM is None, reason="Neovim is not installed (.ci/run installs it)")
def test_neovim_gets_diagnostics_and_hover(tmp_path: Path) -> None:
    pol = tmp_path / "pol"
    pol.mkdir()
    rule = pol / "p.rule"
    rule.write_text(textwrap.dedent("""\
        policy p {
          rule r on order {
            when order.regin == "新疆"
            message "x"，
          }
        }
        """), encoding="utf-8")
    out = tmp_path / "result.txt"
    (tmp_path / "init.lua").write_text(INIT.format(python=sys.executable, root=str(pol)), encoding="utf-8")
    (tmp_path / "check.lua").write_text(CHECK.format(out=str(out)), encoding="utf-8")
    subprocess.run([str(NVIM), "--headless", "-u", str(tmp_path / "init.lua"), str(rule), "-c",
                    f"luafile {tmp_path / 'check.lua'}"], timeout=90, capture_output=True, cwd=tmp_path)
    got = out.read_text(encoding="utf-8").splitlines()
    # columns are Neovim's (UTF-16 from the server, shown from 1): `，` follows `message "x"` on line 4
    assert "diag 3:10 E003" in got and "diag 4:16 E001" in got, got
    assert any(line.startswith("hover ") and "order: order" in line for line in got), got
