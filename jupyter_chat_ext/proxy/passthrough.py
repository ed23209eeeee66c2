"""Relaying an upstream's own bytes: the cheapest way to speak a format the upstream already
speaks. The only change is the model's name, where a connection's prefix made it differ."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..providers.base import UpstreamError
from ..providers.http import upstream_stream
from ..providers.ollama_client import OllamaClient
from ..providers.sse import events

if TYPE_CHECKING:
    from ..providers.transport import UpstreamResponse


class Renamer:
    """Puts the name the client asked for back into ``"model"`` fields, in whole frames (a
    field is never split across them)."""

    def __init__(self, upstream: str, requested: str):
        # A name beyond ASCII may come escaped (Python's servers) or as UTF-8 (most others).
        olds = dict.fromkeys(json.dumps(upstream, ensure_ascii=e).encode() for e in (True, False))
        new = json.dumps(requested, ensure_ascii=False).encode()
        self.pairs = [
            (b'"model":' + space + old, b'"model":' + space + new)
            for old in olds
            for space in (b"", b" ")
        ]

    @classmethod
    def needed(cls, upstream: str, requested: str) -> Renamer | None:
        return None if upstream == requested else cls(upstream, requested)

    def rename(self, data: bytes) -> bytes:
        for old, new in self.pairs:
            data = data.replace(old, new)
        return data


def whole_answer(answer: Any, items: str, requested: str) -> dict[str, Any]:
    """An OpenAI-compatible upstream's whole answer, if it is one (an object with its list of
    ``items``), naming the model as the client did."""
    if not isinstance(answer, dict) or not isinstance(answer.get(items), list):
        raise UpstreamError("malformed", f"The upstream's answer has no '{items}' list.")
    if "model" in answer:
        answer["model"] = requested
    return answer


@dataclass(frozen=True, slots=True)
class Wire:
    """How a streaming format frames its JSON documents, for relaying it frame by frame."""

    # A frame, as an error message names it.
    name: str
    # What ends a frame, each way the format allows; ``cr_ends`` when the stream holds a CR.
    ends: tuple[bytes, ...]
    cr_ends: tuple[bytes, ...]
    # A line that is not one JSON object (nor an end marker), searched for in the frames with
    # a newline put before them: a literal start lets the search skip ahead instead of trying
    # every byte.
    odd: re.Pattern[bytes]
    # What says a stream ended as it should, among its last pieces.
    ended: tuple[bytes, ...]
    # The first byte of a frame that says something, in the usual shape: a piece opening
    # otherwise (a keep-alive comment or blank line, an event's name) is looked at apart.
    opens: int
    # Frames of a shape the ``odd`` search does not pass that may still be good: the good
    # ones in the usual shape, and whether one after them was not JSON. None: none can be.
    reframe: Callable[[bytes], tuple[bytes, bool]] | None = None


def _sse_reframed(frames: bytes) -> tuple[bytes, bool]:
    """Events as the standard reads them (several data lines, CR line ends, comments, ids,
    empty data lines...), each passed on as one ``data:`` line of its JSON, as OpenAI sends
    them and as every client reads them; an event without data is left out."""
    out = []
    for kind, data in events(frames):
        text = data.strip()
        if not text:
            continue  # empty data lines only: nothing said (a keep-alive)
        if text != b"[DONE]":
            try:
                document = json.loads(text)
            except ValueError:
                return b"".join(out), True
            if not isinstance(document, dict):
                return b"".join(out), True
            if b"\n" in text:
                text = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        out.append((b"event: " + kind + b"\n" if kind else b"") + b"data: " + text + b"\n\n")
    return b"".join(out), False


# OpenAI: server-sent events of one JSON object each, then [DONE]; a choice's finish reason or
# the upstream's own error event (which clients raise) also ends the answer. An event ends at a
# blank line: any two line ends (LF, CR, CRLF) in a row hold one of the ends below. The usual
# shape, one JSON ``data:`` line last in its event with LF or CRLF line ends, passes as it
# came; anything else (``odd``, or a CR alone) is read and re-framed.
SSE = Wire(
    "an event",
    (b"\n\n",),
    (b"\n\n", b"\r\r", b"\n\r", b"\n\r\n", b"\r\n\r\n"),
    re.compile(rb"\ndata:(?! ?(?:\{[^\n]*\}|\[DONE\])\r?\n[\r\n])"),
    (
        b"\ndata: [DONE]",
        b"\ndata:[DONE]",
        b'"finish_reason":"',
        b'"finish_reason": "',
        b'\ndata: {"error"',
        b'\ndata:{"error"',
    ),
    ord("d"),
    _sse_reframed,
)
# Ollama: one JSON object per line, the last one "done": true, or an error.
NDJSON = Wire(
    "a line",
    (b"\n",),
    (b"\n",),
    re.compile(rb"\n(?!\{[^\n]*\}\r?\n|\r?\n|$)"),
    (b'"done":true', b'"done": true', b'\n{"error"'),
    ord("{"),
)


# A line ended by a CR alone; one at the very end may be the start of a CRLF.
_LONE_CR = re.compile(rb"\r(?=[^\n])")


def _split(data: bytes, ends: tuple[bytes, ...]) -> tuple[bytes, bytes]:
    """(what follows the last whole frame, the frames up to it)."""
    cut = 0
    for end in ends:
        at = data.rfind(end)
        if at >= 0:
            cut = max(cut, at + len(end))
    return data[cut:], data[:cut]


class Frames:
    """A stream passed on in whole frames, so that an error sent after a failure never lands
    inside a half-written one, and checked as it goes: a frame that is not JSON, or an end
    before the answer's, is the upstream's failure rather than something each client would
    trip over in its own way."""

    def __init__(self, wire: Wire, rename: Renamer | None):
        self.wire = wire
        self.rename = rename
        self.pending = b""
        self.recent: tuple[bytes, ...] = ()
        # Whether a piece kept out of ``recent`` said the stream ended.
        self.ended = False
        # Set once a frame is not JSON: what came before it is still passed on.
        self.broken: UpstreamError | None = None

    def feed(self, data: bytes) -> bytes:
        wire = self.wire
        data = self.pending + data
        cr = data.find(b"\r") >= 0  # quicker than ``in``
        self.pending, data = _split(data, wire.cr_ends if cr else wire.ends)
        if not data:
            return data
        odd = wire.odd.search(b"\n" + data)
        bad = False
        if wire.reframe is not None:
            # A lone CR is searched for apart: a pattern with two starts would be tried at
            # every byte.
            if odd is not None or (cr and _LONE_CR.search(data)):
                data, bad = wire.reframe(data)
        elif odd is not None:
            # In the copy the match starts at the newline put before the odd line, which is
            # where that line starts in ``data``.
            data, bad = _split(data[: odd.start()], wire.ends)[1], True
        if bad:
            self.broken = UpstreamError(
                "malformed", f"The upstream's stream has {wire.name} that is not JSON."
            )
        if data and data[0] == wire.opens:
            self.recent = (*self.recent[-2:], data)
        elif data:
            # Rare, so checked here and now: keep-alives (": ping") an upstream sends after
            # its end, however many, then push no end out of ``recent``.
            self.ended = self.ended or self._ends(data)
        return self.rename.rename(data) if self.rename is not None and data else data

    def _ends(self, data: bytes) -> bool:
        tail = b"\n" + data
        return any(mark in tail for mark in self.wire.ended)

    def close(self) -> bytes:
        """What is left to pass on: the LF of a CRLF that ended the last frame, or a last
        frame whole but for its end (a server that closes after ``data: [DONE]`` or its last
        line without the line end), which is passed on ended."""
        rest, self.pending = self.pending, b""
        # Half a frame (not JSON yet) means the stream stopped inside it.
        inside = False
        if rest.strip():
            rest = self.feed(rest + self.wire.ends[0])
            inside = self.broken is not None or bool(self.pending)
        if inside or not (self.ended or self._ends(b"".join(self.recent))):
            raise UpstreamError("cut", "The upstream's stream ended before the answer did.")
        return rest


async def relay_frames(
    response: UpstreamResponse, wire: Wire, rename: Renamer | None
) -> AsyncIterator[bytes]:
    """An upstream's stream in whole frames (see ``Frames``), as each read brings them."""
    frames = Frames(wire, rename)
    async for data in response.aiter_bytes():
        if data := frames.feed(data):
            yield data
        if frames.broken is not None:
            raise frames.broken
    if rest := frames.close():
        yield rest


def _content_type(response: UpstreamResponse) -> str:
    return (response.header("content-type") or "").partition(";")[0].strip().lower()


def is_json(response: UpstreamResponse) -> bool:
    return _content_type(response) == "application/json"


def check_event_stream(response: UpstreamResponse) -> None:
    """A streamed request to an OpenAI upstream must be answered with server-sent events."""
    kind = _content_type(response)
    if kind != "text/event-stream":
        raise UpstreamError(
            "malformed",
            f"The upstream answered a streamed request with {kind or 'no content type'}, "
            "not a stream of server-sent events.",
        )


@asynccontextmanager
async def ollama_request(
    client: OllamaClient, path: str, body: dict[str, Any], *, short: bool = False
) -> AsyncIterator[UpstreamResponse]:
    """A raw request to an Ollama connection (``path`` like ``/api/chat``), with the
    connection's own headers and nothing of the incoming request's. A ``short`` one
    (embeddings, show) waits for its answer only as long as a connect, as the OpenAI API's."""
    async with upstream_stream(
        client.http,
        "POST",
        f"{client.base_url}{path}",
        json=body,
        headers=client.headers,
        connect_timeout=client.timeout,
        read_timeout=client.timeout if short else client.read_timeout,
    ) as response:
        yield response


async def read_json(response: UpstreamResponse) -> Any:
    raw = await response.aread()
    try:
        return json.loads(raw)
    except ValueError:
        raise UpstreamError("malformed", "The upstream's answer is not JSON.") from None
