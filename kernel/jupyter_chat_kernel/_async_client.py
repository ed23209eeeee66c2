"""The asyncio REST client: ``AsyncClient``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

import httpx

from ._base import _Base
from ._calls import (
    CURRENT_LEAF,
    T,
    _add_message,
    _attach,
    _Call,
    _chat,
    _chats,
    _completion,
    _create_chat,
    _delete_chat,
    _me,
    _models,
    _next_cursor,
    _running,
    _stop_completion,
    _stop_request,
)
from ._connection import Connection
from ._stream import AsyncCompletionStream
from ._types import (
    ChatDetail,
    ChatPage,
    ChatSummary,
    CompletionResult,
    MessageOut,
    ModelList,
    Running,
    UserOut,
)


class AsyncClient(_Base):
    """The same API as Client, with coroutines; use ``async with`` or ``await aclose()``."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        connection: Connection | None = None,
    ) -> None:
        super().__init__(url, token, timeout, connection)
        options = self._http_options()
        if self.connection.sock:
            options["transport"] = httpx.AsyncHTTPTransport(uds=self.connection.sock)
        self._http = httpx.AsyncClient(**options)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, call: _Call[T]) -> T:
        try:
            response = await self._http.send(self._request(self._http, call))
        except httpx.TransportError as error:
            raise self._transport_error(error) from None
        return self._read(call, response)

    async def me(self) -> UserOut:
        """The user the token belongs to."""
        return await self._send(_me())

    async def chats(
        self,
        q: str | None = None,
        *,
        limit: int = 50,
        archived: bool = False,
        cursor: str | None = None,
        pinned: bool | None = None,
        folder_id: str | None = None,
        tag: str | None = None,
    ) -> ChatPage:
        """One page of chats, newest first; ``q`` searches titles and message text."""
        return await self._send(_chats(q, limit, archived, cursor, pinned, folder_id, tag))

    async def iter_chats(
        self,
        q: str | None = None,
        *,
        limit: int = 50,
        archived: bool = False,
        pinned: bool | None = None,
        folder_id: str | None = None,
        tag: str | None = None,
    ) -> AsyncIterator[ChatSummary]:
        """Every matching chat, fetching pages of ``limit`` as it goes."""
        cursor: str | None = None
        while True:
            page = await self.chats(
                q,
                limit=limit,
                archived=archived,
                cursor=cursor,
                pinned=pinned,
                folder_id=folder_id,
                tag=tag,
            )
            for item in page.items:
                yield item
            cursor = _next_cursor(cursor, page)
            if cursor is None:
                return

    async def chat(
        self, chat_id: str, *, tail: int | None = None, before: str | None = None
    ) -> ChatDetail:
        """A chat with the messages of its current branch; ``tail=N`` only the last N of them
        (``before``: the N before that message)."""
        return await self._send(_chat(chat_id, tail, before))

    async def create_chat(
        self,
        title: str | None = None,
        messages: Iterable[Mapping[str, Any] | tuple[str, str]] = (),
        *,
        folder_id: str | None = None,
        pinned: bool = False,
        tags: Iterable[str] = (),
    ) -> ChatDetail:
        """Create a chat; ``messages`` ({"role", "content"} or (role, content)) form a thread."""
        return await self._send(_create_chat(title, messages, folder_id, pinned, tags))

    async def add_message(
        self,
        chat_id: str,
        role: str,
        content: str,
        *,
        parent_id: str | None = CURRENT_LEAF,
        model: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> MessageOut:
        """Add a message after the current leaf, or as a child of ``parent_id`` (None starts a
        new root); it becomes the chat's current leaf."""
        return await self._send(_add_message(chat_id, role, content, parent_id, model, meta))

    async def delete_chat(self, chat_id: str) -> None:
        """Delete a chat and all its messages."""
        await self._send(_delete_chat(chat_id))

    async def models(self) -> ModelList:
        """Every model and preset the user can use."""
        return await self._send(_models())

    async def complete(
        self,
        content: str | None = None,
        *,
        model: str,
        chat_id: str | None = None,
        regenerate: str | None = None,
        parent_id: str | None = CURRENT_LEAF,
        system: str | None = None,
        params: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
        system_suffix: str | None = None,
        request_id: str | None = None,
    ) -> CompletionResult:
        """Ask ``model`` and wait for the whole answer (see Client.complete)."""
        async with await self._open_stream(
            _completion(
                content,
                model,
                chat_id,
                regenerate,
                parent_id,
                system,
                params,
                meta,
                settings,
                system_suffix,
                request_id,
            )
        ) as answer:
            return await answer.wait()

    async def stream(
        self,
        content: str | None = None,
        *,
        model: str,
        chat_id: str | None = None,
        regenerate: str | None = None,
        parent_id: str | None = CURRENT_LEAF,
        system: str | None = None,
        params: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        settings: Mapping[str, Any] | None = None,
        system_suffix: str | None = None,
        request_id: str | None = None,
    ) -> AsyncCompletionStream:
        """The answer as it streams: ``async for event in await chat.stream(...)``."""
        call = _completion(
            content,
            model,
            chat_id,
            regenerate,
            parent_id,
            system,
            params,
            meta,
            settings,
            system_suffix,
            request_id,
        )
        return await self._open_stream(call)

    async def attach(self, message_id: str) -> AsyncCompletionStream:
        """Follow an answer being written: the text so far, then what follows."""
        return await self._open_stream(_attach(message_id))

    async def stop_completion(self, message_id: str) -> CompletionResult:
        """Stop an answer being written; what was written is kept and returned."""
        return await self._send(_stop_completion(message_id))

    async def stop_request(self, request_id: str) -> CompletionResult | None:
        """Stop the answer asked for with ``request_id`` (see Client.stop_request)."""
        return await self._send(_stop_request(request_id))

    async def running(self) -> tuple[Running, ...]:
        """The user's answers being written now."""
        return await self._send(_running())

    async def _open_stream(self, call: _Call[Any]) -> AsyncCompletionStream:
        request = self._request(self._http, call, stream=True)
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as error:
            raise self._transport_error(error) from None
        if response.status_code >= 300:
            try:
                await response.aread()
            except httpx.TransportError as error:
                raise self._transport_error(error) from None
            finally:
                await response.aclose()
            self._read(call, response)
        if (problem := self._not_a_stream(response)) is not None:
            await response.aclose()
            raise problem
        self._quiet_allowed(response)
        stream = AsyncCompletionStream(
            response, self._where, self.stop_completion, self._transport_error, self.attach
        )
        return await stream._open()
