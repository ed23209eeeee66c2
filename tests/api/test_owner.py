"""Jupyter Server's own token login: every holder of the token is the server's one owner."""

from __future__ import annotations

import json

import pytest

from tests.support.identity import header


@pytest.fixture
def jp_server_config(db_url):
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_chat_ext": True, "jupyter_server_terminals": False},
            "terminals_enabled": False,
            "allow_unauthenticated_access": False,
        },
        "ChatExtApp": {"db_url": db_url, "owner": "ada"},
    }


async def test_token_login_is_the_single_owner_and_admin(jp_fetch):
    r = await jp_fetch("chat-ext", "api", "users", "me")
    me = json.loads(r.body)
    assert (me["username"], me["role"]) == ("ada", "admin")
    r = await jp_fetch("chat-ext", "api", "users", "me", headers=header(None), raise_error=False)
    assert r.code == 403
