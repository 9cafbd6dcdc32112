"""The commands of the `rulekit` command line, one module each; `rulekit.cli` parses arguments and dispatches."""
