"""A chat deleted while its answer is saved, or while a message is added to it: on PostgreSQL
the two transactions lock the chat and its messages, and must take them in the same order
(the chat first, as the deletion's cascade does), or one is killed as a deadlock."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_chat_ext.chats.orm import ChatRow, MessageRow
from jupyter_chat_ext.chats.store import ChatStore
from jupyter_chat_ext.core.db import Database
from jupyter_chat_ext.users.orm import UserRow
from jupyter_chat_ext.wiring import _migrate_and_seed

ROUNDS = 40


@pytest.fixture
def url(db_url: str) -> str:
    return db_url


def _message(chat: str, name: str) -> MessageRow:
    return MessageRow(
        id=f"{chat}-{name}",
        chat_id=chat,
        user_id="alice",
        role="assistant",
        content="half",
        meta={"status": "streaming"},
        created_at=1,
        updated_at=1,
    )


async def _seed(db: Database, chats: list[str]) -> None:
    async with db.session() as session:
        user = UserRow(
            id="alice", username="alice", name="a", role="user", created_at=1, last_seen_at=1
        )
        session.add(user)
        await session.flush()
        session.add_all(
            ChatRow(id=c, user_id="alice", title="t", created_at=1, updated_at=1) for c in chats
        )
        await session.flush()
        session.add_all(_message(c, "answer") for c in chats)
        await session.commit()


def test_saving_an_answer_and_deleting_its_chat_never_deadlock(url):
    async def run() -> None:
        assert await _migrate_and_seed(url, [], None) == 0
        db = Database(url)
        store = ChatStore(db)
        chats = [f"chat-{i}" for i in range(ROUNDS)]
        try:
            await _seed(db, chats)
            for chat in chats:
                saved, deleted, added = await asyncio.gather(
                    store.update_message(chat, f"{chat}-answer", {"content": "more"}, at=2),
                    store.delete("alice", chat),
                    store.add_message(_message(chat, "next"), at=2),
                    return_exceptions=True,
                )
                # Each one went first or found the chat gone; none failed.
                for outcome in (saved, deleted, added):
                    assert not isinstance(outcome, BaseException), repr(outcome)
                assert deleted is True
        finally:
            await db.dispose()

    asyncio.run(run())
