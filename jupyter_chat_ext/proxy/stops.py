"""Stop strings kept here for an upstream that takes fewer than a request gives.

OpenAI's chat completions take at most four (and refuse the request with more); Ollama takes
any number, and Ollama clients send more (code completion sends one per way a snippet ends).
Asked through the Ollama API, an OpenAI connection gets the first four and the rest are
applied here, as Ollama applies them: the answer ends before the first stop string it writes,
with ``done_reason`` "stop".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from ..providers.base import Delta, Finish, TextDelta

OPENAI_MAX_STOPS = 4


def kept_stops(params: dict[str, Any]) -> list[str]:
    """Leave the upstream the first four of ``params["stop"]``; return the rest, for here."""
    stop = params.get("stop")
    if not isinstance(stop, list) or len(stop) <= OPENAI_MAX_STOPS:
        return []
    params["stop"] = stop[:OPENAI_MAX_STOPS]
    return [s for s in stop[OPENAI_MAX_STOPS:] if isinstance(s, str) and s]


def _undecided(text: str, stops: list[str]) -> int:
    """How many characters at the end of ``text`` could begin a stop string."""
    starts = (
        n for s in stops for n in range(min(len(s) - 1, len(text)), 0, -1) if text.endswith(s[:n])
    )
    return max(starts, default=0)


async def cut_at_stops(deltas: AsyncIterator[Delta], stops: list[str]) -> AsyncIterator[Delta]:
    """``deltas`` until the text holds one of ``stops``: then the text before it and a
    "stop" finish, and the upstream is closed. Text that may be the start of a stop string
    waits for the next piece to tell; any other delta first sends what waits."""
    held = ""
    logprobs: list[dict[str, Any]] = []

    def piece(text: str) -> TextDelta:
        nonlocal logprobs
        sent, logprobs = logprobs, []
        return TextDelta(text, sent or None)

    async with aclosing(deltas):  # type: ignore[type-var]
        async for delta in deltas:
            if not isinstance(delta, TextDelta):
                if held:
                    yield piece(held)
                    held = ""
                yield delta
                continue
            held += delta.text
            logprobs += delta.logprobs or ()
            found = [i for i in (held.find(s) for s in stops) if i >= 0]
            if found:
                if before := held[: min(found)]:
                    yield piece(before)
                yield Finish("stop")
                return
            keep = _undecided(held, stops)
            if len(held) > keep:
                yield piece(held[: len(held) - keep])
                held = held[len(held) - keep :]
    if held:
        yield piece(held)
