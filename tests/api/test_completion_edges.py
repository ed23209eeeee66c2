"""Chat completions at their edges: what a model may write that a database may not hold, an
upstream's odd but valid stream, and a stop or a shutdown that meets an answer's end."""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import asynccontextmanager
from itertools import pairwise

import pytest
from jupyter_server.auth.identity import User

from jupyter_chat_ext.testing.upstream import UpstreamThread, reply_for
from tests.api.completion_calls import complete, connect, started, until_written
from tests.support.raw_server import RawServer
from tests.support.sse import EventCollector


@pytest.fixture
def upstream():
    with UpstreamThread(models=("fake-chat", "fake-chat+delay-chunk-0.05")) as up:
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
        saved = await save(me, chat_id, message_id, *args, final=final, **kwargs)
        if final:
            stored.set()
        return saved

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
    assert chat["messages"][1]["content"] == stopped.content
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


@asynccontextmanager
async def paused_answer(api, jp_fetch, content: str):
    """An answer whose model goes silent for 4 s halfway, once it has begun: (its events, its
    start event). It is read to its end on the way out."""
    model = "fake-chat+pause-mid-4"
    with UpstreamThread(models=(model,), chunks=40) as up:
        await connect(api, up)
        collector = EventCollector()
        body = {"model": model, "content": content}
        request = asyncio.ensure_future(complete(jp_fetch, body, collector=collector))
        try:
            yield collector, await started(collector)
            await request
        finally:
            request.cancel()  # after a failed check: the test's end is this request's


async def test_what_came_before_a_pause_is_stored_while_the_model_is_silent(
    api, jp_fetch, jp_serverapp, monkeypatch
):
    """The answer so far reaches the database within the write interval (half a second) of
    its latest piece, though no piece follows for seconds; and a piece does not cost a write
    of its own."""
    services = await jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app.ready()
    writes = []

    async def counted():
        writes.append(time.monotonic())

    _writes(services, monkeypatch, counted)
    async with paused_answer(api, jp_fetch, "wait for it") as (collector, start):
        began = time.monotonic()
        stored = ""
        while time.monotonic() - began < 3:
            chat = (await api("GET", f"chats/{start['chat_id']}")).json()
            stored = chat["messages"][1]["content"]
            if stored and stored == collector.text():
                break
            await asyncio.sleep(0.05)
        # Stored while the model is still silent: the first half, all the client was sent.
        assert "done" not in collector.names()
        assert stored and stored == collector.text(), (stored, collector.text())
    whole = collector.text()
    assert len(whole) > len(stored) and whole.startswith(stored)
    assert collector.events[-1][1]["status"] == "done"
    # One write an interval at most, however many pieces came in it.
    assert writes and all(later - earlier >= 0.45 for earlier, later in pairwise(writes))


def _writes(services, monkeypatch, progress) -> asyncio.Event:
    """Has ``progress()`` run before each write of an answer in progress; the event is set
    once one such write is done."""
    save = services.chats.save_progress
    written = asyncio.Event()

    async def write(*args, final: bool, **kwargs):
        if not final:
            await progress()
        saved = await save(*args, final=final, **kwargs)
        if not final:
            written.set()
        return saved

    monkeypatch.setattr(services.chats, "save_progress", write)
    return written


async def test_a_stop_during_a_write_in_progress_is_stored_after_it(
    api, jp_fetch, jp_serverapp, monkeypatch
):
    services = await jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app.ready()
    writing = asyncio.Event()

    async def slowly():
        writing.set()
        await asyncio.sleep(0.5)

    written = _writes(services, monkeypatch, slowly)
    async with paused_answer(api, jp_fetch, "stop me") as (collector, start):
        await asyncio.wait_for(writing.wait(), 3)
        r = await api("POST", f"chat/completions/{start['message_id']}/stop")
        assert r.status == 200 and r.json()["status"] == "stopped"
    await asyncio.wait_for(written.wait(), 3)
    answer = (await api("GET", f"chats/{start['chat_id']}")).json()["messages"][1]
    assert (answer["meta"]["status"], answer["content"]) == ("stopped", collector.text())


async def test_a_write_in_progress_that_fails_ends_the_answer_with_its_error(
    api, jp_fetch, jp_serverapp, monkeypatch
):
    services = await jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app.ready()

    async def failing():
        raise RuntimeError("the disk is full")

    _writes(services, monkeypatch, failing)
    model = "fake-chat+delay-chunk-0.05"
    with UpstreamThread(models=(model,), chunks=40) as up:
        await connect(api, up)
        _, events = await complete(jp_fetch, {"model": model, "content": "fill it"})
    name, data = events[-1]
    assert name == "error" and "the disk is full" in data["message"], events[-1]
    answer = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()["messages"][1]
    assert answer["meta"]["status"] == "error" and answer["content"] == data["content"] != ""


async def test_questions_sent_at_once_into_a_chat_wait_for_each_other(api, jp_fetch, upstream):
    await connect(api, upstream)
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": "first"})
    chat_id = events[0][1]["chat_id"]
    await until_written(events[0][1]["message_id"])
    upstream.update_settings(chunks=20)
    body = {"model": "fake-chat+delay-chunk-0.05", "chat_id": chat_id}
    # Two tabs (or a tab and a notebook) sending at the same moment: the one placed first is
    # answered, the other is told to wait rather than asked without the first's answer.
    answers = await asyncio.gather(
        *(complete(jp_fetch, {**body, "content": f"question {i}"}) for i in range(4))
    )
    assert sorted(r.code for r, _ in answers) == [200, 409, 409, 409]
    stored = (await api("GET", f"chats/{chat_id}")).json()["messages"]
    assert [m["role"] for m in stored] == ["user", "assistant", "user", "assistant"]
    assert stored[3]["meta"]["status"] == "done" and stored[3]["content"]


async def test_a_copy_made_while_an_answer_is_written_holds_it_as_stopped(api, jp_fetch, upstream):
    await connect(api, upstream)
    upstream.update_settings(chunks=40)
    collector = EventCollector()
    body = {"model": "fake-chat+delay-chunk-0.05", "content": "copy me"}
    request = asyncio.ensure_future(complete(jp_fetch, body, collector=collector))
    start = await started(collector)
    chat_id = start["chat_id"]
    await asyncio.sleep(0.8)  # what came is written at least every half second
    clone = (await api("POST", f"chats/{chat_id}/clone", {})).json()
    exported = (await api("GET", f"chats/{chat_id}/export")).json()
    imported = (await api("POST", "chats/import", exported)).json()
    await request
    final = "".join(d["text"] for n, d in collector.events if n == "delta")
    # No task writes the copies: they keep what was written when they were made, ended.
    for copy in (clone, *imported["items"]):
        answer = (await api("GET", f"chats/{copy['id']}")).json()["messages"][1]
        assert answer["meta"]["status"] == "stopped", answer["meta"]
        assert (
            answer["content"] and final.startswith(answer["content"]) and answer["content"] != final
        )
        r = await api("POST", f"chat/completions/{answer['id']}/stop")
        assert r.status == 200 and r.json()["status"] == "stopped", r
    original = (await api("GET", f"chats/{chat_id}")).json()["messages"][1]
    assert original["meta"]["status"] == "done"


async def test_usage_an_upstream_leaves_null_is_counted_as_unknown(api, jp_fetch):
    """Some servers send a count of tokens as null: the answer is still an answer."""
    usage = {"prompt_tokens": 3, "completion_tokens": None, "total_tokens": None}
    choice = {"index": 0, "delta": {"content": "Hello"}, "finish_reason": "stop"}
    stream = (
        b"data: " + json.dumps({"choices": [choice]}).encode() + b"\n\n"
        b"data: " + json.dumps({"choices": [], "usage": usage}).encode() + b"\n\n"
        b"data: [DONE]\n\n"
    )
    bodies = {
        "/v1/models": json.dumps({"data": [{"id": "raw"}]}).encode(),
        "/v1/chat/completions": stream,
    }
    types = {"/v1/chat/completions": "text/event-stream"}
    counted = {"prompt_tokens": 3, "completion_tokens": 0, "total_tokens": 3}
    async with RawServer(bodies, content_types=types) as raw:
        body = {"kind": "openai", "base_url": raw.url + "/v1"}
        assert (await api.as_("admin")("POST", "connections", body)).status == 201
        _, events = await complete(jp_fetch, {"model": "raw", "content": "hi"})
        assert events[-1] == ("done", {"status": "done", "finish_reason": "stop", "usage": counted})
        r, _ = await complete(jp_fetch, {"model": "raw", "content": "hi", "stream": False})
        assert r.code == 200, r.body
        answer = json.loads(r.body)
        assert (answer["status"], answer["content"], answer["usage"]) == ("done", "Hello", counted)
    chat = (await api("GET", f"chats/{answer['chat_id']}")).json()
    assert chat["messages"][1]["meta"]["usage"] == counted


@pytest.mark.parametrize("failures", [1, 2])
async def test_a_last_write_that_fails_is_tried_again_then_told_as_an_error(
    api, jp_fetch, jp_serverapp, upstream, monkeypatch, failures
):
    """Its clients were told "done" and the answer stayed "streaming" until the next start.
    A write that fails once is tried again; one that fails again ends the answer as an error,
    stored as such if the database takes it."""
    await connect(api, upstream)
    services = await jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app.ready()
    save = services.chats.save_progress
    failed = []

    async def failing(me, chat_id, message_id, content, meta, *, final: bool):
        if final and meta["status"] == "done" and len(failed) < failures:
            failed.append(meta)
            raise RuntimeError("database is locked")
        return await save(me, chat_id, message_id, content, meta, final=final)

    monkeypatch.setattr(services.chats, "save_progress", failing)
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": "keep me"})
    await until_written(events[0][1]["message_id"])
    assert len(failed) == failures
    answer = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()["messages"][1]
    assert answer["content"] == "".join(d["text"] for n, d in events if n == "delta") != ""
    if failures == 1:
        assert events[-1][0] == "done" and answer["meta"]["status"] == "done", events[-1]
    else:
        name, data = events[-1]
        assert name == "error" and "database is locked" in data["message"], events[-1]
        assert answer["meta"]["status"] == "error"
        assert answer["meta"]["error"] == data["message"]
