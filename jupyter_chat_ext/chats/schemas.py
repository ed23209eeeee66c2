from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from ..core.schemas import StrictModel
from .settings import ChatSettings

Role = Literal["system", "user", "assistant", "tool"]
TagName = Field(min_length=1, max_length=100)


# A chat's title until it is given one (by its user, or by its model after a first answer).
UNTITLED = "New Chat"


class MessageIn(StrictModel):
    role: Role
    content: str
    model: str | None = Field(default=None, max_length=255)
    meta: dict[str, Any] = Field(default_factory=dict)


class MessageCreate(MessageIn):
    """Add a message. Without ``parent_id`` it follows the current leaf; with one it becomes
    that message's newest child (editing a user message or regenerating an answer is adding a
    sibling), and ``parent_id: null`` starts a new root. The new message becomes the current leaf.
    """

    parent_id: str | None = None


class MessageUpdate(StrictModel):
    content: str | None = None
    model: str | None = Field(default=None, max_length=255)
    meta: dict[str, Any] | None = None


class ChatCreate(StrictModel):
    title: str = Field(default=UNTITLED, min_length=1, max_length=500)
    folder_id: str | None = None
    pinned: bool = False
    tags: list[str] = Field(default_factory=list, max_length=50)
    messages: list[MessageIn] = Field(
        default_factory=list, description="Initial messages, each the child of the one before."
    )
    settings: ChatSettings | None = Field(
        default=None, description="The system prompt and parameters of every answer in the chat"
    )


class ChatUpdate(StrictModel):
    """Rename, pin, archive, move (``folder_id: null`` is the top level), switch branch or
    change the chat's settings (``settings: null`` clears them).

    ``current_message_id`` may name any message of the chat; the branch shown then continues
    from it down its newest children to a leaf.
    """

    title: str | None = Field(default=None, min_length=1, max_length=500)
    pinned: bool | None = None
    archived: bool | None = None
    folder_id: str | None = None
    current_message_id: str | None = None
    settings: ChatSettings | None = Field(
        default=None, description="Kept in the chat's meta.settings; answers use them"
    )


class ChatListQuery(StrictModel):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=100, description="next_cursor of a page")
    q: str | None = Field(
        default=None, min_length=1, max_length=200, description="Search titles and message text"
    )
    pinned: bool | None = None
    archived: bool = False
    folder_id: str | None = Field(
        default=None, description="A folder's id, or 'none' for top level"
    )
    tag: str | None = Field(default=None, max_length=100)


class ChatSummary(BaseModel):
    id: str
    title: str
    pinned: bool
    archived: bool
    folder_id: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class ChatPage(BaseModel):
    items: list[ChatSummary]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null at the end")


class MessageOut(BaseModel):
    id: str
    parent_id: str | None
    role: Role
    content: str
    model: str | None
    created_at: datetime
    updated_at: datetime
    meta: dict[str, Any]
    sibling_ids: list[str] = Field(
        description="This message and its siblings, oldest first, for branch navigation"
    )


class ChatTailQuery(StrictModel):
    tail: int | None = Field(
        default=None, ge=1, le=1000, description="Only the branch's last N messages"
    )


class ChatGetQuery(ChatTailQuery):
    before: str | None = Field(
        default=None, max_length=64, description="With tail: the N messages before this one"
    )


class ChatDetail(ChatSummary):
    streamed_field: ClassVar[str] = "messages"  # see core/json_pieces.py
    current_message_id: str | None
    meta: dict[str, Any]
    branch_length: int = Field(description="How many messages the current branch has")
    first_index: int = Field(description="Position in the branch of the first message returned")
    messages: list[MessageOut] = Field(description="The current branch (or its tail), root first")


class TagAdd(StrictModel):
    name: str = TagName


class TagOut(BaseModel):
    name: str
    chat_count: int


class TagList(BaseModel):
    items: list[TagOut]


class CloneBody(StrictModel):
    title: str | None = Field(default=None, min_length=1, max_length=500)


class ExportQuery(StrictModel):
    format: Literal["json", "markdown"] = "json"


class DeleteAll(StrictModel):
    confirm: Literal["delete all chats"] = Field(description="Must be exactly 'delete all chats'")


class Count(BaseModel):
    count: int


class ExportMessage(BaseModel):
    id: str
    parent_id: str | None
    role: Role
    content: str
    model: str | None = None
    created_at: datetime
    updated_at: datetime
    meta: dict[str, Any] = Field(default_factory=dict)


class ExportChat(BaseModel):
    streamed_field: ClassVar[str] = "messages"
    id: str
    title: str
    pinned: bool = False
    archived: bool = False
    tags: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    current_message_id: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)
    messages: list[ExportMessage] = Field(description="Every message of every branch")


class ExportDocument(BaseModel):
    """The JSON export: one or many chats, every branch kept. Importable as is."""

    streamed_field: ClassVar[str] = "chats"

    format: Literal["jupyter-chat-ext"] = "jupyter-chat-ext"
    version: Literal[1] = 1
    chats: list[ExportChat]


class ImportResult(BaseModel):
    items: list[ChatSummary]


class ImportCheck(BaseModel):
    chats: int = Field(description="How many chats the file holds; nothing was stored")
