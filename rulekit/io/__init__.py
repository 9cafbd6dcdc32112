"""Input readers and output formats of `rulekit lint`."""

from rulekit.io.formats import (
    FORMATS,
    Summary,
    located,
    report_json,
    write_github,
    write_json,
    write_jsonl,
    write_reports,
    write_text,
)
from rulekit.io.pairs import rule_stub
from rulekit.io.readers import STDIN_NAME, InputRecord, read_records
from rulekit.io.sarif import write_sarif

__all__ = [
    "located",
    "rule_stub",
    "FORMATS",
    "STDIN_NAME",
    "InputRecord",
    "Summary",
    "read_records",
    "report_json",
    "write_github",
    "write_json",
    "write_jsonl",
    "write_reports",
    "write_sarif",
    "write_text",
]
