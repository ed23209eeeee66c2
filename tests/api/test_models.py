"""The merged model list: every enabled connection, one dead server never holding it up."""

from __future__ import annotations

import time

from jupyter_chat_ext.testing.upstream import FakeUpstream, Faults, RefusedPort


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
