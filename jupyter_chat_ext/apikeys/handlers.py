"""The user's own API keys, under /users/me/keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..core.handlers import ApiHandler, endpoint
from .schemas import KeyCreate, KeyCreated, KeyList

if TYPE_CHECKING:
    from .service import ApiKeyService


class _KeyHandler(ApiHandler):
    auth_resource = "chat-ext:keys"

    uses = ("keys",)
    keys: ApiKeyService


class KeysHandler(_KeyHandler):
    @web.authenticated
    @authorized
    @endpoint("List your API keys (never the keys themselves)", response=KeyList)
    async def get(self) -> KeyList:
        return await self.keys.list(self.identity)

    @web.authenticated
    @authorized
    @endpoint(
        "Create an API key for the OpenAI- and Ollama-compatible APIs; the response is the "
        "only time the key is shown",
        body=KeyCreate,
        response=KeyCreated,
        status=201,
    )
    async def post(self, body: KeyCreate) -> KeyCreated:
        # The one response that carries a key: no cache may keep it.
        self.set_header("Cache-Control", "no-store")
        return await self.keys.create(self.identity, body)


class KeyHandler(_KeyHandler):
    @web.authenticated
    @authorized
    @endpoint("Revoke one of your API keys", status=204)
    async def delete(self, key_id: str) -> None:
        await self.keys.revoke(self.identity, key_id)


routes = [
    (r"/users/me/keys", KeysHandler),
    (r"/users/me/keys/(?P<key_id>[^/]+)", KeyHandler),
]
