"""Coercion for every field type: good values become the right Python type, bad ones name the field."""

from __future__ import annotations

import datetime as dt

import pytest

from webapp.doctypes.meta import Field
from webapp.documents.coerce import coerce, default_value, from_db
from webapp.errors import ValidationError


def F(fieldtype: str, **kw) -> Field:  # noqa: N802
    return Field("my_field", fieldtype, label="My Field", **kw)


@pytest.mark.parametrize(
    ("fieldtype", "value", "expected"),
    [
        ("Data", "abc", "abc"),
        ("Data", 12, "12"),
        ("Data", None, None),
        ("Data", "", ""),
        ("Text", "x" * 5000, "x" * 5000),
        ("Code", "print(1)\n", "print(1)\n"),
        ("Password", "s3cret", "s3cret"),
        ("Select", "Open", "Open"),
        ("Link", "Administrator", "Administrator"),
        ("Link", "", None),
        ("Int", "42", 42),
        ("Int", 7.0, 7),
        ("Int", " -3 ", -3),
        ("Int", None, 0),
        ("Int", "", 0),
        ("Int", True, 1),
        ("Check", "1", 1),
        ("Check", 0, 0),
        ("Check", 5, 1),
        ("Check", "true", 1),
        ("Check", "No", 0),
        ("Check", None, 0),
        ("Float", "1.5", 1.5),
        ("Float", 2, 2.0),
        ("Float", "1,234.5", 1234.5),
        ("Float", None, 0.0),
        ("Currency", "10.25", 10.25),
        ("Currency", 3, 3.0),
        ("Date", "2024-02-29", dt.date(2024, 2, 29)),
        ("Date", dt.datetime(2024, 1, 2, 3, 4), dt.date(2024, 1, 2)),
        ("Date", dt.date(2024, 1, 2), dt.date(2024, 1, 2)),
        ("Date", "2024-01-02 10:00:00", dt.date(2024, 1, 2)),
        ("Date", "", None),
        ("Date", None, None),
        ("Datetime", "2024-01-02 03:04:05", dt.datetime(2024, 1, 2, 3, 4, 5)),
        ("Datetime", "2024-01-02T03:04:05.123456", dt.datetime(2024, 1, 2, 3, 4, 5, 123456)),
        ("Datetime", "2024-01-02 03:04", dt.datetime(2024, 1, 2, 3, 4)),
        ("Datetime", "2024-01-02", dt.datetime(2024, 1, 2)),
        ("Datetime", dt.date(2024, 1, 2), dt.datetime(2024, 1, 2)),
        ("Datetime", None, None),
    ],
)
def test_good_values(fieldtype, value, expected):
    result = coerce(F(fieldtype), value)
    assert result == expected
    assert type(result) is type(expected)


def test_date_today_and_datetime_now_are_understood():
    assert coerce(F("Date"), "Today") == dt.date.today()
    assert abs(coerce(F("Datetime"), "now") - dt.datetime.now()) < dt.timedelta(seconds=5)


@pytest.mark.parametrize(
    ("fieldtype", "value", "what"),
    [
        ("Data", {"a": 1}, "text value"),
        ("Data", [1, 2], "text value"),
        ("Link", ["Administrator"], "text value"),
        ("Int", "abc", "whole number"),
        ("Int", "1.5", "whole number"),
        ("Int", [1], "whole number"),
        ("Int", 2**70, "too large"),
        ("Check", "maybe", "whole number"),
        ("Float", "ten", "number"),
        ("Float", "nan", "number"),
        ("Float", "inf", "number"),
        ("Float", {"x": 1}, "number"),
        ("Currency", "12 EUR", "number"),
        ("Date", "2024-02-30", "date"),
        ("Date", "yesterday", "date"),
        ("Date", 20240101, "date"),
        ("Datetime", "2024-01-02 25:00:00", "date and time"),
        ("Datetime", "noon", "date and time"),
        ("Datetime", 12, "date and time"),
    ],
)
def test_bad_values_name_the_field(fieldtype, value, what):
    with pytest.raises(ValidationError) as err:
        coerce(F(fieldtype), value)
    assert "My Field" in err.value.message
    assert what in err.value.message
    assert err.value.fields == ("my_field",)


@pytest.mark.parametrize("fieldtype", ["Data", "Link", "Select"])
def test_short_text_fields_hold_at_most_140_characters(fieldtype):
    assert coerce(F(fieldtype), "x" * 140) == "x" * 140
    with pytest.raises(ValidationError, match=r"My Field: the value is 141 characters long; at most 140"):
        coerce(F(fieldtype), "x" * 141)


def test_from_db_normalises_numbers_and_nulls():
    from decimal import Decimal

    assert from_db(F("Currency"), Decimal("10.500000000")) == 10.5
    assert type(from_db(F("Currency"), Decimal("1"))) is float
    assert from_db(F("Int"), None) == 0
    assert from_db(F("Check"), None) == 0
    assert from_db(F("Float"), None) == 0.0
    assert from_db(F("Data"), None) is None


def test_defaults():
    assert default_value(F("Date", default="Today")) == dt.date.today()
    assert default_value(F("Check", default="1")) == 1
    assert default_value(F("Select", default="Open")) == "Open"
    assert default_value(F("Data")) is None


def test_bad_value_in_a_document_names_the_field(services):
    doc = services.new_doc("ToDo", {"description": "x", "date": "31/12/2024"})
    with pytest.raises(ValidationError) as err:
        services.insert(doc)
    assert err.value.message == "Date: '31/12/2024' is not a valid date (use YYYY-MM-DD)"
    assert err.value.fields == ("date",)
    claim = services.new_doc("Expense Claim", {"employee_name": "Ann", "total_claimed_amount": "lots"})
    with pytest.raises(ValidationError, match="Total Claimed Amount: 'lots' is not a valid number"):
        services.insert(claim)


def test_stored_values_come_back_typed(services):
    claim = services.new_doc("Expense Claim", {"employee_name": "Ann", "posting_date": "2024-05-06",
                                               "total_claimed_amount": "12.5"})
    claim.append("expenses", {"expense_type": "Taxi", "amount": "12.5", "expense_date": "2024-05-05"})
    services.insert(claim)
    fresh = services.get_doc("Expense Claim", claim.name)
    assert fresh.posting_date == dt.date(2024, 5, 6)
    assert fresh.total_claimed_amount == 12.5 and type(fresh.total_claimed_amount) is float
    assert fresh.expenses[0].amount == 12.5 and type(fresh.expenses[0].amount) is float
    assert fresh.expenses[0].expense_date == dt.date(2024, 5, 5)
    assert isinstance(fresh.creation, dt.datetime) and fresh.docstatus == 0
    note = services.insert(services.new_doc("Note", {"title": "n", "public": "1"}))
    assert services.get_doc("Note", note.name).public == 1
