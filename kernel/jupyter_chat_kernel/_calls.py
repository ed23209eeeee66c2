"""The API's requests, each described once: its method, path, body and how to read the
answer. Both clients send these; only the sending differs, so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from ._errors import ChatError
from ._types import (
    ChatDetail,
    ChatPage,
    CompletionResult,
    MessageOut,
    ModelList,
    Running,
    RunningList,
    UserOut,
)

T = TypeVar("T")


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
    # Waits on model servers: a model's answer, which may go quiet for as long as the model
    # thinks, or the model list, which waits for each connection up to its upstream timeout.
    # The server bounds that wait itself, so only connecting is timed (and, for a stream, its
    # headers, which come before the model is asked).
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
    return _Call("GET", "models", ModelList.from_json, waits=True)


def _completion(
    content: str | None,
    model: str,
    chat_id: str | None,
    regenerate: str | None,
    parent_id: Any,
    system: str | None,
    params: Mapping[str, Any] | None,
    meta: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    system_suffix: str | None = None,
    request_id: str | None = None,
) -> _Call[CompletionResult]:
    """``POST chat/completions``, streamed; see CompletionRequest in the server's OpenAPI
    document. Waiting for a whole answer reads its stream too, which can be followed again
    when the connection breaks; a request that waits silently cannot."""
    if (content is None) == (regenerate is None):
        raise ValueError("give exactly one of content and regenerate")
    body: dict[str, Any] = {"model": model, "stream": True}
    optional = {
        "chat_id": chat_id,
        "content": content,
        "regenerate": regenerate,
        "system": system,
        "system_suffix": system_suffix or None,
        "params": dict(params) if params else None,
        "meta": dict(meta) if meta else None,
        "settings": dict(settings) if settings else None,
        "request_id": request_id,
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


def _stop_request(request_id: str) -> _Call[CompletionResult | None]:
    """``POST chat/completions/requests/{request_id}/stop``: None when the answer had not
    begun (the server then stops it as it begins)."""
    if not isinstance(request_id, str) or not request_id:
        raise ValueError(f"request id must be a non-empty string, not {request_id!r}")

    def result(data: Any) -> CompletionResult | None:
        found = data.get("result")
        return None if found is None else CompletionResult.from_json(found)

    path = f"chat/completions/requests/{quote(request_id, safe='')}/stop"
    return _Call("POST", path, result)


def _attach(message_id: str) -> _Call[None]:
    return _Call("GET", _completion_path(message_id, "stream"), lambda _: None, waits=True)


def _running() -> _Call[tuple[Running, ...]]:
    return _Call("GET", "chat/completions", lambda data: RunningList.from_json(data).items)


def _next_cursor(previous: str | None, page: ChatPage) -> str | None:
    if page.next_cursor is not None and page.next_cursor == previous:
        # A server that hands back the same cursor would otherwise loop forever.
        raise ChatError(None, "bad_response", "The server returned the same page cursor twice.")
    return page.next_cursor
