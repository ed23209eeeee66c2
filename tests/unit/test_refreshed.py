"""The shared in-memory copy of a small table: one read at a time, never a stall on expiry."""

from __future__ import annotations

import asyncio
import logging

import pytest

from jupyter_chat_ext.core.refreshed import Refreshed
from tests.support.waiting import until


class Table:
    """A stand-in for a database read: counts reads, and each waits until released."""

    def __init__(self) -> None:
        self.value = "v1"
        self.reads = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = False

    async def load(self) -> str:
        self.reads += 1
        value = self.value
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("database gone")
        return value


@pytest.mark.asyncio
async def test_concurrent_first_reads_share_one_read():
    table = Table()
    table.gate.clear()
    copy = Refreshed(table.load, ttl=60, name="t")
    waiting = [asyncio.ensure_future(copy.get()) for _ in range(50)]
    await until(lambda: table.reads == 1)
    table.gate.set()
    assert await asyncio.gather(*waiting) == ["v1"] * 50
    assert table.reads == 1


@pytest.mark.asyncio
async def test_an_expired_copy_is_served_while_one_read_runs_in_the_background():
    table = Table()
    copy = Refreshed(table.load, ttl=0.05, name="t")
    assert await copy.get() == "v1"
    table.value = "v2"
    table.gate.clear()
    await asyncio.sleep(0.06)
    # Fifty requests at expiry: none waits, one read starts.
    assert await asyncio.gather(*(copy.get() for _ in range(50))) == ["v1"] * 50
    assert table.reads == 2
    table.gate.set()
    await copy.aclose()
    assert await copy.get() == "v2"
    assert table.reads == 2


@pytest.mark.asyncio
async def test_a_change_made_here_is_read_at_once_and_an_older_read_is_not_used():
    table = Table()
    copy = Refreshed(table.load, ttl=60, name="t")
    assert await copy.get() == "v1"
    # A read begun before the change...
    table.gate.clear()
    copy.invalidate()
    before = asyncio.ensure_future(copy.get())
    await until(lambda: table.reads == 2)
    # ...and the change, with another invalidation: the next get must see it.
    table.value = "v2"
    copy.invalidate()
    after = asyncio.ensure_future(copy.get())
    await until(lambda: table.reads == 3)
    table.gate.set()
    assert (await before, await after) == ("v1", "v2")
    assert await copy.get() == "v2"
    assert table.reads == 3


@pytest.mark.asyncio
async def test_a_failed_background_read_keeps_the_copy_and_a_waited_one_raises(caplog):
    table = Table()
    copy = Refreshed(table.load, ttl=0.01, name="things")
    assert await copy.get() == "v1"
    table.fail = True
    await asyncio.sleep(0.02)
    with caplog.at_level(logging.WARNING):
        assert await copy.get() == "v1"
        await copy.aclose()
    assert "re-reading things failed, keeping the last copy" in caplog.text
    assert await copy.get() == "v1"
    copy.invalidate()
    with pytest.raises(RuntimeError, match="database gone"):
        await copy.get()
    table.fail = False
    assert await copy.get() == "v1"


@pytest.mark.asyncio
async def test_a_request_that_goes_away_does_not_cancel_the_shared_read():
    table = Table()
    table.gate.clear()
    copy = Refreshed(table.load, ttl=60, name="t")
    leaving = asyncio.ensure_future(copy.get())
    staying = asyncio.ensure_future(copy.get())
    await until(lambda: table.reads == 1)
    leaving.cancel()
    table.gate.set()
    assert await staying == "v1"
    assert table.reads == 1
