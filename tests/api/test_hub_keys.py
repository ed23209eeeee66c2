"""API keys on a JupyterHub user's server: good for that user only, and accepted by an
authorizer that, like JupyterHub's, reads the hub's scopes from the user."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.auth.identity import User

from jupyter_chat_ext.apikeys.schemas import KeyCreate

ACCESS = "access:servers!server=alice/"


class HubScopes(Authorizer):
    """What JupyterHub's authorizer does: the hub's user model must hold this server's scope."""

    hub_auth = SimpleNamespace(oauth_scopes={ACCESS})

    def is_authorized(self, handler, user, action, resource):
        return ACCESS in user.hub_user["scopes"]


@pytest.fixture
def jp_server_config(jp_server_config, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    jp_server_config["ServerApp"]["authorizer_class"] = HubScopes
    return jp_server_config


async def test_a_key_opens_its_owners_server_only(api, jp_serverapp, jp_http_port, jp_base_url):
    ext = jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app
    services = await ext.ready()
    keys = {}
    for user in ("alice", "bob"):  # bob's key, as if made on his server with a shared database
        me = SimpleNamespace(id=(await services.users.identify(User(username=user, name=user))).id)
        keys[user] = (await services.keys.create(me, KeyCreate(name="k"))).key
    url = f"http://localhost:{jp_http_port}{jp_base_url}chat-ext/openai/v1/models"
    async with httpx.AsyncClient() as http:
        mine = await http.get(url, headers={"Authorization": f"Bearer {keys['alice']}"})
        assert mine.status_code == 200 and mine.json()["object"] == "list"
        theirs = await http.get(url, headers={"Authorization": f"Bearer {keys['bob']}"})
        assert theirs.status_code == 403
        assert "owner's own server" in theirs.json()["error"]["message"]
