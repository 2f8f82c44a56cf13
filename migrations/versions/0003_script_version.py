"""server script cache version

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # Not a `tab*` table: scripts' read-only SQL cannot see it.
    op.create_table(
        "__script_version",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk___script_version")),
    )


def downgrade():
    op.drop_table("__script_version")
