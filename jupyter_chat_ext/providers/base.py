"""What every model client yields: typed deltas, never whole messages, and one error type."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol


def unix_time(value: Any) -> int | None:
    """A time as servers write one (OpenAI's Unix seconds, Ollama's RFC 3339), in Unix
    seconds; None for anything else, and for Go's zero time, which means none."""
    if isinstance(value, str):
        try:
            value = int(datetime.fromisoformat(value).timestamp())
        except ValueError:
            return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


@dataclass(frozen=True, slots=True)
class UpstreamModel:
    id: str  # as the upstream names it
    name: str
    owned_by: str = ""
    # What else the upstream told of it; "created": when it was made, in Unix seconds.
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str
    # The tokens' log-probabilities when asked for, as OpenAI's ``logprobs.content`` entries.
    logprobs: list[dict[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """What a reasoning model thinks before it answers, sent apart from the answer's text."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    index: int
    id: str | None
    name: str | None
    arguments: str  # a fragment of the JSON arguments


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def told(cls, prompt: Any, completion: Any, total: Any = None) -> Usage:
        """The counts as an upstream told them. Some send null (or nothing) for a count they
        do not know: it is 0, as OpenAI's clients read a count that is absent, and the total
        is then the sum of the others."""
        prompt, completion = _count(prompt), _count(completion)
        total = total if _is_count(total) else prompt + completion
        return cls(prompt, completion, total)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _count(value: Any) -> int:
    return value if _is_count(value) else 0


@dataclass(frozen=True, slots=True)
class Finish:
    reason: str | None


Delta = TextDelta | ReasoningDelta | ToolCallDelta | Usage | Finish

FailureKind = Literal["refused", "timeout", "http", "malformed", "cut", "unavailable"]


class UpstreamError(Exception):
    """An upstream failed. ``status`` is the upstream's HTTP status when it answered one;
    ``said`` is its own error (message, code and parameter, as OpenAI's shape has them), for
    the compatible APIs to hand on as it was, with ``retry``, its word on when to try again
    (``Retry-After`` and its kin), which clients' back-off reads.

    ``message`` may say where the upstream is (its scheme, host and port, never a credential)
    for admins and the log; ``public`` says the same without it, for everyone else (see
    ``told_to``). Where the model servers are is the admins' business: an address inside a
    private network, or a URL that carries a key, is not for every user to learn."""

    def __init__(
        self,
        kind: FailureKind,
        message: str,
        status: int | None = None,
        said: UpstreamSaid | None = None,
        retry: tuple[tuple[str, str], ...] = (),
        *,
        public: str | None = None,
    ):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.said = said
        self.retry = retry
        self.public = message if public is None else public

    def told_to(self, admin: bool) -> str:
        """The message as a user is shown it: with the upstream's place for admins only."""
        return self.message if admin else self.public


@dataclass(frozen=True, slots=True)
class UpstreamSaid:
    message: str
    code: str | None = None
    param: str | None = None


class ModelClient(Protocol):
    async def models(self) -> list[UpstreamModel]: ...

    def stream_chat(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]
    ) -> AsyncIterator[Delta]: ...


def stream_deltas(
    text: str, sender: str, unit: str, read: Callable[[dict[str, Any]], list[Delta]]
) -> list[Delta]:
    """The deltas ``read`` finds in one JSON object of an upstream's stream (an SSE event's
    data, an NDJSON line). An error the upstream wrote into it is the upstream's failure; any
    other way the piece is wrong is malformed, naming ``sender`` and its ``unit``."""
    a = "an" if unit[0] in "aeiou" else "a"
    try:
        chunk = json.loads(text)
    except ValueError:
        raise UpstreamError(
            "malformed", f"{sender} sent a malformed {unit}: {text[:80]!r}"
        ) from None
    if not isinstance(chunk, dict):
        raise UpstreamError("malformed", f"{sender} sent {a} {unit} that is not an object.")
    # Some servers (Foundry Local) put "error": null in every chunk.
    error = chunk.get("error")
    if error:
        message = error.get("message") if isinstance(error, dict) else error
        raise UpstreamError("http", f"{sender} failed mid-stream: {message}")
    try:
        return read(chunk)
    except (AttributeError, TypeError, KeyError):
        raise UpstreamError("malformed", f"{sender} sent {a} {unit} of another shape.") from None
