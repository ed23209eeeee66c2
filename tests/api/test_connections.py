"""Connections: admins add, edit, verify and remove model servers; keys never come back."""

from __future__ import annotations

import logging

import pytest

from jupyter_chat_ext.testing.upstream import FakeUpstream, RefusedPort

SECRET = "sk-test-0123456789abcdefSECRET"


async def test_admin_manages_connections_with_keys_masked(api, caplog):
    caplog.set_level(logging.DEBUG)
    admin = api.as_("admin")
    async with FakeUpstream(api_key=SECRET) as up:
        r = await admin(
            "POST",
            "connections",
            {
                "kind": "openai",
                "base_url": up.openai_url + "/",
                "api_key": SECRET,
                "headers": {"X-Team": "blue-secret"},
            },
        )
        assert r.status == 201, r
        conn = r.json()
        assert conn["api_key"] == "sk-****CRET"
        assert conn["headers"] == {"X-Team": "****"}
        assert conn["base_url"] == up.openai_url
        assert conn["name"].startswith("OpenAI (127.0.0.1:")
        verified = (await admin("POST", f"connections/{conn['id']}/verify")).json()
        assert verified["ok"] is True and verified["model_count"] >= 1
        assert verified["latency_ms"] >= 0
        # the key went upstream as a bearer token, with the extra header
        sent = up.requests[-1].headers
        assert sent["authorization"] == f"Bearer {SECRET}" and sent["x-team"] == "blue-secret"

        r = await admin("PATCH", f"connections/{conn['id']}", {"api_key": "wrong-key-123456789"})
        assert r.json()["api_key"] == "wro****6789"
        failed = (await admin("POST", f"connections/{conn['id']}/verify")).json()
        assert failed["ok"] is False and failed["status"] == 401 and failed["error"]

        r = await admin(
            "PATCH", f"connections/{conn['id']}", {"name": "Team server", "enabled": False}
        )
        assert (r.json()["name"], r.json()["enabled"]) == ("Team server", False)
        listed = (await admin("GET", "connections")).json()["items"]
        assert [c["name"] for c in listed] == ["Team server"]
        assert (await admin("DELETE", f"connections/{conn['id']}")).status == 204
        assert (await admin("GET", "connections")).json()["items"] == []
    for record in caplog.records:
        assert SECRET not in record.getMessage()


async def test_verify_reports_a_dead_server(api):
    admin = api.as_("admin")
    with RefusedPort() as port:
        conn = (await admin("POST", "connections", {"kind": "ollama", "base_url": port.url})).json()
        result = (await admin("POST", f"connections/{conn['id']}/verify")).json()
    assert result["ok"] is False and "Cannot connect" in result["error"]


async def test_bad_connection_input(api):
    admin = api.as_("admin")
    r = await admin("POST", "connections", {"kind": "gopher", "base_url": "http://x.example"})
    assert r.status == 422 and "'kind'" in r.json()["message"]
    r = await admin("POST", "connections", {"kind": "openai", "base_url": "ftp://x.example"})
    assert r.status == 422 and "http" in r.json()["message"]
    assert (await admin("PATCH", "connections/nope", {"name": "x"})).status == 404
    assert (await admin("GET", "connections")).json()["items"] == []


async def test_users_cannot_see_connections(api):
    r = await api("GET", "connections")
    assert r.status == 403 and "admins" in r.json()["message"]


@pytest.mark.parametrize(
    "chat_ext_config",
    [{"openai_api_base_urls": ["http://127.0.0.1:9/v1"], "openai_api_keys": [SECRET]}],
)
async def test_configured_connections_are_seeded(api, chat_ext_config):
    items = (await api.as_("admin")("GET", "connections")).json()["items"]
    assert [(c["kind"], c["base_url"], c["origin"], c["api_key"]) for c in items] == [
        ("openai", "http://127.0.0.1:9/v1", "config", "sk-****CRET")
    ]
