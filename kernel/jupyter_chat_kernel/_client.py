"""The blocking REST client: ``Client``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
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
from ._stream import CompletionStream
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


class Client(_Base):
    """Blocking client of the chat server's REST API.

    Without ``url`` the server is discovered (JUPYTER_CHAT_URL, JupyterHub, running servers);
    a ``token`` given alone replaces the discovered one. ``timeout`` is in seconds. Errors are
    raised as ChatError. Use it as a context manager, or call ``close()``.
    """

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
            options["transport"] = httpx.HTTPTransport(uds=self.connection.sock)
        self._http = httpx.Client(**options)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, call: _Call[T]) -> T:
        try:
            response = self._http.send(self._request(self._http, call))
        except httpx.TransportError as error:
            raise self._transport_error(error) from None
        return self._read(call, response)

    def me(self) -> UserOut:
        """The user the token belongs to."""
        return self._send(_me())

    def chats(
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
        return self._send(_chats(q, limit, archived, cursor, pinned, folder_id, tag))

    def iter_chats(
        self,
        q: str | None = None,
        *,
        limit: int = 50,
        archived: bool = False,
        pinned: bool | None = None,
        folder_id: str | None = None,
        tag: str | None = None,
    ) -> Iterator[ChatSummary]:
        """Every matching chat, fetching pages of ``limit`` as it goes."""
        cursor: str | None = None
        while True:
            page = self.chats(
                q,
                limit=limit,
                archived=archived,
                cursor=cursor,
                pinned=pinned,
                folder_id=folder_id,
                tag=tag,
            )
            yield from page.items
            cursor = _next_cursor(cursor, page)
            if cursor is None:
                return

    def chat(
        self, chat_id: str, *, tail: int | None = None, before: str | None = None
    ) -> ChatDetail:
        """A chat with the messages of its current branch; ``tail=N`` only the last N of them
        (``before``: the N before that message)."""
        return self._send(_chat(chat_id, tail, before))

    def create_chat(
        self,
        title: str | None = None,
        messages: Iterable[Mapping[str, Any] | tuple[str, str]] = (),
        *,
        folder_id: str | None = None,
        pinned: bool = False,
        tags: Iterable[str] = (),
    ) -> ChatDetail:
        """Create a chat; ``messages`` ({"role", "content"} or (role, content)) form a thread."""
        return self._send(_create_chat(title, messages, folder_id, pinned, tags))

    def add_message(
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
        return self._send(_add_message(chat_id, role, content, parent_id, model, meta))

    def delete_chat(self, chat_id: str) -> None:
        """Delete a chat and all its messages."""
        self._send(_delete_chat(chat_id))

    def models(self) -> ModelList:
        """Every model and preset the user can use."""
        return self._send(_models())

    def complete(
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
        """Ask ``model`` and wait for the whole answer.

        ``content`` is the new user message (after ``parent_id``, else the current leaf) and
        ``regenerate`` an answer to write again; give one. Without ``chat_id`` a new chat is
        made. ``system`` replaces the system prompt for this answer, and ``system_suffix`` is
        added after the one in use (the chat's or the model's, say); ``params`` are sampling
        parameters (``temperature``, ``max_tokens``, ...), both for this answer alone;
        ``settings`` (``{"system", "params"}``, with no ``chat_id``) are the new chat's own, for
        every answer in it. ``meta`` is stored on the new user message. ``request_id``, a
        name of the caller's own for this request (1 to 64 letters, digits and ``_.:-``),
        lets ``stop_request()`` stop the answer before its id is known. A failed model is
        ``status="error"``.
        """
        with self._open_stream(
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
            return answer.wait()

    def stream(
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
    ) -> CompletionStream:
        """Like ``complete()``, but the answer streams: iterate over the returned
        CompletionStream for its events (``TextDelta`` carries new text only)."""
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
        return self._open_stream(call)

    def attach(self, message_id: str) -> CompletionStream:
        """Follow an answer being written (for example by another tab): its start event
        holds the text so far, and deltas follow."""
        return self._open_stream(_attach(message_id))

    def stop_completion(self, message_id: str) -> CompletionResult:
        """Stop an answer being written; what was written is kept and returned."""
        return self._send(_stop_completion(message_id))

    def stop_request(self, request_id: str) -> CompletionResult | None:
        """Stop the answer asked for with ``request_id`` (given to ``complete()`` or
        ``stream()``), for when its id never came back: interrupted while the question was
        being sent, say. None when it had not begun: the server stops it as it begins."""
        return self._send(_stop_request(request_id))

    def running(self) -> tuple[Running, ...]:
        """The user's answers being written now."""
        return self._send(_running())

    def _open_stream(self, call: _Call[Any]) -> CompletionStream:
        request = self._request(self._http, call, stream=True)
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as error:
            raise self._transport_error(error) from None
        if response.status_code >= 300:
            try:
                response.read()
            except httpx.TransportError as error:
                raise self._transport_error(error) from None
            finally:
                response.close()
            self._read(call, response)
        if (problem := self._not_a_stream(response)) is not None:
            response.close()
            raise problem
        self._quiet_allowed(response)
        stream = CompletionStream(
            response, self._where, self.stop_completion, self._transport_error, self.attach
        )
        return stream._open()
