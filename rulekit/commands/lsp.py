"""`rulekit lsp`: the language server over standard input and output (needs the `lsp` extra: pygls)."""

from __future__ import annotations

import argparse
import sys

from rulekit.commands.common import EXIT_USAGE


def run(a: argparse.Namespace) -> int:
    """Serve until the client exits; 2 when pygls is not installed."""
    try:
        from rulekit.lsp.server import main
    except ImportError as e:
        print(f"rulekit lsp needs the language server extra: pip install 'rulekit[lsp]' ({e.name} is missing)",
              file=sys.stderr)
        return EXIT_USAGE
    return main()
