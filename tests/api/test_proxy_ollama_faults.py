"""The Ollama-compatible API when things go wrong: bad requests, upstreams that fail or answer
in another shape, broken streams, clients that leave, and what only Ollama can do."""

from __future__ import annotations

import json

import httpx
import ollama
import pytest

from jupyter_chat_ext.testing.upstream import FakeUpstream
from tests.api.proxy_clients import HELLO, connect, connect_url, new_key, ollama_root
from tests.support.raw_server import RawServer


async def test_errors(api, ollama_for, kind, jp_http_port, jp_base_url):
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up, kind=kind)
        with pytest.raises(ollama.ResponseError) as error:
            await client.chat(model="nope", messages=HELLO)
        assert error.value.status_code == 404 and "api/tags" in error.value.error
        up.set_faults(error_status=500, paths=("/v1/chat", "/api/chat"))
        for stream in (False, True):
            with pytest.raises(ollama.ResponseError) as error:
                answer = await client.chat(model="fake-chat", messages=HELLO, stream=stream)
                if stream:
                    [p async for p in answer]
            assert error.value.status_code == 500
        up.set_faults(stream_error=True)
        with pytest.raises(ollama.ResponseError):
            [p async for p in await client.chat(model="fake-chat", messages=HELLO, stream=True)]
        key = client._client.headers["authorization"]
    async with httpx.AsyncClient() as http:
        root = ollama_root(jp_http_port, jp_base_url)
        for body in (b"{", b'{"messages": []}', b'{"model": "m", "messages": 3}'):
            r = await http.post(root + "/api/chat", content=body, headers={"Authorization": key})
            assert r.status_code == 400 and set(r.json()) == {"error"}, r.text
        wrong = [
            ("chat", {"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
            ("chat", {"messages": {}}, "messages"),
            ("chat", {"messages": [{"role": "user", "images": 5}]}, "messages[0].images"),
            ("chat", {"messages": [{"role": "user", "images": ["!!"]}]}, "messages[0].images"),
            ("chat", {"messages": [{"role": "user", "images": [""]}]}, "messages[0].images"),
            ("chat", {"messages": [{"tool_calls": [1]}]}, "messages[0].tool_calls"),
            ("chat", {"messages": HELLO, "options": [1]}, "options"),
            ("chat", {"messages": HELLO, "options": {"temperature": "hot"}}, "options.temperature"),
            ("chat", {"messages": HELLO, "options": {"seed": True}}, "options.seed"),
            ("chat", {"messages": HELLO, "options": {"num_predict": "10"}}, "options.num_predict"),
            ("chat", {"messages": HELLO, "options": {"stop": 5}}, "options.stop"),
            ("chat", {"messages": HELLO, "stream": "no"}, "stream"),
            ("chat", {"messages": HELLO, "think": "banana"}, "think"),
            ("chat", {"messages": HELLO, "think": 5}, "think"),
            ("chat", {"messages": HELLO, "keep_alive": "forever"}, "keep_alive"),
            ("chat", {"messages": HELLO, "keep_alive": "300"}, "keep_alive"),
            ("generate", {"prompt": "hi", "images": 5}, "images"),
            ("generate", {"prompt": "hi", "images": ["data:image/png;base64,AAAA"]}, "images"),
            ("generate", {"prompt": "hi", "format": 5}, "format"),
            ("generate", {"prompt": "hi", "format": "xml"}, "format"),
            ("generate", {"prompt": "hi", "raw": "yes"}, "raw"),
            ("generate", {"prompt": "hi", "context": "abc"}, "context"),
            ("generate", {"prompt": "hi", "suffix": 1}, "suffix"),
            ("embed", {"input": "x", "truncate": "yes"}, "truncate"),
            ("embed", {"input": "x", "dimensions": "4"}, "dimensions"),
            ("show", {"verbose": "yes"}, "verbose"),
        ]
        for path, body, name in wrong:
            r = await http.post(
                f"{root}/api/{path}", json={"model": "m", **body}, headers={"Authorization": key}
            )
            assert r.status_code == 400 and r.json()["error"].startswith(f"{name} must"), r.text
        # Numbers JSON does not have, though Python's json reads them.
        for number in (b"NaN", b"Infinity", b"1e999"):
            body = b'{"model": "m", "prompt": "hi", "options": {"temperature": %s}}' % number
            r = await http.post(
                root + "/api/generate", content=body, headers={"Authorization": key}
            )
            assert r.status_code == 400 and "not valid JSON" in r.json()["error"], r.text


ODD_STREAMS = {
    "choice not an object": b'data: {"choices": [1]}\n\n',
    "delta not an object": b'data: {"choices": [{"index": 0, "delta": "lo"}]}\n\n',
}


@pytest.mark.parametrize("stream", ODD_STREAMS.values(), ids=ODD_STREAMS.keys())
async def test_an_upstream_of_another_shape_is_a_502_or_an_error_line(api, ollama_for, stream):
    good = b'data: {"choices": [{"index": 0, "delta": {"content": "Hel"}}]}\n\n'
    bodies = {"/v1/models": b'{"data": [{"id": "odd"}]}', "/v1/chat/completions": stream}
    async with RawServer(bodies) as before, ollama_for() as client:
        await connect_url(api, before.url + "/v1")
        with pytest.raises(ollama.ResponseError) as error:
            await client.chat(model="odd", messages=HELLO, stream=False)
        assert error.value.status_code == 502 and "another shape" in error.value.error
    bodies["/v1/chat/completions"] = good + stream
    async with RawServer(bodies) as halfway, ollama_for() as client:
        await connect_url(api, halfway.url + "/v1")
        parts = []
        with pytest.raises(ollama.ResponseError) as error:
            async for part in await client.chat(model="odd", messages=HELLO, stream=True):
                parts.append(part.message.content)
        assert parts == ["Hel"] and "another shape" in error.value.error


def ollama_line(content: str) -> bytes:
    message = {"role": "assistant", "content": content}
    return json.dumps({"model": "odd:latest", "message": message, "done": False}).encode() + b"\n"


BROKEN_OLLAMA_STREAMS = {
    "ends without done": ollama_line("Hel"),
    "cut inside a line": ollama_line("Hel") + b'{"model": "odd:latest", "mess',
    "a line that is not JSON": ollama_line("Hel") + b"<html>\n" + ollama_line("lo"),
}


@pytest.mark.parametrize("fault", BROKEN_OLLAMA_STREAMS)
async def test_a_broken_ollama_stream_ends_in_an_error_line_after_what_came(api, ollama_for, fault):
    """Relayed from an Ollama connection in whole lines, then an error line."""
    bodies = {
        "/api/tags": b'{"models": [{"name": "odd:latest"}]}',
        "/api/chat": BROKEN_OLLAMA_STREAMS[fault],
    }
    types = {"/api/chat": "application/x-ndjson"}
    async with RawServer(bodies, content_types=types) as raw, ollama_for() as client:
        r = await api.as_("admin")("POST", "connections", {"kind": "ollama", "base_url": raw.url})
        assert r.status == 201, r
        parts = []
        with pytest.raises(ollama.ResponseError) as error:
            async for part in await client.chat(model="odd", messages=HELLO, stream=True):
                parts.append(part.message.content)
        assert parts == ["Hel"] and "upstream" in error.value.error


async def test_a_last_line_without_its_line_end_still_ends_the_stream(api, ollama_for):
    """An Ollama connection's stream whose last line ("done": true) the server closes on
    without its line end is a whole answer, as a translated one is read, not an error."""
    done = {"model": "odd:latest", "message": {"role": "assistant", "content": ""}, "done": True}
    bodies = {
        "/api/tags": b'{"models": [{"name": "odd:latest"}]}',
        "/api/chat": ollama_line("Hel") + ollama_line("lo") + json.dumps(done).encode(),
    }
    types = {"/api/chat": "application/x-ndjson"}
    async with RawServer(bodies, content_types=types) as raw, ollama_for() as client:
        r = await api.as_("admin")("POST", "connections", {"kind": "ollama", "base_url": raw.url})
        assert r.status == 201, r
        parts = [p async for p in await client.chat(model="odd", messages=HELLO, stream=True)]
    assert [p.message.content for p in parts] == ["Hel", "lo", ""] and parts[-1].done


async def test_a_client_that_leaves_cancels_the_upstream(api, kind, jp_http_port, jp_base_url):
    key = await new_key(api)
    async with FakeUpstream(chunks=200) as up, httpx.AsyncClient() as http:
        await connect(api, up, kind=kind)
        up.set_faults(chunk_delay=0.05)
        async with http.stream(
            "POST",
            ollama_root(jp_http_port, jp_base_url) + "/api/chat",
            json={"model": "fake-chat", "messages": HELLO},
            headers={"Authorization": f"Bearer {key}"},
        ) as response:
            assert response.status_code == 200
            async for _ in response.aiter_lines():
                break
        gone = await up.wait_for_disconnects(1, within=1.0)
        assert gone[0].path in ("/v1/chat/completions", "/api/chat")


async def test_what_only_ollama_can_do_is_refused_elsewhere(api, ollama_for, kind):
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up, kind=kind)
        asks = {"suffix": "return 1", "raw": True, "template": "{{ .Prompt }}", "context": [1, 2]}
        for name, value in asks.items():
            ask = client.generate(model="fake-chat", prompt="def f(", **{name: value})
            if kind == "ollama":
                await ask
                assert up.requests[-1].body[name] == value
                continue
            if name in ("suffix", "raw"):
                # An OpenAI-compatible server is asked by its legacy completions.
                await ask
                assert up.requests[-1].path == "/v1/completions"
                continue
            with pytest.raises(ollama.ResponseError) as error:
                await ask
            assert error.value.status_code == 400 and "Ollama connection" in error.value.error
        # Left empty, they ask for nothing.
        answer = await client.generate(model="fake-chat", prompt="Hi", raw=False, suffix="")
        assert answer.response


async def test_managing_models_is_refused_with_where_to_do_it(api, ollama_for):
    async with FakeUpstream() as up, ollama_for() as client:
        await connect(api, up, kind="ollama")
        asks = {
            "pull": lambda: client.pull("fake-chat"),
            "delete": lambda: client.delete("fake-chat"),
            "copy": lambda: client.copy("fake-chat", "mine"),
        }
        for route, ask in asks.items():
            with pytest.raises(ollama.ResponseError) as error:
                await ask()
            assert error.value.status_code == 404
            assert f"cannot {route} models" in error.value.error
            assert "Chat Models and Connections" in error.value.error
        # Nothing reached the Ollama server behind: it is not this API's to change.
        assert not [r for r in up.requests if r.path.split("/")[-1] in asks]


async def test_odd_embeddings_from_an_openai_upstream(api, ollama_for):
    """No vector for the prompt is a 502, not a 500; an odd usage is only left out."""
    bodies = {"/v1/models": b'{"data": [{"id": "odd"}]}', "/v1/embeddings": b'{"data": []}'}
    async with RawServer(bodies) as raw, ollama_for() as client:
        await connect_url(api, raw.url + "/v1")
        for ask in (
            client.embeddings(model="odd", prompt="red fox"),
            client.embed(model="odd", input="red fox"),
        ):
            with pytest.raises(ollama.ResponseError) as error:
                await ask
            assert error.value.status_code == 502 and "format" in error.value.error
    bodies["/v1/embeddings"] = b'{"data": [{"embedding": [0.5]}], "usage": 3}'
    async with RawServer(bodies) as raw, ollama_for() as client:
        await connect_url(api, raw.url + "/v1")
        assert (await client.embeddings(model="odd", prompt="red fox")).embedding == [0.5]
        assert (await client.embed(model="odd", input="red fox")).prompt_eval_count == 0
