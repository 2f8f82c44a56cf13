"""Docstatus transitions and optimistic concurrency."""

from __future__ import annotations

import pytest

from webapp.errors import TimestampMismatchError, ValidationError


@pytest.fixture
def claim(services):
    doc = services.new_doc("Expense Claim", {"employee_name": "Ann", "remark": "trip"})
    doc.append("expenses", {"expense_type": "Taxi", "amount": 12})
    return services.insert(doc)


def _stored(services, name):
    return services.get_doc("Expense Claim", name)


def test_draft_submit_cancel(services, claim):
    assert claim.docstatus == 0
    services.submit(claim)
    stored = _stored(services, claim.name)
    assert stored.docstatus == 1
    assert stored.expenses[0].docstatus == 1  # child rows follow their parent
    services.cancel(stored)
    stored = _stored(services, claim.name)
    assert stored.docstatus == 2 and stored.expenses[0].docstatus == 2


def test_insert_submitted(services):
    doc = services.insert(services.new_doc("Expense Claim", {"employee_name": "Ann", "docstatus": 1}))
    assert _stored(services, doc.name).docstatus == 1


def test_new_doc_cannot_be_inserted_cancelled(services):
    with pytest.raises(ValidationError, match="cancelled"):
        services.insert(services.new_doc("Expense Claim", {"employee_name": "Ann", "docstatus": 2}))
    assert services.get_count("Expense Claim") == 0


@pytest.mark.parametrize("bad", [3, -1, "x"])
def test_docstatus_must_be_0_1_or_2(services, bad):
    with pytest.raises(ValidationError, match="docstatus must be 0"):
        services.insert(services.new_doc("Expense Claim", {"employee_name": "Ann", "docstatus": bad}))


def test_submitted_doc_allows_only_allow_on_submit_fields(services, claim):
    services.submit(claim)
    doc = _stored(services, claim.name)
    doc.approval_status = "Approved"
    doc.remark = "ok"
    services.save(doc)
    stored = _stored(services, claim.name)
    assert (stored.approval_status, stored.remark, stored.docstatus) == ("Approved", "ok", 1)

    doc = _stored(services, claim.name)
    doc.employee_name = "Mallory"
    with pytest.raises(ValidationError, match="Not allowed to change Employee Name after submission"):
        services.save(doc)
    doc = _stored(services, claim.name)
    doc.expenses[0].amount = 1000
    with pytest.raises(ValidationError, match="Not allowed to change Expenses after submission"):
        services.save(doc)
    doc = _stored(services, claim.name)
    doc.append("expenses", {"expense_type": "Hotel", "amount": 1})
    with pytest.raises(ValidationError, match="Expenses"):
        services.save(doc)
    stored = _stored(services, claim.name)
    assert stored.employee_name == "Ann" and [r.amount for r in stored.expenses] == [12.0]


def test_nothing_changes_after_cancel(services, claim):
    services.submit(claim)
    services.cancel(_stored(services, claim.name))
    doc = _stored(services, claim.name)
    doc.remark = "late"
    with pytest.raises(ValidationError, match="is cancelled and cannot be changed"):
        services.save(doc)
    doc = _stored(services, claim.name)
    doc.docstatus = 1
    with pytest.raises(ValidationError, match="cancelled"):
        services.save(doc)
    assert _stored(services, claim.name).remark == "trip"


def test_cancel_cannot_change_other_fields(services, claim):
    services.submit(claim)
    doc = _stored(services, claim.name)
    doc.employee_name = "Mallory"
    with pytest.raises(ValidationError, match="after cancelling"):
        services.cancel(doc)
    assert _stored(services, claim.name).docstatus == 1


def test_draft_cannot_be_cancelled(services, claim):
    claim.docstatus = 2
    with pytest.raises(ValidationError, match="Cannot change docstatus from 0 to 2"):
        services.save(claim)
    assert _stored(services, claim.name).docstatus == 0


def test_submitted_cannot_go_back_to_draft(services, claim):
    services.submit(claim)
    doc = _stored(services, claim.name)
    doc.docstatus = 0
    with pytest.raises(ValidationError, match="Cannot change docstatus from 1 to 0"):
        services.save(doc)
    assert _stored(services, claim.name).docstatus == 1


def test_submitted_cannot_be_deleted_but_cancelled_can(services, claim):
    services.submit(claim)
    with pytest.raises(ValidationError, match="submitted and cannot be deleted"):
        services.delete("Expense Claim", claim.name)
    assert _stored(services, claim.name).docstatus == 1
    services.cancel(_stored(services, claim.name))
    services.delete("Expense Claim", claim.name)
    assert services.exists("Expense Claim", claim.name) is None
    assert services.get_list("Expense Claim Detail", ignore_permissions=True) == []


def test_non_submittable_doctype_refuses_docstatus_1(services):
    with pytest.raises(ValidationError, match="ToDo is not submittable"):
        services.insert(services.new_doc("ToDo", {"description": "x", "docstatus": 1}))
    todo = services.insert(services.new_doc("ToDo", {"description": "x"}))
    with pytest.raises(ValidationError, match="not submittable"):
        services.submit(todo)
    assert services.get_doc("ToDo", todo.name).docstatus == 0


def test_stale_copy_raises_timestamp_mismatch_and_fresh_copy_saves(services):
    todo = services.insert(services.new_doc("ToDo", {"description": "v1"}))
    mine = services.get_doc("ToDo", todo.name)
    theirs = services.get_doc("ToDo", todo.name)
    theirs.description = "theirs"
    services.save(theirs)
    mine.description = "mine"
    with pytest.raises(TimestampMismatchError, match="reload it"):
        services.save(mine)
    assert services.get_doc("ToDo", todo.name).description == "theirs"
    mine.reload()
    assert mine.description == "theirs"
    mine.description = "mine"
    services.save(mine)
    assert services.get_doc("ToDo", todo.name).description == "mine"


def test_timestamp_given_as_text_is_compared(services):
    todo = services.insert(services.new_doc("ToDo", {"description": "v1"}))
    fresh = services.get_doc("ToDo", todo.name)
    fresh.modified = str(fresh.modified)
    fresh.description = "v2"
    services.save(fresh)
    stale = services.get_doc("ToDo", todo.name)
    stale.modified = "2000-01-01 00:00:00"
    with pytest.raises(TimestampMismatchError):
        services.save(stale)
