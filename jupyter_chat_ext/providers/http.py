"""Upstream requests, their failures turned into UpstreamError with the upstream's own words
where it gave any."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from json import dumps, loads
from typing import Any

from .base import UpstreamError, UpstreamSaid
from .transport import TransportError, UpstreamResponse, UpstreamTransport
from .urls import MASK, SERVER, credential, where


def describe_error_body(body: bytes) -> UpstreamSaid:
    """OpenAI puts the message in error.message (beside its code and param), Ollama in error;
    anything else is shown short."""
    try:
        data = loads(body)
    except (ValueError, UnicodeDecodeError):
        return UpstreamSaid(body[:300].decode("utf-8", "replace").strip() or "no details")
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message")))
        if isinstance(error, dict):
            code, param = error.get("code"), error.get("param")
            return UpstreamSaid(
                str(error.get("message") or dumps(error)[:300]),
                str(code) if code is not None else None,
                str(param) if param is not None else None,
            )
        if error:
            return UpstreamSaid(str(error))
    return UpstreamSaid(dumps(data)[:300])


@asynccontextmanager
async def upstream_stream(
    transport: UpstreamTransport,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    connect_timeout: float,
    read_timeout: float | None = None,
    json: Any = None,
) -> AsyncIterator[UpstreamResponse]:
    """Open a request (``json`` as its body); an error status or a failed exchange raises
    UpstreamError. ``connect_timeout`` bounds the connect, ``read_timeout`` (default the
    same) each wait for the upstream's next bytes."""
    body = b""
    given = headers  # the connection's own, its secrets among them
    if json is not None:
        body = dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {**headers, "Content-Type": "application/json"}
    read = connect_timeout if read_timeout is None else read_timeout
    try:
        response = await transport.open(method, url, headers, body, connect_timeout, read)
    except TransportError as error:
        raise _upstream_error(error, url) from None
    try:
        if response.status_code >= 400:
            said = _scrubbed(describe_error_body(await response.aread()), given, url)
            raise UpstreamError(
                "http",
                f"{response.status_code} from {where(url)}: {said.message}",
                response.status_code,
                said,
                _retry_headers(response),
                public=f"{response.status_code} from the {SERVER}: {said.message}",
            )
        yield response
    except TransportError as error:
        raise _upstream_error(error, url) from None
    finally:
        await response.aclose()


# Shorter values are too likely to be ordinary words to blot out of a message.
_SHORTEST_SECRET = 6


def _scrubbed(said: UpstreamSaid, headers: dict[str, str], url: str) -> UpstreamSaid:
    """The upstream's words without the connection's secrets: a server that quotes the key it
    refused would otherwise show it to every user who sees the error."""
    secrets = {credential(url) or ""}
    for value in headers.values():
        secrets.add(value)
        secrets.add(value.partition(" ")[2])  # "Bearer sk-...": the token alone too
    message = said.message
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _SHORTEST_SECRET and secret in message:
            message = message.replace(secret, MASK)
    return UpstreamSaid(message, said.code, said.param) if message != said.message else said


# When to come back: the standard header, the milliseconds OpenAI's client prefers, and
# whether to come back at all. Rate-limit counters stay behind: they describe the account
# behind the connection's key, which is not the caller's business.
RETRY_HEADERS = ("Retry-After", "retry-after-ms", "x-should-retry")


def _retry_headers(response: UpstreamResponse) -> tuple[tuple[str, str], ...]:
    found = ((name, response.header(name)) for name in RETRY_HEADERS)
    return tuple((name, value) for name, value in found if value and value.isprintable())


def _upstream_error(error: TransportError, url: str) -> UpstreamError:
    place = where(url)
    if error.kind == "refused":
        # The socket's own words name the address too ("Connect call failed ('10.0.0.5',
        # 8000)"): users are told the failure alone.
        return UpstreamError(
            "refused",
            f"Cannot connect to {place}: {error}",
            public=f"Cannot connect to the {SERVER}.",
        )
    if error.kind == "timeout":
        return UpstreamError(
            "timeout",
            f"{place} did not answer in time",
            public=f"The {SERVER} did not answer in time",
        )
    return UpstreamError(
        "cut",
        f"{place} closed the connection: {error}",
        public=f"The {SERVER} closed the connection: {error}",
    )
