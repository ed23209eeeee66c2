"""Chat completions: stored before and while they stream, deltas only, server-side tasks."""

from __future__ import annotations

import asyncio
import json

import pytest
from jupyter_server.auth.identity import User

from jupyter_chat_ext.completions import handlers
from jupyter_chat_ext.completions.schemas import CompletionRequest
from jupyter_chat_ext.testing.upstream import UpstreamThread
from tests.api.completion_calls import complete, connect, started, until_written
from tests.support.identity import header
from tests.support.sse import EventCollector

MODELS = (
    "fake-chat",
    "fake-chat+delay-chunk-0.05",
    "fake-chat+delay-first-0.6",
    "fake-chat+cut",
    "fake-chat+error-503",
    "fake-chat+garbage",
    "fake-chat+hang",
)


@pytest.fixture
def upstream():
    # In a thread of its own, so that a sync fixture can serve the async tests.
    with UpstreamThread(models=MODELS) as up:
        yield up


async def test_a_new_chat_streams_deltas_and_stores_everything(api, jp_fetch, upstream):
    await connect(api, upstream)
    r, events = await complete(jp_fetch, {"model": "fake-chat", "content": "hello there"})
    assert r.code == 200
    names = [n for n, _ in events]
    assert names[0] == "start" and names[-1] == "done" and "usage" in names
    deltas = [d["text"] for n, d in events if n == "delta"]
    assert len(deltas) > 1, "streamed in pieces"
    start = events[0][1]
    answer = "".join(deltas)
    assert answer.startswith("You said: hello there")
    assert events[-1][1]["status"] == "done"

    chat = (await api("GET", f"chats/{start['chat_id']}")).json()
    user, assistant = chat["messages"]
    assert (user["id"], user["role"], user["content"]) == (
        start["user_message_id"],
        "user",
        "hello there",
    )
    assert (assistant["id"], assistant["content"], assistant["model"]) == (
        start["message_id"],
        answer,
        "fake-chat",
    )
    assert assistant["meta"]["status"] == "done"
    assert assistant["meta"]["usage"]["completion_tokens"] > 0
    assert assistant["meta"]["duration_ms"] >= assistant["meta"]["ttft_ms"] >= 0

    # the chat got a title from the model, in the background
    for _ in range(50):
        title = (await api("GET", f"chats/{start['chat_id']}")).json()["title"]
        if title != "New Chat":
            break
        await asyncio.sleep(0.1)
    assert title == "Hello there"  # the fake model names a chat by its question's first words

    # nothing of the user's Jupyter credentials went upstream
    for request in upstream.requests:
        assert "cookie" not in request.headers
        assert "alice-token" not in json.dumps(request.headers)


async def test_the_conversation_continues_with_its_context(api, jp_fetch, upstream):
    await connect(api, upstream)
    _, events = await complete(
        jp_fetch,
        {"model": "fake-chat", "content": "first", "params": {"temperature": 0.2, "seed": 7}},
    )
    chat_id = events[0][1]["chat_id"]
    source = {"kind": "cell", "path": "analysis.ipynb", "cell": 3}
    _, events = await complete(
        jp_fetch,
        {
            "model": "fake-chat",
            "chat_id": chat_id,
            "content": "second",
            "system": "Be brief.",
            "meta": {"source": source},
        },
    )
    sent = asked(upstream)
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[-1] == {"role": "user", "content": "second"}
    stored = (await api("GET", f"chats/{chat_id}")).json()["messages"]
    assert [m["role"] for m in stored] == ["user", "assistant", "user", "assistant"]
    # the user message's meta is stored with it, in the same write
    assert stored[2]["id"] == events[0][1]["user_message_id"]
    assert stored[2]["meta"] == {"source": source}
    first_request = next(r.body for r in upstream.requests if r.path.endswith("/chat/completions"))
    assert (first_request["temperature"], first_request["seed"]) == (0.2, 7)


async def test_regenerate_and_edit_make_siblings(api, jp_fetch, upstream):
    await connect(api, upstream)
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": "question"})
    start = events[0][1]
    _, again = await complete(
        jp_fetch,
        {"model": "fake-chat", "chat_id": start["chat_id"], "regenerate": start["message_id"]},
    )
    chat = (await api("GET", f"chats/{start['chat_id']}")).json()
    assert chat["messages"][1]["id"] == again[0][1]["message_id"]
    assert chat["messages"][1]["sibling_ids"] == [start["message_id"], again[0][1]["message_id"]]
    # an edit replies to the edited message's parent (here: none)
    await complete(
        jp_fetch,
        {
            "model": "fake-chat",
            "chat_id": start["chat_id"],
            "content": "better question",
            "parent_id": None,
        },
    )
    chat = (await api("GET", f"chats/{start['chat_id']}")).json()
    assert chat["messages"][0]["content"] == "better question"
    assert len(chat["messages"][0]["sibling_ids"]) == 2


async def test_non_streaming(api, jp_fetch, upstream):
    await connect(api, upstream)
    r, _ = await complete(jp_fetch, {"model": "fake-chat", "content": "quiet", "stream": False})
    result = json.loads(r.body)
    assert result["status"] == "done" and result["content"].startswith("You said: quiet")
    assert result["usage"]["total_tokens"] > 0


async def test_unknown_model_and_bad_requests_store_nothing(api, jp_fetch, upstream):
    await connect(api, upstream)
    r, _ = await complete(jp_fetch, {"model": "nope", "content": "hi"})
    body = json.loads(r.body)
    assert (
        r.code == 404
        and body["code"] == "model_not_found"
        and "chat-ext/api/models" in body["message"]
    )
    r, _ = await complete(
        jp_fetch, {"model": "fake-chat", "content": "hi", "params": {"temperature": 9}}
    )
    assert r.code == 422 and "temperature" in json.loads(r.body)["message"]
    r, _ = await complete(jp_fetch, {"model": "fake-chat", "content": "hi", "params": {"warp": 1}})
    assert r.code == 422 and "warp" in json.loads(r.body)["message"]
    r, _ = await complete(
        jp_fetch,
        {"model": "fake-chat", "content": "hi", "params": {"options": {"stream_options": 5}}},
    )
    assert r.code == 422 and "'stream_options' cannot be set" in json.loads(r.body)["message"]
    r, _ = await complete(jp_fetch, {"model": "fake-chat"})
    assert r.code == 422 and "exactly one" in json.loads(r.body)["message"]
    r, _ = await complete(
        jp_fetch, {"model": "fake-chat", "chat_id": "c", "regenerate": "m", "meta": {"a": 1}}
    )
    assert r.code == 422 and "'meta'" in json.loads(r.body)["message"]
    r, _ = await complete(jp_fetch, {"model": "fake-chat", "content": "hi", "meta": [1]})
    assert r.code == 422 and "meta" in json.loads(r.body)["message"]
    r, _ = await complete(jp_fetch, {"model": "fake-chat", "content": "hi", "stream": "yes"})
    assert r.code == 422 and "stream" in json.loads(r.body)["message"]
    r, _ = await complete(
        jp_fetch, {"model": "fake-chat", "content": "hi", "chat_id": "someone-elses"}
    )
    assert r.code == 404
    assert (await api("GET", "chats")).json()["items"] == []


async def test_an_ollama_model_is_taken_with_or_without_its_latest_tag(api, jp_fetch):
    """As both compatible APIs take it; the answer says which model wrote it, as listed."""
    with UpstreamThread(models=("llama3.2:latest",)) as up:
        body = {"kind": "ollama", "base_url": up.ollama_url}
        assert (await api.as_("admin")("POST", "connections", body)).status == 201
        models = (await api("GET", "models")).json()["items"]
        assert [m["id"] for m in models] == ["llama3.2:latest"]
        for asked, listed in (("llama3.2", "llama3.2:latest"), ("llama3.2:latest",) * 2):
            r, events = await complete(jp_fetch, {"model": asked, "content": "hi"})
            assert r.code == 200 and events[-1][0] == "done", (asked, r.code, events)
            assert events[0][1]["model"] == listed
            chat = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()
            assert chat["messages"][1]["model"] == listed
            await until_written(events[0][1]["message_id"])
        r, _ = await complete(jp_fetch, {"model": "llama3.2:1b", "content": "hi"})
        assert r.code == 404 and "'llama3.2:1b'" in json.loads(r.body)["message"]


async def test_a_quiet_model_keeps_the_stream_open_with_comments(
    api, jp_fetch, upstream, monkeypatch
):
    """While the model says nothing, the stream sends a comment now and then, which proxies
    count as traffic and readers skip."""
    monkeypatch.setattr(handlers, "KEEP_ALIVE_S", 0.15)
    await connect(api, upstream)
    r, events = await complete(jp_fetch, {"model": "fake-chat+delay-first-0.6", "content": "hm"})
    raw = r.body.decode()
    before = raw.partition("event: delta")[0]
    assert before.count(": keep-alive\n\n") >= 2, raw
    assert [n for n, _ in events][-1] == "done" and events[-1][1]["status"] == "done"
    assert "".join(d["text"] for n, d in events if n == "delta") == "You said: hm"


@pytest.mark.parametrize(
    ("model", "fragment"),
    [
        ("fake-chat+cut", "closed"),
        ("fake-chat+error-503", "503"),
        ("fake-chat+garbage", "malformed"),
        ("fake-chat+hang", "in time"),
    ],
)
async def test_upstream_failures_keep_what_was_said(
    api, jp_fetch, jp_serverapp, upstream, model, fragment
):
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    (await ext.ready()).connections.read_timeout = 1.0
    await connect(api, upstream)
    r, events = await complete(jp_fetch, {"model": model, "content": "will it break"})
    assert r.code == 200
    name, data = events[-1]
    assert name == "error" and fragment in data["message"], events[-1]
    chat = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()
    user, assistant = chat["messages"]
    assert user["content"] == "will it break"
    assert assistant["meta"]["status"] == "error" and fragment in assistant["meta"]["error"]
    partial = "".join(d["text"] for n, d in events if n == "delta")
    assert assistant["content"] == partial


async def test_a_refused_upstream_is_an_error_event(api, jp_fetch, upstream):
    await connect(api, upstream)
    assert (await api("GET", "models")).json()["items"][0]["id"] == "fake-chat"
    upstream.stop()  # the model was listed; now its server is gone
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": "anyone?"})
    assert events[-1][0] == "error" and "connect" in events[-1][1]["message"].lower()


async def test_stop_keeps_the_partial_answer_and_closes_the_upstream(api, jp_fetch, upstream):
    await connect(api, upstream)
    collector = EventCollector()
    upstream.update_settings(chunks=100)
    request = asyncio.ensure_future(
        complete(
            jp_fetch,
            {"model": "fake-chat+delay-chunk-0.05", "content": "go on"},
            collector=collector,
        )
    )
    for _ in range(100):
        if "delta" in collector.names():
            break
        await asyncio.sleep(0.05)
    message_id = collector.events[0][1]["message_id"]
    running = (await api("GET", "chat/completions")).json()["items"]
    assert [g["message_id"] for g in running] == [message_id]
    r = await api("POST", f"chat/completions/{message_id}/stop")
    assert r.status == 200 and r.json()["status"] == "stopped"
    await request
    assert collector.names()[-1] == "done" and collector.events[-1][1]["status"] == "stopped"
    upstream.wait_for_disconnects(1, within=1.0)
    chat = (await api("GET", f"chats/{collector.events[0][1]['chat_id']}")).json()
    assert chat["messages"][1]["meta"]["status"] == "stopped"
    assert chat["messages"][1]["content"] == r.json()["content"] != ""
    # Stopped again (from another tab, say): it is told as it ended.
    again = await api("POST", f"chat/completions/{message_id}/stop")
    assert again.status == 200 and again.json() == r.json()


async def test_stopping_an_answer_that_has_ended_says_how_it_ended(api, jp_fetch, upstream):
    await connect(api, upstream)
    _, done = await complete(jp_fetch, {"model": "fake-chat", "content": "done already"})
    _, failed = await complete(jp_fetch, {"model": "fake-chat+error-503", "content": "fails"})
    answer_id, failed_id = done[0][1]["message_id"], failed[0][1]["message_id"]
    await until_written(answer_id)
    r = await api("POST", f"chat/completions/{answer_id}/stop")
    assert r.status == 200, r
    result = r.json()
    stored = (await api("GET", f"chats/{done[0][1]['chat_id']}")).json()["messages"][1]
    assert (result["status"], result["finish_reason"]) == ("done", "stop")
    assert (result["content"], result["usage"]) == (stored["content"], stored["meta"]["usage"])
    assert result["chat_id"] == done[0][1]["chat_id"] and result["message_id"] == answer_id
    # Nothing changed: the answer is as it was.
    after = (await api("GET", f"chats/{done[0][1]['chat_id']}")).json()["messages"][1]
    assert after == stored

    r = await api("POST", f"chat/completions/{failed_id}/stop")
    assert r.status == 200 and r.json()["status"] == "error"
    assert r.json()["error"] == failed[-1][1]["message"]

    # A question is no answer, and another user's answer looks like one that never was.
    question = await api("POST", f"chat/completions/{done[0][1]['user_message_id']}/stop")
    missing = await api("POST", "chat/completions/no-such-answer/stop")
    bobs = await api.as_("bob")("POST", f"chat/completions/{answer_id}/stop")
    assert (question.status, missing.status, bobs.status) == (404, 404, 404)
    assert bobs.json()["message"] == missing.json()["message"].replace("no-such-answer", answer_id)

    # Stored as begun but written by no task here (another server of the user's writes it).
    elsewhere = await api(
        "POST",
        f"chats/{done[0][1]['chat_id']}/messages",
        {"role": "assistant", "content": "so far", "meta": {"status": "streaming"}},
    )
    r = await api("POST", f"chat/completions/{elsewhere.json()['id']}/stop")
    assert r.status == 409 and "not by this server" in r.json()["message"], r


async def test_another_user_can_neither_see_follow_nor_stop_an_answer_being_written(
    api, jp_fetch, jp_ws_fetch, upstream
):
    await connect(api, upstream)
    bob_tab = await jp_ws_fetch("chat-ext", "api", "events", headers=header("bob"))
    request, _, start = await slow_answer(jp_fetch, upstream, {"content": "mine"}, 100)
    message_id = start["message_id"]
    bob = api.as_("bob")
    assert (await bob("GET", "chat/completions")).json()["items"] == []
    # Bob is told what he would be told of an id that never existed, and the answer goes on.
    missing = await bob("POST", "chat/completions/no-such-answer/stop")
    r = await bob("POST", f"chat/completions/{message_id}/stop")
    assert r.status == 404 and r.json()["message"] == missing.json()["message"].replace(
        "no-such-answer", message_id
    )
    r = await bob("GET", f"chat/completions/{message_id}/stream")
    assert r.status == 404
    running = (await api("GET", "chat/completions")).json()["items"]
    assert [g["message_id"] for g in running] == [message_id]
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(bob_tab.read_message(), 0.3)
    assert (await api("POST", f"chat/completions/{message_id}/stop")).status == 200
    await request
    bob_tab.close()


async def test_leaving_does_not_stop_and_another_tab_reattaches(
    api, jp_fetch, jp_ws_fetch, upstream
):
    await connect(api, upstream)
    ws = await jp_ws_fetch("chat-ext", "api", "events", headers=header("alice"))
    request, _, start = await slow_answer(jp_fetch, upstream, {"content": "long one"}, 30)
    request.cancel()  # the first tab goes away
    message_id = start["message_id"]
    attached = EventCollector()
    r = await jp_fetch(
        "chat-ext",
        "api",
        "chat",
        "completions",
        message_id,
        "stream",
        headers=header("alice"),
        streaming_callback=attached,
        request_timeout=30,
    )
    assert r.code == 200
    start = attached.events[0][1]
    assert attached.names()[-1] == "done"
    chat = (await api("GET", f"chats/{start['chat_id']}")).json()
    whole = chat["messages"][1]["content"]
    assert chat["messages"][1]["meta"]["status"] == "done"
    assert start["content"] + attached.text() == whole
    # the events socket announced the new chat with its current leaf, the answer, and
    # carried the same answer as deltas
    texts = []
    while True:
        event = json.loads(await asyncio.wait_for(ws.read_message(), 5))
        if event["type"] == "chat.created":
            assert event["data"]["current_message_id"] == message_id
        if event["type"] == "message.delta" and event["data"]["id"] == message_id:
            texts.append(event["data"]["text"])
        if event["type"] == "message.updated" and event["data"]["id"] == message_id:
            break
    assert "".join(texts) == whole
    ws.close()
    # another user cannot attach
    r = await jp_fetch(
        "chat-ext",
        "api",
        "chat",
        "completions",
        message_id,
        "stream",
        headers=header("bob"),
        raise_error=False,
    )
    assert r.code == 404


@pytest.mark.parametrize("chat_ext_config", [{"task_model": "fake-chat+hang"}])
async def test_closing_the_server_ends_a_title_still_being_written(
    api, jp_fetch, jp_serverapp, upstream, chat_ext_config
):
    await connect(api, upstream)
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": "hello"})
    assert events[-1][1]["status"] == "done"
    name = f"chat-ext generation {events[0][1]['message_id']}"
    # The answer is done; its task goes on, asking the (hanging) task model for a title.
    (task,) = [t for t in asyncio.all_tasks() if t.get_name() == name]
    await asyncio.sleep(0.2)
    assert not task.done()
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    await asyncio.wait_for((await ext.ready()).completions.running.stop_all(), 5)
    assert task.cancelled()
    chat = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()
    assert chat["title"] == "New Chat" and chat["messages"][1]["meta"]["status"] == "done"


async def test_an_answer_stopped_before_it_began_is_saved_as_stopped(api, jp_serverapp, upstream):
    await connect(api, upstream)
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    services = await ext.ready()
    me = await services.users.identify(User(username="alice"))
    ask = CompletionRequest(model="fake-chat", content="hello")
    # Nothing runs between start() and stop() or stop_all(): the task has not taken a step.
    # (asyncio.timeout, not wait_for: a task of wait_for's own would let the generation begin.)
    async with asyncio.timeout(5):
        stopped, _ = await services.completions.start(me, ask)
        await services.completions.stop(me, stopped.message_id)
    async with asyncio.timeout(5):
        at_shutdown, _ = await services.completions.start(me, ask)
        await services.completions.running.stop_all()
    for gen in (stopped, at_shutdown):
        chat = (await api("GET", f"chats/{gen.chat_id}")).json()
        assert [m["content"] for m in chat["messages"]] == ["hello", ""]
        assert chat["messages"][1]["meta"]["status"] == "stopped"
    assert services.completions.running.of_user(me.id) == []


async def slow_answer(jp_fetch, upstream, body: dict, chunks: int):
    """An answer that takes a while (``chunks`` pieces, 50 ms apart), once it has begun:
    (the request, its events, its start event)."""
    upstream.update_settings(chunks=chunks)
    collector = EventCollector()
    body = {"model": "fake-chat+delay-chunk-0.05", **body}
    request = asyncio.ensure_future(complete(jp_fetch, body, collector=collector))
    return request, collector, await started(collector)


def asked(upstream) -> list[dict]:
    """What the model was last asked, not counting titles."""
    chats = [r.body for r in upstream.requests if r.path.endswith("/chat/completions")]
    return next(b["messages"] for b in reversed(chats) if "Title:" not in str(b["messages"]))


async def test_a_title_chosen_while_the_first_answer_streams_is_kept(api, jp_fetch, upstream):
    await connect(api, upstream)
    request, _, start = await slow_answer(jp_fetch, upstream, {"content": "name me"}, 20)
    assert (await api("PATCH", f"chats/{start['chat_id']}", {"title": "Mine"})).status == 200
    await request
    await until_written(start["message_id"])
    assert (await api("GET", f"chats/{start['chat_id']}")).json()["title"] == "Mine"


async def test_the_first_answer_that_ends_well_names_the_chat(api, jp_fetch, upstream):
    await connect(api, upstream)
    _, events = await complete(jp_fetch, {"model": "fake-chat+error-503", "content": "first"})
    chat_id, failed = events[0][1]["chat_id"], events[0][1]["message_id"]
    await until_written(failed)
    assert (await api("GET", f"chats/{chat_id}")).json()["title"] == "New Chat"
    _, events = await complete(
        jp_fetch, {"model": "fake-chat", "chat_id": chat_id, "regenerate": failed}
    )
    assert events[-1][1]["status"] == "done"
    await until_written(events[0][1]["message_id"])
    assert (await api("GET", f"chats/{chat_id}")).json()["title"] == "First"
    # The answer that failed said nothing, so it is no part of what the model is asked next.
    await complete(jp_fetch, {"model": "fake-chat", "chat_id": chat_id, "content": "second"})
    assert [m["role"] for m in asked(upstream)] == ["user", "assistant", "user"]


@pytest.mark.parametrize("chat_ext_config", [{"task_model": "fake-chat+error-503"}])
async def test_a_title_model_that_fails_leaves_the_opening_words(
    api, jp_fetch, upstream, chat_ext_config
):
    await connect(api, upstream)
    question = "what is the fastest way to read a parquet file"
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": question})
    await until_written(events[0][1]["message_id"])
    title = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()["title"]
    assert title == "what is the fastest way to"


@pytest.mark.parametrize("chat_ext_config", [{"task_model": "titler"}])
async def test_the_task_model_may_be_a_preset(api, jp_fetch, upstream, chat_ext_config):
    await connect(api, upstream)
    preset = {
        "id": "titler",
        "name": "Titler",
        "base_model": "fake-chat",
        "system_prompt": "Titles in French.",
        "params": {"top_p": 0.5},
        "visibility": "public",
    }
    assert (await api.as_("admin")("POST", "presets", preset)).status == 201
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": "bonjour"})
    await until_written(events[0][1]["message_id"])
    chats = [r.body for r in upstream.requests if r.path.endswith("/chat/completions")]
    titled = next(b for b in chats if "Title:" in str(b["messages"]))
    assert titled["messages"][0] == {"role": "system", "content": "Titles in French."}
    assert (titled["top_p"], titled["max_tokens"], titled["temperature"]) == (0.5, 24, 0)
    title = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()["title"]
    assert title == "Bonjour"


async def test_a_message_waits_for_the_answer_it_would_follow(api, jp_fetch, upstream):
    await connect(api, upstream)
    _, events = await complete(jp_fetch, {"model": "fake-chat", "content": "first"})
    chat_id, first_question = events[0][1]["chat_id"], events[0][1]["user_message_id"]
    request, _, start = await slow_answer(
        jp_fetch, upstream, {"chat_id": chat_id, "content": "long"}, 20
    )
    busy = start["message_id"]
    before = (await api("GET", f"chats/{chat_id}")).json()["messages"]
    for blocked in (
        {"content": "too soon"},
        {"content": "too soon", "parent_id": busy},
        {"regenerate": busy},
    ):
        r, _ = await complete(jp_fetch, {"model": "fake-chat", "chat_id": chat_id, **blocked})
        assert r.code == 409 and f"chat/completions/{busy}/stop" in r.body.decode(), r.body
        assert json.loads(r.body)["code"] == "answer_in_progress"
    after = (await api("GET", f"chats/{chat_id}")).json()["messages"]
    # Nothing was added or changed, bar the answer being written (saved as it goes).
    assert [m for m in after if m["id"] != busy] == [m for m in before if m["id"] != busy]
    assert [m["id"] for m in after] == [m["id"] for m in before]
    # An edit of an earlier question branches off elsewhere, so it need not wait.
    edit = {"model": "fake-chat", "chat_id": chat_id, "content": "first, again", "parent_id": None}
    r, events = await complete(jp_fetch, edit)
    assert r.code == 200 and events[-1][1]["status"] == "done"
    assert asked(upstream) == [{"role": "user", "content": "first, again"}]
    await request
    r, events = await complete(
        jp_fetch, {"model": "fake-chat", "chat_id": chat_id, "content": "now"}
    )
    assert r.code == 200 and events[-1][1]["status"] == "done"
    assert first_question  # the chat's first question is still there, on its own branch
    stored = (await api("GET", f"chats/{chat_id}")).json()["messages"]
    assert [m["content"] for m in stored if m["role"] == "user"] == ["first, again", "now"]


async def test_a_chat_deleted_by_another_server_stops_its_answer(
    api, jp_fetch, jp_serverapp, upstream
):
    """Another server sharing the database deletes the chat: no cancel reaches this one, but
    its next write of the answer finds the chat gone."""
    await connect(api, upstream)
    services = await jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app.ready()
    me = await services.users.identify(User(username="alice"))
    request, collector, start = await slow_answer(jp_fetch, upstream, {"content": "a long"}, 200)
    assert await services.chats.store.delete(me.id, start["chat_id"])  # as the other server does
    await asyncio.wait_for(request, 3)  # 200 pieces would take 10 s
    assert collector.events[-1][1]["status"] == "stopped"
    upstream.wait_for_disconnects(1, within=1.0)
    assert services.completions.running.of_user(me.id) == []
    assert (await api("GET", f"chats/{start['chat_id']}")).status == 404


async def test_deleting_a_chat_stops_its_answer(api, jp_fetch, upstream):
    await connect(api, upstream)
    request, collector, start = await slow_answer(jp_fetch, upstream, {"content": "a long"}, 100)
    assert (await api("DELETE", f"chats/{start['chat_id']}")).status == 204
    await asyncio.wait_for(request, 5)
    assert collector.events[-1][1]["status"] == "stopped"
    upstream.wait_for_disconnects(1, within=1.0)
    await until_written(start["message_id"])
    assert (await api("GET", "chat/completions")).json()["items"] == []
