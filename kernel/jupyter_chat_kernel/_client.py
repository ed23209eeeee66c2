"""REST clients for the chat server: ``Client`` (blocking) and ``AsyncClient``.

Both build the same requests and read the same answers (``_Call`` and ``_Base``); only sending
differs, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from ._connection import API_PATH, Connection, discover, from_url
from ._errors import ChatError
from ._stream import AsyncCompletionStream, CompletionStream
from ._types import (
    ChatDetail,
    ChatPage,
    ChatSummary,
    CompletionResult,
    MessageOut,
    ModelList,
    Running,
    RunningList,
    UserOut,
)
from ._version import __version__

T = TypeVar("T")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
}


class _Leaf:
    def __repr__(self) -> str:
        return "<current leaf>"


# add_message's parent_id default: distinct from None, which starts a new root.
CURRENT_LEAF: Any = _Leaf()


@dataclass(frozen=True)
class _Call(Generic[T]):
    """One API request and how to read its answer."""

    method: str
    path: str
    read: Callable[[Any], T]
    params: Mapping[str, str] | None = None
    body: Any = None
    # Waits for a model's answer, which may go quiet for as long as the model thinks; the
    # server bounds that silence itself, so only connecting is timed.
    waits: bool = False


def _chat_path(chat_id: str, *rest: str) -> str:
    if not isinstance(chat_id, str) or not chat_id:
        raise ValueError(f"chat id must be a non-empty string, not {chat_id!r}")
    # Quoted whole so that an id can never reach another route ("../users/me").
    return "/".join(("chats", quote(chat_id, safe=""), *rest))


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _message_in(message: Any) -> dict[str, Any]:
    if isinstance(message, Mapping):
        return dict(message)
    if isinstance(message, (tuple, list)) and len(message) == 2:
        role, content = message
        return {"role": role, "content": content}
    raise TypeError(
        f"a message is a mapping with 'role' and 'content' or a (role, content) pair, "
        f"not {message!r}"
    )


def _me() -> _Call[UserOut]:
    return _Call("GET", "users/me", UserOut.from_json)


def _chats(
    q: str | None,
    limit: int,
    archived: bool,
    cursor: str | None,
    pinned: bool | None,
    folder_id: str | None,
    tag: str | None,
) -> _Call[ChatPage]:
    params = {"limit": str(limit), "archived": _flag(archived)}
    if q is not None:
        params["q"] = q
    if cursor is not None:
        params["cursor"] = cursor
    if pinned is not None:
        params["pinned"] = _flag(pinned)
    if folder_id is not None:
        params["folder_id"] = folder_id
    if tag is not None:
        params["tag"] = tag
    return _Call("GET", "chats", ChatPage.from_json, params=params)


def _chat(chat_id: str, tail: int | None, before: str | None) -> _Call[ChatDetail]:
    params = {}
    if tail is not None:
        params["tail"] = str(tail)
    if before is not None:
        params["before"] = before
    return _Call("GET", _chat_path(chat_id), ChatDetail.from_json, params=params or None)


def _create_chat(
    title: str | None,
    messages: Iterable[Any],
    folder_id: str | None,
    pinned: bool,
    tags: Iterable[str],
) -> _Call[ChatDetail]:
    body: dict[str, Any] = {"messages": [_message_in(m) for m in messages], "pinned": pinned}
    if title is not None:
        body["title"] = title
    if folder_id is not None:
        body["folder_id"] = folder_id
    tags = list(tags)
    if tags:
        body["tags"] = tags
    return _Call("POST", "chats", ChatDetail.from_json, body=body)


def _add_message(
    chat_id: str,
    role: str,
    content: str,
    parent_id: Any,
    model: str | None,
    meta: Mapping[str, Any] | None,
) -> _Call[MessageOut]:
    body: dict[str, Any] = {"role": role, "content": content}
    if parent_id is not CURRENT_LEAF:
        body["parent_id"] = parent_id
    if model is not None:
        body["model"] = model
    if meta is not None:
        body["meta"] = dict(meta)
    return _Call("POST", _chat_path(chat_id, "messages"), MessageOut.from_json, body=body)


def _delete_chat(chat_id: str) -> _Call[None]:
    return _Call("DELETE", _chat_path(chat_id), lambda _: None)


def _models() -> _Call[ModelList]:
    return _Call("GET", "models", ModelList.from_json)


def _completion(
    content: str | None,
    model: str,
    chat_id: str | None,
    regenerate: str | None,
    parent_id: Any,
    system: str | None,
    params: Mapping[str, Any] | None,
    stream: bool,
) -> _Call[CompletionResult]:
    """``POST chat/completions``; see CompletionRequest in the server's OpenAPI document."""
    if (content is None) == (regenerate is None):
        raise ValueError("give exactly one of content and regenerate")
    body: dict[str, Any] = {"model": model, "stream": stream}
    optional = {
        "chat_id": chat_id,
        "content": content,
        "regenerate": regenerate,
        "system": system,
        "params": dict(params) if params else None,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    if parent_id is not CURRENT_LEAF:
        body["parent_id"] = parent_id
    return _Call("POST", "chat/completions", CompletionResult.from_json, body=body, waits=True)


def _completion_path(message_id: str, action: str) -> str:
    if not isinstance(message_id, str) or not message_id:
        raise ValueError(f"message id must be a non-empty string, not {message_id!r}")
    return f"chat/completions/{quote(message_id, safe='')}/{action}"


def _stop_completion(message_id: str) -> _Call[CompletionResult]:
    return _Call("POST", _completion_path(message_id, "stop"), CompletionResult.from_json)


def _attach(message_id: str) -> _Call[None]:
    return _Call("GET", _completion_path(message_id, "stream"), lambda _: None, waits=True)


def _running() -> _Call[tuple[Running, ...]]:
    return _Call("GET", "chat/completions", lambda data: RunningList.from_json(data).items)


class _Base:
    connection: Connection

    def __init__(
        self,
        url: str | None,
        token: str | None,
        timeout: float,
        connection: Connection | None,
    ) -> None:
        if connection is None:
            if url is not None:
                connection = from_url(url, token or "")
            else:
                connection = discover()
                if token is not None:
                    connection = replace(
                        connection, token=token, source=f"{connection.source}, token from arguments"
                    )
        self.connection = connection
        self.timeout = timeout

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.connection.url

    @property
    def api_url(self) -> str:
        return self.connection.url + API_PATH

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.connection.url} from {self.connection.source}>"

    def _http_options(self) -> dict[str, Any]:
        headers = {
            "Accept": "application/json",
            "User-Agent": f"jupyter-chat-kernel/{__version__}",
        }
        if self.connection.token:
            headers["Authorization"] = f"token {self.connection.token}"
        return {
            "base_url": self.api_url,
            "headers": headers,
            "timeout": httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
            # A proxy from the environment would swallow requests to this machine's own server
            # (httpx does not exempt loopback addresses), so local servers skip it.
            "trust_env": not self.connection.is_local,
        }

    def _request(
        self, http: httpx.Client | httpx.AsyncClient, call: _Call[Any], *, stream: bool = False
    ) -> httpx.Request:
        return http.build_request(
            call.method,
            call.path,
            params=call.params,
            json=call.body,
            headers={"Accept": "text/event-stream"} if stream else None,
            timeout=httpx.Timeout(self.timeout, read=None)
            if call.waits
            else httpx.USE_CLIENT_DEFAULT,
        )

    @property
    def _where(self) -> str:
        return f"the Jupyter server at {self.connection.url}"

    def _transport_error(self, error: httpx.TransportError) -> ChatError:
        where = f"the Jupyter server at {self.connection.url} (from {self.connection.source})"
        if isinstance(error, httpx.TimeoutException):
            return ChatError(None, "timeout", f"No answer from {where} within {self.timeout:g} s.")
        detail = str(error) or type(error).__name__
        if isinstance(error, httpx.ConnectError):
            return ChatError(
                None,
                "unreachable",
                f"Cannot reach {where}: {detail}. Is it running? Set JUPYTER_CHAT_URL to "
                "point elsewhere.",
            )
        return ChatError(None, "transport", f"Talking to {where} failed: {detail}.")

    def _read(self, call: _Call[T], response: httpx.Response) -> T:
        status = response.status_code
        if status >= 400:
            raise self._error(response)
        if 300 <= status < 400:
            location = urlsplit(response.headers.get("Location", ""))
            target = urlunsplit((location.scheme, location.netloc, location.path, "", ""))
            raise ChatError(
                status,
                "redirect",
                f"The server at {self.connection.url} redirected {call.path} to {target!r}; "
                "is the URL right, including its base path?",
                response.reason_phrase,
            )
        if status == 204 or not response.content:
            data = None
        else:
            try:
                data = response.json()
            except ValueError:
                raise self._bad_response(response, "something that is not JSON") from None
        try:
            return call.read(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise self._bad_response(response, "JSON of an unexpected shape") from None

    def _bad_response(self, response: httpx.Response, what: str) -> ChatError:
        return ChatError(
            response.status_code,
            "bad_response",
            f"The server at {self.connection.url} answered {response.request.url.path} with "
            f"{what}; is it a Jupyter server with jupyter-chat-ext?",
            response.reason_phrase,
        )

    def _error(self, response: httpx.Response) -> ChatError:
        status, reason = response.status_code, response.reason_phrase
        code = _STATUS_CODES.get(status, "server_error" if status >= 500 else "error")
        try:
            data = response.json()
        except ValueError:
            data = None
        if not (isinstance(data, dict) and isinstance(data.get("message"), str)):
            # Not the extension's error shape: the answer came from something else.
            if status == 404:
                message = (
                    f"No chat API at {self.api_url}: is the URL right, including its base "
                    "path, and the jupyter-chat-ext server extension enabled on that server?"
                )
            else:
                message = f"The server at {self.connection.url} answered {status} {reason}."
            return ChatError(status, code, message, reason)
        message = data["message"]
        code = str(data.get("code") or code)
        reason = str(data.get("reason") or reason)
        if status in (401, 403) and message in ("", reason, "Forbidden", "Unauthorized"):
            # Jupyter Server says only "Forbidden" for a missing or wrong token.
            which = "no token" if not self.connection.token else "the token"
            message = (
                f"The Jupyter server at {self.connection.url} refused {which} "
                f"(from {self.connection.source}); set JUPYTER_CHAT_TOKEN to the server's token."
            )
        return ChatError(status, code, message, reason)


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
    ) -> CompletionResult:
        """Ask ``model`` and wait for the whole answer.

        ``content`` is the new user message (after ``parent_id``, else the current leaf) and
        ``regenerate`` an answer to write again; give one. Without ``chat_id`` a new chat is
        made. ``system`` replaces the system prompt for this answer; ``params`` are sampling
        parameters (``temperature``, ``max_tokens``, ...). A failed model is ``status="error"``.
        """
        return self._send(
            _completion(content, model, chat_id, regenerate, parent_id, system, params, False)
        )

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
    ) -> CompletionStream:
        """Like ``complete()``, but the answer streams: iterate over the returned
        CompletionStream for its events (``TextDelta`` carries new text only)."""
        call = _completion(content, model, chat_id, regenerate, parent_id, system, params, True)
        return self._open_stream(call)

    def attach(self, message_id: str) -> CompletionStream:
        """Follow an answer being written (for example by another tab): its start event
        holds the text so far, and deltas follow."""
        return self._open_stream(_attach(message_id))

    def stop_completion(self, message_id: str) -> CompletionResult:
        """Stop an answer being written; what was written is kept and returned."""
        return self._send(_stop_completion(message_id))

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
        stream = CompletionStream(
            response, self._where, self.stop_completion, self._transport_error
        )
        return stream._open()


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
    ) -> CompletionResult:
        """Ask ``model`` and wait for the whole answer (see Client.complete)."""
        return await self._send(
            _completion(content, model, chat_id, regenerate, parent_id, system, params, False)
        )

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
    ) -> AsyncCompletionStream:
        """The answer as it streams: ``async for event in await chat.stream(...)``."""
        call = _completion(content, model, chat_id, regenerate, parent_id, system, params, True)
        return await self._open_stream(call)

    async def attach(self, message_id: str) -> AsyncCompletionStream:
        """Follow an answer being written: the text so far, then what follows."""
        return await self._open_stream(_attach(message_id))

    async def stop_completion(self, message_id: str) -> CompletionResult:
        """Stop an answer being written; what was written is kept and returned."""
        return await self._send(_stop_completion(message_id))

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
        stream = AsyncCompletionStream(
            response, self._where, self.stop_completion, self._transport_error
        )
        return await stream._open()


def _next_cursor(previous: str | None, page: ChatPage) -> str | None:
    if page.next_cursor is not None and page.next_cursor == previous:
        # A server that hands back the same cursor would otherwise loop forever.
        raise ChatError(None, "bad_response", "The server returned the same page cursor twice.")
    return page.next_cursor
