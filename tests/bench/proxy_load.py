"""bench_proxy.py's load generator: one HTTP client for both columns, the three kinds of
request it times (an OpenAI stream, a non-streamed reply, the extension's own SSE), and
batches of them at a given concurrency, alone or paired DIRECT/PROXY."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from json import dumps, loads
from typing import Any

from jupyter_chat_ext.providers.transport import UpstreamResponse, UpstreamTransport

# Each batch is sent in this many slices, DIRECT and PROXY in turn (ABBA...), and the slices
# pooled, so that the machine's load drifting during a run falls on both columns alike.
SLICES = 4


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile, in milliseconds (values are seconds)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1] * 1000


@dataclass
class Sample:
    ttft: float
    total: float
    pieces: list[str] = field(default_factory=list)


@dataclass
class Batch:
    samples: dict[int, Sample]
    wall: float
    errors: list[str]

    def ttft(self) -> list[float]:
        return [s.ttft for s in self.samples.values()]

    def total(self) -> list[float]:
        return [s.total for s in self.samples.values()]

    @property
    def rps(self) -> float:
        return len(self.samples) / self.wall if self.wall else float("nan")


class LoadClient:
    """The load generator's HTTP client, the same for both columns. It is the server's own
    upstream transport: with httpx, the client process itself spent 99% of a core at c=50
    (its connection pool's bookkeeping), and its queueing, not the server's, set the tails."""

    def __init__(self, headers: dict[str, str] | None = None):
        self.pool = UpstreamTransport(max_idle=200)
        self.headers = headers or {}

    @asynccontextmanager
    async def stream(
        self, method: str, url: str, json: Any = None
    ) -> AsyncIterator[UpstreamResponse]:
        body = b"" if json is None else dumps(json).encode()
        headers = {**self.headers, "Content-Type": "application/json"}
        response = await self.pool.open(method, url, headers, body, 60, 60)
        try:
            yield response
        finally:
            await response.aclose()

    async def post_json(self, url: str, body: Any) -> Any:
        async with self.stream("POST", url, json=body) as response:
            return loads(await response.aread())

    async def aclose(self) -> None:
        await self.pool.aclose()


def openai_body(model: str, text: str, stream: bool) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], "stream": stream}


async def openai_stream(client: LoadClient, url: str, body: dict[str, Any]) -> Sample:
    """A streamed chat completion: every content delta, in order, and when the first came."""
    pieces: list[str] = []
    started = time.perf_counter()
    first = 0.0
    async with client.stream("POST", url, json=body) as response:
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {(await response.aread())[:200]!r}")
        done = False
        # Read to the end after [DONE], as OpenAI's own client does, so that the connection
        # is kept for the next request.
        async for line in response.aiter_lines():
            if done or not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                done = True
                continue
            for choice in json.loads(data).get("choices", ()):
                content = (choice.get("delta") or {}).get("content")
                if content:
                    if not pieces:
                        first = time.perf_counter()
                    pieces.append(content)
    return Sample(
        first - started if pieces else float("nan"), time.perf_counter() - started, pieces
    )


async def openai_plain(client: LoadClient, url: str, body: dict[str, Any]) -> Sample:
    """A non-streamed chat completion; its "first chunk" is the response headers."""
    started = time.perf_counter()
    async with client.stream("POST", url, json=body) as response:
        headers_at = time.perf_counter()
        raw = await response.aread()
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {raw[:200]!r}")
    content = json.loads(raw)["choices"][0]["message"]["content"]
    return Sample(headers_at - started, time.perf_counter() - started, [content])


async def chat_api_stream(client: LoadClient, url: str, body: dict[str, Any]) -> Sample:
    """The extension's own SSE: ``start``, then ``delta`` events, then ``done``."""
    pieces: list[str] = []
    started = time.perf_counter()
    first = 0.0
    event = ""
    async with client.stream("POST", url, json=body) as response:
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {(await response.aread())[:200]!r}")
        # Read to the end (``done`` is the last event), so the connection is kept.
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                if event == "delta":
                    if not pieces:
                        first = time.perf_counter()
                    pieces.append(json.loads(line[5:]).get("text", ""))
                elif event == "error":
                    raise RuntimeError(f"error event: {line[:200]}")
    return Sample(
        first - started if pieces else float("nan"), time.perf_counter() - started, pieces
    )


Call = Callable[[int], Awaitable[Sample]]


async def run_batch(call: Call, count: int, concurrency: int) -> Batch:
    """``count`` requests, ``concurrency`` at a time; request ``i`` is numbered for matching."""
    samples: dict[int, Sample] = {}
    errors: list[str] = []
    queue = iter(range(count))

    async def worker() -> None:
        for i in queue:
            try:
                samples[i] = await call(i)
            except Exception as exc:  # a report counts failures instead of stopping
                errors.append(f"#{i}: {type(exc).__name__}: {exc}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Batch(samples, time.perf_counter() - started, errors)


async def run_paired(calls: tuple[Call, Call], count: int, concurrency: int) -> tuple[Batch, Batch]:
    """The same ``count`` requests through both calls, in SLICES slices sent in ABBA order and
    pooled. Request numbers stay unique across slices, so each is matched with its twin."""
    size = max(concurrency, math.ceil(count / SLICES))
    pooled = [Batch({}, 0.0, []), Batch({}, 0.0, [])]
    for n, start in enumerate(range(0, count, size)):
        part = min(size, count - start)
        order = (0, 1) if n % 2 == 0 else (1, 0)
        for which in order:
            call = calls[which]
            b = await run_batch(
                lambda i, call=call, start=start: call(start + i), part, concurrency
            )
            pooled[which].samples.update({start + i: s for i, s in b.samples.items()})
            pooled[which].wall += b.wall
            pooled[which].errors += b.errors
    return pooled[0], pooled[1]
