"""SQL for chats, messages and tags. Every query is scoped by user id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..core.clock import new_id
from ..core.db import Database
from .orm import ChatRow, ChatTagRow, MessageRow, TagRow
from .tree import Node, Tree
from .turns import Placer, Turn, write_turn

# Ids per IN (...) list, well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 1000

# Up to this many text-index hits, a search checks just those messages; beyond, the word is
# common enough that scanning chats newest first fills a page sooner.
_TEXT_CAP = 2000

# The columns a chat summary needs; the list never touches messages or meta.
_SUMMARY = (
    ChatRow.id,
    ChatRow.title,
    ChatRow.pinned,
    ChatRow.archived,
    ChatRow.folder_id,
    ChatRow.created_at,
    ChatRow.updated_at,
)

# A chat's detail view: the summary plus the current leaf and meta (never user_id).
_DETAIL = (*_SUMMARY, ChatRow.current_message_id, ChatRow.meta)
_MESSAGE = (
    MessageRow.id,
    MessageRow.parent_id,
    MessageRow.role,
    MessageRow.content,
    MessageRow.model,
    MessageRow.created_at,
    MessageRow.updated_at,
    MessageRow.meta,
)
_SKELETON = (MessageRow.id, MessageRow.parent_id, MessageRow.created_at)


@dataclass(frozen=True, slots=True)
class Branch:
    chat: Any
    tree: Tree
    path: list[str]  # the whole branch, root first
    window: list[str]  # the part of it whose messages were loaded
    rows: dict[str, Any]
    tags: list[str]


@dataclass(frozen=True, slots=True)
class ChatFilter:
    archived: bool = False
    pinned: bool | None = None
    folder_id: str | None = None  # "none" selects chats at the top level
    tag_key: str | None = None
    q: str | None = None
    after: tuple[int, str] | None = None  # keyset: (updated_at, id) of the last row seen


class ChatStore:
    def __init__(self, db: Database):
        self.db = db

    # -- chats -------------------------------------------------------------------------------

    async def page(
        self, user_id: str, where: ChatFilter, limit: int
    ) -> tuple[list[Any], dict[str, list[str]]]:
        """A page of summaries and their tags, read in one session."""
        stmt = select(*_SUMMARY).where(ChatRow.user_id == user_id)
        stmt = stmt.where(ChatRow.archived == where.archived)
        if where.pinned is not None:
            stmt = stmt.where(ChatRow.pinned == where.pinned)
        if where.folder_id == "none":
            stmt = stmt.where(ChatRow.folder_id.is_(None))
        elif where.folder_id is not None:
            stmt = stmt.where(ChatRow.folder_id == where.folder_id)
        if where.tag_key is not None:
            stmt = stmt.where(
                exists()
                .where(ChatTagRow.chat_id == ChatRow.id)
                .where(ChatTagRow.tag_id == TagRow.id)
                .where(TagRow.user_id == user_id, TagRow.key == where.tag_key)
            )
        candidates = await self._text_candidates(where.q) if where.q else None
        if where.q and candidates is not None:
            # A rare word: the text index named every message that can match; check those.
            # No user_id term here (the outer chats.user_id scopes the result): with one,
            # SQLite walks ix_messages_user, all of the user's messages, instead of the ids.
            in_text = ChatRow.id.in_(
                select(MessageRow.chat_id).where(
                    MessageRow.id.in_(candidates),
                    self.db.contains(MessageRow.content, where.q),
                )
            )
            stmt = stmt.where(or_(self.db.contains(ChatRow.title, where.q), in_text))
        elif where.q:
            # A common word (or one too short for the index): correlated, so that the scan
            # stops as soon as the page is full, which comes early when matches are dense.
            in_text = (
                exists()
                .where(MessageRow.chat_id == ChatRow.id)
                .where(self.db.contains(MessageRow.content, where.q))
            )
            stmt = stmt.where(or_(self.db.contains(ChatRow.title, where.q), in_text))
        if where.after is not None:
            at, last_id = where.after
            stmt = stmt.where(
                or_(ChatRow.updated_at < at, and_(ChatRow.updated_at == at, ChatRow.id < last_id))
            )
        stmt = stmt.order_by(ChatRow.updated_at.desc(), ChatRow.id.desc()).limit(limit)

        def work(session: Session) -> tuple[list[Any], dict[str, list[str]]]:
            rows = list(session.execute(stmt).all())
            return rows, _tags(session, [r.id for r in rows])

        return await self.db.read(work)

    async def branch(
        self,
        user_id: str,
        chat_id: str,
        pick: Callable[[Any, Tree], tuple[list[str], list[str]]],
    ) -> Branch | None:
        """The chat, its tree, and the messages ``pick`` chooses, in one session. ``pick``
        returns the branch and the window of it to load."""

        def work(session: Session) -> Branch | None:
            chat = session.execute(
                select(*_DETAIL).where(ChatRow.id == chat_id, ChatRow.user_id == user_id)
            ).first()
            if chat is None:
                return None
            skeleton = session.execute(select(*_SKELETON).where(MessageRow.chat_id == chat_id))
            tree = Tree(Node(r.id, r.parent_id, r.created_at) for r in skeleton)
            path, window = pick(chat, tree)
            rows: dict[str, Any] = {}
            if 2 * len(window) >= len(tree.nodes):
                # Most of the chat: reading all of it by its index beats a long id list
                # (a third faster on a 1,250-message chat) and reads at most twice as much.
                wanted = set(window)
                result = session.execute(select(*_MESSAGE).where(MessageRow.chat_id == chat_id))
                rows.update((r.id, r) for r in result if r.id in wanted)
            else:
                for start in range(0, len(window), _CHUNK):
                    result = session.execute(
                        select(*_MESSAGE).where(
                            MessageRow.chat_id == chat_id,
                            MessageRow.id.in_(window[start : start + _CHUNK]),
                        )
                    )
                    rows.update((r.id, r) for r in result)
            tags = _tags(session, [chat_id]).get(chat_id, [])
            return Branch(chat, tree, path, window, rows, tags)

        return await self.db.read(work)

    async def _text_candidates(self, q: str) -> list[str] | None:
        """Ids of every message (any user's) the text index says may contain ``q``, or None
        when there are more than _TEXT_CAP of them or the index cannot answer."""
        if self.db.dialect == "sqlite":
            if len(q) < 3:  # the trigram index has nothing shorter
                return None
            sql = text(
                "SELECT m.id FROM messages_fts f JOIN messages m ON m.rowid = f.rowid"
                " WHERE messages_fts MATCH :m LIMIT :n"
            )
            params = {"m": '"' + q.replace('"', '""') + '"', "n": _TEXT_CAP + 1}
            async with self.db.session() as session:
                ids = list(await session.scalars(sql, params))
        else:
            stmt = (
                select(MessageRow.id)
                .where(self.db.contains(MessageRow.content, q))
                .limit(_TEXT_CAP + 1)
            )
            async with self.db.session() as session:
                ids = list(await session.scalars(stmt))
        return ids if len(ids) <= _TEXT_CAP else None

    async def summary(self, user_id: str, chat_id: str) -> Any | None:
        async with self.db.session() as session:
            stmt = select(*_SUMMARY).where(ChatRow.id == chat_id, ChatRow.user_id == user_id)
            return (await session.execute(stmt)).first()

    async def get(self, user_id: str, chat_id: str) -> ChatRow | None:
        async with self.db.session() as session:
            return await session.scalar(
                select(ChatRow).where(ChatRow.id == chat_id, ChatRow.user_id == user_id)
            )

    async def update(
        self, user_id: str, chat_id: str, values: dict[str, Any], *, title: str | None = None
    ) -> bool:
        """Whether the chat was there (and, given ``title``, still had that title)."""
        where = [ChatRow.id == chat_id, ChatRow.user_id == user_id]
        if title is not None:
            where.append(ChatRow.title == title)
        async with self.db.session() as session:
            result = await session.execute(update(ChatRow).where(*where).values(**values))
            await session.commit()
            return result.rowcount > 0

    async def delete(self, user_id: str, chat_id: str) -> bool:
        async with self.db.session() as session:
            result = await session.execute(
                delete(ChatRow).where(ChatRow.id == chat_id, ChatRow.user_id == user_id)
            )
            await self._drop_unused_tags(session, user_id)
            await session.commit()
            return result.rowcount > 0

    async def delete_all(self, user_id: str) -> int:
        async with self.db.session() as session:
            result = await session.execute(delete(ChatRow).where(ChatRow.user_id == user_id))
            await session.execute(delete(TagRow).where(TagRow.user_id == user_id))
            await session.commit()
            return result.rowcount

    async def archive_all(self, user_id: str, at: int) -> list[str]:
        async with self.db.session() as session:
            ids = list(
                await session.scalars(
                    select(ChatRow.id).where(
                        ChatRow.user_id == user_id, ChatRow.archived.is_(False)
                    )
                )
            )
            await session.execute(
                update(ChatRow)
                .where(ChatRow.user_id == user_id, ChatRow.archived.is_(False))
                .values(archived=True, updated_at=at)
            )
            await session.commit()
            return ids

    async def insert(
        self,
        chats: Sequence[ChatRow],
        messages: Sequence[dict[str, Any]],
        tags: dict[str, list[tuple[str, str]]],
    ) -> None:
        """Write whole chats at once (new, cloned or imported): all or nothing."""
        async with self.db.session() as session:
            session.add_all(chats)
            await session.flush()
            if messages:
                await session.execute(insert(MessageRow), list(messages))
            for chat_id, pairs in tags.items():
                for name, key in pairs:
                    tag_id = await self._ensure_tag(session, chats[0].user_id, name, key)
                    await session.execute(insert(ChatTagRow).values(chat_id=chat_id, tag_id=tag_id))
            await session.commit()

    # -- messages ----------------------------------------------------------------------------

    async def skeleton(self, chat_id: str) -> list[Node]:
        async with self.db.session() as session:
            rows = await session.execute(
                select(MessageRow.id, MessageRow.parent_id, MessageRow.created_at).where(
                    MessageRow.chat_id == chat_id
                )
            )
            return [Node(r.id, r.parent_id, r.created_at) for r in rows]

    async def messages(self, chat_id: str, ids: Iterable[str] | None = None) -> list[MessageRow]:
        stmt = select(MessageRow).where(MessageRow.chat_id == chat_id)
        if ids is not None:
            stmt = stmt.where(MessageRow.id.in_(list(ids)))
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def message_of(self, user_id: str, message_id: str) -> MessageRow | None:
        async with self.db.session() as session:
            return await session.scalar(
                select(MessageRow).where(MessageRow.id == message_id, MessageRow.user_id == user_id)
            )

    async def ids(self, user_id: str) -> list[str]:
        """The user's chat ids, the chat last changed first."""
        async with self.db.session() as session:
            rows = await session.scalars(
                select(ChatRow.id)
                .where(ChatRow.user_id == user_id)
                .order_by(ChatRow.updated_at.desc(), ChatRow.id.desc())
            )
            return list(rows)

    async def export_page(
        self, user_id: str, chat_ids: Sequence[str]
    ) -> list[tuple[ChatRow, list[MessageRow], list[str]]]:
        """The user's chats of ``chat_ids`` (in that order; one gone is left out), each with
        every message and its tags, read together."""

        def work(session: Session) -> list[tuple[ChatRow, list[MessageRow], list[str]]]:
            found = session.scalars(
                select(ChatRow).where(ChatRow.user_id == user_id, ChatRow.id.in_(chat_ids))
            )
            chats = {c.id: c for c in found}
            messages: dict[str, list[MessageRow]] = defaultdict(list)
            rows = session.scalars(
                select(MessageRow)
                .where(MessageRow.chat_id.in_(list(chats)))
                .order_by(MessageRow.created_at, MessageRow.id)
            )
            for row in rows:
                messages[row.chat_id].append(row)
            tags = _tags(session, list(chats))
            return [(chats[i], messages[i], tags.get(i, [])) for i in chat_ids if i in chats]

        return await self.db.read(work)

    async def messages_of(self, chat_ids: Sequence[str]) -> dict[str, list[MessageRow]]:
        out: dict[str, list[MessageRow]] = defaultdict(list)
        async with self.db.session() as session:
            for start in range(0, len(chat_ids), _CHUNK):
                rows = await session.scalars(
                    select(MessageRow)
                    .where(MessageRow.chat_id.in_(chat_ids[start : start + _CHUNK]))
                    .order_by(MessageRow.created_at, MessageRow.id)
                )
                for row in rows:
                    out[row.chat_id].append(row)
        return out

    async def add_message(self, row: MessageRow, *, at: int) -> bool:
        """Insert the message and make it the chat's current leaf, in one transaction;
        False when the chat is gone."""
        async with self.db.session() as session:
            if not await _claim(session, row.chat_id, current_message_id=row.id, updated_at=at):
                return False
            session.add(row)
            await session.commit()
            return True

    async def add_turn(
        self, user_id: str, chat_id: str, new_chat: ChatRow | None, place: Placer, *, at: int
    ) -> Turn | None:
        """Add what ``place`` decides to the user's chat (or to ``new_chat``, created with it)
        and read the branch the last message continues, all in one transaction; None when the
        chat is not the user's. An error raised by ``place`` writes nothing."""

        def work(session: Session) -> Turn | None:
            if new_chat is not None:
                session.add(new_chat)
                session.flush()
                return write_turn(session, new_chat, True, place, at)
            c = ChatRow.__table__.c
            # The chat is claimed (its row written, so locked) before it is read: a deletion
            # under way then waits for the turn and takes it with the chat, or went first and
            # leaves nothing to claim. Read first, a chat deleted between the read and the
            # inserts failed them on its foreign key (a 500).
            claimed = session.connection().execute(
                update(ChatRow.__table__)
                .where(c.id == chat_id, c.user_id == user_id)
                .values(updated_at=at)
            )
            if not claimed.rowcount:
                return None
            chat = (
                session.connection()
                .execute(
                    select(*(c[column.key] for column in _DETAIL)).where(
                        c.id == chat_id, c.user_id == user_id
                    )
                )
                .first()
            )
            if chat is None:
                return None
            return write_turn(session, chat, False, place, at)

        return await self.db.write(work)

    async def update_message(
        self, chat_id: str, message_id: str, values: dict[str, Any], *, at: int
    ) -> MessageRow | None:
        """The message, changed; None when it or its chat is gone."""
        async with self.db.session() as session:
            if not await _claim(session, chat_id, updated_at=at):
                return None
            row = await session.scalar(
                select(MessageRow).where(MessageRow.id == message_id, MessageRow.chat_id == chat_id)
            )
            if row is None:
                return None
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = at
            await session.commit()
            return row

    async def interrupt_streaming(self, note: str, *, user_ids: Sequence[str] | None) -> int:
        """Mark the answers a stopped server left "streaming" (of these users, or everyone's)
        as failed with ``note``. One still being written by another server sharing the
        database is marked back at its next save, which writes its whole status."""
        query = select(MessageRow).where(
            MessageRow.role == "assistant", MessageRow.meta["status"].as_string() == "streaming"
        )
        if user_ids is not None:
            query = query.where(MessageRow.user_id.in_(user_ids))
        async with self.db.session() as session:
            rows = list(await session.scalars(query))
            for row in rows:
                row.meta = {**row.meta, "status": "error", "error": note}
            await session.commit()
            return len(rows)

    # -- tags --------------------------------------------------------------------------------

    async def tags_of(self, chat_ids: Sequence[str]) -> dict[str, list[str]]:
        return await self.db.read(lambda session: _tags(session, list(chat_ids)))

    async def tag_counts(self, user_id: str) -> list[tuple[str, int]]:
        async with self.db.session() as session:
            rows = await session.execute(
                select(TagRow.name, func.count(ChatTagRow.chat_id))
                .outerjoin(ChatTagRow, ChatTagRow.tag_id == TagRow.id)
                .where(TagRow.user_id == user_id)
                .group_by(TagRow.id, TagRow.name, TagRow.key)
                .order_by(TagRow.key)
            )
            return [(name, count) for name, count in rows]

    async def add_tag(self, user_id: str, chat_id: str, name: str, key: str, *, at: int) -> None:
        async with self.db.session() as session:
            tag_id = await self._ensure_tag(session, user_id, name, key)
            present = await session.scalar(
                select(ChatTagRow.tag_id).where(
                    ChatTagRow.chat_id == chat_id, ChatTagRow.tag_id == tag_id
                )
            )
            if present is None:
                await session.execute(insert(ChatTagRow).values(chat_id=chat_id, tag_id=tag_id))
                await session.execute(
                    update(ChatRow).where(ChatRow.id == chat_id).values(updated_at=at)
                )
            await session.commit()

    async def remove_tag(self, user_id: str, chat_id: str, key: str, *, at: int) -> bool:
        async with self.db.session() as session:
            tag_id = await session.scalar(
                select(TagRow.id).where(TagRow.user_id == user_id, TagRow.key == key)
            )
            if tag_id is None:
                return False
            result = await session.execute(
                delete(ChatTagRow).where(ChatTagRow.chat_id == chat_id, ChatTagRow.tag_id == tag_id)
            )
            if result.rowcount:
                await session.execute(
                    update(ChatRow).where(ChatRow.id == chat_id).values(updated_at=at)
                )
            await self._drop_unused_tags(session, user_id)
            await session.commit()
            return result.rowcount > 0

    async def _ensure_tag(self, session: AsyncSession, user_id: str, name: str, key: str) -> str:
        tag_id = await session.scalar(
            select(TagRow.id).where(TagRow.user_id == user_id, TagRow.key == key)
        )
        if tag_id is None:
            tag_id = new_id()
            await session.execute(
                insert(TagRow).values(id=tag_id, user_id=user_id, name=name, key=key)
            )
        return tag_id

    async def _drop_unused_tags(self, session: AsyncSession, user_id: str) -> None:
        """A tag lives as long as one of the user's chats carries it."""
        await session.execute(
            delete(TagRow).where(
                TagRow.user_id == user_id,
                ~exists().where(ChatTagRow.tag_id == TagRow.id),
            )
        )


def _tags(session: Session, chat_ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for start in range(0, len(chat_ids), _CHUNK):
        rows = session.execute(
            select(ChatTagRow.chat_id, TagRow.name)
            .join(TagRow, TagRow.id == ChatTagRow.tag_id)
            .where(ChatTagRow.chat_id.in_(chat_ids[start : start + _CHUNK]))
            .order_by(TagRow.key)
        )
        for chat_id, name in rows:
            out[chat_id].append(name)
    return out


async def _claim(session: AsyncSession, chat_id: str, **values: Any) -> bool:
    """Write the chat's row before any of its messages, whether it still exists. Deleting a
    chat takes its row, then its messages (by cascade): a writer taking a message first, then
    the chat, was killed by PostgreSQL as a deadlock, and a message inserted or updated after
    the chat was read and before it was deleted failed on its foreign key (or found no row).
    With the chat's row written first, a deletion waits for the write, or went first and
    leaves nothing to claim."""
    claimed = await session.execute(update(ChatRow).where(ChatRow.id == chat_id).values(**values))
    return bool(claimed.rowcount)
