"""Waiting in async tests for something other tasks make true, a bounded number of steps."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], steps: int = 100) -> None:
    """Let other tasks run until ``condition()`` holds; fail after ``steps`` loop turns."""
    for _ in range(steps):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")
