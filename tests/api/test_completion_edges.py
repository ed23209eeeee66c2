"""Chat completions at their edges: what a model may write that a database may not hold, an
upstream's odd but valid stream, and a stop or a shutdown that meets an answer's end."""

from __future__ import annotations

import asyncio
import json

import pytest
from jupyter_server.auth.identity import User

from jupyter_chat_ext.testing.upstream import UpstreamThread, reply_for
from tests.api.completion_calls import complete, connect, until_written
from tests.support.raw_server import RawServer


@pytest.fixture
def upstream():
    with UpstreamThread(models=("fake-chat",)) as up:
        yield up


async def test_a_nul_from_the_model_is_stored_as_a_replacement_character(api, jp_fetch, upstream):
    # PostgreSQL's text cannot hold a NUL: the answer was lost, and it stayed "streaming".
    await connect(api, upstream)
    upstream.update_settings(reply="odd \x00 byte")
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": "hi"})
    assert events[-1][1]["status"] == "done", events[-1]
    answer = "".join(d["text"] for n, d in events if n == "delta")
    assert answer == "You said: hi odd \ufffd byte"
    chat_id = events[0][1]["chat_id"]
    for _ in range(50):
        chat = (await api("GET", f"chats/{chat_id}")).json()
        if chat["title"] != "New Chat":
            break
        await asyncio.sleep(0.1)
    assert (chat["messages"][1]["content"], chat["messages"][1]["meta"]["status"]) == (
        answer,
        "done",
    )
    assert chat["title"] != "New Chat"


def meeting_the_end(monkeypatch, services, act):
    """Makes ``act(message_id)`` come as an answer that is complete is being stored (a stop or
    a shutdown a moment too late); returns (``act``'s futures, set once that write is done)."""
    save = services.chats.save_progress
    acts: list[asyncio.Future] = []
    stored = asyncio.Event()

    async def final_save_met(me, chat_id, message_id, *args, final: bool, **kwargs):
        if final and not acts:
            acts.append(asyncio.ensure_future(act(message_id)))
            await asyncio.sleep(0)  # it takes its first step while the write is under way
        await save(me, chat_id, message_id, *args, final=final, **kwargs)
        if final:
            stored.set()

    monkeypatch.setattr(services.chats, "save_progress", final_save_met)
    return acts, stored


async def test_a_stop_as_the_answer_ends_waits_for_it_to_be_stored(
    api, jp_fetch, jp_serverapp, upstream, monkeypatch
):
    await connect(api, upstream)
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    services = await ext.ready()
    me = await services.users.identify(User(username="alice"))
    stops, stored = meeting_the_end(
        monkeypatch, services, lambda message_id: services.completions.stop(me, message_id)
    )
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": "hello"})
    stopped = await asyncio.wait_for(stops[0], 5)
    assert stored.is_set() and stopped.status == "done"
    await until_written(events[0][1]["message_id"])
    chat = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()
    assert chat["messages"][1]["meta"]["status"] == "done"
    assert chat["messages"][1]["content"] == stopped.text
    assert chat["title"] == "Hello"  # the chat is named as if no stop had come


async def test_closing_the_server_as_an_answer_ends_waits_for_it_to_be_stored(
    api, jp_fetch, jp_serverapp, upstream, monkeypatch
):
    await connect(api, upstream)
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    services = await ext.ready()
    closing, stored = meeting_the_end(
        monkeypatch, services, lambda _: services.completions.running.stop_all()
    )
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": "hello"})
    await asyncio.wait_for(closing[0], 5)
    assert stored.is_set()  # before the database closes
    chat = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()
    assert chat["messages"][1]["meta"]["status"] == "done"


async def test_a_stream_whose_chunks_all_say_error_null_is_an_answer(api, jp_fetch):
    def chunk(delta: dict, finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return b"data: " + json.dumps({"choices": [choice], "error": None}).encode() + b"\n\n"

    stream = chunk({"content": "Hel"}) + chunk({"content": "lo"}) + chunk({}, "stop")
    bodies = {
        "/v1/models": json.dumps({"data": [{"id": "raw"}]}).encode(),
        "/v1/chat/completions": stream + b"data: [DONE]\n\n",
    }
    types = {"/v1/chat/completions": "text/event-stream"}
    async with RawServer(bodies, content_types=types) as raw:
        body = {"kind": "openai", "base_url": raw.url + "/v1"}
        assert (await api.as_("admin")("POST", "connections", body)).status == 201
        _, events = await complete(jp_fetch, {"model": "raw", "content": "hi"})
    assert events[-1] == ("done", {"status": "done", "finish_reason": "stop", "usage": None})
    chat = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()
    assert chat["messages"][1]["content"] == "Hello"


async def test_events_in_any_shape_the_standard_allows_make_the_answer(api, jp_fetch):
    """JSON over several data lines, an empty data line, comments, ids, events without data,
    CR and CRLF line ends: server-sent events as the standard reads them."""
    with UpstreamThread(models=("fake-chat+spread-sse",), chunks=12) as up:
        await connect(api, up)
        _, events = await complete(
            jp_fetch, {"model": "fake-chat+spread-sse", "content": "spread me"}
        )
    assert events[-1][0] == "done" and events[-1][1]["status"] == "done", events[-1]
    assert events[-1][1]["usage"]["completion_tokens"] > 0
    deltas = [d["text"] for n, d in events if n == "delta"]
    assert len(deltas) > 1 and "".join(deltas) == reply_for(
        [{"role": "user", "content": "spread me"}]
    )
    chat = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()
    assert chat["messages"][1]["content"] == "".join(deltas)
