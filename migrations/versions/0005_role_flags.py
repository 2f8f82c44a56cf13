"""roles: Frappe's disabled and desk_access flags

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tabRole") as batch:
        batch.add_column(sa.Column("disabled", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("desk_access", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    with op.batch_alter_table("tabRole") as batch:
        batch.drop_column("desk_access")
        batch.drop_column("disabled")
