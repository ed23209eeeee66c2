"""Models and completions through Client and AsyncClient, against the real server and the fake
model server (which answers "You said: <the last user message>")."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from jupyter_chat_kernel import (
    AsyncClient,
    AsyncCompletionStream,
    ChatError,
    Client,
    CompletionDone,
    CompletionResult,
    CompletionStart,
    CompletionStream,
    ModelList,
    ReasoningDelta,
    TextDelta,
    Usage,
)

from tests.support.raw_server import RawServer

from .conftest import (
    BASE_PATH,
    BRISK_MODEL,
    DOWN_MODEL,
    MODEL,
    QUIET_MODEL,
    SLOW_MODEL,
    STEADY_MODEL,
    THINK_MODEL,
    sent_for,
)
from .relay import Relay


@pytest.fixture
def client(server, upstream):
    with Client(server.url, server.token) as client:
        yield client


def test_listing_models_waits_for_the_servers_own_bound(server, upstream, api):
    # The server gives each connection its upstream timeout to list its models (30 s by
    # default, as long as the client's own default): a slow connection must delay the list,
    # not turn it into a client timeout.
    from jupyter_chat_ext.testing.upstream import Faults, UpstreamThread

    slow_listing = Faults(first_token_delay=2.0, paths=("/v1/models",))
    with UpstreamThread(models=("slow-lister",), faults=slow_listing) as slow:
        created = api.post(
            "connections", json={"kind": "openai", "base_url": slow.openai_url, "name": "Slow"}
        )
        assert created.status_code == 201, created.text
        try:
            with Client(server.url, server.token, timeout=0.5) as client:
                models = client.models()
        finally:
            api.delete(f"connections/{created.json()['id']}")
    assert "slow-lister" in {m.id for m in models.items}


def test_models_lists_every_model_of_the_connection(client):
    models = client.models()
    assert isinstance(models, ModelList)
    mine = {m.id: m for m in models.items if m.connection_name == "Fake"}
    assert {MODEL, SLOW_MODEL, DOWN_MODEL} <= set(mine)
    assert mine[MODEL].kind == "openai" and mine[MODEL].preset is None


def test_a_streamed_answer_is_typed_deltas_and_is_stored(client):
    with client.stream("hello stream", model=MODEL) as stream:
        assert stream.chat_id and stream.message_id  # known before the first delta
        events = list(stream)
    assert isinstance(events[0], CompletionStart)
    assert isinstance(events[-1], CompletionDone) and events[-1].status == "done"
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1 and "".join(deltas) == "You said: hello stream"
    assert any(isinstance(e, Usage) for e in events)
    assert stream.text == "You said: hello stream" and stream.status == "done"
    result = stream.result()
    assert (result.chat_id, result.message_id, result.status) == (
        stream.chat_id,
        stream.message_id,
        "done",
    )
    assert result.usage and result.usage["completion_tokens"] == 4  # words
    stored = client.chat(stream.chat_id).messages
    assert [(m.role, m.content) for m in stored] == [
        ("user", "hello stream"),
        ("assistant", "You said: hello stream"),
    ]
    assert stored[1].id == stream.message_id and stored[1].meta["status"] == "done"


def test_a_reasoning_models_thoughts_come_apart_from_its_answer(client):
    from jupyter_chat_ext.testing.upstream.content import THINK_PREFIX

    with client.stream("why so?", model=THINK_MODEL) as stream:
        events = list(stream)
    thoughts = [e.text for e in events if isinstance(e, ReasoningDelta)]
    assert "".join(thoughts) == stream.reasoning == f"{THINK_PREFIX}why so?"
    assert stream.text == "You said: why so?"
    assert stream.result().reasoning == stream.reasoning
    result = client.complete("and then?", model=THINK_MODEL)
    assert (result.content, result.reasoning) == ("You said: and then?", f"{THINK_PREFIX}and then?")
    assert client.complete("plain", model=MODEL).reasoning is None


def test_complete_continues_a_chat_with_system_and_params(client, upstream):
    first = client.complete("first", model=MODEL)
    assert isinstance(first, CompletionResult)
    assert (first.status, first.content) == ("done", "You said: first")
    second = client.complete(
        "second",
        model=MODEL,
        chat_id=first.chat_id,
        system="Be brief.",
        params={"temperature": 0.1, "max_tokens": 20},
        meta={"source": {"kind": "kernel"}},
    )
    assert second.chat_id == first.chat_id
    question = next(m for m in client.chat(first.chat_id).messages if m.content == "second")
    assert question.id == second.user_message_id
    assert question.meta == {"source": {"kind": "kernel"}}
    body = sent_for(upstream, "second")
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert [m["content"] for m in body["messages"][1:]] == [
        "first",
        "You said: first",
        "second",
    ]
    assert (body["temperature"], body["max_tokens"]) == (0.1, 20)
    again = client.complete(model=MODEL, chat_id=first.chat_id, regenerate=second.message_id)
    assert again.user_message_id is None
    siblings = client.chat(first.chat_id).messages[-1].sibling_ids
    assert siblings == (second.message_id, again.message_id)


def test_a_new_chat_can_be_given_settings_for_every_answer_in_it(client, upstream):
    settings = {"system": "Answer in French.", "params": {"seed": 3}}
    first = client.complete("bonjour", model=MODEL, settings=settings)
    client.complete("encore", model=MODEL, chat_id=first.chat_id)
    body = sent_for(upstream, "encore")
    assert body["messages"][0] == {"role": "system", "content": "Answer in French."}
    assert body["seed"] == 3
    assert client.chat(first.chat_id).meta["settings"]["system"] == "Answer in French."
    # A request's own system prompt is that answer's alone.
    once = client.complete("once", model=MODEL, system="Be brief.")
    client.complete("twice", model=MODEL, chat_id=once.chat_id)
    assert sent_for(upstream, "twice")["messages"][0]["role"] == "user"
    with pytest.raises(ChatError) as refused:
        client.complete("x", model=MODEL, chat_id=once.chat_id, settings=settings)
    assert refused.value.status == 422 and "PATCH" in str(refused.value)


def test_an_upstream_failure_raises_after_the_partial_answer(client):
    stream = client.stream("anyone?", model=DOWN_MODEL)
    with pytest.raises(ChatError) as caught:
        list(stream)
    assert caught.value.code == "upstream_error" and "503" in str(caught.value)
    assert stream.status == "error" and stream.error == caught.value.message
    result = client.complete("anyone?", model=DOWN_MODEL)
    assert result.status == "error" and "503" in (result.error or "")


def test_unknown_model_fails_at_once(client):
    with pytest.raises(ChatError) as caught:
        client.stream("hi", model="no-such-model")
    assert caught.value.status == 404
    assert "no-such-model" in caught.value.message
    with pytest.raises(ValueError):
        client.complete(model=MODEL)  # neither content nor regenerate


def test_stop_keeps_what_was_written_and_attach_follows(client, server):
    stream = client.stream("slowly", model=SLOW_MODEL)
    running = client.running()
    assert (stream.message_id, stream.chat_id) in [(r.message_id, r.chat_id) for r in running]
    texts = iter(stream)
    while len(stream.text) < 12:
        next(texts)
    with Client(server.url, server.token) as other:
        follower = other.attach(stream.message_id)
        first = next(iter(follower))
        assert isinstance(first, CompletionStart)
        assert first.content and "You said: slowly".startswith(first.content[:16])
        result = stream.stop()
        assert result.status == "stopped" and result.content.startswith("You said: sl")
        assert len(result.content) < 200
        rest = list(follower)
    assert isinstance(rest[-1], CompletionDone) and rest[-1].status == "stopped"
    assert follower.text == result.content
    stored = client.chat(stream.chat_id).messages[-1]
    assert (stored.content, stored.meta["status"]) == (result.content, "stopped")
    assert client.running() == ()
    with pytest.raises(ChatError) as caught:
        client.attach(stream.message_id)
    assert caught.value.status == 404


def test_an_answer_is_stopped_by_the_name_its_request_was_given(client):
    assert client.stop_request("not-begun-yet") is None  # stopped as it begins, if ever
    stream = client.stream("named", model=SLOW_MODEL, request_id="named-1")
    [running] = client.running()
    assert (running.message_id, running.request_id) == (stream.message_id, "named-1")
    result = client.stop_request("named-1")
    assert result is not None and (result.message_id, result.status) == (
        stream.message_id,
        "stopped",
    )
    assert isinstance(list(stream)[-1], CompletionDone) and client.running() == ()
    with pytest.raises(ValueError):
        client.stop_request("")


@pytest.mark.asyncio
async def test_the_async_client_stops_an_answer_by_its_requests_name(server, upstream):
    async with AsyncClient(server.url, server.token) as client:
        stream = await client.stream("named", model=SLOW_MODEL, request_id="named-2")
        result = await client.stop_request("named-2")
        assert result is not None and result.message_id == stream.message_id
        assert [e async for e in stream][-1].status == "stopped"


def test_a_stream_can_be_stopped_from_another_thread(client):
    stream = client.stream("from elsewhere", model=SLOW_MODEL)
    timer = threading.Timer(0.3, client.stop_completion, args=(stream.message_id,))
    timer.start()
    events = list(stream)
    timer.join()
    assert isinstance(events[-1], CompletionDone) and events[-1].status == "stopped"
    assert 0 < len(stream.text) < 200


@pytest.mark.asyncio
async def test_async_client_streams_completes_and_stops(server, upstream):
    async with AsyncClient(server.url, server.token) as client:
        models = await client.models()
        assert MODEL in {m.id for m in models.items}
        stream = await client.stream("async hello", model=MODEL)
        events = [event async for event in stream]
        assert isinstance(events[0], CompletionStart) and isinstance(events[-1], CompletionDone)
        assert stream.text == "You said: async hello"
        result = await client.complete("more", model=MODEL, chat_id=stream.chat_id)
        assert (result.chat_id, result.content) == (stream.chat_id, "You said: more")

        slow = await client.stream("slowly", model=SLOW_MODEL)
        follower = await client.attach(slow.message_id)
        async for _ in slow:
            if len(slow.text) >= 12:
                break
        stopped = await slow.stop()
        assert stopped.status == "stopped"
        rest = [event async for event in follower]
        assert isinstance(rest[-1], CompletionDone) and rest[-1].status == "stopped"
        assert follower.text == stopped.content
        assert await client.running() == ()
        await asyncio.sleep(0)


SSE = {"Content-Type": "text/event-stream"}
START = b'event: start\ndata: {"chat_id": "c", "message_id": "m", "model": "x"}\n\n'


@pytest.mark.parametrize(
    ("body", "code"),
    [
        # comments, multi-line data, an event of a newer server: all read or skipped
        (
            START + b': keep-alive\n\nevent: delta\ndata: {"text":\ndata: "a"}\n\n'
            b'event: novel\ndata: {}\n\nevent: done\ndata: {"status": "done"}\n\n',
            None,
        ),
        (START + b"event: delta\ndata: not json\n\n", "bad_response"),
        (START + b'event: delta\ndata: {"text": "cut"}\n\n', "transport"),
        (b"", "transport"),
    ],
    ids=["tolerant", "garbage", "ended-early", "empty"],
)
def test_reading_the_event_stream(fake_server, body, code):
    def respond(method, path, headers):
        # Only the question is answered: following the answer again finds no server.
        if method == "POST" and path.endswith("/chat/completions"):
            return 200, SSE, body
        return 500, {"Content-Type": "application/json"}, b'{"message": "down"}'

    url = fake_server(respond)
    with Client(url, "t") as client:
        if code is None:
            stream = client.stream("q", model="x")
            assert [type(e).__name__ for e in stream] == [
                "CompletionStart",
                "TextDelta",
                "CompletionDone",
            ]
            assert stream.text == "a"
            return
        with pytest.raises(ChatError) as caught:
            list(client.stream("q", model="x"))
        assert caught.value.code == code


def test_answers_may_take_longer_than_the_clients_timeout(server, upstream):
    # STEADY_MODEL takes about 0.8 s; the timeout still bounds everything else.
    with Client(server.url, server.token, timeout=0.3) as client:
        result = client.complete("patience", model=STEADY_MODEL)
        assert result.status == "done" and result.content.startswith("You said: patience")
        with client.stream("more patience", model=STEADY_MODEL) as stream:
            assert list(stream)[-1].status == "done"


@pytest.mark.asyncio
async def test_a_stream_may_go_quiet_for_longer_than_the_clients_timeout(server, upstream):
    # QUIET_MODEL says nothing for 1.5 s after the answer's start: its model thinking, not a
    # hung server.
    def blocking() -> CompletionStream:
        with Client(server.url, server.token, timeout=1.0) as client:
            with client.stream("quiet", model=QUIET_MODEL) as stream:
                list(stream)
            return stream

    async def not_blocking() -> AsyncCompletionStream:
        async with AsyncClient(server.url, server.token, timeout=1.0) as client:
            stream = await client.stream("quiet async", model=QUIET_MODEL)
            async with stream:
                async for _ in stream:
                    pass
            return stream

    for answer in await asyncio.gather(asyncio.to_thread(blocking), not_blocking()):
        assert (answer.status, answer.error) == ("done", None)
        assert answer.text.startswith("You said: quiet")


@pytest.mark.asyncio
async def test_a_stream_from_a_server_that_never_answers_times_out():
    async with RawServer(b"", hang=True) as hung:
        url = f"{hung.url}/"
        async with AsyncClient(url, "t", timeout=0.5) as client:
            with pytest.raises(ChatError) as caught:
                # Bounded, so that a client that waits for ever fails the test.
                await asyncio.wait_for(client.stream("hello?", model=MODEL), 20)
            errors = [caught.value]

        def blocking(opening: str) -> ChatError:
            with Client(url, "t", timeout=0.5) as client:
                with pytest.raises(ChatError) as caught:
                    if opening == "stream":
                        client.stream("hello?", model=MODEL)
                    else:
                        client.attach("some-answer")
                return caught.value

        for opening in ("stream", "attach"):
            errors.append(await asyncio.wait_for(asyncio.to_thread(blocking, opening), 20))
    for error in errors:
        assert (error.status, error.code) == (None, "timeout")
        assert "No answer from the Jupyter server at" in str(error) and "within 0.5 s" in str(error)


def test_stopping_an_answer_that_has_ended_gives_it_whole(client):
    # Read to its end: nothing is left to stop.
    with client.stream("finished already", model=MODEL) as stream:
        list(stream)
        result = stream.stop()
    assert (result.status, result.content) == ("done", "You said: finished already")

    # Ended on the server while the reader was elsewhere (a stop racing the last token): the
    # answer is whole in the chat, and stop() says so instead of failing with a 404.
    stream = client.stream("ended meanwhile", model=MODEL)
    deadline = time.monotonic() + 30
    while any(r.message_id == stream.message_id for r in client.running()):
        assert time.monotonic() < deadline, "the answer did not end within 30 s"
        time.sleep(0.05)
    result = stream.stop()
    assert (result.status, result.content) == ("done", "You said: ended meanwhile")
    assert (stream.status, stream.text) == ("done", "You said: ended meanwhile")


@pytest.mark.asyncio
async def test_async_stopping_an_answer_that_has_ended_gives_it_whole(server, upstream):
    async with AsyncClient(server.url, server.token) as client:
        stream = await client.stream("async ended meanwhile", model=MODEL)
        deadline = time.monotonic() + 30
        while any(r.message_id == stream.message_id for r in await client.running()):
            assert time.monotonic() < deadline, "the answer did not end within 30 s"
            await asyncio.sleep(0.05)
        result = await stream.stop()
        assert (result.status, result.content) == ("done", "You said: async ended meanwhile")
        assert await stream.stop() == result


def test_a_closed_stream_says_so_and_stop_still_stops_the_answer(client):
    answer = client.stream("closed early", model=SLOW_MODEL)
    answer.close()
    with pytest.raises(ChatError) as caught:
        list(answer)
    assert caught.value.code == "closed", caught.value
    assert answer.status == "running", "the answer itself did not fail"
    stopped = answer.stop()
    assert stopped.status == "stopped"
    assert client.running() == ()
    assert client.chat(answer.chat_id).messages[-1].meta["status"] == "stopped"


@pytest.mark.asyncio
async def test_async_a_closed_stream_says_so_and_stop_still_stops_the_answer(server, upstream):
    async with AsyncClient(server.url, server.token) as client:
        answer = await client.stream("closed early", model=SLOW_MODEL)
        await answer.aclose()
        with pytest.raises(ChatError) as caught:
            async for _ in answer:
                pass
        assert caught.value.code == "closed", caught.value
        assert (await answer.stop()).status == "stopped"
        assert await client.running() == ()


def _relayed(relay: Relay) -> str:
    return f"http://127.0.0.1:{relay.port}{BASE_PATH}"


@pytest.mark.asyncio
async def test_a_stream_that_breaks_follows_the_answer_again(server, upstream):
    with Relay(server.port) as relay:
        relay.start()
        async with AsyncClient(_relayed(relay), server.token) as client:
            stream = await client.stream("on through a cut", model=BRISK_MODEL)
            events = []
            async with stream:
                async for event in stream:
                    events.append(event)
                    if len(events) == 5:
                        relay.cut()  # the server writes on
    whole = "You said: on through a cut".ljust(200, ".")  # 200 one-character pieces
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == whole, "new text only"
    assert stream.text == whole
    assert isinstance(events[-1], CompletionDone) and events[-1].status == "done"
    assert [type(e) for e in events].count(CompletionStart) == 1


def test_an_answer_that_ends_while_its_stream_is_down_is_told_as_stored(server, upstream, api):
    with Relay(server.port) as relay:
        relay.start()
        with Client(_relayed(relay), server.token) as client:
            stream = client.stream("cut then ended", model=STEADY_MODEL)
            events = []
            with stream:
                for event in stream:
                    events.append(event)
                    if len(events) == 3:
                        relay.stop()  # the server away until the answer has ended
                        while api.get("chat/completions").json()["items"]:
                            time.sleep(0.05)
                        relay.start()
    stored = api.get(f"chats/{stream.chat_id}").json()["messages"][-1]
    assert stream.text == stored["content"] and stored["content"].startswith("You said: cut")
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == stream.text
    assert isinstance(events[-1], CompletionDone) and events[-1].status == "done"
    assert stream.result().status == "done"


def _cut_once_running(relay: Relay, api) -> None:
    """Cut the relay's connections once an answer is being written (the server writes on)."""
    deadline = time.monotonic() + 30
    while not api.get("chat/completions").json()["items"]:
        assert time.monotonic() < deadline, "no answer started within 30 s"
        time.sleep(0.05)
    time.sleep(0.3)
    relay.cut()


def test_complete_follows_an_answer_whose_connection_broke_to_its_end(server, upstream, api):
    with Relay(server.port) as relay:
        relay.start()
        cutter = threading.Thread(target=_cut_once_running, args=(relay, api))
        cutter.start()
        with Client(_relayed(relay), server.token) as client:
            result = client.complete("whole despite a cut", model=BRISK_MODEL)
        cutter.join()
    whole = "You said: whole despite a cut".ljust(200, ".")
    assert (result.status, result.content) == ("done", whole)
    assert result.user_message_id and result.usage
    assert api.get(f"chats/{result.chat_id}").json()["messages"][-1]["content"] == whole


@pytest.mark.asyncio
async def test_async_complete_follows_an_answer_whose_connection_broke(server, upstream, api):
    with Relay(server.port) as relay:
        relay.start()
        cutter = asyncio.create_task(asyncio.to_thread(_cut_once_running, relay, api))
        async with AsyncClient(_relayed(relay), server.token) as client:
            result = await client.complete("async whole despite a cut", model=BRISK_MODEL)
        await cutter
    whole = "You said: async whole despite a cut".ljust(200, ".")
    assert (result.status, result.content) == ("done", whole)
