"""Reading an upstream stream in a task of its own, so the writer can take everything that
has arrived in one piece.

An upstream often delivers many chunks in one socket read (a burst of tokens, or a proxy
that buffers). Read one at a time, each would cost its own write and flush to the client;
taken together they cost one. The first ``EAGER`` chunks are handed over one by one, so the
first token (OpenAI streams a role-only chunk before it) never waits for a burst to be read;
after them, the writer takes what has piled up whenever the reader would block, or every
``BATCH`` chunks in a long burst.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing

EAGER = 3
BATCH = 32


class Pump:
    def __init__(self, chunks: AsyncIterator[bytes]):
        self._pending: list[bytes] = []
        self._ready = asyncio.Event()
        self._task = asyncio.ensure_future(self._read(chunks))
        # A reader that fails after the writer has gone must not be logged as unretrieved.
        self._task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _read(self, chunks: AsyncIterator[bytes]) -> None:
        count = 0
        try:
            async with aclosing(chunks) as stream:  # type: ignore[type-var]
                async for chunk in stream:
                    self._pending.append(chunk)
                    self._ready.set()
                    count += 1
                    if count <= EAGER or len(self._pending) >= BATCH:
                        # Let the writer run now rather than when the reader next blocks.
                        await asyncio.sleep(0)
        finally:
            self._ready.set()

    async def take(self) -> bytes | None:
        """Everything that has arrived, waiting for something if nothing has; None at the end.
        The reader's error, if it failed, is raised once what came before it is taken."""
        while not self._pending:
            if self._task.done():
                self._task.result()
                return None
            self._ready.clear()
            await self._ready.wait()
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        return data

    def close(self) -> None:
        """Stop reading; cancelling the reader closes the upstream response with it."""
        if not self._task.done():
            self._task.cancel()
