"""A streamed answer, as a blocking or an async iterator of typed events (see ``_answer``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx

from ._answer import _Answer
from ._errors import ChatError
from ._types import (
    CompletionEvent,
    CompletionResult,
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

    def wait(self) -> CompletionResult:
        """Read the answer to its end and return it; a model that failed is
        ``status="error"`` (with what it wrote), not an exception."""
        try:
            for _ in self:
                pass
        except ChatError as error:
            if error.code != "upstream_error":
                raise
        return self.result()

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

    async def wait(self) -> CompletionResult:
        """Read the answer to its end and return it (see CompletionStream.wait)."""
        try:
            async for _ in self:
                pass
        except ChatError as error:
            if error.code != "upstream_error":
                raise
        return self.result()

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
