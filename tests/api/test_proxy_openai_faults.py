"""The OpenAI-compatible API when things go wrong: upstream errors, broken or odd streams,
refused and slow upstreams, and bad requests, as the official `openai` client sees them."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from jupyter_chat_ext.testing.upstream import FakeUpstream
from tests.api.proxy_clients import HELLO, connect, connect_raw, new_key, server_url
from tests.support.raw_server import RawServer


@pytest.fixture
def chat_ext_config():
    # Short enough for a timeout test, long enough for a loaded test machine.
    return {"upstream_timeout": 1.5}


async def test_upstream_errors_keep_their_status(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        up.set_faults(error_status=500, paths=("/v1/chat",))
        for stream in (False, True):
            with pytest.raises(openai.APIStatusError) as error:
                await client.chat.completions.create(
                    model="fake-chat", messages=HELLO, stream=stream
                )
            assert error.value.status_code == 500
            assert "fake upstream failure" in error.value.message
            assert "retry-after" not in error.value.response.headers
        # The upstream's own error, code and parameter included, as it said it.
        up.set_faults()
        with pytest.raises(openai.BadRequestError) as error:
            await client.chat.completions.create(model="fake-chat", messages=HELLO, n=200)
        assert (error.value.param, error.value.code) == ("n", "invalid_value")
        assert "127.0.0.1" not in error.value.message
        up.set_faults(error_status=429, paths=("/v1/embeddings",))
        with pytest.raises(openai.RateLimitError):
            await client.embeddings.create(model="fake-embed", input="x")


async def test_an_upstreams_word_on_when_to_retry_reaches_the_client(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        up.set_faults(error_status=429, paths=("/v1/chat",))
        for stream in (False, True):
            with pytest.raises(openai.RateLimitError) as error:
                await client.with_options(max_retries=0).chat.completions.create(
                    model="fake-chat", messages=HELLO, stream=stream
                )
            headers = error.value.response.headers
            assert (headers["retry-after"], headers["retry-after-ms"]) == ("1", "1000")
        # The client waits as told, then its retry gets the answer.
        up.set_faults(error_status=503, times=1, paths=("/v1/chat",))
        answer = await client.with_options(max_retries=1).chat.completions.create(
            model="fake-chat", messages=HELLO
        )
        assert answer.choices[0].message.content
        refused, retried = [r for r in up.requests if r.path == "/v1/chat/completions"][-2:]
        # Its own back-off would have waited half a second at most.
        assert retried.at - refused.at >= 0.9


async def test_failures_inside_a_stream_reach_the_client(api, client_for):
    async with FakeUpstream(chunks=20) as up, client_for() as client:
        await connect(api, up)
        for fault in ("stream_error", "cut_stream", "garbage"):
            up.set_faults(**{fault: True})
            stream = await client.chat.completions.create(
                model="fake-chat", messages=HELLO, stream=True
            )
            with pytest.raises(openai.APIError):
                async for _ in stream:
                    pass


def sse_chunk(text: str) -> bytes:
    delta = {"index": 0, "delta": {"content": text}, "finish_reason": None}
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "raw"}
    return b"data: " + json.dumps({**chunk, "choices": [delta]}).encode() + b"\n\n"


BROKEN_STREAMS = {
    "ends without its end": sse_chunk("Hello"),
    "cut inside an event": sse_chunk("Hello") + b'data: {"id": "c1", "obj',
    "an event that is not JSON": sse_chunk("Hello") + b"data: {not json, <html>\n\n",
}


@pytest.mark.parametrize("fault", BROKEN_STREAMS)
async def test_a_broken_openai_stream_ends_in_an_error_after_what_came(api, client_for, fault):
    """Whole events are relayed, then the API's own error event, which clients raise."""
    bodies = {
        "/v1/models": b'{"data": [{"id": "raw"}]}',
        "/v1/chat/completions": BROKEN_STREAMS[fault],
    }
    types = {"/v1/chat/completions": "text/event-stream"}
    async with RawServer(bodies, content_types=types) as raw, client_for() as client:
        await connect_raw(api, raw)
        stream = await client.chat.completions.create(model="raw", messages=HELLO, stream=True)
        texts = []
        with pytest.raises(openai.APIError) as error:
            async for chunk in stream:
                texts.append(chunk.choices[0].delta.content)
        assert texts == ["Hello"]
        assert "upstream" in error.value.message


async def test_answers_not_in_openais_shape_are_a_502(api, client_for):
    bodies = {
        "/v1/models": b'{"data": [{"id": "raw"}, {"id": "raw-embed"}]}',
        "/v1/chat/completions": b'{"result": "ok"}',
        "/v1/embeddings": b"[1, 2]",
    }
    async with RawServer(bodies) as raw, client_for() as client:
        await connect_raw(api, raw)
        for stream in (False, True):  # a stream asked for, a JSON answer given
            with pytest.raises(openai.APIStatusError) as error:
                await client.chat.completions.create(model="raw", messages=HELLO, stream=stream)
            assert error.value.status_code == 502
        with pytest.raises(openai.APIStatusError) as error:
            await client.embeddings.create(model="raw-embed", input="x")
        assert error.value.status_code == 502


async def test_unknown_model_says_how_to_list_models(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        for stream in (False, True):
            with pytest.raises(openai.NotFoundError) as error:
                await client.chat.completions.create(model="nope", messages=HELLO, stream=stream)
            assert "models" in error.value.message
            assert error.value.body["code"] == "model_not_found"
        with pytest.raises(openai.NotFoundError):
            await client.embeddings.create(model="nope", input="x")


async def test_refused_and_timed_out_upstreams(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        await client.models.list()  # the models are known now
        up.set_faults(first_token_delay=5, paths=("/v1/embeddings",))
        with pytest.raises(openai.APIStatusError) as error:
            await client.embeddings.create(model="fake-embed", input="x")
        assert error.value.status_code == 504
        await up.stop()
        with pytest.raises(openai.APIStatusError) as error:
            await client.chat.completions.create(model="fake-chat", messages=HELLO)
        assert error.value.status_code == 502


async def test_bad_requests_get_openai_errors(api, jp_http_port, jp_base_url):
    key = await new_key(api)
    url = server_url(jp_http_port, jp_base_url) + "chat-ext/openai/v1/"
    auth = {"Authorization": f"Bearer {key}"}
    cases = [
        ("chat/completions", b'{"model": ', None),
        ("chat/completions", b"[1]", None),
        ("chat/completions", b'{"messages": []}', "model"),
        ("chat/completions", b'{"model": "m"}', "messages"),
        ("chat/completions", b'{"model": "m", "messages": [3]}', "messages[0]"),
        ("embeddings", b'{"model": "m"}', "input"),
    ]
    # Types and ranges of the parameters this server reads or translates, for any upstream.
    wrong = [
        ("messages", [{"role": "user", "content": [1]}]),
        ("messages", [{"role": "assistant", "content": None, "tool_calls": [{"x": 1}]}]),
        ("stream", "yes"),
        ("stream_options", "x"),
        ("n", 0),
        ("temperature", "hot"),
        ("top_p", 7),
        ("max_tokens", -5),
        ("stop", [1]),
        ("tools", [{"type": "function"}]),
        ("response_format", "json"),
        ("response_format", {"type": "json_schema", "json_schema": "x"}),
        ("messages", [{"content": "no role"}]),
        ("messages", [{"role": "user", "content": [{"type": "image_url", "image_url": "u"}]}]),
        ("messages", [{"role": "user", "content": [{"type": "text"}]}]),
        ("seed", 2**64),
        ("options", "x"),
        # Alternatives to each token, without the tokens' own log-probabilities.
        ("top_logprobs", 2),
    ]
    for param, value in wrong:
        body = {"model": "m", "messages": HELLO, param: value}
        cases.append(("chat/completions", json.dumps(body).encode(), param))
    # Half a UTF-16 pair is valid JSON, but no text an upstream takes.
    cases.append(("chat/completions", b'{"model": "m", "messages": [{"role": "user", '
                  b'"content": "\\ud800"}]}', None))  # fmt: skip
    async with httpx.AsyncClient() as http:
        for path, body, param in cases:
            r = await http.post(url + path, content=body, headers=auth)
            assert r.status_code == 400, (body, r.text)
            error = r.json()["error"]
            assert set(error) == {"message", "type", "param", "code"}
            assert error["type"] == "invalid_request_error", error
            assert error["param"] == param or error["param"].startswith(f"{param}[0]."), error
        # No key, or one that is neither a chat-ext key nor the token: a 401, as OpenAI answers.
        for headers in ({}, {"Authorization": "Bearer sk-not-ours"}):
            r = await http.post(
                url + "chat/completions", json={"model": "m", "messages": HELLO}, headers=headers
            )
            assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"


ODD_OLLAMA_EMBEDDINGS = {
    "not a list": b'{"embeddings": {"a": [0.5]}}',
    "not numbers": b'{"embeddings": [[0.5, "x"]]}',
    "one missing": b'{"embeddings": []}',
}


@pytest.mark.parametrize("answer", ODD_OLLAMA_EMBEDDINGS.values(), ids=ODD_OLLAMA_EMBEDDINGS)
async def test_odd_embeddings_from_an_ollama_upstream_are_a_502(api, client_for, answer):
    bodies = {"/api/tags": b'{"models": [{"name": "odd:latest"}]}', "/api/embed": answer}
    async with RawServer(bodies) as raw, client_for() as client:
        r = await api.as_("admin")("POST", "connections", {"kind": "ollama", "base_url": raw.url})
        assert r.status == 201, r
        for encoding in ("float", "base64"):
            with pytest.raises(openai.APIStatusError) as error:
                await client.embeddings.create(
                    model="odd:latest", input="red fox", encoding_format=encoding
                )
            assert error.value.status_code == 502, error.value


async def test_token_counts_an_ollama_upstream_leaves_null_are_counted_as_unknown(api, client_for):
    last = {"model": "raw", "message": {"role": "assistant", "content": ""}, "done": True}
    lines = [
        {"model": "raw", "message": {"role": "assistant", "content": "Hello"}, "done": False},
        {**last, "done_reason": "stop", "prompt_eval_count": 3, "eval_count": None},
    ]
    bodies = {
        "/api/tags": json.dumps(
            {"models": [{"name": "raw:latest", "model": "raw:latest"}]}
        ).encode(),
        "/api/chat": b"".join(json.dumps(line).encode() + b"\n" for line in lines),
    }
    types = {"/api/chat": "application/x-ndjson"}
    async with RawServer(bodies, content_types=types) as raw, client_for() as client:
        body = {"kind": "ollama", "base_url": raw.url}
        assert (await api.as_("admin")("POST", "connections", body)).status == 201
        answer = await client.chat.completions.create(model="raw:latest", messages=HELLO)
        assert answer.choices[0].message.content == "Hello"
        assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (3, 0)
        stream = await client.chat.completions.create(
            model="raw:latest",
            messages=HELLO,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
        assert chunks[-1].usage.total_tokens == 3


async def test_keep_alives_after_the_end_do_not_make_a_stream_cut(api, jp_http_port, jp_base_url):
    """Comments an upstream sends after [DONE], before it closes, however many (each comes
    in a read of its own here: the body is sent a byte at a time), are passed on, and no
    error event saying the stream was cut follows them."""
    stop = {"index": 0, "delta": {}, "finish_reason": None}
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "raw"}
    pings = b": ping\n\n" * 5
    stream = (
        sse_chunk("Hello")
        + b"data: "
        + json.dumps({**chunk, "choices": [stop]}).encode()
        + b"\n\ndata: [DONE]\n\n"
        + pings
    )
    bodies = {"/v1/models": b'{"data": [{"id": "raw"}]}', "/v1/chat/completions": stream}
    types = {"/v1/chat/completions": "text/event-stream"}
    url = server_url(jp_http_port, jp_base_url) + "chat-ext/openai/v1/chat/completions"
    auth = {"Authorization": f"Bearer {await new_key(api)}"}
    async with RawServer(bodies, content_types=types, pace=0.001) as raw:
        await connect_raw(api, raw)
        async with httpx.AsyncClient(timeout=30) as http:
            body = {"model": "raw", "messages": HELLO, "stream": True}
            r = await http.post(url, json=body, headers=auth)
    assert r.status_code == 200
    assert r.content == stream, r.content


@pytest.mark.parametrize("end", [b"data: [DONE]", b"data: [DONE]\n", b"data: [DONE]\r\n"])
async def test_a_last_event_without_its_blank_line_still_ends_the_stream(
    api, jp_http_port, jp_base_url, end
):
    """A server that closes right after ``data: [DONE]`` (its blank line, or even its line
    end, left out) ended its answer: the client gets the whole answer and [DONE], as the
    chats read it, where an error event said the stream was cut."""
    finish = {"index": 0, "delta": {}, "finish_reason": "stop"}
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "raw"}
    events = sse_chunk("Hello") + b"data: " + json.dumps({**chunk, "choices": [finish]}).encode()
    stream = events + b"\n\n" + end
    bodies = {"/v1/models": b'{"data": [{"id": "raw"}]}', "/v1/chat/completions": stream}
    types = {"/v1/chat/completions": "text/event-stream"}
    url = server_url(jp_http_port, jp_base_url) + "chat-ext/openai/v1/chat/completions"
    auth = {"Authorization": f"Bearer {await new_key(api)}"}
    async with RawServer(bodies, content_types=types) as raw:
        await connect_raw(api, raw)
        async with httpx.AsyncClient(timeout=30) as http:
            body = {"model": "raw", "messages": HELLO, "stream": True}
            r = await http.post(url, json=body, headers=auth)
    assert r.status_code == 200
    assert r.content.startswith(events) and b"error" not in r.content, r.content
    # [DONE] as it came, its event now ended with a blank line.
    assert r.content[len(events) :].strip() == b"data: [DONE]", r.content
    assert r.content.endswith((b"\n\n", b"\r\n\r\n")), r.content
