"""The language server (`rulekit lsp`): diagnostics, formatting, hover, definitions, completion over LSP (pygls)."""
