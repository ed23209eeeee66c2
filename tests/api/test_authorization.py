"""Jupyter's authorizer has the last word on every chat-ext path, known or not."""

from __future__ import annotations

import pytest
from jupyter_server.auth.authorizer import Authorizer

from tests.support.identity import header


class NoChatExtForBob(Authorizer):
    def is_authorized(self, handler, user, action, resource):
        return not (user.username == "bob" and resource.startswith("chat-ext"))


@pytest.fixture
def jp_server_config(jp_server_config):
    jp_server_config["ServerApp"]["authorizer_class"] = NoChatExtForBob
    return jp_server_config


PATHS = [
    "chat-ext/api/chats",
    "chat-ext/api/no-such-route",
    "chat-ext/openai/v1/models",
    "chat-ext/openai/v1/no-such-route",
    "chat-ext/ollama/api/no-such-route",
]


@pytest.mark.parametrize("path", PATHS)
async def test_a_user_the_authorizer_refuses_gets_403_everywhere(jp_fetch, path):
    async def get(user: str):
        return await jp_fetch(*path.split("/"), headers=header(user), raise_error=False)

    assert (await get("bob")).code == 403
    assert (await get("alice")).code in (200, 404)


async def test_a_user_the_authorizer_refuses_is_not_recorded(jp_fetch, jp_serverapp):
    users = (
        await jp_serverapp.extension_manager.extension_points["jupyter_chat_ext"].app.ready()
    ).users
    for path in PATHS:
        await jp_fetch(*path.split("/"), headers=header("bob"), raise_error=False)
    await jp_fetch("chat-ext", "api", "users", "me", headers=header("alice"))
    assert await users.store.ids_of("bob") == []
    assert len(await users.store.ids_of("alice")) == 1
