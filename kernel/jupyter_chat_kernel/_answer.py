"""What both stream classes share: Server-Sent Events read into typed events, the answer so
far (so that a stream that ends badly still says what was written), and how a stream that
broke is followed again.

The server sends ``start`` (where the answer is stored), then ``reasoning``, ``delta`` and
``usage`` events carrying only what is new, then ``done`` or ``error``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from ._errors import ChatError
from ._types import (
    CompletionDone,
    CompletionEvent,
    CompletionResult,
    CompletionStart,
    ReasoningDelta,
    TextDelta,
)
from ._types import Usage as UsageEvent

# Seconds before each try to follow an answer again once its stream broke (the server, which
# writes the answer as a task of its own, goes on writing it meanwhile); for the whole answer,
# so that a stream that breaks again and again ends.
RESUME_PAUSES = (0.5, 1.0, 2.0, 4.0)


class _EventReader:
    """Turns the lines of an event stream into (event name, data) pairs."""

    def __init__(self) -> None:
        self._name = "message"
        self._data: list[str] = []

    def feed(self, line: str) -> tuple[str, str] | None:
        if not line:
            name, data = self._name, self._data
            self._name, self._data = "message", []
            return (name, "\n".join(data)) if data else None
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            self._name = value
        elif field == "data":
            self._data.append(value)
        return None


class _Answer:
    """What the events said so far: ids, text, status, usage; and how to stop the answer."""

    _async = False

    def __init__(
        self,
        response: httpx.Response,
        where: str,
        stop: Callable[[str], Any],
        on_transport_error: Callable[[httpx.TransportError], ChatError],
        attach: Callable[[str], Any] | None = None,
    ) -> None:
        self._response = response
        self._where = where
        self._stop = stop
        self._attach = attach
        self._pauses = list(RESUME_PAUSES)
        self._shut = False  # closed by the reader: a stream that broke is not followed again
        self._transport_error = on_transport_error
        self._pending: list[CompletionEvent] = []
        self._lines: Any = response.aiter_lines() if self._async else response.iter_lines()
        self._reader = _EventReader()
        self._parts: list[str] = []
        self._thoughts: list[str] = []
        self.start: CompletionStart | None = None
        self.status: str = "running"
        self.finish_reason: str | None = None
        self.usage: UsageEvent | None = None
        self.error: str | None = None

    @property
    def text(self) -> str:
        """The answer so far."""
        return "".join(self._parts)

    @property
    def reasoning(self) -> str:
        """A reasoning model's thoughts so far (empty for other models)."""
        return "".join(self._thoughts)

    @property
    def chat_id(self) -> str | None:
        return self.start.chat_id if self.start else None

    @property
    def message_id(self) -> str | None:
        return self.start.message_id if self.start else None

    @property
    def finished(self) -> bool:
        return self.status != "running"

    def _line(self, line: str) -> CompletionEvent | None:
        pair = self._reader.feed(line)
        if pair is None:
            return None
        name, raw = pair
        try:
            data = json.loads(raw)
            return self._event(name, data)
        except ChatError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError):
            raise self._failed(
                ChatError(
                    None,
                    "bad_response",
                    f"{self._where} sent an event that cannot be read: {name}.",
                )
            ) from None

    def _event(self, name: str, data: Any) -> CompletionEvent | None:
        if name == "start":
            event = CompletionStart.from_json(data)
            self.start = event
            self._parts = [event.content] if event.content else []
            self._thoughts = [event.reasoning] if event.reasoning else []
            return event
        if name == "reasoning":
            thought = ReasoningDelta.from_json(data)
            self._thoughts.append(thought.text)
            return thought
        if name == "delta":
            delta = TextDelta.from_json(data)
            self._parts.append(delta.text)
            return delta
        if name == "usage":
            self.usage = UsageEvent.from_json(data)
            return self.usage
        if name == "done":
            done = CompletionDone.from_json(data)
            self.status, self.finish_reason = done.status, done.finish_reason
            self.usage = done.usage or self.usage
            return done
        if name == "error":
            self.status = "error"
            self.error = str(data.get("message") or "The model failed.")
            self._parts = [str(data.get("content") or self.text)]
            raise ChatError(None, "upstream_error", self.error)
        return None  # an event of a newer server: ignored

    def _message_to_stop(self) -> str:
        if self.message_id is None:
            raise ChatError(None, "not_started", "The answer had not started.")
        return self.message_id

    def _ended_meanwhile(self, error: ChatError) -> bool:
        """Whether a refused stop means the answer ended on its own, with the rest of its
        events still to be read from this stream."""
        return error.status == 404 and not self._response.is_closed

    def _stopped(self, result: CompletionResult) -> CompletionResult:
        """The answer as the server's stop tells it (as it was stored, for one that had
        ended already), with the question's id, which only the stream's start gives."""
        self.status, self._parts = result.status, [result.content]
        if result.reasoning:
            self._thoughts = [result.reasoning]
        self.finish_reason = result.finish_reason or self.finish_reason
        if result.usage:
            self.usage = UsageEvent.from_json(result.usage)
        self.error = result.error
        return self.result()

    def _failed(self, error: ChatError) -> ChatError:
        """``error`` ends the reading: the answer so far stays, marked as failed."""
        if not self.finished:
            self.status, self.error = "error", error.message
        return error

    def _read_after_close(self) -> ChatError:
        """Reading a stream this side closed: the answer itself goes on (or has ended), so
        it is not marked as failed, and ``stop()`` still reaches the server."""
        return ChatError(
            None,
            "closed",
            "This answer's stream was closed; attach(message_id) follows the answer again.",
        )

    def _ended_early(self) -> ChatError:
        return ChatError(None, "transport", f"The answer's stream from {self._where} ended early.")

    def _resumable(self) -> bool:
        return self._attach is not None and self.start is not None and not self.finished

    @staticmethod
    def _worth_retrying(error: ChatError) -> bool:
        """Whether a failed try to follow the answer again may work a moment later."""
        return error.code in ("transport", "timeout", "unreachable") or (error.status or 0) >= 502

    def _catch_up(self, reasoning: str, text: str) -> None:
        """Pass on what was written while no stream followed the answer: only what is new."""
        for said, now, kind in (
            (self.reasoning, reasoning, ReasoningDelta),
            (self.text, text, TextDelta),
        ):
            if len(now) > len(said) and now.startswith(said):
                self._pending.append(kind(now[len(said) :]))

    def _adopt(self, other: _Answer) -> None:
        """Read on from ``other``, a new stream of this answer, whose start holds what was
        written so far."""
        self._response, self._lines, self._reader = other._response, other._lines, other._reader
        self._catch_up(other.reasoning, other.text)
        self._parts, self._thoughts = other._parts, other._thoughts
        self._pending += other._pending[1:]  # whatever came after its start

    def _as_stored(self, result: CompletionResult) -> None:
        """The answer ended while no stream followed it: it is told as it was stored."""
        self._catch_up(result.reasoning or "", result.content)
        self._stopped(result)
        if self.status == "error":
            raise ChatError(None, "upstream_error", self.error or "The model failed.")
        self._pending.append(CompletionDone(result.status, result.finish_reason, self.usage))  # type: ignore[arg-type]

    def _lost(self, cause: ChatError) -> ChatError:
        return self._failed(
            ChatError(
                None,
                cause.code,
                f"{cause.message.rstrip('.')}, and following the answer again failed: it may "
                "still be being written in the chat.",
            )
        )

    def result(self) -> CompletionResult:
        """The answer as a CompletionResult (status ``running`` while it is not finished)."""
        usage = self.usage
        return CompletionResult(
            chat_id=self.chat_id or "",
            user_message_id=self.start.user_message_id if self.start else None,
            message_id=self.message_id or "",
            content=self.text,
            status=self.status,  # type: ignore[arg-type]
            finish_reason=self.finish_reason,
            usage=None
            if usage is None
            else {k: v for k, v in vars(usage).items() if isinstance(v, int)},
            error=self.error,
            reasoning=self.reasoning or None,
        )
