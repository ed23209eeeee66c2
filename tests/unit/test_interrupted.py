"""Answers a stopped server left unfinished are marked as such when the next one starts."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from jupyter_chat_ext.chats.orm import ChatRow, MessageRow
from jupyter_chat_ext.core.db import Database
from jupyter_chat_ext.users.orm import UserRow
from jupyter_chat_ext.wiring import INTERRUPTED, _migrate_and_seed


@pytest.fixture
def url(db_url: str) -> str:
    return db_url


def rows(user: str) -> list:
    chat, at = f"chat-{user}", {"created_at": 1, "updated_at": 1}
    answers = [("done", {"status": "done"}), ("cut", {"status": "streaming"})]
    message = {"chat_id": chat, "user_id": user, "parent_id": f"{user}-q", **at}
    return [
        UserRow(id=user, username=user, name=user, role="user", created_at=1, last_seen_at=1),
        ChatRow(id=chat, user_id=user, title="t", **at),
        MessageRow(id=f"{user}-q", chat_id=chat, user_id=user, role="user", content="q?", **at),
        *(
            MessageRow(id=f"{user}-{name}", role="assistant", content="half", meta=meta, **message)
            for name, meta in answers
        ),
    ]


async def statuses(url: str) -> dict[str, tuple[str, str | None]]:
    db = Database(url)
    try:
        async with db.session() as session:
            found = await session.scalars(select(MessageRow).where(MessageRow.role == "assistant"))
            return {m.id: (m.meta["status"], m.meta.get("error")) for m in found}
    finally:
        await db.dispose()


def test_unfinished_answers_are_marked_and_the_rest_left_alone(url):
    async def run(hub_owner):
        assert await _migrate_and_seed(url, [], None) == 0
        db = Database(url)
        async with db.session() as session:
            made = rows("alice") + rows("bob")
            for kind in (UserRow, ChatRow, MessageRow):  # parents first
                session.add_all([r for r in made if isinstance(r, kind)])
                await session.flush()
            await session.commit()
        await db.dispose()
        # On a hub only the owner's own answers: the other users' servers may be writing.
        return await _migrate_and_seed(url, [], hub_owner), await statuses(url)

    marked, found = asyncio.run(run("alice"))
    assert marked == 1
    assert found == {
        "alice-done": ("done", None),
        "alice-cut": ("error", INTERRUPTED),
        "bob-done": ("done", None),
        "bob-cut": ("streaming", None),
    }
    assert asyncio.run(_migrate_and_seed(url, [], None)) == 1  # no hub: everyone's
