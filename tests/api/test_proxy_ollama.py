"""The Ollama-compatible API, driven by the official `ollama` client, over Ollama connections
(bytes relayed) and OpenAI ones (translated into NDJSON)."""

from __future__ import annotations

import base64
import json
import time
from contextlib import asynccontextmanager

import httpx
import ollama
import pytest

from jupyter_chat_ext.testing.upstream import FakeUpstream, embedding, reasoning_for, reply_for
from tests.api.test_proxy_openai import ASK_WEATHER, HELLO, WEATHER_TOOL, connect, new_key
from tests.support.raw_server import RawServer

# A 1x1 PNG, as Ollama clients send images: bare base64.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode()


def ollama_root(port: int, base_url: str) -> str:
    return f"http://localhost:{port}{base_url}chat-ext/ollama"


@pytest.fixture
def client_for(api, jp_http_port, jp_base_url):
    """``async with client_for()``: an ollama.AsyncClient with a new key for alice, or with
    alice's Jupyter token (``key=None``)."""

    @asynccontextmanager
    async def make(key: str | None = "new"):
        if key == "new":
            key = await new_key(api)
        auth = f"Bearer {key}" if key else "token alice-token"
        client = ollama.AsyncClient(
            host=ollama_root(jp_http_port, jp_base_url), headers={"Authorization": auth}
        )
        try:
            yield client
        finally:
            await client.close()

    return make


@pytest.fixture(params=["openai", "ollama"])
def kind(request) -> str:
    """The kind of connection behind the Ollama API."""
    return request.param


async def test_tags_and_version(api, client_for, jp_http_port, jp_base_url):
    async with FakeUpstream() as oa, FakeUpstream(models=("llama-fake",)) as ol:
        await connect(api, oa)
        await connect(api, ol, kind="ollama")
        for key in ("new", None):
            async with client_for(key) as client:
                listed = await client.list()
                assert [m.model for m in listed.models] == [
                    "fake-chat",
                    "fake-embed",
                    "llama-fake:latest",
                ]
        async with httpx.AsyncClient() as http:
            r = await http.get(
                ollama_root(jp_http_port, jp_base_url) + "/api/version",
                headers={"Authorization": "token bob-token"},
            )
            assert r.status_code == 200 and r.json()["version"]
            r = await http.get(ollama_root(jp_http_port, jp_base_url) + "/api/tags")
            assert r.status_code == 401 and "error" in r.json()


async def test_show(api, client_for, kind, jp_http_port, jp_base_url):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up, kind=kind)
        shown = await client.show("fake-chat")
        assert "completion" in shown.capabilities and shown.details is not None
        listed = {m.model: m for m in (await client.list()).models}
        as_listed = listed["fake-chat" if kind == "openai" else "fake-chat:latest"]
        assert shown.details.family == as_listed.details.family
        if kind == "ollama":  # the connection's own account, asked with the upstream's id
            assert shown.modelfile.startswith("FROM fake-chat")
            assert up.requests[-1].path == "/api/show"
        base = "fake-chat" if kind == "openai" else "fake-chat:latest"
        preset = {"id": "terse", "name": "Terse", "base_model": base}
        preset |= {"system_prompt": "Be brief.", "capabilities": ["vision"]}
        assert (await api("POST", "presets", preset)).status == 201
        shown = await client.show("terse")
        assert 'SYSTEM """Be brief."""' in shown.modelfile and "vision" in shown.capabilities
        with pytest.raises(ollama.ResponseError) as error:
            await client.show("nope")
        assert error.value.status_code == 404 and "api/tags" in error.value.error
        # Ollama's own words, which some clients look for; older ones send "name".
        assert 'model "nope" not found' in error.value.error
        async with httpx.AsyncClient() as http:
            r = await http.post(
                ollama_root(jp_http_port, jp_base_url) + "/api/show",
                json={"name": "fake-chat"},
                headers={"Authorization": client._client.headers["authorization"]},
            )
            assert r.status_code == 200 and "completion" in r.json()["capabilities"]


async def test_the_root_and_head_say_the_server_is_up(api, jp_http_port, jp_base_url):
    root = ollama_root(jp_http_port, jp_base_url)
    key = {"Authorization": f"Bearer {await new_key(api)}"}
    async with httpx.AsyncClient() as http:
        for url in (root, root + "/"):
            r = await http.get(url, headers=key)
            assert (r.status_code, r.text) == (200, "Ollama is running")
        for path in ("/", "/api/tags", "/api/version"):
            r = await http.head(root + path, headers=key)
            assert (r.status_code, r.content) == (200, b""), path
        assert (await http.head(root + "/")).status_code == 401
        # Outside /api too, a path it does not serve is a 404 in Ollama's shape.
        r = await http.get(root + "/v1/models", headers=key)
        assert r.status_code == 404 and set(r.json()) == {"error"}


async def test_loading_and_unloading_a_model(api, client_for, kind, jp_http_port, jp_base_url):
    """An empty chat or prompt only loads the model (unloads it with keep_alive 0), streamed
    or not, and a preset's system prompt does not turn it into an answer."""
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up, kind=kind)
        base = "fake-chat" if kind == "openai" else "fake-chat:latest"
        preset = {"id": "sys", "name": "Sys", "base_model": base, "system_prompt": "Be brief."}
        assert (await api("POST", "presets", preset)).status == 201
        key = client._client.headers["authorization"]
        asked = len(up.requests)
        async with httpx.AsyncClient() as http:
            for model in ("fake-chat", "sys"):
                for path, body in (("chat", {"messages": []}), ("generate", {})):
                    for keep_alive, reason in ((None, "load"), (0, "unload")):
                        request = {"model": model, **body}
                        if keep_alive is not None:
                            request["keep_alive"] = keep_alive
                        # No "stream": Ollama streams by default.
                        r = await http.post(
                            f"{ollama_root(jp_http_port, jp_base_url)}/api/{path}",
                            json=request,
                            headers={"Authorization": key},
                        )
                        assert r.status_code == 200, r.text
                        lines = [json.loads(line) for line in r.text.splitlines()]
                        assert len(lines) == 1 and lines[0]["done_reason"] == reason, r.text
                        assert lines[0]["model"] == model
        parts = [p async for p in await client.chat(model="sys", messages=[], stream=True)]
        assert [p.done_reason for p in parts] == ["load"]
        sent = up.requests[asked:]
        if kind == "openai":
            assert sent == []  # nothing to ask the model
        else:
            assert all(not (r.body.get("messages") or r.body.get("prompt")) for r in sent)
            assert all("system" not in r.body for r in sent)


async def test_chat(api, client_for, kind):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up, kind=kind)
        answer = await client.chat(model="fake-chat", messages=HELLO, stream=False)
        assert answer.message.content == reply_for(HELLO)
        assert answer.done and answer.done_reason == "stop"
        assert answer.model == "fake-chat" and answer.prompt_eval_count == 2

        parts = [p async for p in await client.chat(model="fake-chat", messages=HELLO, stream=True)]
        assert "".join(p.message.content for p in parts) == reply_for(HELLO)
        assert [p.done for p in parts][-2:] == [False, True]
        assert parts[-1].eval_count == 4
        # a bare name and its :latest tag are one model
        answer = await client.chat(model="fake-chat:latest", messages=HELLO)
        assert answer.message.content == reply_for(HELLO)


async def test_generate(api, client_for, kind):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up, kind=kind)
        answer = await client.generate(model="fake-chat", prompt="Hi you", system="Be brief")
        assert answer.response == reply_for([{"role": "user", "content": "Hi you"}])
        stream = await client.generate(model="fake-chat", prompt="Hi you", stream=True)
        assert "".join([p.response async for p in stream]) == answer.response
        loaded = await client.generate(model="fake-chat", prompt="")
        assert loaded.done and loaded.done_reason == "load"


async def test_embed(api, client_for, kind):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up, kind=kind)
        result = await client.embed(model="fake-embed", input=["red fox", "blue"])
        assert len(result.embeddings) == 2
        assert result.embeddings[0] == pytest.approx(embedding("red fox", 32), abs=1e-6)
        assert up.requests[-1].path == ("/v1/embeddings" if kind == "openai" else "/api/embed")
        assert result.total_duration is not None and result.load_duration is not None
        for nothing in ("", []):
            assert (await client.embed(model="fake-embed", input=nothing)).embeddings == []


async def test_the_older_embeddings_form(api, client_for, kind):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up, kind=kind)
        result = await client.embeddings(model="fake-embed", prompt="red fox")
        assert result.embedding == pytest.approx(embedding("red fox", 32), abs=1e-6)
        assert up.requests[-1].path == ("/v1/embeddings" if kind == "openai" else "/api/embeddings")
        assert (await client.embeddings(model="fake-embed", prompt="")).embedding == []
        with pytest.raises(ollama.ResponseError) as error:
            await client.embeddings(model="nope", prompt="red fox")
        assert error.value.status_code == 404


async def test_an_ollama_connections_own_account_of_its_models(api, client_for):
    """Size, digest and family in tags, for a preset from its base model; and ps, which
    names what is in memory as it is listed here."""
    async with (
        FakeUpstream() as oa,
        FakeUpstream(models=("llama-fake", "other-fake")) as ol,
        client_for() as client,
    ):
        await connect(api, oa)
        await connect(api, ol, kind="ollama", prefix="team/")
        preset = {"id": "terse", "name": "Terse", "base_model": "team/llama-fake:latest"}
        assert (await api("POST", "presets", preset)).status == 201
        listed = {m.model: m for m in (await client.list()).models}
        llama = listed["team/llama-fake:latest"]
        assert (llama.details.parameter_size, llama.details.quantization_level) == ("1B", "Q4_0")
        assert llama.size > 1_000_000 and len(llama.digest) == 64
        assert llama.modified_at.year == 2024
        assert listed["terse"].digest == llama.digest
        assert listed["terse"].details.family == "fake"
        assert (
            listed["fake-chat"].size == 0 and listed["fake-chat"].details.family == "fake-upstream"
        )

        assert (await client.ps()).models == []
        await client.chat(model="team/llama-fake", messages=HELLO)
        running = (await client.ps()).models
        assert [m.model for m in running] == ["team/llama-fake:latest"]
        assert running[0].size_vram == running[0].size == llama.size
        assert running[0].expires_at.year == 2030 and running[0].details.format == "gguf"
        assert running[0].context_length == 4096
        dead = {"kind": "ollama", "base_url": "http://127.0.0.1:9", "prefix": "dead/"}
        assert (await api.as_("admin")("POST", "connections", dead)).status == 201
        assert [m.model for m in (await client.ps()).models] == ["team/llama-fake:latest"]


async def test_a_models_reasoning_comes_as_thinking(api, client_for, kind):
    """Relayed from an Ollama server; from an OpenAI-compatible one's reasoning_content,
    translated."""
    async with FakeUpstream(models=("fake-chat+think",)) as up, client_for() as client:
        await connect(api, up, kind=kind)
        answer = await client.chat(model="fake-chat+think", messages=HELLO)
        assert answer.message.thinking == reasoning_for(HELLO)
        assert answer.message.content == reply_for(HELLO)
        parts = [p async for p in await client.chat("fake-chat+think", HELLO, stream=True)]
        assert "".join(p.message.thinking or "" for p in parts) == reasoning_for(HELLO)
        assert "".join(p.message.content for p in parts) == reply_for(HELLO)
        if kind == "openai":  # an Ollama server is asked not to think; this one is not shown
            answer = await client.chat(model="fake-chat+think", messages=HELLO, think=False)
            assert answer.message.thinking is None
            assert answer.message.content == reply_for(HELLO)


async def test_tool_calls(api, client_for, kind):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up, kind=kind)
        for stream in (False, True):
            answer = await client.chat(
                model="fake-chat", messages=ASK_WEATHER, tools=[WEATHER_TOOL], stream=stream
            )
            if stream:
                parts = [p async for p in answer]
                calls = [c for p in parts for c in p.message.tool_calls or []]
            else:
                calls = answer.message.tool_calls
            assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
                ("get_weather", {"city": "Paris"})
            ]
        # the result goes back, paired with the call, and the model reports it
        history = [
            *ASK_WEATHER,
            {"role": "assistant", "content": "", "tool_calls": [c.model_dump() for c in calls]},
            {"role": "tool", "content": "Sunny"},
        ]
        answer = await client.chat(model="fake-chat", messages=history)
        assert answer.message.content == "Tool result: Sunny"
        if kind == "openai":
            sent = up.requests[-1].body["messages"]
            assert sent[1]["tool_calls"][0]["id"] == sent[2]["tool_call_id"]


async def test_logprobs_reach_an_openai_upstream_and_come_back(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        answer = await client.chat(
            model="fake-chat", messages=HELLO, logprobs=True, top_logprobs=2, stream=False
        )
        sent = up.requests[-1].body
        assert (sent["logprobs"], sent["top_logprobs"]) == (True, 2)
        assert "".join(lp.token for lp in answer.logprobs) == answer.message.content
        assert len(answer.logprobs[0].top_logprobs) == 2
        parts = [p async for p in await client.chat(
            model="fake-chat", messages=HELLO, logprobs=True, top_logprobs=1, stream=True
        )]  # fmt: skip
        with_text = [p for p in parts if p.message.content]
        assert with_text and all(p.logprobs[0].token == p.message.content for p in with_text)


async def test_options_images_and_format_translate_to_openai(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        answer = await client.chat(
            model="fake-chat",
            messages=[{"role": "user", "content": "Look", "images": [PIXEL]}],
            options={"temperature": 0.2, "num_predict": 50, "seed": 3, "top_k": 4},
            format="json",
        )
        assert json.loads(answer.message.content) == {"reply": "You said: Look [1 image]"}
        sent = up.requests[-1].body
        assert (sent["temperature"], sent["max_tokens"], sent["seed"]) == (0.2, 50, 3)
        assert sent["response_format"] == {"type": "json_object"}
        assert sent["messages"][0]["content"][1] == {
            "type": "image_url",
            "image_url": {"url": f"data:image/png;base64,{PIXEL}"},
        }


async def test_ollama_bytes_pass_through_with_the_prefix_put_back(api, client_for):
    async with FakeUpstream(chunks=30) as up, client_for() as client:
        await connect(api, up, kind="ollama", prefix="local/")
        parts = [
            p async for p in await client.chat(model="local/fake-chat", messages=HELLO, stream=True)
        ]
        assert {p.model for p in parts} == {"local/fake-chat"}
        sent = up.requests[-1]
        assert sent.body["model"] == "fake-chat:latest" and sent.body["messages"] == HELLO
        assert "authorization" not in sent.headers and "cookie" not in sent.headers


async def test_errors(api, client_for, kind, jp_http_port, jp_base_url):
    async with FakeUpstream() as up, client_for() as client:
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
            ("chat", {"messages": HELLO, "options": {"seed": 1.5}}, "options.seed"),
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
async def test_an_upstream_of_another_shape_is_a_502_or_an_error_line(api, client_for, stream):
    good = b'data: {"choices": [{"index": 0, "delta": {"content": "Hel"}}]}\n\n'
    bodies = {"/v1/models": b'{"data": [{"id": "odd"}]}', "/v1/chat/completions": stream}
    async with RawServer(bodies) as before, client_for() as client:
        await connect_url(api, before.url + "/v1")
        with pytest.raises(ollama.ResponseError) as error:
            await client.chat(model="odd", messages=HELLO, stream=False)
        assert error.value.status_code == 502 and "another shape" in error.value.error
    bodies["/v1/chat/completions"] = good + stream
    async with RawServer(bodies) as halfway, client_for() as client:
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
async def test_a_broken_ollama_stream_ends_in_an_error_line_after_what_came(api, client_for, fault):
    """Relayed from an Ollama connection in whole lines, then an error line."""
    bodies = {
        "/api/tags": b'{"models": [{"name": "odd:latest"}]}',
        "/api/chat": BROKEN_OLLAMA_STREAMS[fault],
    }
    types = {"/api/chat": "application/x-ndjson"}
    async with RawServer(bodies, content_types=types) as raw, client_for() as client:
        r = await api.as_("admin")("POST", "connections", {"kind": "ollama", "base_url": raw.url})
        assert r.status == 201, r
        parts = []
        with pytest.raises(ollama.ResponseError) as error:
            async for part in await client.chat(model="odd", messages=HELLO, stream=True):
                parts.append(part.message.content)
        assert parts == ["Hel"] and "upstream" in error.value.error


async def connect_url(api, url: str) -> None:
    for old in (await api.as_("admin")("GET", "connections")).json()["items"]:
        await api.as_("admin")("DELETE", f"connections/{old['id']}")
    r = await api.as_("admin")("POST", "connections", {"kind": "openai", "base_url": url})
    assert r.status == 201, r


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


async def test_a_presets_parameters_reach_an_openai_connection(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up)
        params = {"temperature": 0.2, "max_tokens": 40}
        params["options"] = {"reasoning_effort": "high", "logit_bias": {"50256": -100}}
        preset = {"id": "tuned", "name": "Tuned", "base_model": "fake-chat", "params": params}
        assert (await api("POST", "presets", preset | {"system_prompt": "Be tuned."})).status == 201
        await client.chat(model="tuned", messages=HELLO, options={"temperature": 0.5})
        sent = up.requests[-1].body
        assert sent["messages"][0] == {"role": "system", "content": "Be tuned."}
        assert (sent["temperature"], sent["max_tokens"]) == (0.5, 40)
        assert (sent["reasoning_effort"], sent["logit_bias"]) == ("high", {"50256": -100})
        # How hard to think, asked in Ollama's words.
        await client.chat(model="fake-chat", messages=HELLO, think="low")
        assert up.requests[-1].body["reasoning_effort"] == "low"
        await client.chat(model="fake-chat", messages=HELLO, think=True)
        assert "reasoning_effort" not in up.requests[-1].body


async def test_what_only_ollama_can_do_is_refused_elsewhere(api, client_for, kind):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up, kind=kind)
        asks = {"suffix": "return 1", "raw": True, "template": "{{ .Prompt }}", "context": [1, 2]}
        for name, value in asks.items():
            ask = client.generate(model="fake-chat", prompt="def f(", **{name: value})
            if kind == "ollama":
                await ask
                assert up.requests[-1].body[name] == value
                continue
            with pytest.raises(ollama.ResponseError) as error:
                await ask
            assert error.value.status_code == 400 and "Ollama connection" in error.value.error
        # Left empty, they ask for nothing.
        answer = await client.generate(model="fake-chat", prompt="Hi", raw=False, suffix="")
        assert answer.response


async def test_a_preset_becomes_ollama_options(api, client_for):
    async with FakeUpstream() as up, client_for() as client:
        await connect(api, up, kind="ollama")
        preset = {
            "id": "warm",
            "name": "Warm",
            "base_model": "fake-chat:latest",
            "system_prompt": "Be warm.",
            "params": {"temperature": 0.9, "max_tokens": 20},
        }
        assert (await api("POST", "presets", preset)).status == 201
        await client.chat(model="warm", messages=HELLO, options={"temperature": 0.5})
        sent = up.requests[-1].body
        assert sent["model"] == "fake-chat:latest"
        assert sent["messages"][0] == {"role": "system", "content": "Be warm."}
        assert sent["options"]["temperature"] == 0.5 and sent["options"]["num_predict"] == 20


# An Ollama server's tags, and its ps with what older or other servers leave out or mistype.
ODD_PS = {
    "/api/tags": json.dumps(
        {"models": [{"name": n, "model": n} for n in ("odd:latest", "bare:latest")]}
    ).encode(),
    "/api/ps": json.dumps(
        {
            "models": [
                {"name": "odd:latest", "model": "odd:latest", "size": 5, "context_length": 2048},
                {"name": "bare:latest", "expires_at": 7, "context_length": "big"},
            ]
        }
    ).encode(),
}


async def test_ps_answers_in_ollamas_own_shape(api, client_for, jp_http_port, jp_base_url):
    """As Ollama's ps: no modified_at, the context length kept, and a time in expires_at
    whatever the server sent, so typed clients can read every entry."""
    async with RawServer(ODD_PS) as raw, client_for(None) as client:
        r = await api.as_("admin")("POST", "connections", {"kind": "ollama", "base_url": raw.url})
        assert r.status == 201, r
        running = (await client.ps()).models
        assert [(m.model, m.context_length) for m in running] == [
            ("odd:latest", 2048),
            ("bare:latest", 0),
        ]
        assert all(m.expires_at is not None for m in running)
        async with httpx.AsyncClient() as http:
            r = await http.get(
                ollama_root(jp_http_port, jp_base_url) + "/api/ps",
                headers={"Authorization": "token alice-token"},
            )
        assert r.status_code == 200
        assert all("modified_at" not in m for m in r.json()["models"])


async def test_ps_shows_what_answers_for_a_name(api, client_for):
    """Two Ollama servers offer one model: the first answers for it, so a copy loaded on
    the second is not said to be in memory."""
    async with (
        FakeUpstream(models=("llama-fake",)) as first,
        FakeUpstream(models=("llama-fake",)) as second,
        client_for() as client,
        httpx.AsyncClient() as http,
    ):
        await connect(api, first, kind="ollama")
        await connect(api, second, kind="ollama")
        r = await http.post(
            second.ollama_url + "/api/chat",
            json={"model": "llama-fake", "messages": HELLO, "stream": False},
        )
        assert r.status_code == 200
        assert (await client.ps()).models == []
        await client.chat(model="llama-fake", messages=HELLO)
        assert [m.model for m in (await client.ps()).models] == ["llama-fake:latest"]


def _call_stream(arguments: object) -> bytes:
    call = {"index": 0, "id": "c1", "function": {"name": "get_weather", "arguments": arguments}}
    chunks = [
        {"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_arguments_sent_as_an_object_are_read(api, client_for, stream):
    """Some OpenAI-compatible servers send a call's arguments as a JSON object rather than
    its text: the call still comes through, not a 500."""
    bodies = {
        "/v1/models": b'{"data": [{"id": "odd"}]}',
        "/v1/chat/completions": _call_stream({"city": "Paris"}) + b"data: [DONE]\n\n",
    }
    async with RawServer(bodies) as raw, client_for() as client:
        await connect_url(api, raw.url + "/v1")
        answer = await client.chat(
            model="odd", messages=ASK_WEATHER, tools=[WEATHER_TOOL], stream=stream
        )
        parts = [p async for p in answer] if stream else [answer]
        calls = [c for p in parts for c in p.message.tool_calls or []]
        assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [
            ("get_weather", {"city": "Paris"})
        ]


async def test_ps_is_not_held_by_a_server_that_hangs(api, client_for, jp_serverapp):
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    (await ext.ready()).connections.timeout = 0.5
    async with (
        FakeUpstream(models=("llama-fake",)) as good,
        FakeUpstream(models=("slow-fake",)) as slow,
        client_for() as client,
    ):
        await connect(api, good, kind="ollama")
        await connect(api, slow, kind="ollama")
        await client.chat(model="llama-fake", messages=HELLO)
        await client.chat(model="slow-fake", messages=HELLO)
        slow.set_faults(hang=True, paths=("/api/ps",))
        started = time.monotonic()
        assert [m.model for m in (await client.ps()).models] == ["llama-fake:latest"]
        assert time.monotonic() - started < 3


async def test_odd_embeddings_from_an_openai_upstream(api, client_for):
    """No vector for the prompt is a 502, not a 500; an odd usage is only left out."""
    bodies = {"/v1/models": b'{"data": [{"id": "odd"}]}', "/v1/embeddings": b'{"data": []}'}
    async with RawServer(bodies) as raw, client_for() as client:
        await connect_url(api, raw.url + "/v1")
        for ask in (
            client.embeddings(model="odd", prompt="red fox"),
            client.embed(model="odd", input="red fox"),
        ):
            with pytest.raises(ollama.ResponseError) as error:
                await ask
            assert error.value.status_code == 502 and "format" in error.value.error
    bodies["/v1/embeddings"] = b'{"data": [{"embedding": [0.5]}], "usage": 3}'
    async with RawServer(bodies) as raw, client_for() as client:
        await connect_url(api, raw.url + "/v1")
        assert (await client.embeddings(model="odd", prompt="red fox")).embedding == [0.5]
        assert (await client.embed(model="odd", input="red fox")).prompt_eval_count == 0


async def test_a_presets_think_and_keep_alive_are_request_fields(api, client_for, kind):
    """Ollama reads think and keep_alive beside its options, not among them; a request's
    own choice still comes first."""
    async with FakeUpstream(models=("fake-chat+think",)) as up, client_for() as client:
        await connect(api, up, kind=kind)
        base = "fake-chat+think" if kind == "openai" else "fake-chat+think:latest"
        quiet = {"mirostat": 2, "think": False, "keep_alive": "5m"}
        preset = {"id": "quiet", "name": "Quiet", "base_model": base}
        preset |= {"params": {"temperature": 0.5, "options": quiet}}
        assert (await api("POST", "presets", preset)).status == 201
        answer = await client.chat(model="quiet", messages=HELLO)
        assert answer.message.thinking is None
        assert answer.message.content == reply_for(HELLO)
        if kind == "ollama":
            sent = up.requests[-1].body
            assert (sent["think"], sent["keep_alive"]) == (False, "5m")
            assert sent["options"] == {"temperature": 0.5, "mirostat": 2}
            await client.chat(model="quiet", messages=HELLO, think=True, keep_alive=0)
            sent = up.requests[-1].body
            assert (sent["think"], sent["keep_alive"]) == (True, 0)


async def test_a_preset_shown_over_an_odd_show(api, client_for):
    """An Ollama-like server whose show says capabilities null: a preset made from its
    model is still shown, with the preset's capabilities."""
    bodies = {
        "/api/tags": b'{"models": [{"name": "odd:latest"}]}',
        "/api/show": b'{"modelfile": "FROM odd\\n", "model_info": {}, "capabilities": null}',
    }
    async with RawServer(bodies) as raw, client_for() as client:
        r = await api.as_("admin")("POST", "connections", {"kind": "ollama", "base_url": raw.url})
        assert r.status == 201, r
        preset = {"id": "seer", "name": "Seer", "base_model": "odd:latest"}
        preset |= {"system_prompt": "Look.", "capabilities": ["vision"]}
        assert (await api("POST", "presets", preset)).status == 201
        shown = await client.show("seer")
        assert shown.capabilities == ["vision"] and 'SYSTEM """Look."""' in shown.modelfile
