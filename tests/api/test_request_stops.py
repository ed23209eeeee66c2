"""An answer stopped by its request's own name (request_id): for a caller that gave up before
the answer's id came back, such as a kernel interrupted while its question was being sent."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_chat_ext.testing.upstream import UpstreamThread
from tests.api.completion_calls import complete, connect, started, until_written
from tests.support.sse import EventCollector

SLOW = "fake-chat+delay-chunk-0.05"


@pytest.fixture
def upstream():
    with UpstreamThread(models=("fake-chat", SLOW)) as up:
        up.update_settings(chunks=100)
        yield up


async def test_a_running_answer_is_stopped_by_its_request_id_and_no_other(api, jp_fetch, upstream):
    await connect(api, upstream)
    collectors = {name: EventCollector() for name in ("mine", "other")}
    requests = [
        asyncio.ensure_future(
            complete(
                jp_fetch,
                {"model": SLOW, "content": name, "request_id": f"req-{name}"},
                collector=collector,
            )
        )
        for name, collector in collectors.items()
    ]
    mine, other = [await started(c) for c in collectors.values()]
    running = (await api("GET", "chat/completions")).json()["items"]
    assert {(r["message_id"], r["request_id"]) for r in running} == {
        (mine["message_id"], "req-mine"),
        (other["message_id"], "req-other"),
    }
    # Another user's stop of the same name stops nothing of alice's.
    bobs = await api.as_("bob")("POST", "chat/completions/requests/req-mine/stop")
    assert bobs.status == 200 and bobs.json() == {"result": None}

    r = await api("POST", "chat/completions/requests/req-mine/stop")
    assert r.status == 200, r
    result = r.json()["result"]
    assert (result["message_id"], result["status"]) == (mine["message_id"], "stopped")
    await requests[0]
    assert collectors["mine"].events[-1][1]["status"] == "stopped"
    running = (await api("GET", "chat/completions")).json()["items"]
    assert [r["message_id"] for r in running] == [other["message_id"]]
    assert (await api("POST", f"chat/completions/{other['message_id']}/stop")).status == 200
    await requests[1]


async def test_a_stop_asked_before_the_answer_began_stops_it_as_it_begins(api, jp_fetch, upstream):
    await connect(api, upstream)
    r = await api("POST", "chat/completions/requests/early-1/stop")
    assert r.status == 200 and r.json() == {"result": None}

    body = {"model": SLOW, "content": "asked, then given up on", "request_id": "early-1"}
    response, events = await complete(jp_fetch, body)
    assert response.code == 200
    start, done = events[0][1], events[-1]
    assert done[0] == "done" and done[1]["status"] == "stopped"
    assert "delta" not in [name for name, _ in events]
    await until_written(start["message_id"])
    question, answer = (await api("GET", f"chats/{start['chat_id']}")).json()["messages"]
    # The question stays: nothing typed is lost.
    assert question["content"] == "asked, then given up on"
    assert (answer["content"], answer["meta"]["status"]) == ("", "stopped")
    assert not [r for r in upstream.requests if r.path.endswith("/chat/completions")]

    # The stop is used up: the same name again is answered.
    upstream.update_settings(chunks=4)
    again = {**body, "model": "fake-chat", "chat_id": start["chat_id"]}
    _, events = await complete(jp_fetch, again)
    assert events[-1][1]["status"] == "done"
    # A stop that comes just after the answer ended is told how it ended.
    await until_written(events[0][1]["message_id"])
    r = await api("POST", "chat/completions/requests/early-1/stop")
    result = r.json()["result"]
    assert (result["message_id"], result["status"]) == (events[0][1]["message_id"], "done")
    assert result["content"] == "You said: asked, then given up on"


async def test_a_request_id_that_could_not_be_given_is_refused(api, jp_fetch, upstream):
    await connect(api, upstream)
    r = await api("POST", "chat/completions/requests/" + "x" * 65 + "/stop")
    assert r.status == 422 and "'request_id'" in r.json()["message"], r
    body = {"model": "fake-chat", "content": "hi", "request_id": "has space"}
    response, _ = await complete(jp_fetch, body)
    assert response.code == 422 and b"request_id" in response.body
    assert (await api("GET", "chats")).json()["items"] == []
