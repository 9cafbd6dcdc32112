"""Input readers and output formats of `rulekit lint`."""

from rulekit.io.formats import (
    FORMATS,
    RuleInfo,
    Summary,
    report_json,
    write_github,
    write_json,
    write_jsonl,
    write_reports,
    write_sarif,
    write_text,
)
from rulekit.io.readers import STDIN_NAME, InputRecord, read_records

__all__ = [
    "FORMATS",
    "STDIN_NAME",
    "InputRecord",
    "RuleInfo",
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
