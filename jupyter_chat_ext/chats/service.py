"""Chat rules: ownership, the message tree, tags, export and import, and the events they raise."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from ..core.clock import from_ms, new_id, now_ms
from ..core.errors import NotFound, ValidationFailed
from ..core.identity import Identity
from ..events.schemas import Event
from ..events.service import EventBus
from ..folders.service import FolderService
from .orm import ChatRow, MessageRow
from .rows import (
    export_chat,
    imported_rows,
    message_fields,
    message_values,
    tag_key,
    tag_name,
    tag_pairs,
)
from .schemas import (
    UNTITLED,
    ChatCreate,
    ChatDetail,
    ChatGetQuery,
    ChatListQuery,
    ChatPage,
    ChatSummary,
    ChatTailQuery,
    ChatUpdate,
    CloneBody,
    ExportChat,
    ExportDocument,
    ImportCheck,
    ImportResult,
    MessageCreate,
    MessageOut,
    MessageUpdate,
    TagList,
    TagOut,
)
from .settings import ChatSettings, with_settings
from .store import ChatFilter, ChatStore
from .transfer import parse_import, to_markdown
from .tree import Tree
from .turns import ChatView, Turn

# Chats read, made into JSON and sent at a time by an export of them all.
_EXPORT_PAGE = 100
# The summary, the current leaf and the meta (the chat's settings), not the messages.
_EVENT_FIELDS = {*ChatSummary.model_fields, "current_message_id", "meta"}


def _summary(row: Any, tags: list[str]) -> ChatSummary:
    return ChatSummary(
        id=row.id,
        title=row.title,
        pinned=row.pinned,
        archived=row.archived,
        folder_id=row.folder_id,
        tags=tags,
        created_at=from_ms(row.created_at),
        updated_at=from_ms(row.updated_at),
    )


def _message(row: MessageRow, siblings: list[str]) -> MessageOut:
    # Not validated again: the row was checked when written.
    return MessageOut.model_construct(**message_fields(row), sibling_ids=siblings)


def _current_branch(chat: Any, tree: Tree) -> list[str]:
    leaf = chat.current_message_id if chat.current_message_id in tree else tree.newest_leaf()
    return tree.path_to(leaf)


def _whole_branch(chat: Any, tree: Tree) -> tuple[list[str], list[str]]:
    path = _current_branch(chat, tree)
    return path, path


def _decode_cursor(cursor: str) -> tuple[int, str]:
    at, _, last_id = cursor.partition(".")
    if not at.isdigit() or not last_id:
        raise ValidationFailed("'cursor' is not one this server gave; pass next_cursor as is.")
    return int(at), last_id


class ChatService:
    def __init__(self, store: ChatStore, folders: FolderService, bus: EventBus):
        self.store = store
        self.folders = folders
        self.bus = bus

    # -- reading -----------------------------------------------------------------------------

    async def list(self, me: Identity, query: ChatListQuery) -> ChatPage:
        where = ChatFilter(
            archived=query.archived,
            pinned=query.pinned,
            folder_id=query.folder_id,
            tag_key=tag_key(query.tag) if query.tag else None,
            q=query.q.strip() if query.q and query.q.strip() else None,
            after=_decode_cursor(query.cursor) if query.cursor else None,
        )
        rows, tags = await self.store.page(me.id, where, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        items = [_summary(r, tags.get(r.id, [])) for r in rows]
        last = rows[-1] if rows else None
        cursor = f"{last.updated_at}.{last.id}" if more and last else None
        return ChatPage(items=items, next_cursor=cursor)

    async def get(
        self, me: Identity, chat_id: str, query: ChatGetQuery | None = None
    ) -> ChatDetail:
        """The chat and its current branch; with ``tail``, only the branch's last messages
        (before ``before``), so that a very long chat opens as fast as a short one."""
        pick = _whole_branch
        if query is not None and (query.tail is not None or query.before is not None):
            tail, before = query.tail or 100, query.before

            def pick(chat: Any, tree: Tree) -> tuple[list[str], list[str]]:
                path = _current_branch(chat, tree)
                end = len(path)
                if before is not None:
                    if before not in path:
                        raise NotFound(f"No message {before!r} on this chat's current branch.")
                    end = path.index(before)
                return path, path[max(0, end - tail) : end]

        found = await self.store.branch(me.id, chat_id, pick)
        if found is None:
            raise NotFound(f"No chat with id {chat_id!r}.")
        chat, tree, path, rows = found.chat, found.tree, found.path, found.rows
        start = path.index(found.window[0]) if found.window else len(path)
        return ChatDetail(
            **_summary(chat, found.tags).model_dump(),
            current_message_id=path[-1] if path else None,
            meta=chat.meta or {},
            branch_length=len(path),
            first_index=start,
            messages=[_message(rows[i], tree.siblings(i)) for i in found.window if i in rows],
        )

    async def tags(self, me: Identity) -> TagList:
        counts = await self.store.tag_counts(me.id)
        return TagList(items=[TagOut(name=n, chat_count=c) for n, c in counts])

    # -- writing chats -----------------------------------------------------------------------

    async def create(self, me: Identity, body: ChatCreate) -> ChatDetail:
        if body.folder_id is not None:
            await self.folders.require(me, body.folder_id)
        now = now_ms()
        chat = self._new_chat(me, body, now)
        messages = []
        parent = None
        for m in body.messages:
            mid = new_id()
            messages.append(message_values(me.id, chat.id, mid, parent, m, now))
            parent = mid
        chat.current_message_id = parent
        tags = tag_pairs(body.tags)
        await self.store.insert([chat], messages, {chat.id: tags} if tags else {})
        detail = await self.get(me, chat.id)
        self._publish(me, "chat.created", detail)
        return detail

    async def update(
        self, me: Identity, chat_id: str, body: ChatUpdate, query: ChatTailQuery | None = None
    ) -> ChatDetail:
        """Apply ``body``; the chat comes back with its whole branch, or its ``tail``."""
        chat = await self._require(me, chat_id)
        fields = body.model_fields_set
        values: dict[str, Any] = {}
        for name in ("title", "pinned", "archived"):
            if name in fields:
                value = getattr(body, name)
                if value is None:
                    raise ValidationFailed(f"'{name}' cannot be null.")
                values[name] = value.strip() if isinstance(value, str) else value
        if values.get("title") == "":
            raise ValidationFailed("'title' must not be blank.")
        if "folder_id" in fields:
            if body.folder_id is not None:
                await self.folders.require(me, body.folder_id)
            values["folder_id"] = body.folder_id
        if "settings" in fields:
            values["meta"] = with_settings(chat.meta, body.settings)
        if "current_message_id" in fields:
            if body.current_message_id is None:
                raise ValidationFailed("'current_message_id' cannot be null.")
            tree = Tree(await self.store.skeleton(chat.id))
            if body.current_message_id not in tree:
                raise NotFound(f"No message {body.current_message_id!r} in this chat.")
            values["current_message_id"] = tree.newest_leaf(body.current_message_id)
        if values:
            # Pinning, archiving and branch switching are not new activity: keep the place
            # the chat has in the newest-first list.
            if {"title", "folder_id"} & values.keys():
                values["updated_at"] = now_ms()
            await self.store.update(me.id, chat.id, values)
        tail = ChatGetQuery(tail=query.tail) if query is not None else None
        detail = await self.get(me, chat.id, tail)
        self._publish(me, "chat.updated", detail)
        return detail

    async def name(self, me: Identity, chat_id: str, title: str) -> None:
        """Give a chat that is still untitled its first title; a title its user chose in the
        meantime (or a chat deleted meanwhile) is left as it is."""
        values = {"title": title, "updated_at": now_ms()}
        if not await self.store.update(me.id, chat_id, values, title=UNTITLED):
            return
        try:
            # The event carries the summary and the current leaf: a tail of one holds both.
            detail = await self.get(me, chat_id, ChatGetQuery(tail=1))
        except NotFound:
            return  # deleted a moment ago
        self._publish(me, "chat.updated", detail)

    async def delete(self, me: Identity, chat_id: str) -> None:
        if not await self.store.delete(me.id, chat_id):
            raise NotFound(f"No chat with id {chat_id!r}.")
        self.bus.publish(me.id, Event(type="chat.deleted", data={"id": chat_id}))

    async def delete_all(self, me: Identity) -> int:
        count = await self.store.delete_all(me.id)
        self.bus.publish(me.id, Event(type="chat.deleted", data={"all": True}))
        return count

    async def archive_all(self, me: Identity) -> int:
        ids = await self.store.archive_all(me.id, now_ms())
        for chat_id in ids:
            self.bus.publish(
                me.id, Event(type="chat.updated", data={"id": chat_id, "archived": True})
            )
        return len(ids)

    async def clone(self, me: Identity, chat_id: str, body: CloneBody) -> ChatDetail:
        chat = await self._require(me, chat_id)
        messages = await self.store.messages(chat.id)
        tags = (await self.store.tags_of([chat.id])).get(chat.id, [])
        title = (body.title or "").strip() or f"Clone of {chat.title}"[:500]
        export = export_chat(chat, messages, tags).model_copy(
            update={"title": title, "pinned": False, "archived": False}
        )
        (detail,) = await self._insert_exports(me, [export], keep_times=False)
        return detail

    # -- tags --------------------------------------------------------------------------------

    async def add_tag(self, me: Identity, chat_id: str, name: str) -> ChatDetail:
        chat = await self._require(me, chat_id)
        name = tag_name(name)
        await self.store.add_tag(me.id, chat.id, name, tag_key(name), at=now_ms())
        detail = await self.get(me, chat.id)
        self._publish(me, "chat.updated", detail)
        return detail

    async def remove_tag(self, me: Identity, chat_id: str, name: str) -> ChatDetail:
        chat = await self._require(me, chat_id)
        if not await self.store.remove_tag(me.id, chat.id, tag_key(name), at=now_ms()):
            raise NotFound(f"The chat has no tag {name!r}.")
        detail = await self.get(me, chat.id)
        self._publish(me, "chat.updated", detail)
        return detail

    # -- messages ----------------------------------------------------------------------------

    async def add_message(self, me: Identity, chat_id: str, body: MessageCreate) -> MessageOut:
        chat = await self._require(me, chat_id)
        tree = Tree(await self.store.skeleton(chat.id))
        parent = _parent(chat, tree, body)
        now = now_ms()
        mid = new_id()
        row = MessageRow(**message_values(me.id, chat.id, mid, parent, body, now))
        if not await self.store.add_message(row, at=now):
            raise NotFound(f"No chat with id {chat_id!r}.")  # deleted meanwhile
        siblings = [*tree.children.get(parent, []), mid]
        out = _message(row, siblings)
        self.bus.publish(
            me.id,
            Event(type="message.added", data={"chat_id": chat.id, **out.model_dump(mode="json")}),
        )
        return out

    async def add_turn(
        self,
        me: Identity,
        chat_id: str | None,
        answer: MessageCreate,
        *,
        question: MessageCreate | None = None,
        redo: str | None = None,
        settings: ChatSettings | None = None,
    ) -> Turn:
        """A ``question`` and the ``answer`` replying to it, or an answer that redoes the
        answer ``redo`` (as its sibling), written at once to the chat (a new chat when
        ``chat_id`` is None, with ``settings``). The turn's ``context`` is the conversation
        the answer continues."""
        now = now_ms()
        new_chat = None
        if chat_id is None:
            new_chat = self._new_chat(me, ChatCreate(settings=settings), now)

        def place(chat: Any, view: ChatView) -> list[MessageRow]:
            added = []
            if question is not None:
                parent = _reply_to(chat, view, question)
                added.append(
                    MessageRow(**message_values(me.id, chat.id, new_id(), parent, question, now))
                )
                parent = added[0].id
            else:
                target = view.message(redo)
                if target is None:
                    raise NotFound(f"No message {redo!r} in this chat.")
                if target.role != "assistant":
                    raise ValidationFailed(
                        "'regenerate' must name an answer (an assistant message)."
                    )
                parent = target.parent_id
            added.append(
                MessageRow(**message_values(me.id, chat.id, new_id(), parent, answer, now))
            )
            return added

        turn = await self.store.add_turn(me.id, chat_id or "", new_chat, place, at=now)
        if turn is None:
            raise NotFound(f"No chat with id {chat_id!r}.")
        if new_chat is not None:
            self.bus.publish(
                me.id,
                Event(
                    type="chat.created",
                    data={
                        **_summary(new_chat, []).model_dump(mode="json"),
                        "current_message_id": turn.added[-1].id,
                    },
                ),
            )
        for row in turn.added:
            out = _message(row, turn.siblings[row.id])
            self.bus.publish(
                me.id,
                Event(
                    type="message.added",
                    data={"chat_id": row.chat_id, **out.model_dump(mode="json")},
                ),
            )
        return turn

    async def update_message(
        self, me: Identity, chat_id: str, message_id: str, body: MessageUpdate
    ) -> MessageOut:
        chat = await self._require(me, chat_id)
        values: dict[str, Any] = {}
        for name in ("content", "meta"):
            if name in body.model_fields_set:
                if getattr(body, name) is None:
                    raise ValidationFailed(f"'{name}' cannot be null.")
                values[name] = getattr(body, name)
        if "model" in body.model_fields_set:
            values["model"] = body.model
        row = await self.store.update_message(chat.id, message_id, values, at=now_ms())
        if row is None:
            raise NotFound(f"No message {message_id!r} in this chat.")
        tree = Tree(await self.store.skeleton(chat.id))
        out = _message(row, tree.siblings(row.id))
        self.bus.publish(
            me.id,
            Event(type="message.updated", data={"chat_id": chat.id, **out.model_dump(mode="json")}),
        )
        return out

    async def require(self, me: Identity, chat_id: str) -> None:
        """Raise the usual 404 unless the chat is the user's."""
        await self._require(me, chat_id)

    async def message(self, me: Identity, chat_id: str, message_id: str) -> MessageOut:
        chat = await self._require(me, chat_id)
        rows = await self.store.messages(chat.id, [message_id])
        if not rows:
            raise NotFound(f"No message {message_id!r} in this chat.")
        tree = Tree(await self.store.skeleton(chat.id))
        return _message(rows[0], tree.siblings(message_id))

    async def answer(self, me: Identity, message_id: str) -> MessageRow | None:
        """One of the user's answers (an assistant message) by its id alone, in any chat."""
        row = await self.store.message_of(me.id, message_id)
        return row if row is not None and row.role == "assistant" else None

    async def save_progress(
        self,
        me: Identity,
        chat_id: str,
        message_id: str,
        content: str,
        meta: dict[str, Any],
        *,
        final: bool,
    ) -> bool:
        """Write a streaming answer's text so far; whether it was there to be written. Only
        the final write is announced as a change; other tabs follow the stream itself through
        ``message.delta`` events."""
        row = await self.store.update_message(
            chat_id, message_id, {"content": content, "meta": meta}, at=now_ms()
        )
        if row is None:
            return False
        if final:
            tree = Tree(await self.store.skeleton(chat_id))
            out = _message(row, tree.siblings(row.id))
            self.bus.publish(
                me.id,
                Event(
                    type="message.updated", data={"chat_id": chat_id, **out.model_dump(mode="json")}
                ),
            )
        return True

    # -- export and import -------------------------------------------------------------------

    async def export(self, me: Identity, chat_ids: Sequence[str]) -> ExportDocument:
        """Every branch of the given chats."""
        chats = [await self._require(me, chat_id) for chat_id in chat_ids]
        ids = [c.id for c in chats]
        messages = await self.store.messages_of(ids)
        tags = await self.store.tags_of(ids)
        return ExportDocument(
            chats=[export_chat(c, messages.get(c.id, []), tags.get(c.id, [])) for c in chats]
        )

    async def export_all(self, me: Identity) -> AsyncIterator[list[ExportChat]]:
        """Every chat of the user's, newest first, every branch: a page of chats at a time,
        so that years of chats are never all in memory at once (an 87 MB export held
        400 MB). A chat deleted meanwhile is left out."""
        ids = await self.store.ids(me.id)
        for start in range(0, len(ids), _EXPORT_PAGE):
            page = await self.store.export_page(me.id, ids[start : start + _EXPORT_PAGE])
            yield [export_chat(chat, messages, tags) for chat, messages, tags in page]

    async def export_markdown(self, me: Identity, chat_id: str) -> tuple[str, str]:
        detail = await self.get(me, chat_id)
        return detail.title, to_markdown(detail.title, detail.messages)

    async def import_(self, me: Identity, data: Any) -> ImportResult:
        exports = parse_import(data)
        details = await self._insert_exports(me, exports, keep_times=True)
        return ImportResult(items=[ChatSummary(**d.model_dump()) for d in details])

    def check_import(self, me: Identity, data: Any) -> ImportCheck:
        """What ``import_`` would refuse in ``data``, refused the same way; nothing is stored.
        A file sent in parts is checked whole first, so that a refused part leaves nothing
        of the others behind."""
        exports = parse_import(data)
        imported_rows(me.id, exports, keep_times=True)
        return ImportCheck(chats=len(exports))

    # -- helpers -----------------------------------------------------------------------------

    async def _require(self, me: Identity, chat_id: str) -> ChatRow:
        """The user's own chat, or a 404 exactly like a missing one."""
        chat = await self.store.get(me.id, chat_id)
        if chat is None:
            raise NotFound(f"No chat with id {chat_id!r}.")
        return chat

    def _new_chat(self, me: Identity, body: ChatCreate, at: int) -> ChatRow:
        return ChatRow(
            id=new_id(),
            user_id=me.id,
            title=body.title.strip() or UNTITLED,
            folder_id=body.folder_id,
            pinned=body.pinned,
            archived=False,
            current_message_id=None,
            created_at=at,
            updated_at=at,
            meta=with_settings({}, body.settings),
        )

    async def _insert_exports(
        self, me: Identity, exports: Sequence[ExportChat], *, keep_times: bool
    ) -> list[ChatDetail]:
        """New ids for every chat and message, so an import never collides with what exists."""
        chats, messages, tags = imported_rows(me.id, exports, keep_times=keep_times)
        await self.store.insert(chats, messages, tags)
        details = [await self.get(me, c.id) for c in chats]
        for detail in details:
            self._publish(me, "chat.created", detail)
        return details

    def _publish(self, me: Identity, kind: str, detail: ChatDetail) -> None:
        # The summary and the current leaf, so a view can tell whether its branch moved.
        data = detail.model_dump(mode="json", include=_EVENT_FIELDS)
        self.bus.publish(me.id, Event(type=kind, data=data))  # type: ignore[arg-type]


def _parent(chat: Any, tree: Tree, body: MessageCreate) -> str | None:
    """What a new message replies to: the parent it names, else the chat's current leaf."""
    if "parent_id" in body.model_fields_set:
        parent = body.parent_id
        if parent is not None and parent not in tree:
            raise NotFound(f"No message {parent!r} in this chat to reply to.")
        return parent
    current = chat.current_message_id
    return current if current in tree else tree.newest_leaf()


def _reply_to(chat: Any, view: ChatView, body: MessageCreate) -> str | None:
    """As ``_parent``, asking the database for just the messages it needs."""
    if "parent_id" in body.model_fields_set:
        parent = body.parent_id
        if parent is not None and not view.has(parent):
            raise NotFound(f"No message {parent!r} in this chat to reply to.")
        return parent
    current = chat.current_message_id
    return current if view.has(current) else view.newest_leaf()
