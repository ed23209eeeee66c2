"""Relaying an upstream's own bytes: the cheapest way to speak a format the upstream already
speaks. The only change is the model's name, where a connection's prefix made it differ."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from ..providers.base import UpstreamError
from ..providers.http import upstream_stream
from ..providers.ollama_client import OllamaClient

if TYPE_CHECKING:
    from ..providers.transport import UpstreamResponse


class Renamer:
    """Puts the name the client asked for back into ``"model"`` fields. Both formats put one
    JSON document per line, so cutting the stream after its last newline never splits a
    field; whatever follows waits for the next piece."""

    def __init__(self, upstream: str, requested: str):
        old, new = json.dumps(upstream).encode(), json.dumps(requested).encode()
        self.pairs = [
            (b'"model":' + old, b'"model":' + new),
            (b'"model": ' + old, b'"model": ' + new),
        ]
        self.pending = b""

    @classmethod
    def needed(cls, upstream: str, requested: str) -> Renamer | None:
        return None if upstream == requested else cls(upstream, requested)

    def feed(self, data: bytes) -> bytes:
        data = self.pending + data
        cut = data.rfind(b"\n") + 1
        self.pending, data = data[cut:], data[:cut]
        return self.rename(data)

    def rename(self, data: bytes) -> bytes:
        for old, new in self.pairs:
            data = data.replace(old, new)
        return data

    def rest(self) -> bytes:
        data, self.pending = self.pending, b""
        return self.rename(data)


async def relay_bytes(response: UpstreamResponse, rename: Renamer | None) -> AsyncIterator[bytes]:
    # Each piece is what one socket read brought, so nothing waits for a buffer to fill.
    async for data in response.aiter_bytes():
        if rename is not None:
            data = rename.feed(data)
        if data:
            yield data
    if rename is not None and (tail := rename.rest()):
        yield tail


@asynccontextmanager
async def ollama_request(
    client: OllamaClient, path: str, body: dict[str, Any]
) -> AsyncIterator[UpstreamResponse]:
    """A raw request to an Ollama connection (``path`` like ``/api/chat``), with the
    connection's own headers and nothing of the incoming request's."""
    async with upstream_stream(
        client.http,
        "POST",
        f"{client.base_url}{path}",
        json=body,
        headers=client.headers,
        connect_timeout=client.timeout,
        read_timeout=client.read_timeout,
    ) as response:
        yield response


async def read_json(response: UpstreamResponse) -> Any:
    raw = await response.aread()
    try:
        return json.loads(raw)
    except ValueError:
        raise UpstreamError("malformed", "The upstream's answer is not JSON.") from None
