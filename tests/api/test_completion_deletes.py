"""A chat deleted while a question sent into it is being stored: nothing goes on writing
into it, or asking the model for it."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_chat_ext.testing.upstream import UpstreamThread
from tests.api.completion_calls import complete, connect, until_written

SLOW = "fake-chat+delay-chunk-0.05"


@pytest.fixture
def upstream():
    with UpstreamThread(models=("fake-chat", SLOW)) as up:
        yield up


async def _services(jp_serverapp):
    return await jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app.ready()


def _asked(upstream) -> list:
    return [r for r in upstream.requests if r.path.endswith("/chat/completions")]


async def _first_chat(api, jp_fetch) -> str:
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": "first"})
    await until_written(events[0][1]["message_id"])
    return events[0][1]["chat_id"]


async def _nothing_left(api, services, upstream, chat_id: str) -> None:
    assert (await api("GET", f"chats/{chat_id}")).status == 404
    assert await services.chats.store.messages(chat_id) == []
    assert (await api("GET", "chat/completions")).json()["items"] == []
    running = [t for t in asyncio.all_tasks() if t.get_name().startswith("chat-ext generation")]
    assert running == []


@pytest.mark.parametrize("new_chat", [False, True])
async def test_a_chat_deleted_as_its_turn_is_stored_is_not_answered(
    api, jp_fetch, jp_serverapp, upstream, monkeypatch, new_chat
):
    # The deletion's cancel came before the answer's task existed: that task then ran to its
    # end, writing into a chat that was gone and costing the upstream's tokens.
    await connect(api, upstream)
    services = await _services(jp_serverapp)
    body = {"model": SLOW, "content": "doomed"}
    if not new_chat:
        body["chat_id"] = await _first_chat(api, jp_fetch)
    add_turn = services.chats.add_turn
    stored, go = asyncio.Event(), asyncio.Event()
    turns = []

    async def held(*args, **kwargs):
        turns.append(await add_turn(*args, **kwargs))
        stored.set()
        await go.wait()  # the deletion comes here, between the turn and its answer
        return turns[-1]

    monkeypatch.setattr(services.chats, "add_turn", held)
    upstream.reset()
    request = asyncio.ensure_future(complete(jp_fetch, body))
    await asyncio.wait_for(stored.wait(), 5)
    chat_id = turns[0].chat.id
    assert (await api("DELETE", f"chats/{chat_id}")).status == 204
    go.set()
    r, events = await asyncio.wait_for(request, 10)
    assert r.code == 404, (r.code, events)
    assert _asked(upstream) == []
    await _nothing_left(api, services, upstream, chat_id)
