"""Running generations: each is a server-side task that any number of listeners can follow."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

# Events a listener may fall behind by; beyond them it catches up from ``text`` (see ``follow``)
# rather than let memory grow without bound.
_QUEUE_LIMIT = 10_000

Batch = list[tuple[str, dict[str, Any]]]


class Generation:
    """One answer being written. Listeners get ("reasoning" | "delta" | "usage" | "done" |
    "error", data) tuples from the moment they join; ``text`` is everything written so far,
    ``reasoning`` what the model thought before it."""

    def __init__(
        self,
        user_id: str,
        chat_id: str,
        message_id: str,
        model: str,
        request_id: str | None = None,
    ):
        self.user_id = user_id
        self.chat_id = chat_id
        self.message_id = message_id
        self.model = model
        self.request_id = request_id
        self.parts: list[str] = []
        self.thoughts: list[str] = []
        self.status = "running"
        self.finish_reason: str | None = None
        self.usage: dict[str, int] | None = None
        self.error: str | None = None
        self.task: asyncio.Task | None = None
        self.finished = asyncio.Event()
        self._listeners: set[asyncio.Queue] = set()
        self._behind: set[asyncio.Queue] = set()

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def reasoning(self) -> str:
        return "".join(self.thoughts)

    def listen(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(_QUEUE_LIMIT)
        self._listeners.add(queue)
        return queue

    def unlisten(self, queue: asyncio.Queue) -> None:
        self._listeners.discard(queue)
        self._behind.discard(queue)

    def emit(self, name: str, data: dict[str, Any]) -> None:
        for queue in list(self._listeners):
            try:
                queue.put_nowait((name, data))
            except asyncio.QueueFull:
                self._listeners.discard(queue)
                self._behind.add(queue)

    def last_event(self) -> tuple[str, dict[str, Any]]:
        if self.status == "error":
            return "error", {"message": self.error, "content": self.text}
        return "done", {
            "status": self.status,
            "finish_reason": self.finish_reason,
            "usage": self.usage,
        }

    async def follow(self, start: dict[str, Any]) -> AsyncIterator[Batch]:
        """What one listener is sent, from now to the end, in batches: first ``start`` with
        the text so far, then whatever piled up while the previous batch was being sent. A
        listener that fell too far behind gets what it missed as one delta."""
        queue = self.listen()
        # Taken together with listen(): nothing is missed or repeated between the two.
        sent = {"delta": len(self.text), "reasoning": len(self.reasoning)}
        try:
            first = {**start, "content": self.text}
            if self.thoughts:
                first["reasoning"] = self.reasoning
            yield [("start", first)]
            while True:
                if queue in self._behind and queue.empty():
                    self.unlisten(queue)
                    queue = self.listen()
                    missed = [
                        (name, {"text": whole[sent[name] :]})
                        for name, whole in (("reasoning", self.reasoning), ("delta", self.text))
                        if len(whole) > sent[name]
                    ]
                    for name, data in missed:
                        sent[name] += len(data["text"])
                    if missed:
                        yield missed
                # The generation emits its last event and sets ``finished`` with no await in
                # between, so a listener either receives that event or sees ``finished`` set.
                if self.finished.is_set() and queue.empty():
                    yield [self.last_event()]
                    return
                events = [await queue.get()]
                while not queue.empty():
                    events.append(queue.get_nowait())
                for name, data in events:
                    if name in sent:
                        sent[name] += len(data["text"])
                yield events
                if events[-1][0] in ("done", "error"):
                    return
        finally:
            self.unlisten(queue)


class Progress:
    """Writes an answer in progress at most once every ``interval`` seconds, and within that
    time of each new piece even when no piece follows it: a crash while the model pauses
    loses nothing it has said. One timer per interval, not one write per piece."""

    def __init__(self, write: Callable[[], Awaitable[None]], interval: float):
        self._write = write
        self._interval = interval
        self._loop = asyncio.get_running_loop()
        self._last = self._loop.time()
        self._timer: asyncio.TimerHandle | None = None
        self._writing: asyncio.Future[None] | None = None
        self._unwritten = False
        self._stopped = False
        # A write that failed, for the generation to fail with at its next piece.
        self.failed: BaseException | None = None

    def changed(self) -> None:
        """Something new to write, at the end of the current interval."""
        self._unwritten = True
        if self._timer is None and self._writing is None:
            self._timer = self._loop.call_at(self._last + self._interval, self._start)

    def _start(self) -> None:
        self._timer = None
        self._unwritten = False
        self._last = self._loop.time()
        self._writing = asyncio.ensure_future(self._write())
        self._writing.add_done_callback(self._written)

    def _written(self, writing: asyncio.Future[None]) -> None:
        self._writing = None
        if not writing.cancelled() and (error := writing.exception()) is not None:
            self.failed = error
        elif self._unwritten and not self._stopped:
            # What came while it was written waits for the next interval.
            self._timer = self._loop.call_at(self._last + self._interval, self._start)

    def stop(self) -> asyncio.Future[None] | None:
        """No more writes; returns the one under way, which the last write must follow."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return self._writing


class Registry:
    """The generations running in this server, by the id of the answer they write."""

    def __init__(self) -> None:
        self._running: dict[str, Generation] = {}
        self._ended = Expiring()
        # A generation's task outlives its listing: it goes on to title a new chat.
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, generation: Generation) -> None:
        self._running[generation.message_id] = generation

    def remove(self, generation: Generation) -> None:
        self._running.pop(generation.message_id, None)
        if generation.request_id is not None:
            # A stop by the request's name that comes just after is told how it ended.
            self._ended.put((generation.user_id, generation.request_id), generation.message_id)

    def ended_request(self, user_id: str, request_id: str) -> str | None:
        """The answer a request of that name asked for, if it ended within a minute."""
        return self._ended.get((user_id, request_id))

    def get(self, user_id: str, message_id: str) -> Generation | None:
        found = self._running.get(message_id)
        return found if found is not None and found.user_id == user_id else None

    def by_request(self, user_id: str, request_id: str) -> Generation | None:
        """The user's answer asked for under a request's own name."""
        return next(
            (
                g
                for g in self._running.values()
                if (g.user_id, g.request_id) == (user_id, request_id)
            ),
            None,
        )

    def of_user(self, user_id: str) -> list[Generation]:
        return [g for g in self._running.values() if g.user_id == user_id]

    def in_chat(self, user_id: str, chat_id: str) -> list[str]:
        """The ids of the answers being written into a chat."""
        return [m for m, g in self._running.items() if (g.user_id, g.chat_id) == (user_id, chat_id)]

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
        # Generations cancelled before their first step are ended by a task of their own,
        # which only saves: it is waited for, not cancelled.
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class Placing:
    """A turn being stored. A deletion of its chat meanwhile (or of all its user's chats)
    marks it: the deletion's cancel came before there was a generation to cancel."""

    __slots__ = ("abandoned", "chat_id", "user_id")

    def __init__(self, user_id: str, chat_id: str | None):
        self.user_id = user_id
        self.chat_id = chat_id  # None for a new chat
        self.abandoned = False


class ChatLocks:
    """One turn at a time being placed in a chat: the check that no answer is being written
    there and the listing of the new answer hold together, with the database write between
    them, so two questions sent at once cannot both pass the check."""

    def __init__(self) -> None:
        # (user, chat) -> its lock and how many hold it or wait for it.
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, user_id: str, chat_id: str | None) -> AsyncIterator[None]:
        if chat_id is None:  # a new chat: no one else can place a turn in it yet
            yield
            return
        key = (user_id, chat_id)
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Expiring:
    """Values kept for ``ttl`` seconds, at most ``limit`` of them (the oldest go first)."""

    def __init__(self, ttl: float = 60.0, limit: int = 1000) -> None:
        self.ttl = ttl
        self.limit = limit
        self._items: dict[Any, tuple[float, Any]] = {}

    def put(self, key: Any, value: Any = True) -> None:
        now = time.monotonic()
        self._items = {k: v for k, v in self._items.items() if v[0] > now}
        while len(self._items) >= self.limit:
            del self._items[next(iter(self._items))]
        self._items[key] = (now + self.ttl, value)

    def get(self, key: Any) -> Any:
        until, value = self._items.get(key, (0.0, None))
        return value if until > time.monotonic() else None

    def pop(self, key: Any) -> Any:
        value = self.get(key)
        self._items.pop(key, None)
        return value
