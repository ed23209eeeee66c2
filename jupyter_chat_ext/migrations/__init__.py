"""Alembic migrations, applied when the server starts.

The common case, a database already at ``HEAD``, is checked with one query and never imports
Alembic, which keeps server start-up fast.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# The newest revision in versions/; a test checks it against Alembic's own view.
HEAD = "0008"

_HERE = Path(__file__).parent
_ALEMBIC = threading.Lock()
# Any fixed number: held while migrating so two servers sharing one PostgreSQL don't race.
_PG_LOCK = 7_245_113


def orm_managed(name: str | None, kind: str, _parent: object) -> bool:
    """Whether Alembic should compare a database object with the ORM: the text index (SQLite's
    FTS5 tables, PostgreSQL's trigram index) is written by hand in 0004 and has no model."""
    if kind == "table":
        return not (name or "").startswith("messages_fts")
    return not (kind == "index" and name == "ix_messages_content_trgm")


class DatabaseTooNew(RuntimeError):
    """The database was migrated by a newer jupyter-chat-ext than this one."""


def alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    return cfg


async def current_revision(conn: AsyncConnection) -> str | None:
    def read(sync_conn) -> str | None:
        from sqlalchemy import inspect

        if not inspect(sync_conn).has_table("alembic_version"):
            return None
        return sync_conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    return await conn.run_sync(read)


def _upgrade(sync_conn, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    # Alembic keeps the running migration in module globals (``alembic.op``): one at a time
    # per process, whatever thread or database asks.
    with _ALEMBIC:
        command.upgrade(cfg, revision)


def _known(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


async def migrate(engine: AsyncEngine, revision: str = "head") -> str | None:
    """Bring the database to ``revision``; return the revision it was at before."""
    async with engine.connect() as conn:
        before = await current_revision(conn)
    if before == HEAD and revision == "head":
        return before
    if before is not None and not _known(before):
        raise DatabaseTooNew(
            f"The chat database is at revision {before!r}, written by a newer jupyter-chat-ext "
            f"than this one (which knows up to {HEAD!r}). Upgrade jupyter-chat-ext, or point "
            "ChatExtApp.db_url at another database."
        )
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        await conn.run_sync(_upgrade, revision)
    return before
