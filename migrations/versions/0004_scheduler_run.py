"""scheduler: last period claimed per Scheduler Event script

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # Not a `tab*` table: scripts' read-only SQL cannot see it.
    op.create_table(
        "__scheduler_run",
        sa.Column("server_script", sa.String(length=140), nullable=False),
        sa.Column("last_run", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("server_script", name=op.f("pk___scheduler_run")),
    )


def downgrade():
    op.drop_table("__scheduler_run")
