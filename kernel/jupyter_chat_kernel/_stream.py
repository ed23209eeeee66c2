"""A streamed answer: Server-Sent Events read into typed events, blocking or async.

The server sends ``start`` (where the answer is stored), then ``reasoning``, ``delta`` and
``usage`` events carrying only what is new, then ``done`` or ``error``. Both stream classes read
the same events through ``_Answer``, which also keeps the answer so far, so a stream that ends
badly still says what was written.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
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


class CompletionStream(_Answer):
    """An answer being written, as a blocking iterator of events.

    Iterating yields ``CompletionStart``, ``ReasoningDelta`` (a reasoning model's thoughts,
    before its text), ``TextDelta`` (new text only), ``Usage`` and finally ``CompletionDone``;
    a model failure raises ChatError (code ``upstream_error``) after the partial answer, which
    stays in ``text`` and in the chat. ``chat_id`` and ``message_id``
    are known as soon as the stream is returned. ``stop()`` ends the answer on the server.
    Use it as a context manager, or call ``close()``.
    """

    def _open(self) -> CompletionStream:
        try:
            # The start event comes at once: read it now, so that the ids are known.
            while self.start is None:
                event = self._next()
                if event is not None:
                    self._pending.append(event)
        except BaseException:
            self.close()
            raise
        return self

    def _next(self) -> CompletionEvent | None:
        if self._response.is_closed:
            raise self._read_after_close()
        try:
            line = next(self._lines)
        except StopIteration:
            cause = self._ended_early()
        except httpx.TransportError as error:
            cause = self._transport_error(error)
        else:
            return self._line(line)
        self._resume(cause)
        return None

    def _resume(self, cause: ChatError) -> None:
        """The stream broke mid-answer: follow the answer again (``attach``), a few times."""
        if not self._resumable():
            raise self._failed(cause)
        self._response.close()
        assert self.message_id is not None
        while self._pauses and not self._shut:
            time.sleep(self._pauses.pop(0))
            try:
                other = self._attach(self.message_id)  # type: ignore[misc]
            except ChatError as error:
                if error.status == 404:  # it ended meanwhile
                    try:
                        return self._as_stored(self._stop(self.message_id))
                    except ChatError as stored:
                        if stored.code == "upstream_error":
                            raise
                        break
                if not self._worth_retrying(error):
                    break
                continue
            if self._shut:  # closed meanwhile, from another thread
                other.close()
                break
            return self._adopt(other)
        if self._shut:
            raise self._read_after_close()
        raise self._lost(cause)

    def __iter__(self) -> Iterator[CompletionEvent]:
        try:
            while self._pending or not self.finished:
                while self._pending:
                    yield self._pending.pop(0)
                if self.finished:
                    break
                event = self._next()
                if event is not None:
                    yield event
        finally:
            if self.finished:
                self.close()

    def __enter__(self) -> CompletionStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading; the answer goes on being written on the server unless stopped."""
        self._shut = True
        self._response.close()

    def stop(self) -> CompletionResult:
        """Stop the answer on the server, keeping what was written; returns it. An answer
        that has already ended is returned as it ended."""
        if self.finished:
            self.close()
            return self.result()
        try:
            result = self._stop(self._message_to_stop())
        except ChatError as error:
            if not self._ended_meanwhile(error):
                self.close()
                raise
            # Its last events were sent before the stop arrived: read them.
            try:
                for _ in self:
                    pass
            except ChatError:
                pass  # it ended in an error, which status and error now say
            finally:
                self.close()
            return self.result()
        self.close()
        return self._stopped(result)


class AsyncCompletionStream(_Answer):
    """The same as CompletionStream, for ``async for``; create it with ``await``."""

    _async = True

    async def _open(self) -> AsyncCompletionStream:
        try:
            while self.start is None:
                event = await self._next()
                if event is not None:
                    self._pending.append(event)
        except BaseException:
            await self.aclose()
            raise
        return self

    async def _next(self) -> CompletionEvent | None:
        if self._response.is_closed:
            raise self._read_after_close()
        try:
            line = await self._lines.__anext__()
        except StopAsyncIteration:
            cause = self._ended_early()
        except httpx.TransportError as error:
            cause = self._transport_error(error)
        else:
            return self._line(line)
        await self._resume(cause)
        return None

    async def _resume(self, cause: ChatError) -> None:
        """As CompletionStream._resume."""
        if not self._resumable():
            raise self._failed(cause)
        await self._response.aclose()
        assert self.message_id is not None
        while self._pauses and not self._shut:
            await asyncio.sleep(self._pauses.pop(0))
            try:
                other = await self._attach(self.message_id)  # type: ignore[misc]
            except ChatError as error:
                if error.status == 404:
                    try:
                        return self._as_stored(await self._stop(self.message_id))
                    except ChatError as stored:
                        if stored.code == "upstream_error":
                            raise
                        break
                if not self._worth_retrying(error):
                    break
                continue
            if self._shut:
                await other.aclose()
                break
            return self._adopt(other)
        if self._shut:
            raise self._read_after_close()
        raise self._lost(cause)

    async def __aiter__(self) -> AsyncIterator[CompletionEvent]:
        try:
            while self._pending or not self.finished:
                while self._pending:
                    yield self._pending.pop(0)
                if self.finished:
                    break
                event = await self._next()
                if event is not None:
                    yield event
        finally:
            if self.finished:
                await self.aclose()

    async def __aenter__(self) -> AsyncCompletionStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._shut = True
        await self._response.aclose()

    async def stop(self) -> CompletionResult:
        """Stop the answer on the server, keeping what was written; returns it. An answer
        that has already ended is returned as it ended."""
        if self.finished:
            await self.aclose()
            return self.result()
        try:
            result = await self._stop(self._message_to_stop())
        except ChatError as error:
            if not self._ended_meanwhile(error):
                await self.aclose()
                raise
            try:
                async for _ in self:
                    pass
            except ChatError:
                pass
            finally:
                await self.aclose()
            return self.result()
        await self.aclose()
        return self._stopped(result)
