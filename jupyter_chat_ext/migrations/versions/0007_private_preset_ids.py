"""private preset ids: a preset is keyed by its id and its owner; public ids stay unique

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PUBLIC = sa.text("visibility = 'public'")


def upgrade() -> None:
    with op.batch_alter_table("presets", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint("pk_presets", type_="primary")
        batch_op.create_primary_key("pk_presets", ["id", "user_id"])
        batch_op.create_index(
            "uq_presets_public_id",
            ["id"],
            unique=True,
            sqlite_where=PUBLIC,
            postgresql_where=PUBLIC,
        )


def downgrade() -> None:
    with op.batch_alter_table("presets", schema=None, recreate="always") as batch_op:
        batch_op.drop_index("uq_presets_public_id")
        batch_op.drop_constraint("pk_presets", type_="primary")
        batch_op.create_primary_key("pk_presets", ["id"])
