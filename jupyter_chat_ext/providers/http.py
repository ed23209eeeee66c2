"""Turning httpx failures into UpstreamError, with the upstream's own words where it gave any."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from .base import UpstreamError


def describe_error_body(body: bytes) -> str:
    """OpenAI puts the message in error.message, Ollama in error; anything else is shown short."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body[:300].decode("utf-8", "replace").strip() or "no details"
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message")))
        if isinstance(error, dict):
            error = error.get("message") or json.dumps(error)[:300]
        if error:
            return str(error)
    return json.dumps(data)[:300]


@asynccontextmanager
async def upstream_stream(
    client: httpx.AsyncClient, method: str, url: str, **kwargs
) -> AsyncIterator[httpx.Response]:
    """Open a streamed request; an error status or a transport failure raises UpstreamError."""
    try:
        async with client.stream(method, url, **kwargs) as response:
            if response.status_code >= 400:
                body = await response.aread()
                raise UpstreamError(
                    "http",
                    f"{response.status_code} from {_where(url)}: {describe_error_body(body)}",
                    response.status_code,
                )
            yield response
    except httpx.ConnectError as error:
        raise UpstreamError("refused", f"Cannot connect to {_where(url)}: {error}") from None
    except httpx.TimeoutException:
        raise UpstreamError("timeout", f"{_where(url)} did not answer in time") from None
    except (httpx.RemoteProtocolError, httpx.ReadError) as error:
        raise UpstreamError("cut", f"{_where(url)} closed the connection: {error}") from None
    except httpx.HTTPError as error:  # anything else httpx refuses, e.g. a malformed URL
        raise UpstreamError("refused", f"Cannot reach {_where(url)}: {error}") from None


def _where(url: str) -> str:
    try:
        parsed = httpx.URL(url)
        return f"{parsed.scheme}://{parsed.netloc.decode()}"
    except httpx.InvalidURL:
        return repr(url[:100])
