"""Base classes for every REST and WebSocket handler of the extension.

A handler method is declared with :func:`endpoint`, which parses and validates the body and query
into pydantic models, turns service errors into the one JSON error shape, writes the response model,
and records what it did so that the OpenAPI document is generated from the same declaration.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from http.client import responses
from typing import Any, ClassVar, TypeVar

from jupyter_core.utils import ensure_async
from jupyter_server.auth.authorizer import AllowAllAuthorizer
from jupyter_server.auth.decorator import authorized
from jupyter_server.auth.utils import HTTP_METHOD_TO_AUTH_ACTION
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from pydantic import BaseModel, ValidationError
from tornado import web
from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketHandler

from .access_log import log_quietly
from .context import HandlerContext
from .errors import ApiError, BadRequest, PayloadTooLarge, ValidationFailed
from .identity import Identity
from .json_pieces import json_ends, json_pieces
from .server_token import server_token_user

# Query arguments that Jupyter Server itself consumes; they are not part of any endpoint's query.
_TRANSPORT_ARGS = frozenset({"token", "_xsrf"})

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


@dataclass(frozen=True, slots=True)
class Operation:
    """The OpenAPI facts of one handler method."""

    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    content_type: str
    raw_body: bool


F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def format_validation_error(error: ValidationError) -> str:
    """One line a person can act on, naming every bad field."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "body"
        if item["type"] == "extra_forbidden":
            parts.append(f"unknown field '{where}'")
        elif item["type"] == "missing":
            parts.append(f"'{where}' is required")
        else:
            parts.append(f"'{where}': {item['msg']}")
    return "; ".join(parts)


def error_message(status_code: int, exc_info: Any) -> str:
    """What tornado's write_error should tell a person: the HTTPError's own message, never a
    traceback."""
    error = exc_info[1] if exc_info else None
    if isinstance(error, web.HTTPError) and error.log_message:
        return error.log_message % error.args if error.args else error.log_message
    if status_code >= 500:
        return "Internal server error; the server log has the details."
    return responses.get(status_code, "Error")


def endpoint(
    summary: str,
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    content_type: str = "application/json",
    raw_body: bool = False,
) -> Callable[[F], F]:
    """Declare a handler method: its body and query models, its response model and status.

    The method receives ``body=`` and ``query=`` keyword arguments already validated, and returns
    a response model (written as JSON with ``status``), or None for an empty 204, or writes the
    response itself when ``content_type`` is not JSON. ``raw_body`` passes the parsed JSON value
    instead of a model, for imports whose shape is checked by the service.
    """
    op = Operation(summary, body, query, response, status, content_type, raw_body)

    def decorate(method: F) -> F:
        @functools.wraps(method)
        async def run(self: ApiHandler, *args: Any, **kwargs: Any) -> None:
            try:
                if body is not None or raw_body:
                    kwargs["body"] = self.read_body(body)
                if query is not None:
                    kwargs["query"] = self.read_query(query)
                result = await method(self, *args, **kwargs)
            except ApiError as error:
                self.send_api_error(error.status, error.code, error.message)
                return
            if isinstance(result, BaseModel):
                self.set_status(status)
                await self.write_model(result)
            elif result is None and status == 204:
                self.set_status(204)
                self.finish()

        run.__openapi__ = op  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    return decorate


# An escaped or raw UTF-16 surrogate; only a body holding one needs the full check.
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


# Python's json takes NaN, Infinity and numbers too large for a float, which JSON has not
# and which no upstream or database would take back.
def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is too large a number")
    return value


# A response sent in pieces of this size: small enough to be reused memory rather than new
# (a fresh 1 MB buffer each time cost as much as making the JSON), large enough to be few.
_SEND_AT = 64 * 1024

# Made once: json.loads would build a decoder for each body given these hooks.
_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite)


def _decode(raw: bytes) -> Any:
    # As json.loads reads bytes (any UTF, lone surrogates kept for the check below).
    return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))


def _holds_nul(data: Any) -> bool:
    # A loop, not recursion: the decoder takes nesting deeper than the handler's stack has left.
    todo = [data]
    while todo:
        value = todo.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            todo.extend(value)
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
    return False


def _encodable(data: Any) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


class _Sender:
    """A JSON response written in pieces: sent whole, with its length, when it is one piece
    or ends before _SEND_AT bytes, else chunked, _SEND_AT at a time, each once the socket
    has taken the last, so that a slow client holds back the making rather than filling
    memory."""

    def __init__(self, handler: web.RequestHandler):
        self.handler = handler
        self.pending: list[bytes] = []
        self.size = 0
        handler.set_header("Content-Type", "application/json")  # as APIHandler.finish would

    async def send(self, pieces: Iterable[bytes]) -> bool:
        """False when the client has left: the rest would be made for no one."""
        for piece in pieces:
            # Sent once more follows: what ends here goes whole, with its length.
            if self.size >= _SEND_AT:
                self.handler.write(b"".join(self.pending))
                self.pending.clear()
                self.size = 0
                try:
                    await self.handler.flush()
                except StreamClosedError:
                    return False
            self.pending.append(piece)
            self.size += len(piece)
        return True

    def finish(self) -> None:
        self.handler.finish(b"".join(self.pending))


class ApiHandler(APIHandler):
    """REST handler base: resolves the chat-ext identity and speaks the one error shape."""

    auth_resource = "chat-ext"
    identity: Identity
    # The services a handler works with, set as attributes of the same names before it runs.
    uses: ClassVar[tuple[str, ...]] = ()
    # Whether what it is sent may be stored: PostgreSQL's text cannot hold a NUL, and a chat
    # should not store on SQLite what it could not move to PostgreSQL.
    stores_text: ClassVar[bool] = True
    # For handlers only admins may use: what everyone else is told, with a 403.
    admin_only: ClassVar[str | None] = None

    def initialize(self, ctx: HandlerContext) -> None:
        self.ctx = ctx

    async def prepare(self) -> None:
        token_user = server_token_user(self)
        if token_user is not None:
            # Jupyter's provider returns a user already found as it is (see server_token).
            self._jupyter_current_user = token_user
            self._token_authenticated = True
        await super().prepare()
        services = await self.ctx.services()
        for name in self.uses:
            setattr(self, name, getattr(services, name))
        if self.current_user and await self._allowed_at_all():
            self.identity = await services.users.identify(self.current_user)
            if self.admin_only and not self.identity.is_admin:
                # Refused before the body is read, so that a refusal says nothing of its shape.
                raise web.HTTPError(403, self.admin_only)

    async def _allowed_at_all(self) -> bool:
        """Whether the authorizer lets the caller make this request. The methods' own
        ``@authorized`` has the last word; asking here first keeps a caller it refuses out
        of the users table."""
        if type(self.authorizer) is AllowAllAuthorizer:
            return True
        action = HTTP_METHOD_TO_AUTH_ACTION.get(self.request.method or "", "read")
        user, resource = self.current_user, self.auth_resource
        return bool(await ensure_async(self.authorizer.is_authorized(self, user, action, resource)))

    def _log(self) -> None:
        if not log_quietly(self):
            super()._log()

    def compute_etag(self) -> str | None:
        # Tornado would SHA-1 every GET body for an ETag that no client of this API sends
        # back; on a 30 MB chat that is ~20 ms. Jupyter's own file handlers opt out too.
        return None

    async def write_model(self, model: BaseModel) -> None:
        """The model as JSON: in one piece with its length when small, else sent as it is
        made (chunked); see _Sender."""
        sender = _Sender(self)
        if await sender.send(json_pieces(model)):
            sender.finish()

    async def write_pages(self, head: BaseModel, pages: AsyncIterator[Sequence[BaseModel]]) -> None:
        """``head`` as JSON, its streamed list (empty in ``head``) made of the items of
        ``pages`` as they come: only a page at a time is held, however many there are."""
        sender = _Sender(self)
        opening, closing = json_ends(head)
        if not await sender.send([opening]):
            return
        first = True
        async with aclosing(pages):
            async for page in pages:
                for item in page:
                    if not first and not await sender.send([b","]):
                        return
                    if not await sender.send(json_pieces(item)):
                        return
                    first = False
        if await sender.send([closing]):
            sender.finish()

    def read_body(self, model: type[BaseModel] | None) -> Any:
        raw = self.request.body
        if len(raw) > self.ctx.max_body_size:
            raise PayloadTooLarge(
                f"Request body is {len(raw)} bytes; the limit is {self.ctx.max_body_size} "
                "(ChatExtApp.max_body_size)."
            )
        try:
            data = _decode(raw or b"{}")
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError among them
            raise BadRequest(
                f"Request body is not valid JSON: {error}", code="malformed_json"
            ) from None
        if _SURROGATE.search(raw) and not _encodable(data):
            # JSON lets a string hold half a UTF-16 pair, which no database or upstream takes.
            raise BadRequest(
                "Request body has text that is not valid Unicode (a lone surrogate such as "
                "\\ud800).",
                code="malformed_json",
            )
        # A NUL comes escaped in a UTF-8 body; a UTF-16 or UTF-32 body has NUL bytes anyway.
        if self.stores_text and (b"\\u0000" in raw or b"\x00" in raw) and _holds_nul(data):
            raise BadRequest(
                "Request body has text with a NUL character (\\u0000), which cannot be stored.",
                code="malformed_json",
            )
        if model is None:
            return data
        if not isinstance(data, dict):
            raise BadRequest("Request body must be a JSON object.", code="malformed_json")
        try:
            return model.model_validate(data)
        except ValidationError as error:
            raise ValidationFailed(format_validation_error(error)) from None

    def read_query(self, model: type[BaseModel]) -> BaseModel:
        values = {
            key: self.decode_argument(vals[-1], name=key)
            for key, vals in self.request.query_arguments.items()
            # JupyterLab's ServerConnection appends a bare timestamp to defeat caches.
            if key not in _TRANSPORT_ARGS and not (key.isdigit() and vals == [b""])
        }
        try:
            return model.model_validate(values)
        except ValidationError as error:
            raise ValidationFailed(format_validation_error(error)) from None

    def send_api_error(self, status: int, code: str, message: str) -> None:
        self.clear()
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        reason = responses.get(status, "Error")
        self.finish(json.dumps({"message": message, "reason": reason, "code": code}))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message = error_message(status_code, kwargs.get("exc_info"))
        code = _STATUS_CODES.get(status_code, "internal" if status_code >= 500 else "error")
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        reason = responses.get(status_code, "Error")
        self.finish(json.dumps({"message": message, "reason": reason, "code": code}))


class WsHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """WebSocket handler base: subclasses decorate ``get`` with ``@ws_authenticated``
    and call :meth:`authorize` before handing over to tornado."""

    auth_resource = "chat-ext"
    identity: Identity
    # What each message the server sends looks like, for the OpenAPI document.
    message_model: type[BaseModel] | None = None
    uses: ClassVar[tuple[str, ...]] = ()

    def initialize(self, ctx: HandlerContext) -> None:
        self.ctx = ctx

    def set_default_headers(self) -> None:
        """JupyterHandler's default headers do not apply to a WebSocket upgrade."""

    async def authorize(self, action: str = "read") -> None:
        allowed = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, action, self.auth_resource)
        )
        if not allowed:
            raise web.HTTPError(403, f"Not authorized to {action} {self.auth_resource}.")
        services = await self.ctx.services()
        for name in self.uses:
            setattr(self, name, getattr(services, name))
        self.identity = await services.users.identify(self.current_user)


class UnknownRouteHandler(ApiHandler):
    """Any other path under the API root: a JSON 404 rather than Jupyter's HTML page."""

    def _missing(self, *args: Any) -> None:
        raise web.HTTPError(404, "No chat-ext API route %s; see openapi.json.", self.request.path)

    get = post = put = patch = delete = web.authenticated(authorized(_missing))
