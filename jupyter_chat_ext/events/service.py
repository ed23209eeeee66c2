"""An in-process publish/subscribe hub, keyed by user id."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

from .schemas import Event

log = logging.getLogger(__name__)

Listener = Callable[[str], None]


class EventBus:
    """Delivers each event to the listeners of the one user it belongs to, and no one else.

    Events are serialised once per publish, not once per listener.
    """

    def __init__(self) -> None:
        self._listeners: dict[str, set[Listener]] = defaultdict(set)

    def subscribe(self, user_id: str, listener: Listener) -> Callable[[], None]:
        self._listeners[user_id].add(listener)

        def unsubscribe() -> None:
            listeners = self._listeners.get(user_id)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[user_id]

        return unsubscribe

    def publish(self, user_id: str, event: Event) -> None:
        listeners = self._listeners.get(user_id)
        if not listeners:
            return
        payload = event.model_dump_json()
        for listener in list(listeners):
            try:
                listener(payload)
            except Exception:  # one broken socket must not stop the others
                log.exception("event listener failed")

    def listener_count(self, user_id: str) -> int:
        return len(self._listeners.get(user_id, ()))
