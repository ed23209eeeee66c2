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


@dataclass(frozen=True)
class PresetInfo:
    """What makes a model a preset: the model it wraps and who can see it."""

    base_model: str
    description: str
    capabilities: tuple[str, ...]
    visibility: Literal["private", "public"]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PresetInfo:
        return cls(
            base_model=data["base_model"],
            description=data["description"],
            capabilities=tuple(data["capabilities"]),
            visibility=data["visibility"],
        )


@dataclass(frozen=True)
class ModelOut:
    """A model the user can ask; pass ``id`` as ``model``."""

    id: str
    name: str
    owned_by: str
    connection_id: str | None
    connection_name: str | None
    kind: Literal["openai", "ollama", "local"] | None
    preset: PresetInfo | None
    # Makes embeddings only (the server's local embedding model): no chat answers.
    embedding: bool = False
    # When it was made, in Unix seconds (None when the server does not know).
    created: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelOut:
        preset = data.get("preset")
        return cls(
            id=data["id"],
            name=data["name"],
            owned_by=data["owned_by"],
            connection_id=data["connection_id"],
            connection_name=data["connection_name"],
            kind=data["kind"],
            preset=PresetInfo.from_json(preset) if preset else None,
            embedding=bool(data.get("embedding")),
            created=data.get("created"),
        )


@dataclass(frozen=True)
class ModelList:
    """Every model and preset the user can use; ``errors`` names connections that failed."""

    items: tuple[ModelOut, ...]
    errors: Mapping[str, str]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelList:
        return cls(
            items=tuple(ModelOut.from_json(item) for item in data["items"]),
            errors=dict(data.get("errors") or {}),
        )


Status = Literal["done", "stopped", "error"]


@dataclass(frozen=True)
class CompletionResult:
    """A whole answer: what ``complete()`` and ``stop_completion()`` return."""

    chat_id: str
    user_message_id: str | None
    message_id: str
    content: str
    status: Status
    finish_reason: str | None
    usage: Mapping[str, int] | None
    error: str | None
    # What a reasoning model thought before it answered; None for other models.
    reasoning: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CompletionResult:
        usage = data.get("usage")
        return cls(
            chat_id=data["chat_id"],
            user_message_id=data["user_message_id"],
            message_id=data["message_id"],
            content=data["content"],
            status=data["status"],
            finish_reason=data.get("finish_reason"),
            usage=dict(usage) if usage is not None else None,
            error=data.get("error"),
            reasoning=data.get("reasoning"),
        )


@dataclass(frozen=True)
class Running:
    """An answer being written now."""

    message_id: str
    chat_id: str
    request_id: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Running:
        return cls(
            message_id=data["message_id"],
            chat_id=data["chat_id"],
            request_id=data.get("request_id"),
        )


@dataclass(frozen=True)
class RunningList:
    items: tuple[Running, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunningList:
        return cls(items=tuple(Running.from_json(item) for item in data["items"]))


# The events of a streamed answer (Server-Sent Events: start, reasoning, delta, usage, then
# done or error).


@dataclass(frozen=True)
class CompletionStart:
    """The first event: where the answer is stored. ``content`` is the text already written
    (non-empty when re-attaching); ``user_message_id`` is None when re-attaching or
    regenerating."""

    chat_id: str
    message_id: str
    model: str
    user_message_id: str | None
    content: str
    reasoning: str = ""  # a reasoning model's thoughts so far, when re-attaching

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CompletionStart:
        return cls(
            chat_id=data["chat_id"],
            message_id=data["message_id"],
            model=data["model"],
            user_message_id=data.get("user_message_id"),
            content=data.get("content") or "",
            reasoning=data.get("reasoning") or "",
        )


@dataclass(frozen=True)
class TextDelta:
    """New text of the answer, to append to what came before."""

    text: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TextDelta:
        return cls(text=data["text"])


@dataclass(frozen=True)
class ReasoningDelta:
    """More of a reasoning model's thoughts, which come before its answer and are not part
    of it."""

    text: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReasoningDelta:
        return cls(text=data["text"])


@dataclass(frozen=True)
class Usage:
    """Token counts, as the model reported them."""

    prompt_tokens: int | None
    completion_tokens: int | None
    total_tokens: int | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Usage:
        return cls(
            prompt_tokens=data.get("prompt_tokens"),
            completion_tokens=data.get("completion_tokens"),
            total_tokens=data.get("total_tokens"),
        )


@dataclass(frozen=True)
class CompletionDone:
    """The last event of an answer that ended well or was stopped (``status``)."""

    status: Literal["done", "stopped"]
    finish_reason: str | None
    usage: Usage | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CompletionDone:
        usage = data.get("usage")
        return cls(
            status=data["status"],
            finish_reason=data.get("finish_reason"),
            usage=Usage.from_json(usage) if usage else None,
        )


CompletionEvent = CompletionStart | ReasoningDelta | TextDelta | Usage | CompletionDone
