from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, StrictBool, model_validator

from ..chats.settings import ChatSettings
from ..core.schemas import StrictModel
from ..models.schemas import Params

# A request's own name, as a client makes one (a UUID, say): it goes in a URL as it is.
REQUEST_ID = r"^[A-Za-z0-9_.:-]{1,64}$"


class CompletionRequest(StrictModel):
    """Ask for an answer. Exactly one of ``content`` (a new user message, replying to
    ``parent_id`` or to the current leaf; an edit is a reply to the edited message's parent)
    and ``regenerate`` (an assistant message to answer again, as a sibling) is given."""

    model: str = Field(min_length=1, max_length=255)
    chat_id: str | None = Field(default=None, description="Omit to start a new chat")
    content: str | None = None
    parent_id: str | None = None
    regenerate: str | None = Field(default=None, description="Id of an answer to redo")
    system: str | None = Field(
        default=None,
        max_length=100_000,
        description="For this answer, in place of the chat's or the preset's; \"\" for none",
    )
    system_suffix: str | None = Field(
        default=None,
        max_length=100_000,
        description=(
            "For this answer, added after the system prompt in use (``system``, else the "
            "chat's, else the preset's), which it keeps: how to shape the answer, say"
        ),
    )
    meta: dict[str, Any] | None = Field(
        default=None,
        description="Stored as the new user message's meta (e.g. the notebook cell it came from)",
    )
    params: Params = Field(
        default_factory=Params,
        description="For this answer, over the chat's and the preset's parameters",
    )
    settings: ChatSettings | None = Field(
        default=None,
        description="With no chat_id: the new chat's own settings, for every answer in it",
    )
    # Strict: "yes" or 0 is a mistake to hear of, not a choice to guess.
    stream: StrictBool = True
    request_id: str | None = Field(
        default=None,
        pattern=REQUEST_ID,
        description=(
            "The caller's own name for this request, unique to it: listed with the answer "
            "while it is written, and enough to stop it before the answer's id is known "
            "(POST chat/completions/requests/{request_id}/stop)"
        ),
    )

    @model_validator(mode="after")
    def _one_instruction(self) -> CompletionRequest:
        if (self.content is None) == (self.regenerate is None):
            raise ValueError("give exactly one of 'content' and 'regenerate'")
        if self.regenerate is not None and self.chat_id is None:
            raise ValueError("'regenerate' needs 'chat_id'")
        if self.meta is not None and self.content is None:
            raise ValueError("'meta' belongs to a new user message: give it with 'content'")
        if self.settings is not None and self.chat_id is not None:
            raise ValueError("'settings' are a new chat's: change a chat's with PATCH chats/{id}")
        return self


class CompletionResult(BaseModel):
    """The non-streamed answer (``stream: false``)."""

    chat_id: str
    user_message_id: str | None
    message_id: str
    content: str
    reasoning: str | None = Field(
        default=None, description="What a reasoning model thought before it answered"
    )
    status: Literal["done", "stopped", "error"]
    finish_reason: str | None = None
    usage: dict[str, int] | None = None
    error: str | None = None


class Running(BaseModel):
    message_id: str
    chat_id: str
    request_id: str | None = Field(default=None, description="The request's own name, if given")


class RunningList(BaseModel):
    items: list[Running]


class StopByRequest(BaseModel):
    result: CompletionResult | None = Field(
        description=(
            "How the answer ended, when it had begun (or ended within a minute); null when it "
            "had not begun, and it is then stopped as it begins (within a minute)"
        )
    )
