"""`UpstreamThread`: a `FakeUpstream` on its own event loop in a background thread.

For synchronous tests (browser, kernel) that have no event loop of their own to share. Every
switch goes through the server's loop, so nothing races with a request being answered.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .faults import Faults
from .records import Disconnect, RecordedRequest
from .server import FakeUpstream
from .state import Settings

T = TypeVar("T")


class UpstreamThread:
    """`with UpstreamThread(reply="Hi") as up:` takes the same arguments as `FakeUpstream`."""

    def __init__(self, **options: Any) -> None:
        self.server = FakeUpstream(**options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def openai_url(self) -> str:
        return self.server.openai_url

    @property
    def ollama_url(self) -> str:
        return self.server.ollama_url

    def start(self, timeout: float = 10.0) -> UpstreamThread:
        self._thread = threading.Thread(target=self._run, name="fake-upstream", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the fake upstream did not start")
        if self._error is not None:
            raise RuntimeError("the fake upstream failed to start") from self._error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is None or self._stopping is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout)
        self._loop = None

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to the thread that called start()
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        await self.server.start()
        self._ready.set()
        await self._stopping.wait()
        await self.server.stop()

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._loop is None:
            raise RuntimeError("the fake upstream is not running")

        async def run() -> T:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    # -- the same switches and records as FakeUpstream -------------------------------------

    @property
    def settings(self) -> Settings:
        return self.server.settings

    @property
    def faults(self) -> Faults:
        return self.server.faults

    def set_faults(self, faults: Faults | None = None, **switches: Any) -> None:
        self._call(self.server.set_faults, faults, **switches)

    def update_settings(self, **settings: Any) -> None:
        self._call(self.server.update_settings, **settings)

    def reset(self) -> None:
        self._call(self.server.reset)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot: call again to see later requests."""
        return self._call(lambda: list(self.server.requests))

    @property
    def disconnects(self) -> list[Disconnect]:
        return self._call(lambda: list(self.server.disconnects))

    def wait_for_disconnects(self, count: int = 1, within: float = 2.0) -> list[Disconnect]:
        deadline = time.monotonic() + within
        while len(seen := self.disconnects) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(seen)} of {count} disconnects seen")
            time.sleep(0.01)
        return seen

    def __enter__(self) -> UpstreamThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
