"""A chat deleted while a question sent into it is being stored, or while its new chat is
named: nothing goes on writing into it, or asking the model for it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.util import await_only

from jupyter_chat_ext.chats import store as chat_store
from jupyter_chat_ext.testing.upstream import UpstreamThread
from tests.api.completion_calls import complete, connect, until_written

SLOW = "fake-chat+delay-chunk-0.05"


@pytest.fixture
def upstream():
    with UpstreamThread(models=("fake-chat", SLOW, "fake-chat+hang")) as up:
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


async def test_a_chat_deleted_as_its_turn_is_written_is_a_404_or_a_stop_never_a_500(
    api, jp_fetch, jp_serverapp, upstream, monkeypatch
):
    # Read before it was written, a chat deleted in between failed the turn's inserts on
    # their foreign key: a 500. Now the deletion waits for the turn, or goes first.
    await connect(api, upstream)
    services = await _services(jp_serverapp)
    chat_id = await _first_chat(api, jp_fetch)
    loop = asyncio.get_running_loop()
    deletions: list[asyncio.Future] = []
    write_turn = chat_store.write_turn

    async def delete_meanwhile():
        deletions.append(asyncio.ensure_future(api("DELETE", f"chats/{chat_id}")))
        # The deletion may wait for the turn's transaction, which waits here: not for long.
        await asyncio.wait([deletions[0]], timeout=1)

    def deleted_in_between(session, chat, new_chat, place, at):
        if not deletions:
            try:
                asyncio.get_running_loop()
            except RuntimeError:  # SQLite: the writer's own thread
                asyncio.run_coroutine_threadsafe(delete_meanwhile(), loop).result(5)
            else:  # PostgreSQL: the loop's thread, inside the session's greenlet
                await_only(delete_meanwhile())
        return write_turn(session, chat, new_chat, place, at)

    monkeypatch.setattr(chat_store, "write_turn", deleted_in_between)
    upstream.update_settings(chunks=40)
    upstream.reset()
    r, events = await complete(jp_fetch, {"model": SLOW, "chat_id": chat_id, "content": "raced"})
    assert r.code in (200, 404), (r.code, r.body[:300])
    if r.code == 200:  # the turn went first: its answer is stopped by the deletion
        assert events[-1] == ("done", {**events[-1][1], "status": "stopped"}), events[-1]
        upstream.wait_for_disconnects(1, within=2.0)
    assert (await asyncio.wait_for(deletions[0], 10)).status == 204
    await _nothing_left(api, services, upstream, chat_id)


@pytest.mark.parametrize("chat_ext_config", [{"task_model": "fake-chat+hang"}])
async def test_deleting_a_chat_while_it_is_named_stops_the_naming(
    api, jp_fetch, upstream, chat_ext_config
):
    # The answer had ended, so the deletion found nothing running; the title was still asked
    # of the model, until it answered, for a chat that was gone.
    await connect(api, upstream)
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": "name me later"})
    start = events[0][1]
    assert events[-1][0] == "done"
    for _ in range(100):  # until the title is being asked for
        if any("Title:" in str(r.body) for r in _asked(upstream)):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("no title was asked for")
    assert (await api("DELETE", f"chats/{start['chat_id']}")).status == 204
    upstream.wait_for_disconnects(1, within=2.0)
    await until_written(start["message_id"])
