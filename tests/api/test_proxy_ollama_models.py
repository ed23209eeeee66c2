"""The Ollama-compatible API's account of its models: tags, version, show, ps, the root,
and loading and unloading, as the official ollama client and raw HTTP read them."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import httpx
import ollama
import pytest

from jupyter_chat_ext.testing.upstream import FakeUpstream
from jupyter_chat_ext.testing.upstream.openai_payloads import MODEL_CREATED
from tests.api.proxy_clients import (
    HELLO,
    connect,
    new_key,
    ollama_root,
)
from tests.support.raw_server import RawServer


async def test_tags_and_version(api, ollama_for, jp_http_port, jp_base_url):
    async with FakeUpstream() as oa, FakeUpstream(models=("llama-fake",)) as ol:
        await connect(api, oa)
        await connect(api, ol, kind="ollama")
        for key in ("new", None):
            async with ollama_for(key) as client:
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
            assert r.status_code == 200
            # Clients decide what to ask for by it: logprobs and tool call ids came in 0.12.
            assert tuple(map(int, r.json()["version"].split("."))) >= (0, 12, 11)
            r = await http.get(ollama_root(jp_http_port, jp_base_url) + "/api/tags")
            assert r.status_code == 401 and "error" in r.json()


async def test_show(api, ollama_for, kind, jp_http_port, jp_base_url):
    async with FakeUpstream() as up, ollama_for() as client:
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
            # All there is to tell, as `ollama show --verbose` asks: from the Ollama server.
            r = await http.post(
                ollama_root(jp_http_port, jp_base_url) + "/api/show",
                json={"model": "fake-chat", "verbose": True},
                headers={"Authorization": client._client.headers["authorization"]},
            )
            assert r.status_code == 200
            if kind == "ollama":
                assert up.requests[-1].body == {"model": "fake-chat:latest", "verbose": True}


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


async def test_loading_and_unloading_a_model(api, ollama_for, kind, jp_http_port, jp_base_url):
    """An empty chat or prompt only loads the model (unloads it with keep_alive 0), streamed
    or not, and a preset's system prompt does not turn it into an answer."""
    async with FakeUpstream() as up, ollama_for() as client:
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


async def test_an_ollama_connections_own_account_of_its_models(api, ollama_for):
    """Size, digest and family in tags, for a preset from its base model; and ps, which
    names what is in memory as it is listed here."""
    async with (
        FakeUpstream() as oa,
        FakeUpstream(models=("llama-fake", "other-fake")) as ol,
        ollama_for() as client,
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
        # From an OpenAI-compatible server, the time it gives as the model's `created`.
        made = listed["fake-chat"].modified_at
        assert made == datetime.fromtimestamp(MODEL_CREATED, UTC), made

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


async def test_ps_answers_in_ollamas_own_shape(api, ollama_for, jp_http_port, jp_base_url):
    """As Ollama's ps: no modified_at, the context length kept, and a time in expires_at
    whatever the server sent, so typed clients can read every entry."""
    async with RawServer(ODD_PS) as raw, ollama_for(None) as client:
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


async def test_ps_shows_what_answers_for_a_name(api, ollama_for):
    """Two Ollama servers offer one model: the first answers for it, so a copy loaded on
    the second is not said to be in memory."""
    async with (
        FakeUpstream(models=("llama-fake",)) as first,
        FakeUpstream(models=("llama-fake",)) as second,
        ollama_for() as client,
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


async def test_ps_is_not_held_by_a_server_that_hangs(api, ollama_for, jp_serverapp):
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    (await ext.ready()).connections.timeout = 0.5
    async with (
        FakeUpstream(models=("llama-fake",)) as good,
        FakeUpstream(models=("slow-fake",)) as slow,
        ollama_for() as client,
    ):
        await connect(api, good, kind="ollama")
        await connect(api, slow, kind="ollama")
        await client.chat(model="llama-fake", messages=HELLO)
        await client.chat(model="slow-fake", messages=HELLO)
        slow.set_faults(hang=True, paths=("/api/ps",))
        started = time.monotonic()
        assert [m.model for m in (await client.ps()).models] == ["llama-fake:latest"]
        assert time.monotonic() - started < 3


async def test_a_preset_shown_over_an_odd_show(api, ollama_for):
    """An Ollama-like server whose show says capabilities null: a preset made from its
    model is still shown, with the preset's capabilities."""
    bodies = {
        "/api/tags": b'{"models": [{"name": "odd:latest"}]}',
        "/api/show": b'{"modelfile": "FROM odd\\n", "model_info": {}, "capabilities": null}',
    }
    async with RawServer(bodies) as raw, ollama_for() as client:
        r = await api.as_("admin")("POST", "connections", {"kind": "ollama", "base_url": raw.url})
        assert r.status == 201, r
        preset = {"id": "seer", "name": "Seer", "base_model": "odd:latest"}
        preset |= {"system_prompt": "Look.", "capabilities": ["vision"]}
        assert (await api("POST", "presets", preset)).status == 201
        shown = await client.show("seer")
        assert shown.capabilities == ["vision"] and 'SYSTEM """Look."""' in shown.modelfile


async def test_embeddings_and_show_wait_the_short_requests_timeout(api, ollama_for, jp_serverapp):
    """As on the OpenAI API, an Ollama connection's embeddings and show are short requests:
    a server that hangs is given up after ``upstream_timeout``, not the answers' long one."""
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    (await ext.ready()).connections.timeout = 0.5
    async with FakeUpstream(models=("llama-fake",)) as up, ollama_for() as client:
        await connect(api, up, kind="ollama")
        await client.chat(model="llama-fake", messages=HELLO)  # the models are known now
        up.set_faults(hang=True, paths=("/api/embed", "/api/show"))
        for call in (
            lambda: client.embed(model="llama-fake", input="x"),
            lambda: client.embeddings(model="llama-fake", prompt="x"),
            lambda: client.show("llama-fake"),
        ):
            started = time.monotonic()
            with pytest.raises(ollama.ResponseError) as error:
                await call()
            assert error.value.status_code == 504, error.value
            assert time.monotonic() - started < 5
