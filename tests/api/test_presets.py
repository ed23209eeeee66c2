"""Presets: a base model with a name, a system prompt and default parameters."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from jupyter_chat_ext.testing.upstream import FakeUpstream, UpstreamThread
from tests.api.completion_calls import complete
from tests.support.identity import header


@pytest.fixture
def upstream():
    with UpstreamThread(models=("base-model",)) as up:
        yield up


async def connect(api, up) -> None:
    r = await api.as_("admin")("POST", "connections", {"kind": "openai", "base_url": up.openai_url})
    assert r.status == 201, r


PIRATE = {
    "id": "pirate",
    "name": "Pirate",
    "base_model": "base-model",
    "description": "Talks like a pirate",
    "system_prompt": "Answer like a pirate.",
    "params": {"temperature": 0.9, "max_tokens": 50, "options": {"mirostat": 1}},
    "capabilities": ["vision"],
    "visibility": "public",
}


async def test_a_public_preset_is_a_model_for_everyone(api, jp_fetch, upstream):
    await connect(api, upstream)
    r = await api.as_("admin")("POST", "presets", PIRATE)
    assert r.status == 201, r
    models = {m["id"]: m for m in (await api("GET", "models")).json()["items"]}
    assert models["pirate"]["preset"]["base_model"] == "base-model"
    assert models["pirate"]["kind"] == "openai" and models["pirate"]["name"] == "Pirate"
    body = {"model": "pirate", "content": "ahoy", "params": {"temperature": 0.1}}
    _, events = await complete(jp_fetch, body)
    assert events[-1][0] == "done"
    sent = next(q.body for q in upstream.requests if q.path.endswith("/chat/completions"))
    assert sent["model"] == "base-model"
    assert sent["messages"][0] == {"role": "system", "content": "Answer like a pirate."}
    assert (sent["temperature"], sent["max_tokens"], sent["mirostat"]) == (0.1, 50, 1)
    chat = (await api("GET", f"chats/{events[0][1]['chat_id']}")).json()
    assert chat["messages"][1]["model"] == "pirate"


async def test_private_presets_and_who_may_change_what(api, upstream):
    await connect(api, upstream)
    mine = {"id": "my-helper", "name": "Helper", "base_model": "base-model"}
    assert (await api("POST", "presets", mine)).status == 201
    bob = api.as_("bob")
    assert [p["id"] for p in (await bob("GET", "presets")).json()["items"]] == []
    assert "my-helper" not in {m["id"] for m in (await bob("GET", "models")).json()["items"]}
    assert (await bob("PATCH", "presets/my-helper", {"name": "x"})).status == 404
    r = await api("PATCH", "presets/my-helper", {"visibility": "public"})
    assert r.status == 403 and "admins" in r.json()["message"]
    r = await api("POST", "presets", {**mine, "id": "shared", "visibility": "public"})
    assert r.status == 403
    admin = api.as_("admin")
    assert (await admin("POST", "presets", PIRATE)).status == 201
    r = await api("PATCH", "presets/pirate", {"name": "Mine now"})
    assert r.status == 403
    r = await admin("PATCH", "presets/pirate", {"description": "Arr"})
    assert r.json()["description"] == "Arr" and r.json()["mine"] is True
    assert (await api("DELETE", "presets/my-helper")).status == 204
    assert [p["id"] for p in (await api("GET", "presets")).json()["items"]] == ["pirate"]


async def test_preset_ids_are_unique_and_checked(api, upstream):
    await connect(api, upstream)
    r = await api("POST", "presets", {"id": "base-model", "name": "x", "base_model": "base-model"})
    assert r.status == 409 and "taken" in r.json()["message"]
    assert (await api("POST", "presets", {"id": "a", "name": "x", "base_model": "b"})).status == 201
    assert (await api("POST", "presets", {"id": "a", "name": "y", "base_model": "b"})).status == 409
    r = await api("POST", "presets", {"id": "bad id!", "name": "x", "base_model": "b"})
    assert r.status == 422 and "'id'" in r.json()["message"]
    r = await api(
        "POST", "presets", {"id": "c", "name": "x", "base_model": "b", "params": {"temperature": 5}}
    )
    assert r.status == 422 and "temperature" in r.json()["message"]
    for params in (
        {"temperature": True},
        {"max_tokens": "5"},
        {"stop": ["x"] * 65},
        {"top_p": -0.1},
    ):
        r = await api(
            "POST", "presets", {"id": "c", "name": "x", "base_model": "b", "params": params}
        )
        assert r.status == 422 and next(iter(params)) in r.json()["message"], r.json()
    # top_p 0 is OpenAI's (and the settings form's) lowest value.
    body = {"id": "p0", "name": "x", "base_model": "b", "params": {"top_p": 0}}
    assert (await api("POST", "presets", body)).json()["params"]["top_p"] == 0
    r = await api("POST", "presets", {"id": "c", "name": "   ", "base_model": "b"})
    assert r.status == 422 and "'name'" in r.json()["message"]
    # A preset wraps a connection's model, never itself or another preset.
    for base in ("a", "c"):
        r = await api("POST", "presets", {"id": "c", "name": "x", "base_model": base})
        assert r.status == 422 and "base model" in r.json()["message"], r.json()
    r = await api("PATCH", "presets/a", {"base_model": "a"})
    assert r.status == 422 and "own base model" in r.json()["message"]
    assert (await api("PATCH", "presets/a", {"name": " Trim "})).json()["name"] == "Trim"


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"base_model": "   "}, "'base_model'"),
        ({"name": "Two\nlines"}, "'name'"),
        ({"name": "Bell\u0007"}, "'name'"),
        ({"capabilities": ["vision", " "]}, "'capabilities.1'"),
        ({"capabilities": ["vision", "vision"]}, "capability twice"),
        ({"params": {"response_format": {"type": 5}}}, "'params.response_format'"),
        ({"params": {"response_format": {"type": "json_schema"}}}, "'params.response_format'"),
    ],
)
async def test_what_a_preset_could_never_use_is_refused(api, fields, named):
    body = {"id": "p", "name": "P", "base_model": "base-model"}
    r = await api("POST", "presets", body | fields)
    assert r.status == 422 and named in r.json()["message"], r.json()
    assert (await api("GET", "presets")).json()["items"] == []
    made = (await api("POST", "presets", body)).json()
    r = await api("PATCH", "presets/p", fields)
    assert r.status == 422 and named in r.json()["message"], r.json()
    assert (await api("GET", "presets")).json()["items"] == [made]


async def test_a_response_format_is_checked_wherever_it_is_given(api, jp_fetch):
    wrong = {"response_format": {"type": 5}}
    chat = (await api("POST", "chats", {"title": "c"})).json()
    r = await api("PATCH", f"chats/{chat['id']}", {"settings": {"params": wrong}})
    assert r.status == 422 and "response_format" in r.json()["message"], r.json()
    r, _ = await complete(jp_fetch, {"model": "any", "content": "hi", "params": wrong})
    assert r.code == 422 and b"response_format" in r.body
    ok = {"response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {}}}}
    r = await api("PATCH", f"chats/{chat['id']}", {"settings": {"params": ok}})
    assert r.status == 200, r


async def test_presets_made_at_once_under_one_id_give_one_preset(api, jp_http_port, jp_base_url):
    url = f"http://localhost:{jp_http_port}{jp_base_url}chat-ext/api/presets"

    async def make_all(user: str, visibility: str) -> list[httpx.Response]:
        bodies = [
            {"id": visibility, "name": f"n{i}", "base_model": "m", "visibility": visibility}
            for i in range(20)
        ]
        async with httpx.AsyncClient(timeout=60) as client:
            return await asyncio.gather(
                *(client.post(url, json=b, headers=header(user)) for b in bodies)
            )

    for user, visibility in (("alice", "private"), ("admin", "public")):
        answers = await make_all(user, visibility)
        codes = sorted(r.status_code for r in answers)
        # The first is made; the others are told the id is taken, and change nothing.
        assert codes == [201] + [409] * 19, codes
        (made,) = [r.json() for r in answers if r.status_code == 201]
        kept = (await api.as_(user)("GET", "presets")).json()["items"]
        assert [(p["id"], p["name"]) for p in kept] == [(visibility, made["name"])]


async def test_a_private_preset_id_is_its_owners_alone(api, upstream):
    await connect(api, upstream)
    bob, admin = api.as_("bob"), api.as_("admin")
    secret = {"id": "secret-project", "name": "Alice's", "base_model": "base-model"}
    assert (await api("POST", "presets", secret)).status == 201
    # Bob cannot tell it exists: the same id is free for him.
    r = await bob("POST", "presets", {**secret, "name": "Bob's", "system_prompt": "Be brief."})
    assert r.status == 201
    for user, name in ((api, "Alice's"), (bob, "Bob's")):
        assert [p["name"] for p in (await user("GET", "presets")).json()["items"]] == [name]
    assert (await bob("DELETE", "presets/secret-project")).status == 204
    assert (await api("GET", "presets")).json()["items"][0]["name"] == "Alice's"

    # A preset for everyone: one of each id; its owner's own private one comes first for her.
    public = {**secret, "name": "Everyone's", "visibility": "public"}
    assert (await admin("POST", "presets", public)).status == 201
    r = await admin("POST", "presets", {**public, "name": "Again"})
    assert r.status == 409
    models = {m["id"]: m["name"] for m in (await api("GET", "models")).json()["items"]}
    assert models["secret-project"] == "Alice's"
    models = {m["id"]: m["name"] for m in (await bob("GET", "models")).json()["items"]}
    assert models["secret-project"] == "Everyone's"
    r = await bob("POST", "presets", {**secret, "name": "Shadow"})
    assert r.status == 409 and "taken" in r.json()["message"]  # he can see that one


async def test_a_preset_whose_base_model_is_gone_is_not_offered_until_it_is_back(
    api, jp_fetch, upstream
):
    admin = api.as_("admin")
    r = await admin("POST", "connections", {"kind": "openai", "base_url": upstream.openai_url})
    connection = r.json()
    assert (await admin("POST", "presets", PIRATE)).status == 201
    await admin("PATCH", f"connections/{connection['id']}", {"enabled": False})
    listed = (await api("GET", "models")).json()
    assert listed["items"] == []  # nothing to offer: a chat shows its first-run screen
    assert "not available now" in listed["errors"]["Preset Pirate"]
    # Asked for by name, it says what is missing: its base model, which the user never named.
    r, _ = await complete(jp_fetch, {"model": "pirate", "content": "ahoy", "stream": False})
    assert r.code == 404 and json.loads(r.body)["code"] == "model_not_found"
    said = json.loads(r.body)["message"]
    assert "'pirate' answers with 'base-model', which is not available now" in said, said
    assert (await api("GET", "chats")).json()["items"] == []  # nothing stored
    await admin("PATCH", f"connections/{connection['id']}", {"enabled": True})
    listed = (await api("GET", "models")).json()
    assert [m["id"] for m in listed["items"]] == ["base-model", "pirate"]
    assert listed["errors"] == {}
    r, _ = await complete(jp_fetch, {"model": "pirate", "content": "ahoy", "stream": False})
    assert r.code == 200 and json.loads(r.body)["status"] == "done"


async def test_a_model_a_connection_lists_later_under_a_presets_id_is_said_to_be_hidden(
    api, upstream
):
    await connect(api, upstream)
    assert (await api.as_("admin")("POST", "presets", PIRATE)).status == 201
    async with FakeUpstream(models=("pirate",)) as later:
        await connect(api, later)
        listed = (await api("GET", "models")).json()
        pirates = [m for m in listed["items"] if m["id"] == "pirate"]
        # Listed once, as what answers for the id: the preset.
        assert [m["owned_by"] for m in pirates] == ["preset"]
        assert "hides" in listed["errors"]["Preset Pirate"]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"temperature": "hot"}, "temperature"),
        ({"response_format": "json"}, "response_format"),
        ({"max_tokens": 0}, "max_tokens"),
    ],
)
async def test_an_option_named_as_a_parameter_is_checked_as_that_parameter(
    api, jp_fetch, upstream, options, named
):
    """Wherever options are given: a request's params, a chat's settings, a preset. They went
    upstream unchecked: the answer failed, and was stored as an error, or a server took a
    value no one meant."""
    await connect(api, upstream)
    asked = {"model": "base-model", "content": "hi", "params": {"options": options}}
    r, _ = await complete(jp_fetch, asked)
    assert r.code == 422 and named.encode() in r.body, r.body
    chat = (await api("POST", "chats", {"title": "c"})).json()
    r = await api("PATCH", f"chats/{chat['id']}", {"settings": {"params": {"options": options}}})
    assert r.status == 422 and named in r.json()["message"], r.json()
    body = {"id": "p", "name": "P", "base_model": "base-model", "params": {"options": options}}
    r = await api("POST", "presets", body)
    assert r.status == 422 and named in r.json()["message"], r.json()
    assert (await api("GET", "presets")).json()["items"] == []
    # A good one is taken as that parameter, and given twice it is refused.
    params = {"options": {"temperature": 0.5, "mirostat": 1}}
    r = await api("POST", "presets", {**body, "params": params})
    assert r.json()["params"] == {"temperature": 0.5, "mirostat": 1}, r.json()
    r = await api("PATCH", "presets/p", {"params": {**params, "temperature": 0.7}})
    assert r.status == 422 and "temperature" in r.json()["message"], r.json()
