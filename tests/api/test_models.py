"""The merged model list: every enabled connection, one dead server never holding it up."""

from __future__ import annotations

import asyncio
import json
import time

from jupyter_chat_ext.testing.upstream import FakeUpstream, Faults, RefusedPort, reply_for
from tests.support.identity import header
from tests.support.raw_server import RawServer


async def connect(api, **body):
    r = await api.as_("admin")("POST", "connections", body)
    assert r.status == 201, r
    return r.json()


async def test_models_from_every_connection(api):
    async with (
        FakeUpstream(models=("gpt-fake", "other")) as oa,
        FakeUpstream(models=("llama-fake",)) as ol,
    ):
        await connect(
            api, kind="openai", base_url=oa.openai_url, prefix="team/", model_ids=["gpt-fake"]
        )
        await connect(api, kind="ollama", base_url=ol.url)
        with RefusedPort() as port:
            dead = await connect(api, kind="openai", base_url=port.url + "/v1", name="Dead")
            r = await api("GET", "models")
        assert r.status == 200, r
        body = r.json()
        assert sorted((m["id"], m["kind"]) for m in body["items"]) == [
            ("llama-fake:latest", "ollama"),
            ("team/gpt-fake", "openai"),
        ]
        assert "Dead" in body["errors"]
        assert dead["name"] == "Dead"


async def test_a_slow_server_is_bounded_by_its_timeout(api, jp_serverapp):
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    (await ext.ready()).connections.timeout = 0.5
    async with FakeUpstream(models=("quick",)) as fast, FakeUpstream(models=("slow",)) as slow:
        slow.set_faults(Faults(hang=True))
        await connect(api, kind="openai", base_url=fast.openai_url)
        await connect(api, kind="openai", base_url=slow.openai_url, name="Slow")
        started = time.monotonic()
        body = (await api("GET", "models")).json()
        assert time.monotonic() - started < 3
        assert [m["id"] for m in body["items"]] == ["quick"]
        assert "Slow" in body["errors"]


async def test_an_answer_never_waits_for_a_server_that_could_not_serve_its_model(
    api, jp_fetch, jp_serverapp
):
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    (await ext.ready()).connections.timeout = 600  # longer than any test: it never answers
    async with FakeUpstream(models=("quick",)) as fast, FakeUpstream() as hung:
        hung.set_faults(Faults(hang=True))
        # Before the server that has the model, one whose prefix the model does not have;
        # after it, one that would come second even if it listed the model too.
        await connect(api, kind="openai", base_url=hung.openai_url, prefix="slow/")
        await connect(api, kind="openai", base_url=fast.openai_url)
        await connect(api, kind="openai", base_url=hung.openai_url)
        body = {"model": "quick", "content": "hi", "stream": False}
        r = await asyncio.wait_for(
            jp_fetch(
                "chat-ext", "api", "chat", "completions", method="POST",
                body=json.dumps(body), headers=header("alice"),
            ),
            10,
        )  # fmt: skip
        assert json.loads(r.body)["content"] == reply_for([{"role": "user", "content": "hi"}])


ODD_LISTS = {
    "openai": b'{"data": [{"id": "odd", "owned_by": null}, {"id": 7}]}',
    "ollama": b'{"models": ["odd"]}',
}


async def test_one_odd_connection_never_breaks_the_others(api, jp_fetch, jp_serverapp):
    async with (
        FakeUpstream(models=("good",)) as good,
        RawServer(ODD_LISTS["openai"]) as odd_openai,
        RawServer(ODD_LISTS["ollama"]) as odd_ollama,
    ):
        await connect(api, kind="openai", base_url=good.openai_url)
        await connect(api, kind="openai", base_url=odd_openai.url + "/v1", name="Odd")
        await connect(api, kind="ollama", base_url=odd_ollama.url, name="Not Ollama")
        # Refused today, such a URL may still be stored by an older version.
        r = await api.as_("admin")(
            "POST", "connections", {"kind": "openai", "base_url": "http://[::1/v1"}
        )
        assert r.status == 422
        ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
        connections = (await ext.ready()).connections
        typo = await connect(api, kind="openai", base_url="http://127.0.0.1:9/v1", name="Typo")
        row = await connections.store.get(typo["id"])
        row.base_url = "http://[::1/v1"
        await connections.store.save(row)
        connections._enabled.invalidate()
        body = (await api("GET", "models")).json()
        assert sorted(m["id"] for m in body["items"]) == ["7", "good", "odd"]
        assert body["errors"].keys() == {"Not Ollama", "Typo"}
        assert body["errors"]["Typo"] == "Cannot connect to the model server."
        told = (await api.as_("admin")("GET", "models")).json()["errors"]
        assert "not a usable URL" in told["Typo"]
        verified = (await api.as_("admin")("POST", f"connections/{typo['id']}/verify")).json()
        assert verified["ok"] is False and "not a usable URL" in verified["error"]
        r = await jp_fetch(
            "chat-ext", "api", "chat", "completions", method="POST",
            body=json.dumps({"model": "good", "content": "hi", "stream": False}),
            headers=header("alice"),
        )  # fmt: skip
        assert json.loads(r.body)["content"] == reply_for([{"role": "user", "content": "hi"}])


async def test_a_trickling_server_is_bounded_by_its_timeout(api, jp_serverapp):
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    (await ext.ready()).connections.timeout = 0.5
    listing = json.dumps({"data": [{"id": "slow"}]}).encode()
    async with FakeUpstream(models=("quick",)) as fast, RawServer(listing, pace=0.2) as slow:
        await connect(api, kind="openai", base_url=fast.openai_url)
        await connect(api, kind="openai", base_url=slow.url + "/v1", name="Slow")
        started = time.monotonic()
        body = (await api("GET", "models")).json()
        assert time.monotonic() - started < 3
        assert [m["id"] for m in body["items"]] == ["quick"]
        assert "in 0.5 s" in body["errors"]["Slow"]


async def test_an_ollama_with_no_model_pulled_is_reachable_and_empty(api):
    # Ollama's Go server writes an empty list as null.
    async with RawServer(b'{"models": null}') as empty:
        row = await connect(api, kind="ollama", base_url=empty.url, name="Fresh Ollama")
        body = (await api("GET", "models")).json()
        assert "Fresh Ollama" not in body["errors"] and body["items"] == []
        verified = (await api.as_("admin")("POST", f"connections/{row['id']}/verify")).json()
        assert verified["ok"] is True and verified["model_count"] == 0


async def test_requests_that_come_together_share_one_fetch_of_a_list(api):
    async with FakeUpstream(models=("shared",)) as up:
        # Slow enough that the requests overlap while the list comes.
        up.set_faults(Faults(first_token_delay=0.5, paths=("/v1/models",)))
        await connect(api, kind="openai", base_url=up.openai_url)
        answers = await asyncio.gather(*(api("GET", "models") for _ in range(8)))
        assert [[m["id"] for m in r.json()["items"]] for r in answers] == [["shared"]] * 8
        assert [r.path for r in up.requests].count("/v1/models") == 1
