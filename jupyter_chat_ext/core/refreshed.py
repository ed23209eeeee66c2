"""A small table read by every request, kept in memory and re-read now and then.

Another server may share the database, so the copy is re-read every few seconds; a change made
in this process applies at once. Re-reading must not stall requests: when the copy expires,
requests go on with it while one read runs in the background. Were each request to read for
itself, fifty requests in flight would queue fifty reads on the database's one connection
thread the moment the copy expired, and every one of them would wait for all of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


class Refreshed(Generic[T]):
    """``await get()`` is the last value ``load`` read; at most one read runs at a time.

    After ``invalidate()`` (a change made here), ``get`` waits for a read begun after it. A
    read that fails in the background keeps the previous value; one that a request waits for
    raises to that request.
    """

    def __init__(self, load: Callable[[], Awaitable[T]], ttl: float, name: str):
        self._load = load
        self._ttl = ttl
        self._name = name
        self._value: T | None = None
        self._current = False  # whether _value reflects every change made here
        self._read_at = 0.0
        self._version = 0
        self._task: asyncio.Task[T] | None = None
        self._task_version = -1
        self._reads: set[asyncio.Task[T]] = set()

    def invalidate(self) -> None:
        self._version += 1
        self._current = False

    async def get(self) -> T:
        if self._current:
            if time.monotonic() - self._read_at > self._ttl and self._task is None:
                self._start()
            return self._value  # type: ignore[return-value]
        if self._task is None or self._task_version != self._version:
            self._start()
        assert self._task is not None
        # Shielded: a request that goes away does not cancel the read others wait for.
        return await asyncio.shield(self._task)

    async def aclose(self) -> None:
        """Let the reads in progress finish, before the database they read closes."""
        await asyncio.gather(*self._reads, return_exceptions=True)

    def _start(self) -> None:
        version = self._version
        task = asyncio.create_task(self._read(version), name=f"chat-ext re-read {self._name}")
        self._task, self._task_version = task, version
        self._reads.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[T]) -> None:
        self._reads.discard(task)
        if not task.cancelled():
            task.exception()  # a background read's failure is logged, not left unretrieved

    async def _read(self, version: int) -> T:
        try:
            value = await self._load()
        except Exception as error:
            if self._current:
                log.warning("re-reading %s failed, keeping the last copy: %s", self._name, error)
            raise
        finally:
            if self._task is asyncio.current_task():
                self._task = None
        if version == self._version:
            self._value, self._read_at, self._current = value, time.monotonic(), True
        return value
