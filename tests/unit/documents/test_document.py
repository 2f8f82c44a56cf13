"""The Document object as scripts and services use it."""

from __future__ import annotations

import pytest

from webapp.documents.document import Document, _dict


def test_unset_field_reads_none_and_missing_attribute_raises(ctx):
    doc = Document("ToDo")
    assert doc.description is None and doc.name is None and doc.get("date") is None
    with pytest.raises(AttributeError, match="no field or attribute 'nope'"):
        doc.nope  # noqa: B018
    with pytest.raises(AttributeError):
        doc._data_copy  # noqa: B018
    assert doc.get("nope", "fallback") == "fallback"
    assert doc.doctype == "ToDo"


@pytest.mark.parametrize("key", ["_data", "_x", "__class__", "save", "insert", "flags", "meta", "doctype", "db_set"])
def test_setting_private_or_method_names_is_refused(ctx, key):
    doc = Document("ToDo")
    with pytest.raises(AttributeError):
        setattr(doc, key, 1)
    assert callable(doc.save) and doc.doctype == "ToDo"


def test_set_refuses_private_names(ctx):
    doc = Document("ToDo")
    with pytest.raises(AttributeError):
        doc.set("_meta", None)
    with pytest.raises(AttributeError):
        doc.set("doctype", "Note")


def test_get_set_and_attribute_access_agree(ctx):
    doc = Document("ToDo", {"description": "a"})
    doc.set("status", "Closed")
    doc.priority = "High"
    assert (doc.get("priority"), doc.status, doc.description) == ("High", "Closed", "a")
    doc.custom_thing = 5  # scripts may carry values beyond the fields, as in Frappe
    assert doc.custom_thing == 5 and doc.as_dict()["custom_thing"] == 5


def test_append_and_as_dict(services):
    claim = services.new_doc("Expense Claim", {"employee_name": "Ann"})
    row = claim.append("expenses", {"expense_type": "Taxi", "amount": 3})
    row.description = "airport"
    claim.append("expenses").update({"expense_type": "Food", "amount": 4})
    data = claim.as_dict()
    assert isinstance(data, _dict) and data.doctype == "Expense Claim"
    assert [(r["idx"], r["expense_type"], r["doctype"]) for r in data["expenses"]] == [
        (1, "Taxi", "Expense Claim Detail"), (2, "Food", "Expense Claim Detail")]
    assert data.expenses[0]["description"] == "airport"
    assert data["approval_status"] == "Draft"  # default applied by new_doc
    with pytest.raises(AttributeError):
        claim.append("employee_name", {})
    assert "remark" not in claim.as_dict(no_nulls=True)


def test_is_new_and_before_save(services):
    doc = services.new_doc("ToDo", {"description": "first"})
    assert doc.is_new() and doc.get_doc_before_save() is None and doc.has_value_changed("description")
    services.insert(doc)
    assert not doc.is_new()
    doc.description = "second"
    services.save(doc)
    before = doc.get_doc_before_save()
    assert before.description == "first" and doc.description == "second"
    assert doc.has_value_changed("description") and not doc.has_value_changed("status")


def test_before_save_is_visible_to_listeners(services, listener):
    seen = {}

    def spy(doc, event):
        if event == "validate" and not doc.is_new():
            seen["before"] = doc.get_doc_before_save().description
            seen["changed"] = doc.has_value_changed("description")

    listener(spy)
    doc = services.insert(services.new_doc("ToDo", {"description": "old"}))
    doc.description = "new"
    services.save(doc)
    assert seen == {"before": "old", "changed": True}


def test_flags_are_a_fresh_attribute_dict(ctx):
    doc = Document("ToDo")
    doc.flags.ignore_something = True
    assert doc.flags.ignore_something is True and doc.flags.missing is None
    assert Document("ToDo").flags == {}


def test_reload_reads_the_stored_values(services):
    doc = services.insert(services.new_doc("ToDo", {"description": "stored"}))
    doc.description = "unsaved"
    assert doc.reload() is doc
    assert doc.description == "stored"


def test_db_set_writes_without_hooks(services, recorder):
    doc = services.insert(services.new_doc("ToDo", {"description": "x"}))
    recorder.clear()
    old_modified = doc.modified
    doc.db_set("status", "Closed")
    assert recorder == []
    stored = services.get_doc("ToDo", doc.name)
    assert stored.status == "Closed" and stored.modified >= old_modified
    doc.db_set({"priority": "High", "description": "y"}, update_modified=False)
    stored2 = services.get_doc("ToDo", doc.name)
    assert (stored2.priority, stored2.description, stored2.modified) == ("High", "y", stored.modified)
    from webapp.errors import ValidationError

    with pytest.raises(ValidationError, match="no field 'nope'"):
        doc.db_set("nope", 1)


def test_child_rows_keep_order_and_idx_after_reorder_and_remove(services):
    claim = services.new_doc("Expense Claim", {"employee_name": "Ann"})
    for kind, amount in (("A", 1), ("B", 2), ("C", 3), ("D", 4)):
        claim.append("expenses", {"expense_type": kind, "amount": amount})
    services.insert(claim)
    stored = services.get_doc("Expense Claim", claim.name)
    assert [(r.idx, r.expense_type) for r in stored.expenses] == [(1, "A"), (2, "B"), (3, "C"), (4, "D")]

    rows = stored.expenses
    stored.expenses = [rows[3], rows[0], rows[2]]  # reorder and drop B
    services.save(stored)
    again = services.get_doc("Expense Claim", claim.name)
    assert [(r.idx, r.expense_type) for r in again.expenses] == [(1, "D"), (2, "A"), (3, "C")]
    assert [r.name for r in again.expenses] == [rows[3].name, rows[0].name, rows[2].name]
    assert {r.parent for r in again.expenses} == {claim.name}

    again.expenses = again.expenses[1:]
    again.append("expenses", {"expense_type": "E", "amount": 5})
    services.save(again)
    final = services.get_doc("Expense Claim", claim.name)
    assert [(r.idx, r.expense_type) for r in final.expenses] == [(1, "A"), (2, "C"), (3, "E")]
    assert services.get_count("Expense Claim Detail", ignore_permissions=True) == 3


def test_get_doc_forms(services):
    services.insert(services.new_doc("ToDo", {"description": "find me", "status": "Closed"}))
    found = services.get_doc("ToDo", {"status": "Closed"})
    assert found.description == "find me"
    new = services.get_doc({"doctype": "ToDo", "description": "d"})
    assert new.is_new() and new.status == "Open"
    from webapp.errors import DoesNotExistError

    with pytest.raises(DoesNotExistError):
        services.get_doc("ToDo", "nope")
    with pytest.raises(DoesNotExistError):
        services.get_doc("ToDo", {"status": "Cancelled"})
    with pytest.raises(DoesNotExistError):
        services.get_doc("No Such Type", "x")
