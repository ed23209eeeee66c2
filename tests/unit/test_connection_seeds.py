"""Connections named by configuration: what a restart changes in the rows they name."""

from __future__ import annotations

import logging

import pytest

from jupyter_chat_ext.app import ChatExtApp
from jupyter_chat_ext.providers.orm import ConnectionRow
from jupyter_chat_ext.providers.seeds import Seed
from jupyter_chat_ext.providers.service import ConnectionService
from jupyter_chat_ext.wiring import prepare

URL = "http://svc:pw-SECRET@127.0.0.1:9/v1"


class Store:
    def __init__(self, rows: list[ConnectionRow]) -> None:
        self.rows = {row.id: row for row in rows}
        self.saved: list[str] = []

    async def list(self) -> list[ConnectionRow]:
        return list(self.rows.values())

    async def save(self, row: ConnectionRow) -> ConnectionRow:
        self.rows[row.id] = row
        self.saved.append(row.id)
        return row

    async def delete(self, connection_id: str) -> bool:
        return self.rows.pop(connection_id, None) is not None


def row(**fields) -> ConnectionRow:
    defaults = dict(
        id="c1", kind="openai", name="Team", base_url=URL, api_key="sk-1", prefix="",
        model_ids=[], headers={}, enabled=False, origin="config", created_at=1, updated_at=1,
    )  # fmt: skip
    return ConnectionRow(**{**defaults, **fields})


async def seeded(*rows: ConnectionRow, key: str = "sk-1") -> Store:
    store = Store(list(rows))
    service = ConnectionService(store, http=None, timeout=1)  # type: ignore[arg-type]
    await service.apply_seeds([Seed("openai", URL, key, "config")])
    return store


@pytest.mark.asyncio
async def test_a_seeded_connection_is_named_by_host_alone():
    store = await seeded()
    (made,) = store.rows.values()
    assert (made.name, made.base_url, made.enabled) == ("OpenAI (127.0.0.1:9)", URL, True)


@pytest.mark.asyncio
async def test_a_name_that_shows_the_password_is_renamed_and_nothing_else_changes():
    store = await seeded(row(name="OpenAI (svc:pw-SECRET@127.0.0.1:9)"))
    assert (store.rows["c1"].name, store.rows["c1"].enabled) == ("OpenAI (127.0.0.1:9)", False)
    store = await seeded(row())
    assert store.saved == [] and store.rows["c1"].name == "Team"
    store = await seeded(row(), key="sk-2")
    assert (store.rows["c1"].name, store.rows["c1"].api_key) == ("Team", "sk-2")


@pytest.mark.asyncio
async def test_a_url_configured_twice_is_one_connection_with_the_first_key():
    store = Store([row(id="old-dup", origin="env", api_key="sk-env")])
    service = ConnectionService(store, http=None, timeout=1)  # type: ignore[arg-type]
    seeds = [
        Seed("openai", URL, "sk-config", "config"),
        Seed("openai", URL, "sk-env", "env"),
        Seed("openai", URL, "", "env"),
    ]
    await service.apply_seeds(seeds)
    assert [(r.id, r.api_key) for r in store.rows.values()] == [("old-dup", "sk-config")]
    # Rows an older version made twice for one URL become one.
    store = Store([row(id="a"), row(id="b", origin="env")])
    service = ConnectionService(store, http=None, timeout=1)  # type: ignore[arg-type]
    await service.apply_seeds(seeds)
    assert list(store.rows) == ["a"]


def warned_at_start_up(app: ChatExtApp, tmp_path) -> list[str]:
    """The warnings the server's start-up (migrations and configured connections) logs."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    app.log.addHandler(handler)
    try:
        prepare(app, f"sqlite:///{tmp_path / 'chat-ext.db'}")
    finally:
        app.log.removeHandler(handler)
    return [r.getMessage() for r in records]


@pytest.mark.parametrize(("chat", "embeddings", "warned"), [("m", "m", True), ("m", "e", False)])
def test_one_local_model_named_for_both_is_said_at_start_up_to_embed_only(
    tmp_path, chat, embeddings, warned
):
    said = warned_at_start_up(
        ChatExtApp(local_model=chat, local_embedding_model=embeddings), tmp_path
    )
    assert len(said) == warned, said
    if warned:
        assert "'m'" in said[0] and "embedding model only" in said[0], said


def test_a_refused_configured_url_is_said_why_without_its_secrets(tmp_path):
    app = ChatExtApp(
        openai_api_base_urls=["http://svc:pw-SECRET@127.0.0.1:9/v1?key=q-SECRET#f-SECRET"],
        local_model="",
        local_embedding_model="",
    )
    (said,) = warned_at_start_up(app, tmp_path)
    assert "http://svc:****@127.0.0.1:9/v1?****#****" in said and "a query" in said, said
    assert "SECRET" not in said
