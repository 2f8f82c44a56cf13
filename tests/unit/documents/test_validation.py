"""Field validation on save: required (also in child rows), Select options, Links, unique."""

from __future__ import annotations

import pytest

from webapp.errors import DuplicateEntryError, LinkValidationError, MandatoryError, ValidationError


def _count(services, doctype: str) -> int:
    return services.get_count(doctype, ignore_permissions=True)


def test_required_field_missing(services):
    with pytest.raises(MandatoryError) as err:
        services.insert(services.new_doc("ToDo", {"description": "   "}))
    assert err.value.message == "ToDo: value missing for Description"
    assert err.value.fields == ("description",)
    assert _count(services, "ToDo") == 0


def test_ignore_mandatory_skips_only_the_required_check(services):
    # Frappe's insert(ignore_mandatory=True): required fields may stay empty, nothing else is skipped.
    doc = services.new_doc("ToDo", {"description": ""})
    services.insert(doc, ignore_mandatory=True)
    assert services.get_doc("ToDo", doc.name).description in (None, "")
    claim = services.new_doc("Expense Claim", {})
    claim.append("expenses", {"amount": 3})
    services.insert(claim, ignore_mandatory=True)  # child rows too
    with pytest.raises(ValidationError, match="should be one of"):
        services.insert(services.new_doc("ToDo", {"status": "Nope"}), ignore_mandatory=True)
    with pytest.raises(LinkValidationError):
        services.insert(services.new_doc("ToDo", {"allocated_to": "nobody@example.com"}), ignore_mandatory=True)
    assert _count(services, "ToDo") == 1


def test_doc_insert_passes_ignore_mandatory_on(services):
    doc = services.new_doc("Note", {})
    with pytest.raises(MandatoryError):
        doc.insert()
    with pytest.raises(ValidationError):  # naming by title still needs the title
        services.new_doc("Note", {}).insert(ignore_mandatory=True)
    services.new_doc("ToDo", {}).insert(ignore_mandatory=True)
    assert _count(services, "ToDo") == 1


def test_required_field_in_a_child_row_names_the_row(services):
    claim = services.new_doc("Expense Claim", {"employee_name": "Ann"})
    claim.append("expenses", {"expense_type": "Taxi", "amount": 5})
    claim.append("expenses", {"amount": 7})
    with pytest.raises(MandatoryError, match=r"Expense Claim Detail: value missing for Expense Type in row 2 of expenses"):
        services.insert(claim)
    assert _count(services, "Expense Claim") == 0


def test_required_currency_in_a_child_row_must_be_given(services):
    claim = services.new_doc("Expense Claim", {"employee_name": "Ann"})
    claim.append("expenses", {"expense_type": "Taxi"})
    with pytest.raises(MandatoryError, match="Amount"):
        services.insert(claim)
    claim = services.new_doc("Expense Claim", {"employee_name": "Ann"})
    claim.append("expenses", {"expense_type": "Gift", "amount": 0})  # zero is a value, as in Frappe
    services.insert(claim)
    assert services.get_doc("Expense Claim", claim.name).expenses[0].amount == 0.0


def test_select_must_be_one_of_the_options(services):
    with pytest.raises(ValidationError) as err:
        services.insert(services.new_doc("ToDo", {"description": "x", "status": "Done"}))
    assert err.value.message == "Status cannot be 'Done'. It should be one of: Open, Closed, Cancelled"
    assert err.value.fields == ("status",)
    doc = services.insert(services.new_doc("Task", {"subject": "x", "priority": ""}))  # blank is an option
    assert doc.priority == ""


def test_select_defaults_apply(services):
    doc = services.insert(services.new_doc("ToDo", {"description": "x"}))
    assert (doc.status, doc.priority) == ("Open", "Medium")


def test_link_to_user_must_exist(services, make_user):
    with pytest.raises(LinkValidationError) as err:
        services.insert(services.new_doc("ToDo", {"description": "x", "allocated_to": "ghost@example.com"}))
    assert err.value.message == "Allocated To: User 'ghost@example.com' does not exist"
    make_user("real@example.com")
    doc = services.insert(services.new_doc("ToDo", {"description": "x", "allocated_to": "real@example.com",
                                                    "assigned_by": "Administrator"}))
    assert services.get_doc("ToDo", doc.name).allocated_to == "real@example.com"


def test_link_to_a_document_must_exist(services):
    # A doctype defined as a user would (a DocType row): its Link is checked like a built-in's.
    services.insert(services.new_doc("DocType", {
        "name": "Test Link Holder", "fields": [{"fieldname": "task", "fieldtype": "Link", "options": "Task"}]}))
    with pytest.raises(LinkValidationError, match="Task 'TASK-99999' does not exist"):
        services.insert(services.new_doc("Test Link Holder", {"task": "TASK-99999"}))
    task = services.insert(services.new_doc("Task", {"subject": "s"}))
    holder = services.insert(services.new_doc("Test Link Holder", {"task": task.name}))
    assert services.get_doc("Test Link Holder", holder.name).task == task.name


def test_unique_field(services):
    services.insert(services.new_doc("Note", {"title": "Same"}))
    with pytest.raises(DuplicateEntryError, match="Same"):
        services.insert(services.new_doc("Note", {"title": "Same"}))
    assert _count(services, "Note") == 1


def test_unique_field_on_save_of_another_document(services):
    services.insert(services.new_doc("Note", {"title": "A"}))
    b = services.insert(services.new_doc("Note", {"title": "B"}))
    b.title = "A"
    with pytest.raises(DuplicateEntryError) as err:
        services.save(b)
    assert err.value.fields == ("title",)
    assert services.get_doc("Note", "B").title == "B"


def test_saving_a_document_keeps_its_own_unique_value(services):
    note = services.insert(services.new_doc("Note", {"title": "Mine"}))
    note.content = "changed"
    services.save(note)
    assert services.get_doc("Note", "Mine").content == "changed"


def test_same_name_twice_is_a_duplicate(services):
    services.insert(services.new_doc("ToDo", {"name": "fixed", "description": "x"}))
    with pytest.raises(DuplicateEntryError, match="ToDo fixed already exists"):
        services.insert(services.new_doc("ToDo", {"name": "fixed", "description": "y"}))
    assert services.get_doc("ToDo", "fixed").description == "x"


def test_read_only_and_child_doctypes_cannot_be_written(services):
    with pytest.raises(ValidationError, match="managed elsewhere"):
        services.insert(services.new_doc("User", {"name": "a@example.com", "email": "a@example.com"}))
    with pytest.raises(ValidationError, match="through their parent"):
        services.insert(services.new_doc("Expense Claim Detail", {"expense_type": "x", "amount": 1}))
