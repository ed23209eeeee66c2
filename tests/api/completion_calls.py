"""Calls the completion tests share: a connection to a fake upstream, and one answer asked
for and read to its end (or followed as it streams)."""

from __future__ import annotations

import asyncio
import json

from tests.support.identity import header
from tests.support.sse import EventCollector, parse_events


async def connect(api, up) -> None:
    r = await api.as_("admin")("POST", "connections", {"kind": "openai", "base_url": up.openai_url})
    assert r.status == 201, r


async def complete(jp_fetch, body, user="alice", collector=None, request_timeout=30):
    kwargs = {"streaming_callback": collector} if collector else {}
    r = await jp_fetch(
        "chat-ext",
        "api",
        "chat",
        "completions",
        method="POST",
        body=json.dumps(body),
        headers=header(user),
        raise_error=False,
        request_timeout=request_timeout,
        **kwargs,
    )
    if (
        collector is None
        and r.body
        and r.headers.get("Content-Type", "").startswith("text/event-stream")
    ):
        return r, parse_events(r.body.decode())
    return r, (collector.events if collector else None)


async def started(collector: EventCollector) -> dict:
    """The start event of an answer followed by ``collector``, once its first delta came."""
    for _ in range(200):
        if "delta" in collector.names():
            return collector.events[0][1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no delta came: {collector.events}")


async def until_written(message_id: str) -> None:
    """Until the task writing an answer ends (with the title it gives a new chat)."""
    name = f"chat-ext generation {message_id}"
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == name]
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
