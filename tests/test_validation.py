"""The one validation path: generated validators and the pydantic record models accept and reject the same
inputs with the same §6 message (a property over near-valid records of every built-in type)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rulekit.loader import load_program
from rulekit.records.models import ModelBuilder
from rulekit.records.validate import RecordBase, compile_validators, validate
from rulekit.resources import standard_policies
from rulekit.values import MISSING

PROGRAM = load_program([standard_policies()])
REGISTRY = PROGRAM.registry
VALIDATORS = compile_validators(REGISTRY)
MODELS = ModelBuilder(REGISTRY)

ITEM = {"sku": "K1", "quantity": 1, "price": 50}
DOCUMENT = {"kind": "inspection_report", "issued_at": "2025-01-01", "expires_at": "2026-01-01"}
VALID: dict[str, dict[str, Any]] = {
    "order": {"id": "o1", "shop_id": "S1", "buyer_id": "B1", "ip": "1.1.1.1", "region": "浙江", "category": "服饰",
              "items": [ITEM], "total": 50, "shipping_fee": 0, "claims_free_shipping": False, "weight": 1,
              "created_at": "2025-06-01T10:00:00+08:00", "status": "paid"},
    "product": {"id": "p1", "shop_id": "S1", "title": "连衣裙", "category": "服饰", "price": "99.5", "stock": 3,
                "no_reason_return": True, "documents": [DOCUMENT], "updated_at": "2025-06-01T10:00:00"},
    "shop": {"id": "S1", "name": "店", "main_category": "服饰", "enterprise_verified": True, "showcase_enabled": False,
             "return_days": 7, "metrics": {"reply_rate_3min": 0.9, "gmv": "1000.00", "uv": 10},
             "as_of": "2025-06-01T10:00:00Z"},
    "promotion": {"id": "m1", "shop_id": "S1", "kind": "full_reduction", "tiers": [{"threshold": 100, "off": 10}],
                  "starts_at": "2025-06-01", "ends_at": "2025-06-02T00:00:00", "product_ids": ["p1"]},
}

#: Values a field may be given instead of a valid one: every JSON shape, numeric and date strings, edge numbers.
ODD = st.sampled_from([
    None, MISSING, True, False, 0, 1, -3, 2.5, 2.0, float("nan"), float("inf"), Decimal("1.50"), Decimal("NaN"),
    Decimal("1E+2"), "", " ", "abc", "12", "-4", "1.5", "true", "FALSE", "2025-06-01", "2025-06-01T10:00:00",
    "2025-06-01T10:00:00Z", "2025-13-01", "1h30m", "90", [], [1], ["a"], [None], [{}], [ITEM], [{"sku": 1}],
    [DOCUMENT], [{"kind": "x", "issued_at": 5}], {}, {"a": 1}, {"reply_rate_3min": "x"}, ITEM,
    datetime(2025, 6, 1, 10), date(2025, 6, 1), timedelta(minutes=5),
])


@st.composite
def near_valid(draw: Any) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(sorted(VALID)))
    data = dict(VALID[kind])
    names = sorted(REGISTRY.types[kind].fields)
    for name in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
        value = draw(ODD)
        if value is MISSING:
            data.pop(name, None)
        else:
            data[name] = value
    if draw(st.booleans()):
        data["unknown_extra"] = draw(ODD)
    return kind, data


def _plain(v: Any) -> Any:
    if isinstance(v, RecordBase) or hasattr(type(v), "model_fields"):
        fields = v._fields if isinstance(v, RecordBase) else list(type(v).model_fields)
        return {k: _plain(getattr(v, k)) for k in fields}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


@settings(max_examples=600, deadline=None)
@given(near_valid())
def test_generated_validators_agree_with_the_pydantic_models(case: tuple[str, dict[str, Any]]) -> None:
    kind, data = case
    fast, fast_error = validate(VALIDATORS, kind, data)
    model, model_error = MODELS.validate(kind, data)
    assert fast_error == model_error
    assert (fast is None) == (model is None)
    if fast is not None:
        assert _plain(fast) == _plain(model)
    if fast_error is not None:
        # user-facing text: JSON spellings of the input, never Python reprs
        for word in ("None", "True", "False", "Decimal(", "datetime.", "<", "'"):
            assert word not in fast_error, fast_error


def test_every_problem_is_named_in_field_order() -> None:
    data = {**VALID["order"], "total": "abc", "items": [ITEM, {"sku": "K2", "quantity": None, "price": "x"}, 5]}
    del data["created_at"]
    _, error = validate(VALIDATORS, "order", data)
    assert error == ('order.items[1].quantity: is null but the field is required; '
                     'order.items[1].price: not a money amount: "x"; '
                     "order.items[2]: expected an object, got 5; "
                     'order.total: not a money amount: "abc"; '
                     "order.created_at: required field is missing")


def test_a_duration_longer_than_timedelta_holds_is_an_error_naming_the_field() -> None:
    """Seconds or a literal past a billion days: a §6 error, not an OverflowError out of the validator."""
    from rulekit.records.convert import Invalid, to_duration

    for value in (10**20, 1e300, "99999999999999d"):
        try:
            to_duration(value)
        except Invalid as e:
            assert "not a duration" in str(e) and "Overflow" not in str(e)
        else:
            raise AssertionError(f"{value} was read as a duration")
    assert to_duration(90) == timedelta(seconds=90) and to_duration("1h30m") == timedelta(hours=1, minutes=30)
