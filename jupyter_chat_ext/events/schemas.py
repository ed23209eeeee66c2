from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

EventType = Literal[
    "chat.created",
    "chat.updated",
    "chat.deleted",
    "message.added",
    "message.updated",
    "message.delta",
    "message.reasoning",
    "folder.created",
    "folder.updated",
    "folder.deleted",
]


class Event(BaseModel):
    """One change. ``data`` is the changed object's summary (or just its id when deleted);
    ``message.delta`` carries only the text a streaming answer just gained, and
    ``message.reasoning`` only the reasoning."""

    type: EventType
    data: dict[str, Any]
