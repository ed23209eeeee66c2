"""Relaying an upstream's own bytes: the cheapest way to speak a format the upstream already
speaks. The only change is the model's name, where a connection's prefix made it differ."""

from __future__ import annotations

import json
import re
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


# A data line that is neither one JSON object nor the end marker (OpenAI sends one object per
# event, on one line), searched for in the events with a newline put before them: a literal
# start lets the search skip ahead instead of trying every byte.
_ODD_DATA = re.compile(rb"\ndata:(?! ?(?:\{[^\n]*\}|\[DONE\])\r?\n)")
# What says an OpenAI stream ended as it should: the end marker, a choice's finish reason, or
# an error event of the upstream's own (which clients raise). They come last: only the last
# pieces of the stream are looked at.
_ENDED = (
    b"\ndata: [DONE]",
    b"\ndata:[DONE]",
    b'"finish_reason":"',
    b'"finish_reason": "',
    b'\ndata: {"error"',
    b'\ndata:{"error"',
)


def _split(data: bytes, before: int) -> tuple[bytes, bytes]:
    """(what follows the last whole event that ends before ``before``, the events up to it)."""
    lf, crlf = data.rfind(b"\n\n", 0, before), data.rfind(b"\r\n\r\n", 0, before)
    cut = max(lf + 2 if lf >= 0 else 0, crlf + 4 if crlf >= 0 else 0)
    return data[cut:], data[:cut]


class SseEvents:
    """An OpenAI stream passed on in whole events, so that an error event sent after a
    failure never lands inside a half-written one, and checked as it goes: an event that is
    not JSON, or an end before the answer's, is the upstream's failure rather than something
    each client would trip over in its own way."""

    def __init__(self, rename: Renamer | None):
        self.rename = rename
        self.pending = b""
        self.recent: tuple[bytes, ...] = ()
        # Set once an event is not JSON: what came before it is still passed on.
        self.broken: UpstreamError | None = None

    def feed(self, data: bytes) -> bytes:
        self.pending, data = _split(self.pending + data, len(self.pending) + len(data))
        if not data:
            return data
        odd = _ODD_DATA.search(b"\n" + data)
        if odd is not None:
            # In the copy the match starts at the newline put before the odd line, which is
            # where that line starts in ``data``.
            data = _split(data, odd.start())[1]
            self.broken = UpstreamError(
                "malformed", "The upstream's stream has an event that is not JSON."
            )
        self.recent = (*self.recent[-2:], data)
        return self.rename.rename(data) if self.rename is not None else data

    def close(self) -> None:
        tail = b"\n" + b"".join(self.recent)
        if self.pending.strip() or not any(mark in tail for mark in _ENDED):
            raise UpstreamError("cut", "The upstream's stream ended before the answer did.")


async def relay_events(response: UpstreamResponse, rename: Renamer | None) -> AsyncIterator[bytes]:
    """An OpenAI upstream's stream, in whole events (see ``SseEvents``)."""
    kind = (response.header("content-type") or "").partition(";")[0].strip().lower()
    if kind != "text/event-stream":
        raise UpstreamError(
            "malformed",
            f"The upstream answered a streamed request with {kind or 'no content type'}, "
            "not a stream of server-sent events.",
        )
    events = SseEvents(rename)
    async for data in response.aiter_bytes():
        if data := events.feed(data):
            yield data
        if events.broken is not None:
            raise events.broken
    events.close()


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
