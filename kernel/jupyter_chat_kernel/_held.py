"""Holding an interrupt (Ctrl-C, the kernel's stop button) back while a question is sent.

Until the server's first event names the answer, the kernel has no id to stop it by, and the
server may not list the answer as running yet (it stores the question first, or waits for a
slow connection's model list): an interrupt then found nothing to stop, and the answer was
written to its end. Held, it is raised once the answer has an id; a second one is not held.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class Held:
    asked: bool = False


@contextmanager
def interrupt_held() -> Iterator[Held]:
    """Within the block, a first SIGINT only sets ``asked``; the caller raises it after."""
    held = Held()
    # Only the main thread receives signals, and a handler set outside Python cannot be put
    # back: then nothing is held.
    if threading.current_thread() is not threading.main_thread() or not callable(
        previous := signal.getsignal(signal.SIGINT)
    ):
        yield held
        return

    def hold(signum: int, frame: Any) -> None:
        if held.asked:
            raise KeyboardInterrupt
        held.asked = True

    signal.signal(signal.SIGINT, hold)
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, previous)
