"""Start-up objects leave the garbage collector's full passes once the server is up."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from jupyter_chat_ext.core import gc_freeze


@pytest.fixture
def freezes(monkeypatch):
    # Recorded instead of done: freezing would pin this test process's objects for good.
    calls: list[int] = []
    monkeypatch.setattr(gc_freeze, "freeze_startup_objects", lambda: calls.append(1))
    return calls


async def settle(calls: list[int]) -> None:
    for _ in range(25):
        if calls:
            return
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("chat_ext_config", [{"gc_freeze_delay": 0.0}])
async def test_start_up_objects_are_frozen_once_the_server_is_up(freezes, api, chat_ext_config):
    assert (await api("GET", "users/me")).status == 200
    await settle(freezes)
    assert freezes == [1]


@pytest.mark.parametrize("chat_ext_config", [{"gc_freeze_delay": -1.0}])
async def test_a_negative_delay_leaves_the_collector_alone(freezes, api, chat_ext_config):
    assert (await api("GET", "users/me")).status == 200
    await settle(freezes)
    assert freezes == []


def test_frozen_objects_stay_and_later_cycles_are_still_collected():
    script = """
import gc
from jupyter_chat_ext.core.gc_freeze import freeze_startup_objects

class Node:
    pass

kept = [Node() for _ in range(1000)]
freeze_startup_objects()
assert gc.get_freeze_count() >= 1000, gc.get_freeze_count()
gc.collect()
gc.disable()  # only the explicit collection below runs
before = len(gc.get_objects())
for _ in range(1000):
    a, b = Node(), Node()
    a.other, b.other = b, a
del a, b
assert gc.collect() >= 2000
assert len(gc.get_objects()) <= before + 10
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
