"""What the server sends back, as small frozen dataclasses.

Names and fields follow the server's response schemas in its OpenAPI document (a test checks
that they still agree). Fields the server adds later are ignored rather than rejected, so that
an older kernel package keeps working against a newer server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


def _time(value: str) -> datetime:
    # Python 3.10's fromisoformat does not accept the "Z" suffix the server writes.
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class UserOut:
    """The user the token belongs to."""

    id: str
    username: str
    name: str
    role: Literal["admin", "user"]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UserOut:
        return cls(id=data["id"], username=data["username"], name=data["name"], role=data["role"])


@dataclass(frozen=True)
class ChatSummary:
    """A chat as lists show it, without its messages."""

    id: str
    title: str
    pinned: bool
    archived: bool
    folder_id: str | None
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChatSummary:
        return cls(**_summary_fields(data))


@dataclass(frozen=True)
class ChatPage:
    """One page of a chat list; pass ``next_cursor`` as ``cursor`` for the next (None: last)."""

    items: tuple[ChatSummary, ...]
    next_cursor: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChatPage:
        return cls(
            items=tuple(ChatSummary.from_json(item) for item in data["items"]),
            next_cursor=data["next_cursor"],
        )


@dataclass(frozen=True)
class MessageOut:
    """One message. ``sibling_ids`` lists it and its alternatives (edits, regenerations)."""

    id: str
    parent_id: str | None
    role: Role
    content: str
    model: str | None
    created_at: datetime
    updated_at: datetime
    meta: Mapping[str, Any]
    sibling_ids: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MessageOut:
        return cls(
            id=data["id"],
            parent_id=data["parent_id"],
            role=data["role"],
            content=data["content"],
            model=data["model"],
            created_at=_time(data["created_at"]),
            updated_at=_time(data["updated_at"]),
            meta=dict(data["meta"]),
            sibling_ids=tuple(data["sibling_ids"]),
        )


@dataclass(frozen=True)
class ChatDetail(ChatSummary):
    """A chat with the messages of its current branch (or of its tail), root first."""

    current_message_id: str | None
    meta: Mapping[str, Any]
    branch_length: int
    first_index: int
    messages: tuple[MessageOut, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChatDetail:
        return cls(
            **_summary_fields(data),
            current_message_id=data["current_message_id"],
            meta=dict(data["meta"]),
            branch_length=data["branch_length"],
            first_index=data["first_index"],
            messages=tuple(MessageOut.from_json(m) for m in data["messages"]),
        )


def _summary_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": data["id"],
        "title": data["title"],
        "pinned": data["pinned"],
        "archived": data["archived"],
        "folder_id": data["folder_id"],
        "tags": tuple(data["tags"]),
        "created_at": _time(data["created_at"]),
        "updated_at": _time(data["updated_at"]),
    }
