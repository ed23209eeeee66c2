"""Reading an upstream stream in a task of its own, so the writer can take everything that
has arrived in one piece.

Models send tokens in bursts (a batch decoded at once, a proxy that buffered), and each
socket read and each write to the client costs the same whether it carries one token or
fifty. The first ``EAGER`` pieces are handed over as they come, so the first token (OpenAI
streams a role-only chunk before it) never waits. After them the reader rests ``GATHER``
seconds between reads while the upstream socket is paused, so a burst arrives in one read
and leaves in one write; a token that comes later than that still goes out the moment it
arrives, so a model's normal pace (a token every 10 ms or more) sees no delay at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing

EAGER = 3
GATHER = 0.002


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
                    # Let the writer run now; after the first pieces, let a burst gather too.
                    await asyncio.sleep(0 if count <= EAGER else GATHER)
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
