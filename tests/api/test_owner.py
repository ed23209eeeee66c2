"""Jupyter Server's own token login: every holder of the token is the server's one owner."""

from __future__ import annotations

import json

import pytest
from jupyter_server.auth.identity import PasswordIdentityProvider

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


async def test_a_token_call_gets_no_login_cookie_it_would_not_send_back(jp_fetch):
    # Jupyter's own handlers sign a cookie for every token call; scripts never return it.
    r = await jp_fetch("api", "status")
    assert "Set-Cookie" in r.headers
    cookie = r.headers["Set-Cookie"].split(";", 1)[0]
    r = await jp_fetch("chat-ext", "api", "users", "me")
    assert "Set-Cookie" not in r.headers
    assert json.loads(r.body)["username"] == "ada"
    wrong = {"Authorization": "token not-the-token"}
    r = await jp_fetch("chat-ext", "api", "users", "me", headers=wrong, raise_error=False)
    assert r.code == 403
    # A browser's login cookie, and no token, is still Jupyter's to check.
    r = await jp_fetch(
        "chat-ext", "api", "users", "me", headers={"Authorization": "", "Cookie": cookie}
    )
    assert json.loads(r.body)["username"] == "ada"


async def test_the_token_in_the_url_is_taken_too(jp_fetch, jp_serverapp):
    token = jp_serverapp.identity_provider.token
    r = await jp_fetch(
        "chat-ext", "api", "users", "me", headers={"Authorization": ""}, params={"token": token}
    )
    assert json.loads(r.body)["username"] == "ada"


class RefusesTokens(PasswordIdentityProvider):
    """A deployment's own provider, which takes no token at all."""

    async def get_user_token(self, handler):
        return None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_an_identity_provider_of_its_own_decides_about_the_token(jp_fetch, jp_serverapp):
    jp_serverapp.identity_provider = RefusesTokens(
        parent=jp_serverapp, token=jp_serverapp.identity_provider.token
    )
    jp_serverapp.web_app.settings["identity_provider"] = jp_serverapp.identity_provider
    r = await jp_fetch("chat-ext", "api", "users", "me", raise_error=False)
    assert r.code == 403
    r = await jp_fetch("api", "status", raise_error=False)
    assert r.code == 403
