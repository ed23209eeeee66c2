"""Every route, REST and WebSocket, as the owner, another user, an admin and anonymously.

Chats and folders are private: another user, admins included, gets the same 404 as for an object
that does not exist, and the owner's data is unchanged afterwards. Connections, and other users'
API keys, are for admins only.
"""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_chat_ext.routes import openapi_document
from jupyter_chat_ext.testing.upstream import FakeUpstream
from tests.support.identity import header

# (method, path template) -> (body, whether the route names one of the owner's objects)
ROUTES = {
    ("get", "/users/me"): (None, False),
    ("get", "/users/me/keys"): (None, False),
    ("post", "/users/me/keys"): ({"name": "another"}, False),
    ("delete", "/users/me/keys/{key_id}"): (None, True),
    ("get", "/openapi.json"): (None, False),
    ("get", "/chats"): (None, False),
    ("post", "/chats"): ({"title": "new"}, False),
    ("post", "/chats/archive-all"): ({}, False),
    ("post", "/chats/delete-all"): ({"confirm": "delete all chats"}, False),
    ("get", "/chats/export"): (None, False),
    ("post", "/chats/import"): ({"format": "jupyter-chat-ext", "chats": []}, False),
    ("post", "/chats/import/check"): ({"format": "jupyter-chat-ext", "chats": []}, False),
    ("get", "/chats/{chat_id}"): (None, True),
    ("patch", "/chats/{chat_id}"): ({"title": "changed"}, True),
    ("delete", "/chats/{chat_id}"): (None, True),
    ("post", "/chats/{chat_id}/clone"): ({}, True),
    ("get", "/chats/{chat_id}/export"): (None, True),
    ("post", "/chats/{chat_id}/tags"): ({"name": "extra"}, True),
    ("delete", "/chats/{chat_id}/tags/{name}"): (None, True),
    ("post", "/chats/{chat_id}/messages"): ({"role": "user", "content": "more"}, True),
    ("patch", "/chats/{chat_id}/messages/{message_id}"): ({"content": "changed"}, True),
    ("get", "/tags"): (None, False),
    ("get", "/folders"): (None, False),
    ("post", "/folders"): ({"name": "f"}, False),
    ("patch", "/folders/{folder_id}"): ({"name": "changed"}, True),
    ("delete", "/folders/{folder_id}"): (None, True),
    ("get", "/models"): (None, False),
    ("get", "/chat/completions"): (None, False),
    ("post", "/chat/completions/requests/{request_id}/stop"): (None, False),
    ("get", "/presets"): (None, False),
    # preset ids are one namespace: each user makes their own
    ("post", "/presets"): (lambda user: {"id": f"p-{user}", "name": "N", "base_model": "m"}, False),
    ("patch", "/presets/{preset_id}"): ({"name": "changed"}, True),
    ("delete", "/presets/{preset_id}"): (None, True),
}
# Routes whose outcome here is a 404 for every signed-in user: with no model connected, a
# completion names an unknown model, and no answer is being written to stop or follow.
NOTHING_RUNNING = {
    ("post", "/chat/completions"): {"model": "nope", "content": "hi"},
    ("get", "/chat/completions/{message_id}/stream"): None,
    ("post", "/chat/completions/{message_id}/stop"): {},
}
# Admin-only routes: everyone but an admin gets a 403, whatever the object.
ADMIN_ROUTES = {
    ("get", "/connections"): None,
    ("post", "/connections"): {"kind": "ollama", "base_url": "http://127.0.0.1:9"},
    ("patch", "/connections/{connection_id}"): {"name": "renamed"},
    ("delete", "/connections/{connection_id}"): None,
    ("post", "/connections/{connection_id}/verify"): {},
    ("get", "/keys"): None,
    ("delete", "/keys/{key_id}"): None,
}
WEBSOCKETS = {"/events"}
# The OpenAI- and Ollama-compatible APIs (full paths, beside chat-ext/api): every signed-in user,
# by Jupyter token or by their own API key; nobody else, and no unknown key.
_HI = [{"role": "user", "content": "hi"}]
PROXY_ROUTES = {
    ("get", "/chat-ext/openai/v1/models"): None,
    ("get", "/chat-ext/openai/v1/models/{model_id}"): None,
    ("post", "/chat-ext/openai/v1/chat/completions"): {"model": "fake-chat", "messages": _HI},
    ("post", "/chat-ext/openai/v1/completions"): {"model": "fake-chat", "prompt": "hi"},
    ("post", "/chat-ext/openai/v1/responses"): {"model": "fake-chat", "input": "hi"},
    ("post", "/chat-ext/openai/v1/embeddings"): {"model": "fake-embed", "input": "hi"},
    ("get", "/chat-ext/ollama/"): None,
    ("get", "/chat-ext/ollama/api/tags"): None,
    ("get", "/chat-ext/ollama/api/version"): None,
    ("post", "/chat-ext/ollama/api/show"): {"model": "fake-chat"},
    ("post", "/chat-ext/ollama/api/chat"): {"model": "fake-chat", "messages": _HI},
    ("post", "/chat-ext/ollama/api/generate"): {"model": "fake-chat", "prompt": "hi"},
    ("post", "/chat-ext/ollama/api/embed"): {"model": "fake-embed", "input": "hi"},
    ("post", "/chat-ext/ollama/api/embeddings"): {"model": "fake-embed", "prompt": "hi"},
    ("get", "/chat-ext/ollama/api/ps"): None,
}


def test_the_matrix_covers_every_route():
    spec = openapi_document()["paths"]
    declared = {(m, p) for p, ops in spec.items() for m in ops if p not in WEBSOCKETS}
    assert declared == set(ROUTES) | set(ADMIN_ROUTES) | set(NOTHING_RUNNING) | set(PROXY_ROUTES)
    assert set(spec) >= WEBSOCKETS


async def owner_objects(api):
    folder = (await api("POST", "folders", {"name": "private"})).json()
    chat = (
        await api(
            "POST",
            "chats",
            {
                "title": "private",
                "tags": ["secret"],
                "folder_id": folder["id"],
                "messages": [{"role": "user", "content": "my secret"}],
            },
        )
    ).json()
    preset = (
        await api("POST", "presets", {"id": "alices-preset", "name": "Mine", "base_model": "m"})
    ).json()
    key = (await api("POST", "users/me/keys", {"name": "mine"})).json()
    return {
        "key_id": key["id"],
        "preset_id": preset["id"],
        "chat_id": chat["id"],
        "message_id": chat["messages"][0]["id"],
        "name": "secret",
        "folder_id": folder["id"],
        "request_id": "a-request",
    }


async def snapshot(api):
    chats = (await api("GET", "chats/export")).json()["chats"]
    folders = (await api("GET", "folders")).json()["items"]
    presets = (await api("GET", "presets")).json()["items"]
    keys = (await api("GET", "users/me/keys")).json()["items"]
    return chats, folders, presets, keys


def success(method: str, path: str) -> int:
    responses = openapi_document()["paths"][path][method]["responses"]
    return int(next(code for code in responses if code.startswith("2")))


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
async def test_route(api, method, path):
    body, owned = ROUTES[(method, path)]
    ids = await owner_objects(api)
    url = path.format(**ids).lstrip("/")
    before = await snapshot(api)
    for user in ("bob", "admin", None):
        r = await api.as_(user)(method.upper(), url, body(user) if callable(body) else body)
        if user is None:
            assert r.status == 403, (user, r)
        elif owned:
            assert r.status == 404, (user, r)
            assert r.json()["code"] == "not_found"
        else:
            assert r.status == success(method, path), (user, r)
        if owned or user is None:
            # nothing of the owner's changed
            assert await snapshot(api) == before, user
    r = await api(method.upper(), url, body("alice") if callable(body) else body)
    assert r.status == success(method, path), r


@pytest.mark.parametrize(("method", "path"), sorted(NOTHING_RUNNING))
async def test_route_with_nothing_running(api, method, path):
    ids = await owner_objects(api)
    url = path.format(**ids).lstrip("/")
    before = await snapshot(api)
    for user in ("alice", "bob", "admin", None):
        r = await api.as_(user)(method.upper(), url, NOTHING_RUNNING[(method, path)])
        assert r.status == (403 if user is None else 404), (user, r)
    assert await snapshot(api) == before


@pytest.mark.parametrize(("method", "path"), sorted(ADMIN_ROUTES))
async def test_admin_route(api, method, path):
    body = ADMIN_ROUTES[(method, path)]
    admin = api.as_("admin")
    created = await admin(
        "POST", "connections", {"kind": "openai", "base_url": "http://127.0.0.1:9/v1"}
    )
    # Another user's key: the admin's to revoke, and no one else's.
    key = (await api.as_("bob")("POST", "users/me/keys", {"name": "bob's"})).json()
    url = path.format(connection_id=created.json()["id"], key_id=key["id"]).lstrip("/")

    async def state():
        return (await admin("GET", "connections")).json(), (await admin("GET", "keys")).json()

    before = await state()
    for user in ("alice", "bob", None):
        r = await api.as_(user)(method.upper(), url, body)
        assert r.status == 403, (user, r)
    assert await state() == before
    r = await admin(method.upper(), url, body)
    assert r.status == success(method, path), r


@pytest.mark.parametrize("user", ["alice", "bob", "admin"])
async def test_events_socket_for_every_user(jp_ws_fetch, user):
    ws = await jp_ws_fetch("chat-ext", "api", "events", headers=header(user))
    ws.close()


async def test_events_socket_refuses_anonymous(jp_ws_fetch):
    with pytest.raises(HTTPClientError) as error:
        await jp_ws_fetch("chat-ext", "api", "events", headers=header(None))
    assert error.value.code == 403


@pytest.mark.parametrize(("method", "path"), sorted(PROXY_ROUTES))
async def test_proxy_route(api, jp_fetch, method, path):
    body = PROXY_ROUTES[(method, path)]
    async with FakeUpstream() as up:
        r = await api.as_("admin")(
            "POST", "connections", {"kind": "openai", "base_url": up.openai_url}
        )
        assert r.status == 201, r
        key = (await api("POST", "users/me/keys", {"name": "matrix"})).json()["key"]
        auths = [header(user)["Authorization"] for user in ("alice", "bob", "admin")]
        for auth, expected in [
            *((a, success(method, path)) for a in auths),
            (f"Bearer {key}", success(method, path)),
            ("", 401),  # as OpenAI and Ollama servers answer a missing key
            ("Bearer cx-not-a-key", 401),
        ]:
            kwargs = {"body": json.dumps(body)} if body is not None else {}
            r = await jp_fetch(
                *path.format(model_id="fake-chat").strip("/").split("/"),
                method=method.upper(),
                headers={"Authorization": auth},
                raise_error=False,
                **kwargs,
            )
            assert r.code == expected, (auth[:12], r.code, r.body[:300])
