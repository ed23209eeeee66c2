from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import ws_authenticated
from tornado.websocket import WebSocketClosedError

from ..core.handlers import WsHandler
from .schemas import Event

if TYPE_CHECKING:
    from .service import EventBus


class EventsHandler(WsHandler):
    """The user's chat changes, as they happen. Server-to-client only."""

    auth_resource = "chat-ext:events"
    message_model = Event
    _unsubscribe: Callable[[], None] | None = None

    uses = ("bus",)
    bus: EventBus

    @ws_authenticated
    async def get(self, *args, **kwargs):
        await self.authorize("read")
        return await super().get(*args, **kwargs)

    def open(self, *args, **kwargs) -> None:
        super().open(*args, **kwargs)
        self._unsubscribe = self.bus.subscribe(self.identity.id, self._send)

    def _send(self, payload: str) -> None:
        try:
            self.write_message(payload)
        except WebSocketClosedError:
            self.on_close()

    def on_message(self, message: str | bytes) -> None:
        """Clients have nothing to say on this socket; pings are handled by the mixin."""

    def on_close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


routes = [(r"/events", EventsHandler)]
