"""text index on message content

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_messages_content_trgm ON messages USING gin (content gin_trgm_ops)"
        )
        return
    # Trigrams keep LIKE '%q%' semantics (any substring of 3+ characters, ASCII case folded).
    # External content: the text is not stored twice. It is keyed by messages' implicit
    # rowid, which VACUUM may renumber: rebuild the index after a VACUUM.
    op.execute(
        "CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages',"
        " content_rowid='rowid', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN"
        " INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content); END"
    )
    op.execute(
        "CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN"
        " INSERT INTO messages_fts(messages_fts, rowid, content)"
        " VALUES ('delete', old.rowid, old.content); END"
    )
    op.execute(
        "CREATE TRIGGER messages_fts_au AFTER UPDATE OF content ON messages BEGIN"
        " INSERT INTO messages_fts(messages_fts, rowid, content)"
        " VALUES ('delete', old.rowid, old.content);"
        " INSERT INTO messages_fts(rowid, content) VALUES (new.rowid, new.content); END"
    )
    op.execute("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_messages_content_trgm")
        return
    for name in ("messages_fts_au", "messages_fts_ad", "messages_fts_ai"):
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE messages_fts")
