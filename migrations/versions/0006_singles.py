"""singles: the values of Single doctypes, as Frappe keeps them (one row per doctype and field)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    # A `tab*` table, as in Frappe: scripts' read-only SQL may read it.
    op.create_table(
        "tabSingles",
        sa.Column("doctype", sa.String(length=140), nullable=False),
        sa.Column("field", sa.String(length=140), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("doctype", "field", name=op.f("pk_tabSingles")),
    )


def downgrade():
    op.drop_table("tabSingles")
