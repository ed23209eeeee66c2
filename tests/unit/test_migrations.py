"""Migrations: the head, the schema they build, and refusing a database from the future."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from jupyter_chat_ext.core.db import create_engine
from jupyter_chat_ext.core.orm import Base
from jupyter_chat_ext.migrations import (
    HEAD,
    DatabaseTooNew,
    alembic_config,
    migrate,
    orm_managed,
)

ROOT = Path(__file__).parents[2]


def test_head_constant_matches_the_scripts():
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("postgres").new_database()


def test_migrations_build_exactly_the_orm_schema(url):
    import jupyter_chat_ext.app  # noqa: F401  (loads every resource's tables)

    async def check():
        engine = create_engine(url)
        assert await migrate(engine) is None
        assert await migrate(engine) == HEAD  # idempotent, and fast the second time
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"include_name": orm_managed}),
                    Base.metadata,
                )
            )
        await engine.dispose()
        return diff

    assert run(check()) == []


def _from_the_future(url: str) -> None:
    async def bump():
        engine = create_engine(url)
        await migrate(engine)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        await engine.dispose()

    run(bump())


def test_a_newer_database_is_refused(url):
    _from_the_future(url)

    async def again():
        engine = create_engine(url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    with pytest.raises(DatabaseTooNew, match="newer jupyter-chat-ext"):
        run(again())


def test_the_server_refuses_to_start_on_a_newer_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'future.db'}"
    _from_the_future(url)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    args = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--ip=127.0.0.1",
        "--port=0",
        "--ServerApp.jpserver_extensions={'jupyter_chat_ext': True}",
        f"--ChatExtApp.db_url={url}",
    ]
    if os.geteuid() == 0:
        args.append("--allow-root")
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "written by a newer jupyter-chat-ext" in proc.stderr


def test_presets_keep_their_rows_when_private_ids_become_per_user(url):
    preset = (
        "INSERT INTO presets (id, user_id, name, base_model, description, system_prompt, "
        "params, capabilities, visibility, created_at, updated_at) VALUES "
        "('helper', :user, 'Helper', 'm', '', '', '{}', '[]', :visibility, 1, 1)"
    )

    async def check():
        engine = create_engine(url)
        await migrate(engine, "0006")
        async with engine.begin() as conn:
            for user in ("u1", "u2"):
                await conn.execute(
                    text(
                        "INSERT INTO users (id, username, name, role, created_at, last_seen_at) "
                        "VALUES (:id, :id, :id, 'user', 1, 1)"
                    ),
                    {"id": user},
                )
            await conn.execute(text(preset), {"user": "u1", "visibility": "private"})
        assert await migrate(engine) == "0006"
        async with engine.begin() as conn:
            await conn.execute(text(preset), {"user": "u2", "visibility": "private"})
            rows = await conn.execute(text("SELECT user_id FROM presets ORDER BY user_id"))
            kept = [r[0] for r in rows]
        refused = False
        try:  # two public presets of one id
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE presets SET visibility = 'public'"))
        except IntegrityError:
            refused = True
        await engine.dispose()
        return kept, refused

    assert run(check()) == (["u1", "u2"], True)
