"""The fake upstreams speak the real wire formats: checked with the official clients."""

from __future__ import annotations

import base64
import json
import math
import struct
import time

import httpx
import ollama
import openai
import pytest
import pytest_asyncio

from jupyter_chat_ext.completions.service import TITLE_PROMPT
from jupyter_chat_ext.testing.upstream import (
    FakeUpstream,
    Faults,
    RefusedPort,
    RemoteUpstream,
    UpstreamProcess,
    UpstreamThread,
    embedding,
    reply_for,
)

HELLO = [{"role": "user", "content": "hello there friend"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@pytest_asyncio.fixture
async def upstream():
    async with FakeUpstream(reply="Canned.") as server:
        yield server


class Clients:
    """Makes real API clients for a server, and closes them after the test."""

    def __init__(self) -> None:
        self.made: list = []

    def openai(self, server, **options) -> openai.AsyncOpenAI:
        options = {"api_key": "sk-test", "max_retries": 0, "timeout": 5, **options}
        self.made.append(openai.AsyncOpenAI(base_url=server.openai_url, **options))
        return self.made[-1]

    def ollama(self, server, **options) -> ollama.AsyncClient:
        self.made.append(ollama.AsyncClient(host=server.ollama_url, timeout=5, **options))
        return self.made[-1]


@pytest_asyncio.fixture
async def clients():
    made = Clients()
    yield made
    for client in made.made:
        await client.close()


async def collect(stream) -> list:
    return [chunk async for chunk in stream]


# -- OpenAI -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_openai_models(upstream, clients):
    client = clients.openai(upstream)
    models = await client.models.list()
    assert [m.id for m in models.data] == ["fake-chat", "fake-embed"]
    assert all(m.object == "model" and m.owned_by and m.created for m in models.data)
    assert (await client.models.retrieve("fake-chat")).id == "fake-chat"
    with pytest.raises(openai.NotFoundError):
        await client.models.retrieve("no-such-model")


@pytest.mark.asyncio
async def test_openai_completion_echoes_with_consistent_usage(upstream, clients):
    client = clients.openai(upstream)
    result = await client.chat.completions.create(model="fake-chat", messages=HELLO, n=2, seed=7)
    assert result.object == "chat.completion"
    assert [c.message.content for c in result.choices] == [
        "You said: hello there friend Canned.",
        "You said: hello there friend Canned. #2",
    ]
    assert {c.finish_reason for c in result.choices} == {"stop"}
    assert result.usage.prompt_tokens == 3
    assert result.usage.completion_tokens == 6 + 7
    assert result.usage.total_tokens == 3 + 13


@pytest.mark.asyncio
async def test_openai_stream_with_usage_and_done(upstream, clients):
    client = clients.openai(upstream)
    stream = await client.chat.completions.create(
        model="fake-chat", messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    chunks = await collect(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: hello there friend Canned."
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 6
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert len({c.id for c in chunks}) == 1

    # The raw stream: SSE `data:` lines ending with [DONE].
    async with httpx.AsyncClient() as raw:
        body = {"model": "fake-chat", "messages": HELLO, "stream": True}
        response = await raw.post(f"{upstream.openai_url}/chat/completions", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = response.text.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert all(e.startswith("data: {") for e in events[:-2])
    assert "usage" not in json.loads(events[0][len("data: ") :])


@pytest.mark.asyncio
async def test_openai_two_hundred_chunks(upstream, clients):
    client = clients.openai(upstream)
    stream = await client.chat.completions.create(model="chunks-200", messages=HELLO, stream=True)
    deltas = [c.choices[0].delta.content for c in await collect(stream)]
    content = [d for d in deltas if d]
    assert len(content) == 200
    assert "".join(content).startswith("You said: hello there friend Canned.")


@pytest.mark.asyncio
async def test_openai_tool_calls_stream_and_follow_up(upstream, clients):
    client = clients.openai(upstream)
    ask = [{"role": "user", "content": 'Weather? call:get_weather({"city": "Paris"})'}]
    stream = await client.chat.completions.create(
        model="fake-chat", messages=ask, tools=[WEATHER_TOOL], stream=True
    )
    chunks = await collect(stream)
    first = chunks[0].choices[0].delta.tool_calls[0]
    assert (first.index, first.type, first.function.name) == (0, "function", "get_weather")
    assert first.id.startswith("call_") and first.function.arguments == ""
    arguments = "".join(
        c.choices[0].delta.tool_calls[0].function.arguments
        for c in chunks[1:]
        if c.choices[0].delta.tool_calls
    )
    assert len([c for c in chunks if c.choices[0].delta.tool_calls]) > 2
    assert json.loads(arguments) == {"city": "Paris"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"

    whole = await client.chat.completions.create(
        model="fake-chat", messages=ask, tools=[WEATHER_TOOL]
    )
    call = whole.choices[0].message.tool_calls[0]
    assert whole.choices[0].finish_reason == "tool_calls"
    assert whole.choices[0].message.content is None
    assert call.id == first.id and json.loads(call.function.arguments) == {"city": "Paris"}

    follow_up = [
        *ask,
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
    ]
    done = await client.chat.completions.create(
        model="fake-chat", messages=follow_up, tools=[WEATHER_TOOL]
    )
    assert done.choices[0].message.content == "Tool result: sunny"


@pytest.mark.asyncio
async def test_openai_request_options(upstream, clients):
    client = clients.openai(upstream)
    stopped = await client.chat.completions.create(
        model="fake-chat", messages=HELLO, stop=["there"]
    )
    assert stopped.choices[0].message.content == "You said: hello "
    short = await client.chat.completions.create(model="fake-chat", messages=HELLO, max_tokens=2)
    assert short.choices[0].message.content == "You said:"
    assert short.choices[0].finish_reason == "length"
    asks = [{"role": "user", "content": "hello there friend, in json"}]
    as_json = await client.chat.completions.create(
        model="fake-chat", messages=asks, response_format={"type": "json_object"}
    )
    assert json.loads(as_json.choices[0].message.content) == {
        "reply": "You said: hello there friend, in json Canned."
    }
    # As OpenAI, JSON mode with no message saying "json" is refused.
    with pytest.raises(openai.BadRequestError) as refused:
        await client.chat.completions.create(
            model="fake-chat", messages=HELLO, response_format={"type": "json_object"}
        )
    assert refused.value.body["param"] == "messages"
    assert "must contain the word 'json'" in refused.value.body["message"]
    scored = await client.chat.completions.create(
        model="fake-chat", messages=HELLO, logprobs=True, top_logprobs=3
    )
    tokens = scored.choices[0].logprobs.content
    assert "".join(t.token for t in tokens) == scored.choices[0].message.content
    assert all(len(t.top_logprobs) == 3 and t.logprob <= 0 for t in tokens)


@pytest.mark.asyncio
async def test_openai_embeddings(upstream, clients):
    client = clients.openai(upstream)
    texts = ["the cat sat", "a cat sat down", "stock markets fell"]
    # The client asks for base64 by default; floats must decode to the same vectors.
    result = await client.embeddings.create(model="fake-embed", input=texts, dimensions=8)
    vectors = [d.embedding for d in result.data]
    assert [len(v) for v in vectors] == [8, 8, 8]
    assert [d.index for d in result.data] == [0, 1, 2]
    assert result.usage.prompt_tokens == result.usage.total_tokens == 10
    assert all(
        math.isclose(a, b, abs_tol=1e-6)
        for a, b in zip(vectors[0], embedding(texts[0], 8), strict=True)
    )
    floats = await client.embeddings.create(
        model="fake-embed", input="the cat sat", encoding_format="float"
    )
    assert len(floats.data[0].embedding) == 32

    def cosine(a, b):
        return sum(x * y for x, y in zip(a, b, strict=True))

    wide = [embedding(t, 256) for t in texts]
    assert cosine(wide[0], wide[1]) > cosine(wide[0], wide[2])

    async with httpx.AsyncClient() as raw:
        response = await raw.post(
            f"{upstream.openai_url}/embeddings",
            json={"model": "fake-embed", "input": "x", "encoding_format": "base64"},
        )
    packed = base64.b64decode(response.json()["data"][0]["embedding"])
    assert len(struct.unpack("<32f", packed)) == 32


@pytest.mark.asyncio
async def test_openai_errors(clients):
    async with FakeUpstream(api_key="sk-right") as server:
        with pytest.raises(openai.AuthenticationError) as denied:
            await clients.openai(server, api_key="sk-wrong").models.list()
        assert denied.value.status_code == 401
        assert denied.value.body["code"] == "invalid_api_key"
        client = clients.openai(server, api_key="sk-right")
        with pytest.raises(openai.NotFoundError) as missing:
            await client.chat.completions.create(model="gpt-nope", messages=HELLO)
        assert missing.value.body["code"] == "model_not_found"
        with pytest.raises(openai.BadRequestError) as bad:
            await client.chat.completions.create(model="fake-chat", messages=[])
        assert bad.value.body == {
            "message": bad.value.body["message"],
            "type": "invalid_request_error",
            "param": "messages",
            "code": "empty_array",
        }
        async with httpx.AsyncClient() as raw:
            response = await raw.post(
                f"{server.openai_url}/chat/completions",
                content=b"{not json",
                headers={"Authorization": "Bearer sk-right"},
            )
        assert response.status_code == 400
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}


# -- Ollama -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_ollama_tags_version_show(upstream, clients):
    client = clients.ollama(upstream)
    tags = await client.list()
    assert [m.model for m in tags.models] == ["fake-chat:latest", "fake-embed:latest"]
    assert all(m.digest and m.size and m.details.family for m in tags.models)
    shown = await client.show("fake-chat")
    assert shown.details.format == "gguf"
    async with httpx.AsyncClient() as raw:
        version = await raw.get(f"{upstream.ollama_url}/api/version")
        tags_raw = await raw.get(f"{upstream.ollama_url}/api/tags")
    assert version.json()["version"]
    assert set(tags_raw.json()["models"][0]) >= {"name", "model", "modified_at", "size", "digest"}


@pytest.mark.asyncio
async def test_ollama_chat_stream_and_whole(upstream, clients):
    client = clients.ollama(upstream)
    parts = await collect(await client.chat(model="fake-chat", messages=HELLO, stream=True))
    assert not any(p.done for p in parts[:-1])
    text = "".join(p.message.content for p in parts)
    assert text == "You said: hello there friend Canned."
    last = parts[-1]
    assert last.done and last.done_reason == "stop" and last.message.content == ""
    assert (last.prompt_eval_count, last.eval_count) == (3, 6)
    assert last.total_duration >= last.eval_duration > 0

    whole = await client.chat(model="fake-chat:latest", messages=HELLO, stream=False)
    assert whole.done and whole.message.content == text

    async with httpx.AsyncClient() as raw:
        response = await raw.post(
            f"{upstream.ollama_url}/api/chat", json={"model": "fake-chat", "messages": HELLO}
        )
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert set(lines[-1]) >= {
        "done_reason", "total_duration", "load_duration", "prompt_eval_count",
        "prompt_eval_duration", "eval_count", "eval_duration",
    }  # fmt: skip


@pytest.mark.asyncio
async def test_ollama_tools_generate_embed(upstream, clients):
    client = clients.ollama(upstream)
    ask = [{"role": "user", "content": 'call:get_weather({"city": "Oslo"})'}]
    parts = await collect(
        await client.chat(model="fake-chat", messages=ask, tools=[WEATHER_TOOL], stream=True)
    )
    calls = [c for p in parts for c in (p.message.tool_calls or [])]
    assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
        ("get_weather", {"city": "Oslo"})
    ]

    generated = await collect(await client.generate(model="fake-chat", prompt="hi", stream=True))
    assert "".join(g.response for g in generated) == "You said: hi Canned."
    assert generated[-1].done and generated[-1].context

    embedded = await client.embed(model="fake-embed", input=["one", "two"], dimensions=4)
    assert [len(v) for v in embedded.embeddings] == [4, 4]
    assert list(embedded.embeddings[0]) == embedding("one", 4)

    with pytest.raises(ollama.ResponseError) as missing:
        await client.chat(model="llama-nope", messages=HELLO)
    assert missing.value.status_code == 404 and "not found" in missing.value.error


# -- faults -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_slow_first_token_and_chunk_delay(upstream, clients):
    client = clients.openai(upstream)
    upstream.set_faults(first_token_delay=0.3)
    started = time.monotonic()
    stream = await client.chat.completions.create(model="fake-chat", messages=HELLO, stream=True)
    await anext(aiter(stream))
    assert time.monotonic() - started >= 0.3
    await stream.close()

    upstream.set_faults(chunk_delay=0.05)
    started = time.monotonic()
    await collect(
        await client.chat.completions.create(model="chunks-6", messages=HELLO, stream=True)
    )
    # Eight events (role, six pieces, finish) have seven gaps between them.
    assert time.monotonic() - started >= 7 * 0.05


@pytest.mark.asyncio
async def test_cut_stream(upstream, clients):
    upstream.set_faults(cut_stream=True)
    client = clients.openai(upstream)
    received = []
    with pytest.raises(openai.APIConnectionError):
        async for chunk in await client.chat.completions.create(
            model="fake-chat", messages=HELLO, stream=True
        ):
            received.append(chunk)
    assert 0 < len(received) < 8
    with pytest.raises(httpx.RemoteProtocolError):
        await collect(
            await clients.ollama(upstream).chat(model="fake-chat", messages=HELLO, stream=True)
        )
    assert upstream.disconnects == []  # the server hung up, not the client


@pytest.mark.asyncio
async def test_error_status_in_each_shape(upstream, clients):
    upstream.set_faults(error_status=503, error_message="overloaded")
    with pytest.raises(openai.InternalServerError) as failed:
        await clients.openai(upstream).chat.completions.create(model="fake-chat", messages=HELLO)
    assert failed.value.status_code == 503
    assert failed.value.body == {
        "message": "overloaded", "type": "server_error", "param": None, "code": None
    }  # fmt: skip
    with pytest.raises(ollama.ResponseError) as ollama_failed:
        await clients.ollama(upstream).chat(model="fake-chat", messages=HELLO)
    assert (ollama_failed.value.status_code, ollama_failed.value.error) == (503, "overloaded")


@pytest.mark.asyncio
async def test_hang_until_client_leaves(upstream, clients):
    upstream.set_faults(hang=True)
    client = clients.openai(upstream, timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        await client.chat.completions.create(model="fake-chat", messages=HELLO)
    left = time.monotonic()
    disconnect = (await upstream.wait_for_disconnects(1, within=1.0))[0]
    assert disconnect.at - left < 1.0
    assert disconnect.path == "/v1/chat/completions"
    assert upstream.requests[disconnect.request_index].path == disconnect.path


@pytest.mark.asyncio
async def test_garbage_and_in_band_stream_error(upstream, clients):
    client = clients.openai(upstream)
    upstream.set_faults(garbage=True)
    with pytest.raises(json.JSONDecodeError):
        await collect(
            await client.chat.completions.create(model="fake-chat", messages=HELLO, stream=True)
        )
    with pytest.raises(json.JSONDecodeError):
        await client.chat.completions.create(model="fake-chat", messages=HELLO)
    with pytest.raises(json.JSONDecodeError):
        await clients.ollama(upstream).chat(model="fake-chat", messages=HELLO, stream=False)

    upstream.set_faults(stream_error=True)
    with pytest.raises(openai.APIError, match="fake upstream failure"):
        await collect(
            await client.chat.completions.create(model="fake-chat", messages=HELLO, stream=True)
        )
    with pytest.raises(ollama.ResponseError):
        await collect(
            await clients.ollama(upstream).chat(model="fake-chat", messages=HELLO, stream=True)
        )


@pytest.mark.asyncio
async def test_a_one_piece_answer_still_breaks_as_told(upstream, clients):
    client = clients.ollama(upstream)
    upstream.set_faults(cut_stream=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await collect(await client.chat(model="fake-chat+chunks-1", messages=HELLO, stream=True))
    upstream.set_faults(stream_error=True)
    with pytest.raises(ollama.ResponseError):
        await collect(await client.chat(model="fake-chat+chunks-1", messages=HELLO, stream=True))
    upstream.set_faults(garbage=True)
    with pytest.raises(json.JSONDecodeError):
        await collect(await client.chat(model="fake-chat+chunks-1", messages=HELLO, stream=True))


@pytest.mark.asyncio
async def test_connection_refused():
    with RefusedPort() as port:
        with pytest.raises(openai.APIConnectionError):
            async with openai.AsyncOpenAI(base_url=port.url, api_key="x", max_retries=0) as c:
                await c.models.list()
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient() as raw:
                await raw.get(port.url)


@pytest.mark.asyncio
async def test_client_leaving_a_stream_is_noticed_within_a_second(upstream):
    upstream.set_faults(chunk_delay=0.05)
    async with httpx.AsyncClient() as raw:
        body = {"model": "chunks-200", "messages": HELLO, "stream": True}
        async with raw.stream("POST", f"{upstream.openai_url}/chat/completions", json=body) as r:
            lines = r.aiter_lines()
            for _ in range(3):
                await anext(lines)
        left = time.monotonic()
    disconnects = await upstream.wait_for_disconnects(1, within=1.0)
    assert len(disconnects) == 1 and disconnects[0].at - left < 1.0


@pytest.mark.asyncio
async def test_faults_per_model_name_paths_and_times(upstream, clients):
    client = clients.openai(upstream)
    with pytest.raises(openai.InternalServerError):
        await client.chat.completions.create(model="fake-chat+error-502", messages=HELLO)
    assert (await client.chat.completions.create(model="fake-chat", messages=HELLO)).choices

    upstream.set_faults(Faults(error_status=500, paths=("/v1/chat",), times=1))
    assert (await client.models.list()).data  # another path: untouched, and not counted
    with pytest.raises(openai.InternalServerError):
        await client.chat.completions.create(model="fake-chat", messages=HELLO)
    assert (await client.chat.completions.create(model="fake-chat", messages=HELLO)).choices
    assert upstream.faults == Faults()


@pytest.mark.asyncio
async def test_requests_are_recorded_and_control_endpoint(upstream):
    async with httpx.AsyncClient(cookies={"_xsrf": "secret"}) as raw:
        await raw.post(
            f"{upstream.openai_url}/chat/completions",
            json={"model": "fake-chat", "messages": HELLO},
            headers={"Authorization": "Bearer sk-1", "X-Trace": "a"},
        )
        state = (await raw.post(f"{upstream.url}/_control", json={"faults": {"hang": True}})).json()
        assert state["faults"]["hang"] is True and upstream.faults.hang
        refused = await raw.post(f"{upstream.url}/_control", json={"faults": {"nope": 1}})
        assert refused.status_code == 400
        await raw.post(f"{upstream.url}/_control", json={"settings": {"reply": "Other."}})
    recorded = upstream.requests[0]
    assert (recorded.method, recorded.path) == ("POST", "/v1/chat/completions")
    assert recorded.body["messages"] == HELLO
    assert recorded.headers["authorization"] == "Bearer sk-1"
    assert recorded.headers["cookie"] == "_xsrf=secret" and recorded.headers["x-trace"] == "a"
    assert len(upstream.requests) == 1  # control calls are not recorded
    assert state["requests"][0]["path"] == "/v1/chat/completions"
    assert upstream.settings.reply == "Other."


# -- other ways to run one --------------------------------------------------------------------


def test_thread_server_for_sync_tests():
    with UpstreamThread(reply="Threaded.") as server:
        with openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as client:
            reply = client.chat.completions.create(model="fake-chat", messages=HELLO)
            assert reply.choices[0].message.content == "You said: hello there friend Threaded."
            server.set_faults(error_status=500)
            with pytest.raises(openai.InternalServerError):
                client.chat.completions.create(model="fake-chat", messages=HELLO)
        assert [r.path for r in server.requests] == ["/v1/chat/completions"] * 2
        server.reset()
        assert server.requests == [] and server.faults == Faults()


def test_process_server_with_remote_control():
    with UpstreamProcess("--reply", "From afar.") as server:
        with openai.OpenAI(base_url=server.openai_url, api_key="x", max_retries=0) as client:
            reply = client.chat.completions.create(model="fake-chat", messages=HELLO)
            assert reply.choices[0].message.content == "You said: hello there friend From afar."
            RemoteUpstream(server.url).set_faults(hang=True)
            with pytest.raises(openai.APITimeoutError):
                client.with_options(timeout=0.3).chat.completions.create(
                    model="fake-chat", messages=HELLO
                )
        assert server.wait_for_disconnects(1, within=1.0)[0].path == "/v1/chat/completions"
        assert [r.body["model"] for r in server.requests] == ["fake-chat", "fake-chat"]
        process = server.process
    assert process.returncode is not None


def test_asked_for_a_title_the_model_gives_the_questions_first_words():
    # chat-ext's own naming prompt: the demo and the tests get titles a person would read, with
    # the words' own case kept after the first letter.
    text = "User: how do I read a parquet file fast?\nAssistant: You said: ..."
    asked = [{"role": "user", "content": TITLE_PROMPT.format(text=text)}]
    assert reply_for(asked, canned="(demo)") == "How do I read a"


def test_the_canned_words_follow_a_text_of_several_lines_as_a_paragraph():
    fenced = [{"role": "user", "content": "Here:\n```python\nprint(1)\n```"}]
    assert reply_for(fenced, canned="(demo)").endswith("```\n\n(demo)")
    assert reply_for([{"role": "user", "content": "hi"}], canned="(demo)") == "You said: hi (demo)"
