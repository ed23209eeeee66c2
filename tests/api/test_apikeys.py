"""API keys: created and shown once, listed without the secret, revoked, owned, and valid
only for chat-ext's compatible APIs (never for Jupyter's own)."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime

import httpx
from sqlalchemy import update

from jupyter_chat_ext.apikeys.orm import ApiKeyRow
from jupyter_chat_ext.apikeys.service import MAX_KEYS_PER_USER
from jupyter_chat_ext.core.clock import now_ms
from tests.support.identity import header


def server_url(port: int, base_url: str) -> str:
    return f"http://localhost:{port}{base_url}"


async def create_key(api, name: str = "laptop") -> dict:
    r = await api("POST", "users/me/keys", {"name": name})
    assert r.status == 201, r
    return r.json()


async def test_create_list_and_revoke(api, caplog):
    caplog.set_level(logging.DEBUG)
    created = await create_key(api)
    secret = created["key"]
    assert re.fullmatch(r"cx-[A-Za-z0-9_-]{40}", secret)
    assert created["prefix"] == secret[:7] and created["name"] == "laptop"
    assert created["last_used_at"] is None

    listed = (await api("GET", "users/me/keys")).json()["items"]
    assert [k["id"] for k in listed] == [created["id"]]
    assert "key" not in listed[0] and secret not in str(listed)
    assert set(listed[0]) == {"id", "name", "prefix", "created_at", "last_used_at", "expires_at"}
    assert listed[0]["expires_at"] is None, "a key works until revoked unless told otherwise"

    # another user's list is theirs alone
    assert (await api.as_("bob")("GET", "users/me/keys")).json()["items"] == []

    assert (await api("DELETE", f"users/me/keys/{created['id']}")).status == 204
    assert (await api("GET", "users/me/keys")).json()["items"] == []
    r = await api("DELETE", f"users/me/keys/{created['id']}")
    assert r.status == 404 and r.json()["code"] == "not_found"
    for record in caplog.records:
        assert secret not in record.getMessage()


async def test_another_users_key_is_not_found(api):
    created = await create_key(api)
    for user in ("bob", "admin"):
        r = await api.as_(user)("DELETE", f"users/me/keys/{created['id']}")
        assert r.status == 404, (user, r)
    assert len((await api("GET", "users/me/keys")).json()["items"]) == 1


async def test_bad_names_are_refused(api):
    for body in ({}, {"name": ""}, {"name": "x" * 101}, {"name": "ok", "extra": 1}):
        r = await api("POST", "users/me/keys", body)
        assert r.status == 422, (body, r)
    # A line break would split the name in the list (a NUL is refused as any body's is).
    for name in ("a\nb", "a\tb", "a\u2028b", "\u007f"):
        r = await api("POST", "users/me/keys", {"name": name})
        assert r.status == 422 and "control characters" in r.json()["message"], (name, r)
    assert (await api("GET", "users/me/keys")).json()["items"] == []
    assert (await api("POST", "users/me/keys", {"name": "café 👩‍💻 laptop"})).status == 201


async def test_a_key_works_until_revoked_and_records_its_use(api, jp_http_port, jp_base_url):
    created = await create_key(api)
    url = server_url(jp_http_port, jp_base_url) + "chat-ext/openai/v1/models"
    auth = {"Authorization": f"Bearer {created['key']}"}
    async with httpx.AsyncClient() as client:
        r = await client.get(url, headers=auth)
        assert r.status_code == 200, r.text
        assert r.json() == {"object": "list", "data": []}
        used = (await api("GET", "users/me/keys")).json()["items"][0]
        assert used["last_used_at"] is not None

        assert (await api("DELETE", f"users/me/keys/{created['id']}")).status == 204
        r = await client.get(url, headers=auth)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "invalid_api_key"
        r = await client.get(url, headers={"Authorization": "Bearer cx-made-up"})
        assert r.status_code == 401


async def test_a_key_is_not_a_jupyter_token(api, jp_http_port, jp_base_url):
    created = await create_key(api)
    base = server_url(jp_http_port, jp_base_url)
    async with httpx.AsyncClient() as client:
        for path in ("api/contents", "api/kernels", "api/sessions", "chat-ext/api/users/me"):
            for auth in (f"Bearer {created['key']}", f"token {created['key']}"):
                r = await client.get(base + path, headers={"Authorization": auth})
                assert r.status_code == 403, (path, auth, r.text)
            r = await client.get(base + path, params={"token": created["key"]})
            assert r.status_code == 403, (path, r.text)
        # while the user's own Jupyter token opens the same doors
        r = await client.get(base + "api/contents", headers=header("alice"))
        assert r.status_code == 200


async def test_concurrent_creates_stop_at_the_limit(api, jp_http_port, jp_base_url):
    url = server_url(jp_http_port, jp_base_url) + "chat-ext/api/users/me/keys"
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=None)) as client:
        # All sent at once: each create's check must see the keys the others are adding.
        answers = await asyncio.gather(
            *(client.post(url, json={"name": f"k{i}"}, headers=header("alice")) for i in range(80))
        )
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] * MAX_KEYS_PER_USER + [409] * (80 - MAX_KEYS_PER_USER), codes
    refused = next(r for r in answers if r.status_code == 409).json()
    assert refused["code"] == "conflict" and "revoke one" in refused["message"]
    assert len((await api("GET", "users/me/keys")).json()["items"]) == MAX_KEYS_PER_USER
    # The limit is each user's own.
    assert (await api.as_("bob")("POST", "users/me/keys", {"name": "bob's"})).status == 201


async def test_at_the_limit_the_key_that_expired_first_gives_its_place(api, jp_serverapp):
    made = [(await create_key(api, f"k{i}"))["id"] for i in range(MAX_KEYS_PER_USER)]
    assert (await api("POST", "users/me/keys", {"name": "more"})).status == 409
    await _expire(jp_serverapp, made[7], now_ms() - 5000)
    await _expire(jp_serverapp, made[3], now_ms() - 1000)
    await _expire(jp_serverapp, made[9], now_ms() + 60_000)  # not yet

    async def names() -> list[str]:
        return [k["name"] for k in (await api("GET", "users/me/keys")).json()["items"]]

    await create_key(api, "new 1")
    listed = await names()
    assert len(listed) == MAX_KEYS_PER_USER and "k7" not in listed
    assert {"k3", "k9", "new 1"} <= set(listed)
    await create_key(api, "new 2")
    listed = await names()
    assert len(listed) == MAX_KEYS_PER_USER and "k3" not in listed and "k9" in listed
    # No expired key left: the limit holds.
    r = await api("POST", "users/me/keys", {"name": "more"})
    assert r.status == 409 and "revoke one" in r.json()["message"]


async def test_keys_need_a_signed_in_user(api):
    assert (await api.as_(None)("GET", "users/me/keys")).status == 403
    assert (await api.as_(None)("POST", "users/me/keys", {"name": "x"})).status == 403


async def test_a_host_this_server_does_not_answer_for_is_said_so(
    api, jp_serverapp, jp_http_port, jp_base_url
):
    jp_serverapp.web_app.settings["allow_remote_access"] = False
    created = await create_key(api)
    url = server_url(jp_http_port, jp_base_url) + "chat-ext/openai/v1/models"
    async with httpx.AsyncClient() as client:
        for auth in (f"Bearer {created['key']}", "token alice-token"):
            r = await client.get(url, headers={"Authorization": auth, "Host": "evil.example"})
            assert r.status_code == 403, (auth, r.text)
            assert "host name" in r.json()["error"]["message"]
            r = await client.get(url, headers={"Authorization": auth})
            assert r.status_code == 200, (auth, r.text)


async def test_a_key_made_to_expire_says_when(api):
    r = await api("POST", "users/me/keys", {"name": "ci", "expires_in_days": 30})
    assert r.status == 201, r
    created = r.json()
    made, ends = (datetime.fromisoformat(created[k]) for k in ("created_at", "expires_at"))
    assert (ends - made).total_seconds() == 30 * 86_400
    [listed] = (await api("GET", "users/me/keys")).json()["items"]
    assert listed["expires_at"] == created["expires_at"]
    for days in (0, -1, 3651, 1.5, "30", True):
        r = await api("POST", "users/me/keys", {"name": "x", "expires_in_days": days})
        assert r.status == 422 and "expires_in_days" in r.json()["message"], (days, r)
    assert len((await api("GET", "users/me/keys")).json()["items"]) == 1


async def _expire(jp_serverapp, key_id: str, at_ms: int) -> None:
    services = await jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app.ready()
    async with services.keys.store.db.session() as session:
        await session.execute(
            update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(expires_at=at_ms)
        )
        await session.commit()


async def test_an_expired_key_is_refused_even_one_just_trusted(
    api, jp_serverapp, jp_http_port, jp_base_url
):
    url = server_url(jp_http_port, jp_base_url) + "chat-ext/openai/v1/models"
    old = await create_key(api, "old")
    soon = await create_key(api, "soon")
    await _expire(jp_serverapp, old["id"], now_ms() - 1)
    await _expire(jp_serverapp, soon["id"], now_ms() + 1500)
    async with httpx.AsyncClient() as client:
        r = await client.get(url, headers={"Authorization": f"Bearer {old['key']}"})
        assert r.status_code == 401 and "expired" in r.json()["error"]["message"], r.text
        auth = {"Authorization": f"Bearer {soon['key']}"}
        assert (await client.get(url, headers=auth)).status_code == 200
        # Read a moment ago, and so trusted for a while, but not past its expiry.
        await asyncio.sleep(2)
        r = await client.get(url, headers=auth)
        assert r.status_code == 401, r.text
    # An expired key is still listed, to be recognised and revoked.
    names = [k["name"] for k in (await api("GET", "users/me/keys")).json()["items"]]
    assert names == ["old", "soon"]


async def test_an_admin_lists_every_users_keys_and_revokes_any(
    api, jp_http_port, jp_base_url, caplog
):
    caplog.set_level(logging.DEBUG)
    alices = await create_key(api, "alice's laptop")
    bobs = (await api.as_("bob")("POST", "users/me/keys", {"name": "bob's ci"})).json()
    admin = api.as_("admin")
    listed = (await admin("GET", "keys")).json()["items"]
    assert [(k["owner"], k["name"]) for k in listed] == [
        ("alice", "alice's laptop"),
        ("bob", "bob's ci"),
    ]
    assert all("key" not in k for k in listed)
    assert alices["key"] not in str(listed) and bobs["key"] not in str(listed)
    for user in ("alice", "bob"):
        assert (await api.as_(user)("GET", "keys")).status == 403

    url = server_url(jp_http_port, jp_base_url) + "chat-ext/openai/v1/models"
    auth = {"Authorization": f"Bearer {alices['key']}"}
    async with httpx.AsyncClient() as client:
        assert (await client.get(url, headers=auth)).status_code == 200  # trusted for a while
        assert (await admin("DELETE", f"keys/{alices['id']}")).status == 204
        # At once, however recently it was used.
        assert (await client.get(url, headers=auth)).status_code == 401
    assert (await api("GET", "users/me/keys")).json()["items"] == []
    assert [k["name"] for k in (await admin("GET", "keys")).json()["items"]] == ["bob's ci"]
    r = await admin("DELETE", f"keys/{alices['id']}")
    assert r.status == 404 and r.json()["code"] == "not_found"
    for record in caplog.records:
        assert alices["key"] not in record.getMessage()
