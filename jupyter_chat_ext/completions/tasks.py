"""Running generations: each is a server-side task that any number of listeners can follow."""

from __future__ import annotations

import asyncio
from typing import Any

# A listener that falls this far behind is dropped rather than let memory grow without bound.
_QUEUE_LIMIT = 10_000


class Generation:
    """One answer being written. Listeners get ("delta" | "usage" | "done" | "error", data)
    tuples from the moment they join; ``text`` is everything written so far."""

    def __init__(self, user_id: str, chat_id: str, message_id: str, model: str):
        self.user_id = user_id
        self.chat_id = chat_id
        self.message_id = message_id
        self.model = model
        self.parts: list[str] = []
        self.status = "running"
        self.finish_reason: str | None = None
        self.usage: dict[str, int] | None = None
        self.error: str | None = None
        self.task: asyncio.Task | None = None
        self.finished = asyncio.Event()
        self._listeners: set[asyncio.Queue] = set()

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def listen(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(_QUEUE_LIMIT)
        self._listeners.add(queue)
        return queue

    def unlisten(self, queue: asyncio.Queue) -> None:
        self._listeners.discard(queue)

    def emit(self, name: str, data: dict[str, Any]) -> None:
        for queue in list(self._listeners):
            try:
                queue.put_nowait((name, data))
            except asyncio.QueueFull:
                self._listeners.discard(queue)


class Registry:
    """The generations running in this server, by the id of the answer they write."""

    def __init__(self) -> None:
        self._running: dict[str, Generation] = {}
        # A generation's task outlives its listing: it goes on to title a new chat.
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, generation: Generation) -> None:
        self._running[generation.message_id] = generation

    def remove(self, generation: Generation) -> None:
        self._running.pop(generation.message_id, None)

    def get(self, user_id: str, message_id: str) -> Generation | None:
        found = self._running.get(message_id)
        return found if found is not None and found.user_id == user_id else None

    def of_user(self, user_id: str) -> list[Generation]:
        return [g for g in self._running.values() if g.user_id == user_id]

    def track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop_all(self) -> None:
        """Cancel every task and wait for each to save what it wrote, so that none is left
        holding a database connection when the database closes."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
