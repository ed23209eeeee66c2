"""covering index for a chat's message tree

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The skeleton query (id, parent_id, created_at of one chat) is answered from the index
    # alone; before, each row was read from the table, and created_at sits after content, so
    # SQLite walked every long message's overflow pages to reach it.
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_tree", ["chat_id", "parent_id", "created_at", "id"], unique=False
        )
        batch_op.drop_index("ix_messages_chat_parent")


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_chat_parent", ["chat_id", "parent_id"], unique=False)
        batch_op.drop_index("ix_messages_tree")
