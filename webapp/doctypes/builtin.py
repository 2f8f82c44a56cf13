"""The built-in doctypes (the README lists them), each a short declaration."""

from __future__ import annotations

from webapp.doctypes.meta import ALL, DocType, Field, Perm

SM = "System Manager"
EVERYONE = [Perm(ALL, read=True, write=True, create=True, delete=True), Perm(SM, write=True, create=True, delete=True)]

TODO = DocType(
    "ToDo",
    naming="hash",
    title_field="description",
    permissions=EVERYONE,
    fields=[
        Field("status", "Select", options="Open\nClosed\nCancelled", default="Open", in_list_view=True,
              in_standard_filter=True, search_index=True),
        Field("priority", "Select", options="Low\nMedium\nHigh", default="Medium", in_list_view=True,
              in_standard_filter=True),
        Field("date", "Date"),
        Field("allocated_to", "Link", options="User", in_standard_filter=True, search_index=True),
        Field("description", "Text", reqd=True, in_list_view=True),
        Field("reference_type", "Data"),
        Field("reference_name", "Data"),
        Field("assigned_by", "Link", options="User"),
    ],
)

NOTE = DocType(
    "Note",
    naming="field:title",
    allow_rename=True,
    title_field="title",
    permissions=EVERYONE,
    fields=[
        Field("title", "Data", reqd=True, unique=True, in_list_view=True),
        Field("content", "Text"),
        Field("public", "Check", default=0, in_list_view=True, in_standard_filter=True),
    ],
)

TASK = DocType(
    "Task",
    naming="TASK-.#####",
    allow_rename=True,
    title_field="subject",
    permissions=EVERYONE,
    fields=[
        Field("subject", "Data", reqd=True, in_list_view=True),
        Field("status", "Select", options="Open\nWorking\nCompleted\nCancelled", default="Open", in_list_view=True,
              in_standard_filter=True, search_index=True),
        Field("priority", "Select", options="\nLow\nMedium\nHigh", in_list_view=True, in_standard_filter=True),
        Field("description", "Text"),
        Field("allocated_to", "Link", options="User", in_standard_filter=True),
        Field("exp_end_date", "Date", label="Expected End Date"),
    ],
)

EXPENSE_CLAIM_DETAIL = DocType(
    "Expense Claim Detail",
    istable=True,
    fields=[
        Field("expense_date", "Date", in_list_view=True),
        Field("expense_type", "Data", reqd=True, in_list_view=True),
        Field("description", "Text", in_list_view=True),
        Field("amount", "Currency", reqd=True, in_list_view=True),
    ],
)

EXPENSE_CLAIM = DocType(
    "Expense Claim",
    naming="HR-EXP-.YYYY.-.#####",
    title_field="employee_name",
    is_submittable=True,
    permissions=[
        Perm("Employee", read=True, write=True, create=True, delete=True),
        Perm("Expense Approver", read=True, write=True, submit=True, cancel=True),
        Perm(SM, read=True, write=True, create=True, delete=True, submit=True, cancel=True),
    ],
    fields=[
        Field("employee_name", "Data", reqd=True, in_list_view=True, in_standard_filter=True),
        Field("posting_date", "Date", default="Today", in_list_view=True),
        Field("approval_status", "Select", options="Draft\nApproved\nRejected", default="Draft", in_list_view=True,
              in_standard_filter=True, allow_on_submit=True),
        Field("remark", "Text", allow_on_submit=True),
        Field("total_claimed_amount", "Currency", in_list_view=True),
        Field("expenses", "Table", options="Expense Claim Detail"),
    ],
)

HAS_ROLE = DocType("Has Role", istable=True, customizable=False,
                   fields=[Field("role", "Link", options="Role", reqd=True, in_list_view=True)])

USER = DocType(
    "User",
    naming="prompt",
    title_field="full_name",
    read_only=True,
    customizable=False,
    permissions=[Perm(SM, read=True)],
    fields=[
        Field("email", "Data", reqd=True, unique=True, in_list_view=True),
        Field("full_name", "Data", in_list_view=True),
        Field("enabled", "Check", default=1, in_list_view=True, in_standard_filter=True),
        Field("roles", "Table", options="Has Role", read_only=True),
    ],
)

# The roles users can have. The built-in ones are seeded by init-db and cannot be renamed or
# deleted (services/roles.py); System Managers add more, and Frappe fixtures that name roles load.
ROLE = DocType(
    "Role",
    naming="field:role_name",
    title_field="role_name",
    customizable=False,  # its table is the app's own (webapp/models/user.py)
    module="Core",
    sort_field="name",
    sort_order="asc",
    allow_rename=True,
    permissions=[Perm(SM, read=True, write=True, create=True, delete=True)],
    fields=[
        Field("role_name", "Data", reqd=True, unique=True, in_list_view=True),
        Field("disabled", "Check", default=0, in_list_view=True, in_standard_filter=True,
              description="A disabled role is taken away from every user who has it"),
        Field("desk_access", "Check", default=1, in_list_view=True,
              description="Kept as Frappe has it (its fixtures carry it); this desk does not read it"),
    ],
)

BUILTIN_DOCTYPES = [TODO, NOTE, TASK, EXPENSE_CLAIM_DETAIL, EXPENSE_CLAIM, HAS_ROLE, USER, ROLE]

# Declared beside the runtime that uses them.
from webapp.doctypes.customize import CUSTOMIZE_DOCTYPES  # noqa: E402
from webapp.doctypes.email_queue import EMAIL_QUEUE  # noqa: E402
from webapp.doctypes.server_script import SERVER_SCRIPT, SERVER_SCRIPT_LOG  # noqa: E402

BUILTIN_DOCTYPES += [SERVER_SCRIPT, SERVER_SCRIPT_LOG, EMAIL_QUEUE, *CUSTOMIZE_DOCTYPES]
