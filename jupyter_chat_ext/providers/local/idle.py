"""When a local model's weights leave memory: a set time after their last use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class IdleTimer:
    """Calls ``expire`` ``seconds`` after the last ``restart``; ``stop`` holds it off (while
    the model is in use)."""

    def __init__(self, seconds: float, expire: Callable[[], None]):
        self.seconds = seconds
        self._expire = expire
        self._handle: asyncio.TimerHandle | None = None

    @property
    def running(self) -> bool:
        return self._handle is not None

    def restart(self) -> None:
        self.stop()
        self._handle = asyncio.get_running_loop().call_later(self.seconds, self._fire)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def left(self) -> float:
        """Seconds until it expires: the whole time while it is held off."""
        if self._handle is None:
            return self.seconds
        return max(0.0, self._handle.when() - asyncio.get_running_loop().time())

    def _fire(self) -> None:
        self._handle = None
        self._expire()


def weights_size(model: Any) -> int:
    """Bytes of a torch model's parameters, as Ollama's ``ps`` reports a model's size."""
    return sum(p.numel() * p.element_size() for p in model.parameters())
