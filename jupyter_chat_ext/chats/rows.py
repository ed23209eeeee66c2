"""Rows made from what the API was given (messages, tags, imported chats), and messages as the
API gives them back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.clock import from_ms, new_id, now_ms, to_ms
from ..core.errors import ValidationFailed
from .orm import ChatRow, MessageRow
from .schemas import ExportChat, ExportMessage
from .tree import Node, Tree


def tag_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def tag_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationFailed("A tag name must not be blank.")
    return cleaned


def tag_pairs(names: Sequence[str]) -> list[tuple[str, str]]:
    """(name, key) of each tag, once per key, the first spelling kept."""
    pairs: dict[str, str] = {}
    for name in names:
        cleaned = tag_name(name)
        if len(cleaned) > 100:
            raise ValidationFailed("A tag name is at most 100 characters.")
        pairs.setdefault(tag_key(cleaned), cleaned)
    return [(name, key) for key, name in pairs.items()]


def message_values(
    user_id: str, chat_id: str, mid: str, parent: str | None, m: Any, at: int
) -> dict[str, Any]:
    return {
        "id": mid,
        "chat_id": chat_id,
        "user_id": user_id,
        "parent_id": parent,
        "role": m.role,
        "content": m.content,
        "model": m.model,
        "created_at": at,
        "updated_at": at,
        "meta": m.meta,
    }


def message_fields(row: MessageRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "parent_id": row.parent_id,
        "role": row.role,
        "content": row.content,
        "model": row.model,
        "created_at": from_ms(row.created_at),
        "updated_at": from_ms(row.updated_at),
        "meta": row.meta or {},
    }


def export_chat(chat: ChatRow, messages: list[MessageRow], tags: list[str]) -> ExportChat:
    return ExportChat(
        id=chat.id,
        title=chat.title,
        pinned=chat.pinned,
        archived=chat.archived,
        tags=tags,
        created_at=from_ms(chat.created_at),
        updated_at=from_ms(chat.updated_at),
        current_message_id=chat.current_message_id,
        meta=chat.meta or {},
        messages=[
            ExportMessage.model_construct(**message_fields(m))  # checked when written
            for m in sorted(messages, key=lambda m: (m.created_at, m.id))
        ],
    )


def imported_rows(
    user_id: str, exports: Sequence[ExportChat], *, keep_times: bool
) -> tuple[list[ChatRow], list[dict[str, Any]], dict[str, list[tuple[str, str]]]]:
    """The rows of exported chats (a clone is one too), each chat and message with a new id so
    that they never collide with what exists: (chats, message values, tags by chat id)."""
    now = now_ms()
    chats: list[ChatRow] = []
    messages: list[dict[str, Any]] = []
    tags: dict[str, list[tuple[str, str]]] = {}
    for export in exports:
        chat_id = new_id()
        ids = {m.id: new_id() for m in export.messages}
        for m in export.messages:
            values = message_values(user_id, chat_id, ids[m.id], ids.get(m.parent_id or ""), m, now)
            if keep_times:
                values["created_at"] = to_ms(m.created_at)
                values["updated_at"] = to_ms(m.updated_at)
            if m.role == "assistant" and (m.meta or {}).get("status") == "streaming":
                # A copy of an answer still being written: no task will write the copy,
                # which holds what was written when it was made.
                values["meta"] = {**m.meta, "status": "stopped"}
            messages.append(values)
        tree = Tree(
            [
                Node(m["id"], m["parent_id"], m["created_at"])
                for m in messages
                if m["chat_id"] == chat_id
            ]
        )
        current = ids.get(export.current_message_id or "")
        chats.append(
            ChatRow(
                id=chat_id,
                user_id=user_id,
                title=export.title.strip()[:500] or "Imported chat",
                folder_id=None,
                pinned=export.pinned,
                archived=export.archived,
                current_message_id=current if current in tree else tree.newest_leaf(),
                created_at=to_ms(export.created_at) if keep_times else now,
                updated_at=to_ms(export.updated_at) if keep_times else now,
                meta=export.meta,
            )
        )
        pairs = tag_pairs(export.tags)
        if pairs:
            tags[chat_id] = pairs
    return chats, messages, tags
