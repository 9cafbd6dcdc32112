"""Record types: the registry, the one generated validation path, pydantic models and JSON Schema for the API."""

from rulekit.records.registry import FieldInfo, RecordRegistry, RecordType, RegistryBuilder, resolve_type
from rulekit.records.validate import InvalidRecord, RecordBase, compile_validators, validate

__all__ = [
    "FieldInfo", "InvalidRecord", "RecordBase", "RecordRegistry", "RecordType", "RegistryBuilder",
    "compile_validators", "resolve_type", "validate",
]
