"""What every handler is given: the services, once they exist. Light on imports, since the
extension creates it while the server starts."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from tornado import web

if TYPE_CHECKING:
    from .identity import Identity


class HandlerContext:
    """What every handler needs: the services, which are built once the server is up (their
    imports and the database check stay off the start-up path); a request that comes sooner
    waits for them."""

    def __init__(self, max_body_size: int, hub_owner: str | None = None):
        self.max_body_size = max_body_size
        # The JupyterHub user whose server this is, when it is one.
        self.hub_owner = hub_owner
        self._services: Any = None
        self._failure: str | None = None
        self._settled = asyncio.Event()

    def provide(self, services: Any) -> None:
        self._services = services
        self._settled.set()

    def fail(self, reason: str) -> None:
        self._failure = reason
        self._settled.set()

    async def services(self) -> Any:
        if self._services is None:
            await self._settled.wait()
            if self._failure is not None:
                raise web.HTTPError(503, "jupyter-chat-ext could not start: %s", self._failure)
        return self._services

    async def identify(self, user: Any) -> Identity:
        return await (await self.services()).users.identify(user)
