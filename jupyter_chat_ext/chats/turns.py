"""Writing a turn (a question and the answer to it, or an answer redone) in one transaction.

This is the step between a user pressing Enter and the model being asked, so it touches only
what it needs: one recursive query for the branch the answer continues (which also tells
that the message replied to exists), the inserts, and a lookup of the new messages'
siblings. A chat's whole skeleton is loaded only in the rare case that needs it (no current
message to reply to). Only the branch's own length makes it cost more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .orm import ChatRow, MessageRow
from .tree import Node, Tree

# Tables, not ORM classes: every statement here is plain Core, which costs a fraction of an
# ORM-enabled one to prepare, and this all runs between Enter and the model being asked.
_MESSAGES = MessageRow.__table__
_CHATS = ChatRow.__table__
_COLUMNS = [column.key for column in _MESSAGES.columns]

# A branch deeper than this is a corrupt cycle, not a conversation.
_MAX_DEPTH = 100_000

# Written out rather than built with select().cte(): SQLAlchemy's statement caching and row
# processing cost several times what SQLite spends answering it, and this query runs before
# every answer. Plain SQL, the same for SQLite and PostgreSQL.
_BRANCH = text(
    f"""
    WITH RECURSIVE branch(id, parent_id, role, content, depth) AS (
        SELECT id, parent_id, role, content, 0 FROM {MessageRow.__tablename__}
        WHERE id = :leaf AND chat_id = :chat
        UNION ALL
        SELECT m.id, m.parent_id, m.role, m.content, b.depth + 1
        FROM {MessageRow.__tablename__} m JOIN branch b ON m.id = b.parent_id
        WHERE m.chat_id = :chat AND b.depth < :limit
    )
    SELECT role, content FROM branch ORDER BY depth DESC
    """
)


@dataclass(frozen=True, slots=True)
class Turn:
    """A question and its answer, or an answer redone, as written in one transaction."""

    chat: Any
    added: list[MessageRow]  # in order; the last is the new current leaf
    siblings: dict[str, list[str]]  # each added message's siblings, itself included, in order
    context: list[tuple[str, str]]  # (role, content) from the root to the last one's parent


class ChatView:
    """What placing new messages may ask about the chat they go into."""

    def __init__(self, session: Session, chat_id: str, empty: bool):
        self._session = session
        self._chat_id = chat_id
        self._empty = empty
        self._branches: dict[str, list[tuple[str, str]]] = {}

    def message(self, message_id: str) -> Any:
        """(role, parent_id) of a message of this chat, or None."""
        if self._empty:
            return None
        m = _MESSAGES.c
        return (
            self._session.connection()
            .execute(
                select(m.role, m.parent_id).where(m.id == message_id, m.chat_id == self._chat_id)
            )
            .first()
        )

    def has(self, message_id: str | None) -> bool:
        # Asked of the message a question replies to, whose branch is the answer's context:
        # reading that branch answers both at once.
        return bool(self.branch(message_id))

    def branch(self, leaf: str | None) -> list[tuple[str, str]]:
        """(role, content) from the root down to ``leaf``; empty if there is no such message."""
        if leaf is None or self._empty:
            return []
        if leaf not in self._branches:
            self._branches[leaf] = _branch(self._session, self._chat_id, leaf)
        return self._branches[leaf]

    def newest_leaf(self) -> str | None:
        if self._empty:
            return None
        m = _MESSAGES.c
        skeleton = self._session.connection().execute(
            select(m.id, m.parent_id, m.created_at).where(m.chat_id == self._chat_id)
        )
        return Tree(Node(r.id, r.parent_id, r.created_at) for r in skeleton).newest_leaf()


# Places new messages in a chat: gets the chat and a view of it; returns the messages to
# add, parents first.
Placer = Callable[[Any, ChatView], list[MessageRow]]


def write_turn(session: Session, chat: Any, new_chat: bool, place: Placer, at: int) -> Turn:
    """Add what ``place`` decides to ``chat`` (already in the session when ``new_chat``)."""
    view = ChatView(session, chat.id, empty=new_chat)
    added = place(chat, view)
    # The rows are complete already, so the unit of work would add nothing but its cost;
    # the objects stay as they are, for the caller to read.
    connection = session.connection()
    connection.execute(_MESSAGES.insert(), [{k: getattr(m, k) for k in _COLUMNS} for m in added])
    connection.execute(
        _CHATS.update()
        .where(_CHATS.c.id == chat.id)
        .values(current_message_id=added[-1].id, updated_at=at)
    )
    new = {m.id for m in added}
    # The answer continues what it replies to; the parts of that written now are in memory.
    start = added[-1].parent_id
    ours: list[tuple[str, str]] = []
    while start in new:
        row = next(m for m in added if m.id == start)
        ours.append((row.role, row.content))
        start = row.parent_id
    ours.reverse()
    context = [*view.branch(start), *ours]
    siblings = {}
    for parent in {m.parent_id for m in added}:
        kids = _children(session, chat.id, parent) if parent not in new else None
        for m in added:
            if m.parent_id == parent:
                siblings[m.id] = kids if kids is not None else [m.id]
    return Turn(chat, added, siblings, context)


def _branch(session: Session, chat_id: str, leaf: str) -> list[tuple[str, str]]:
    """(role, content) from the root down to ``leaf``, in one recursive query."""
    rows = session.connection().execute(
        _BRANCH, {"leaf": leaf, "chat": chat_id, "limit": _MAX_DEPTH}
    )
    return [(role, content) for role, content in rows]


def _children(session: Session, chat_id: str, parent: str | None) -> list[str]:
    """A parent's children (the roots when None), oldest first, as the tree orders them."""
    m = _MESSAGES.c
    where = m.parent_id.is_(None) if parent is None else m.parent_id == parent
    rows = session.connection().execute(
        select(m.id).where(m.chat_id == chat_id, where).order_by(m.created_at, m.id)
    )
    return list(rows.scalars())
