"""Connections named by the environment, as Open WebUI's variables name them, on a real server:
which key reaches which server, and what a restart does to the connections edited meanwhile."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_chat_ext.testing.upstream import UpstreamThread
from jupyter_chat_ext.wiring import prepare

VARIABLES = (
    "OPENAI_API_KEY",
    "OPENAI_API_KEYS",
    "OPENAI_API_BASE_URL",
    "OPENAI_API_BASE_URLS",
    "OLLAMA_BASE_URL",
    "OLLAMA_BASE_URLS",
    "ENABLE_OPENAI_API",
    "ENABLE_OLLAMA_API",
)


@pytest.fixture
def upstreams():
    """Three model servers that all list ``shared``, each beside a model of its own."""
    with (
        UpstreamThread(models=("shared", "a-model")) as a,
        UpstreamThread(models=("shared", "b-model")) as b,
        UpstreamThread(models=("shared", "c-model")) as c,
    ):
        yield a, b, c


@pytest.fixture
def environ(monkeypatch, upstreams):
    """The variables a test sets (with ``{a}``, ``{b}`` and ``{c}`` for the servers' base
    URLs), and none that the shell running the tests may hold."""

    def set_(**values: str) -> None:
        urls = {name: up.url for name, up in zip("abc", upstreams, strict=True)}
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value.format(**urls))

    return set_


@pytest.fixture
def variables(request, environ) -> dict[str, str]:
    environ(**request.param)
    return request.param


@pytest.fixture
def chat_ext_config(variables):
    # The variables are set before the server starts: it reads them once, as it starts.
    return {}


def keys_seen(up: UpstreamThread) -> set[str]:
    return {r.headers.get("authorization", "") for r in up.requests}


async def restart(jp_serverapp) -> None:
    """What the next start does to the connections: the same settings and environment,
    applied to the database the server uses."""
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    await asyncio.get_running_loop().run_in_executor(None, prepare, ext, ext.resolved_db_url())
    (await ext.ready()).connections._enabled.invalidate()


@pytest.mark.parametrize(
    "variables",
    [
        # An empty item keeps its place: the keys after it still pair with their URLs.
        {"OPENAI_API_BASE_URLS": " {a}/v1/ ; ;{b}/v1;{c}/v1", "OPENAI_API_KEYS": "ka;kx;;kc"},
        {"OPENAI_API_BASE_URLS": "{a}/v1;{b}/v1;{c}/v1", "OPENAI_API_KEYS": "ka;;kc;"},
        # One key is the first URL's, as in Open WebUI: not every server's.
        {"OPENAI_API_BASE_URLS": "{a}/v1;{b}/v1;;{c}/v1", "OPENAI_API_KEY": "ka"},
    ],
    indirect=True,
)
async def test_each_key_goes_to_the_url_in_its_place_and_nowhere_else(api, upstreams, variables):
    items = (await api.as_("admin")("GET", "connections")).json()["items"]
    a, b, c = upstreams
    assert [c_["base_url"] for c_ in items] == [a.openai_url, b.openai_url, c.openai_url]
    assert all(c_["origin"] == "env" for c_ in items)
    listed = (await api("GET", "models")).json()
    assert {"a-model", "b-model", "c-model"} <= {m["id"] for m in listed["items"]}
    expected_c = {"Bearer kc"} if "OPENAI_API_KEYS" in variables else {""}
    assert (keys_seen(a), keys_seen(b), keys_seen(c)) == ({"Bearer ka"}, {""}, expected_c)


@pytest.mark.parametrize(
    "variables",
    [
        {"OPENAI_API_BASE_URL": "{a}/v1", "OLLAMA_BASE_URL": "{b}", "ENABLE_OLLAMA_API": "False"},
        {"OPENAI_API_BASE_URL": "{a}/v1", "OLLAMA_BASE_URL": "{b}", "ENABLE_OPENAI_API": " off"},
        {"OPENAI_API_BASE_URL": "{a}/v1", "OLLAMA_BASE_URL": "{b}", "ENABLE_OPENAI_API": "true"},
    ],
    indirect=True,
)
async def test_open_webuis_switches_leave_a_kind_of_server_unconnected(api, upstreams, variables):
    a, b, _ = upstreams
    kinds = {
        x["kind"]: x["base_url"]
        for x in (await api.as_("admin")("GET", "connections")).json()["items"]
    }
    expected = {"openai": a.openai_url, "ollama": b.url}
    if "ENABLE_OLLAMA_API" in variables:
        del expected["ollama"]
    if variables.get("ENABLE_OPENAI_API") == " off":
        del expected["openai"]
    assert kinds == expected


def served_by(listed: dict, model_id: str) -> str:
    return next(m["connection_id"] for m in listed["items"] if m["id"] == model_id)


@pytest.mark.parametrize(
    "variables", [{"OPENAI_API_BASE_URLS": "{a}/v1;{b}/v1;{c}/v1"}], indirect=True
)
async def test_a_model_two_configured_connections_list_is_the_first_named_ones(
    api, upstreams, variables
):
    admin = api.as_("admin")
    first, *_ = (await admin("GET", "connections")).json()["items"]
    assert first["base_url"] == upstreams[0].openai_url
    assert served_by((await api("GET", "models")).json(), "shared") == first["id"]
    # Editing a connection changes nothing of which one serves a model.
    r = await admin("PATCH", f"connections/{first['id']}", {"name": "Team A"})
    assert r.status == 200, r
    assert served_by((await api("GET", "models")).json(), "shared") == first["id"]


@pytest.mark.parametrize(
    "variables",
    [{"OPENAI_API_BASE_URLS": "{a}/v1;{c}/v1", "OPENAI_API_KEYS": "ka;kc"}],
    indirect=True,
)
async def test_a_restart_keeps_edits_brings_back_what_was_deleted_and_takes_over_a_url(
    api, jp_serverapp, upstreams, environ, variables
):
    admin = api.as_("admin")
    a, b, c = upstreams
    seeded = {x["base_url"]: x for x in (await admin("GET", "connections")).json()["items"]}
    edit = {"name": "Team A", "prefix": "a/", "enabled": False}
    assert (await admin("PATCH", f"connections/{seeded[a.openai_url]['id']}", edit)).status == 200
    assert (await admin("DELETE", f"connections/{seeded[c.openai_url]['id']}")).status == 204
    made = {"kind": "openai", "base_url": b.openai_url, "api_key": "kb-typed", "name": "B"}
    made = (await admin("POST", "connections", made)).json()

    environ(OPENAI_API_BASE_URLS="{a}/v1;{b}/v1;{c}/v1", OPENAI_API_KEYS="ka;kb;kc")
    await restart(jp_serverapp)
    after = {x["base_url"]: x for x in (await admin("GET", "connections")).json()["items"]}
    kept = after[a.openai_url]
    assert (kept["id"], kept["name"], kept["prefix"], kept["enabled"]) == (
        seeded[a.openai_url]["id"], "Team A", "a/", False,
    )  # fmt: skip
    back = after[c.openai_url]
    assert back["id"] != seeded[c.openai_url]["id"] and back["enabled"] is True
    # The connection made over REST now follows the environment, as one it named would.
    taken = after[b.openai_url]
    assert (taken["id"], taken["name"], taken["origin"]) == (made["id"], "B", "env")
    r = await admin("PATCH", f"connections/{taken['id']}", {"api_key": "kb-typed-again"})
    assert r.status == 422 and "environment" in r.json()["message"], r
    b.reset()
    assert "b-model" in {m["id"] for m in (await api("GET", "models")).json()["items"]}
    assert keys_seen(b) == {"Bearer kb"}

    environ(OPENAI_API_BASE_URLS="{c}/v1", OPENAI_API_KEYS="kc")
    await restart(jp_serverapp)
    after = (await admin("GET", "connections")).json()["items"]
    assert [x["base_url"] for x in after] == [c.openai_url]
