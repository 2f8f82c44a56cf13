"""Naming: hash, field:title, prompt, and series that count per prefix and per year."""

from __future__ import annotations

import datetime as dt
import re
import types

import pytest

from webapp.documents import naming
from webapp.errors import MandatoryError


def test_hash_names_are_ten_hex_characters_and_unique():
    names = {naming.make_hash() for _ in range(2000)}
    assert len(names) == 2000
    assert all(re.fullmatch(r"[0-9a-f]{10}", n) for n in names)


def test_todo_gets_a_hash_name(services):
    doc = services.insert(services.new_doc("ToDo", {"description": "buy milk"}))
    assert re.fullmatch(r"[0-9a-f]{10}", doc.name)
    other = services.insert(services.new_doc("ToDo", {"description": "buy milk"}))
    assert other.name != doc.name


def test_note_is_named_from_its_title(services):
    doc = services.insert(services.new_doc("Note", {"title": "  Meeting notes  ", "content": "x"}))
    assert doc.name == "Meeting notes"
    assert services.get_doc("Note", "Meeting notes").content == "x"


def test_note_without_title_names_the_missing_field(services):
    with pytest.raises(MandatoryError, match="Title"):
        services.insert(services.new_doc("Note", {"content": "x"}))


def test_prompt_naming_needs_a_name(ctx):
    from webapp.documents.document import Document

    doc = Document("User", {"email": "x@example.com"})
    with pytest.raises(MandatoryError, match="name is required"):
        naming.set_name(doc)
    doc.name = "  x@example.com "
    naming.set_name(doc)
    assert doc.name == "x@example.com"


def test_task_series_counts_up(services):
    names = [services.insert(services.new_doc("Task", {"subject": f"t{i}"})).name for i in range(3)]
    assert names == ["TASK-00001", "TASK-00002", "TASK-00003"]


def test_series_count_per_prefix(services):
    year = dt.date.today().year
    task = services.insert(services.new_doc("Task", {"subject": "a"}))
    claim = services.insert(services.new_doc("Expense Claim", {"employee_name": "Ann"}))
    task2 = services.insert(services.new_doc("Task", {"subject": "b"}))
    claim2 = services.insert(services.new_doc("Expense Claim", {"employee_name": "Bob"}))
    assert (task.name, task2.name) == ("TASK-00001", "TASK-00002")
    assert (claim.name, claim2.name) == (f"HR-EXP-{year}-00001", f"HR-EXP-{year}-00002")


def test_series_restarts_each_year(services, monkeypatch):
    class FakeDate(dt.date):
        fixed = dt.date(2031, 12, 31)

        @classmethod
        def today(cls):
            return cls.fixed

    monkeypatch.setattr(naming, "dt", types.SimpleNamespace(date=FakeDate))
    first = services.insert(services.new_doc("Expense Claim", {"employee_name": "Ann"}))
    second = services.insert(services.new_doc("Expense Claim", {"employee_name": "Ann"}))
    FakeDate.fixed = dt.date(2032, 1, 1)
    third = services.insert(services.new_doc("Expense Claim", {"employee_name": "Ann"}))
    assert [first.name, second.name, third.name] == ["HR-EXP-2031-00001", "HR-EXP-2031-00002", "HR-EXP-2032-00001"]


def test_series_parts_understand_frappe_syntax():
    day = dt.date(2024, 3, 7)
    assert naming._series_parts("TASK-.#####", day) == ("TASK-", 5)
    assert naming._series_parts("HR-EXP-.YYYY.-.#####", day) == ("HR-EXP-2024-", 5)
    assert naming._series_parts("X-.YY.MM.DD.-.###", day) == ("X-240307-", 3)
    with pytest.raises(ValueError):
        naming._series_parts("NOPE-.YYYY", day)


def test_child_rows_get_names_and_their_parent(services):
    claim = services.new_doc("Expense Claim", {"employee_name": "Ann"})
    claim.append("expenses", {"expense_type": "Taxi", "amount": 10})
    services.insert(claim)
    row = claim.expenses[0]
    assert re.fullmatch(r"[0-9a-f]{10}", row.name)
    assert (row.parent, row.parenttype, row.parentfield, row.idx) == (claim.name, "Expense Claim", "expenses", 1)
